# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a task's settings come from: refuse those an inventory decides (module_utils/guard/operator_settings.py).

Ansible merges a host's variables from many sources and keeps no record of which one won.
So the sources an operator does not control are asked again, exactly as ansible-core's
VariableManager asks them (vars/manager.py ``get_vars``) for the task's host:

* the inventory's own variables: the ``all`` group, each group of the host, the host;
* the vars plugins (``host_group_vars``: ``group_vars/`` and ``host_vars/``, and any other
  enabled one) for the directory of each inventory source and for the playbook's directories.

A setting's *name* defined there is refused, whatever its value and whichever source would
win: a value wrapped in a template (``"{{ x }}"``) is still that name. The file is named from
the value's ``Origin`` tag where Ansible keeps one (strings, numbers, mappings), else by
looking for the name in the files the ``host_group_vars`` plugin reads, else by the source.

A second check covers the operator's own playbooks: a module option of a setting whose value
Ansible says was read from one of those files (``environments_file: "{{ my_file }}"``, with
``my_file`` in ``group_vars``) is refused too. A value computed from such a variable
(``"{{ '/x/' ~ my_file }}"``) carries the playbook's origin instead and is not seen: give
settings from the sources the collection documents.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.inventory.helpers import sort_groups
from ansible.vars.plugins import get_vars_from_path

from ansible_collections.coworker.aws.plugins.module_utils.guard.operator_settings import (
    OPTIONS, inventory_may_define, setting_of)

try:  # ansible-core 2.19 data tagging: values loaded from a file carry the file's path
    from ansible._internal._datatag._tags import Origin
except ImportError:  # pragma: no cover - an ansible-core without data tagging: the files are looked for instead
    Origin = None


def _origin(value):
    tag = Origin.get_tag(value) if Origin is not None else None
    return getattr(tag, "path", None)


def _play_dirs(task, loader, manager):
    """The playbook directories whose group_vars/host_vars Ansible reads (VariableManager's ``basedirs``)."""
    if C.PLAYBOOK_VARS_ROOT == "all":
        return list(task.get_search_path())
    if C.PLAYBOOK_VARS_ROOT in ("bottom", "playbook_dir"):
        return list(task.get_search_path()[:1])
    return [loader.get_basedir()] if getattr(manager, "safe_basedir", False) else []


def _inventory_dirs(inventory):
    """The directories of the inventory sources (host lists such as ``-i localhost,`` have none)."""
    dirs = []
    for source in inventory._sources:  # pylint: disable=protected-access
        if source is None or ("," in source and not os.path.exists(source)):
            continue
        dirs.append(source if os.path.isdir(source) else os.path.dirname(source))
    return dirs


def _entities(inventory, host):
    groups = sort_groups([g for g in host.get_groups() if g.name != "all"])
    return [inventory.groups["all"]] + groups + [host]


def _scope(entity):
    kind = "host" if entity.__class__.__name__ == "Host" else "group"
    return "%s %s" % (kind, entity.name)


def _file_defining(loader, basedir, entity, name):
    """The group_vars/host_vars file under ``basedir`` that defines ``name`` for ``entity``, if any."""
    subdir = "host_vars" if entity.__class__.__name__ == "Host" else "group_vars"
    folder = os.path.join(os.path.realpath(basedir), subdir)
    if not os.path.isdir(folder):
        return None
    for path in loader.find_vars_files(folder, entity.name):
        data = loader.load_from_file(path, cache="all", unsafe=True)
        if isinstance(data, dict) and name in data:
            return path
    return None


class SettingSources:
    """The inventory-level sources of one task's host (and, for a run_once task, of every host of the play)."""

    def __init__(self, task, loader, task_vars):
        self.task, self.loader, self.task_vars = task, loader, task_vars or {}
        manager = task.get_variable_manager()
        self.inventory = getattr(manager, "_inventory", None)
        self.dirs = []
        if self.inventory is not None:
            self.dirs = _inventory_dirs(self.inventory) + _play_dirs(task, loader, manager)

    def hosts(self):
        names = [self.task_vars.get("inventory_hostname")]
        if self.task.run_once:  # one host answers for all: what every host of the play would get counts
            names += list(self.task_vars.get("ansible_play_hosts_all") or [])
        found = [self.inventory.get_host(name) for name in dict.fromkeys(filter(None, names))]
        return [host for host in found if host is not None]

    def findings(self):
        """``[{name, where, scope, setting}]``: every setting an inventory-level source of these hosts defines."""
        if self.inventory is None:
            return [{"name": "(every setting)", "where": "an inventory Ansible did not give this task",
                     "scope": "cannot be checked", "setting": "environments_file"}]
        found = {}
        for host in self.hosts():
            for entity in _entities(self.inventory, host):
                self._inventory_variables(entity, found)
                for basedir in self.dirs:
                    self._plugin_variables(basedir, entity, found)
        return list(found.values())

    def _add(self, found, name, where, entity):
        found.setdefault((name, where), {"name": name, "where": where, "scope": _scope(entity), "setting": name})

    def _inventory_variables(self, entity, found):
        for name, value in entity.get_vars().items():
            if setting_of(name) and not inventory_may_define(name):
                sources = ", ".join(filter(None, self.inventory._sources))  # pylint: disable=protected-access
                self._add(found, name, _origin(value) or "the inventory (%s)" % sources, entity)

    def _plugin_variables(self, basedir, entity, found):
        data = get_vars_from_path(self.loader, basedir, [entity], "task")
        for name, value in data.items():
            if setting_of(name):
                where = _origin(value) or _file_defining(self.loader, basedir, entity, name) or \
                    "a vars plugin's variables for %s" % os.path.join(basedir, "group_vars|host_vars")
                self._add(found, name, where, entity)

    def given_by(self, option):
        """How a module option's value was given, in words: an extra var of its setting, else the playbook."""
        extra = getattr(self.task.get_variable_manager(), "extra_vars", None) or {}
        for name in setting_of(OPTIONS[option]).names:
            if extra.get(name) not in (None, ""):
                return "extra var %s" % name
        return "the playbook (play or role variables, task arguments or module_defaults)"

    def option_findings(self, args):
        """Options of a setting whose value Ansible read from one of the files those sources are made of."""
        found = []
        if self.inventory is None:
            return found
        for option, value in args.items():
            path = _origin(value) if option in OPTIONS else None
            if path and self._inventory_file(path):
                found.append({"name": "option %s of %s" % (option, self.task.action), "where": path,
                              "scope": "a value read from the inventory", "setting": OPTIONS[option]})
        return found

    def _inventory_file(self, path):
        real = os.path.realpath(path)
        sources = [os.path.realpath(s) for s in self.inventory._sources if s]  # pylint: disable=protected-access
        folders = [os.path.join(os.path.realpath(d), sub) for d in self.dirs for sub in ("group_vars", "host_vars")]
        folders += [s for s in sources if os.path.isdir(s)]
        return real in sources or any(real.startswith(folder + os.sep) for folder in folders)
