# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers shared by the collection's action plugins."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible_collections.coworker.aws.plugins.module_utils.aws import botocore_data
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.guard.operator_settings import refusal_text
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import state_dir_problem
from ansible_collections.coworker.aws.plugins.plugin_utils.setting_sources import SettingSources

LOCAL_CONNECTIONS = ("local", "ansible.builtin.local", "ansible.legacy.local")

# Imported in ansible-playbook's own process, before any worker is forked: read the data the guard always
# needs once there, and every worker inherits it (aws/botocore_data.py).
botocore_data.warm()


def controller_path(value):
    """Paths given to the collection are relative to where ansible-playbook was started."""
    return os.path.abspath(os.path.expanduser(value)) if value else value


def is_local(play_context):
    """The task's connection is the controller itself (``connection: local``)."""
    return getattr(play_context, "connection", None) in LOCAL_CONNECTIONS


def controller_has_terminal():
    """Whether ansible-playbook itself reads a terminal, i.e. a person can answer a prompt.

    Workers run with stdin on /dev/null, so look at the parent's stdin; where
    /proc is missing, fall back to whether a controlling terminal exists.
    """
    try:
        target = os.readlink("/proc/%d/fd/0" % os.getppid())
        return target.startswith(("/dev/pts/", "/dev/tty"))
    except OSError:
        pass
    try:
        with open("/dev/tty", "rb"):
            return True
    except OSError:
        return False


def failed(result, msg, **extra):
    """Report a failure the way Ansible expects from an action: a result dict, not an exception."""
    result.update(failed=True, msg=msg, **extra)
    return result


def absolute_paths(args, keys):
    """Resolve the named path arguments on the controller (modules run in a temporary directory)."""
    for key in keys:
        if args.get(key):
            args[key] = controller_path(args[key])
    return args


def plan_reference(value):
    """A plan given as a path is made absolute; an id or ``last`` is left to the plans_dir lookup."""
    if value and os.path.exists(os.path.expanduser(value)):
        return controller_path(value)
    return value


class ControllerAction(ActionBase):
    """An action whose work happens in the controller process.

    Subclasses set ``ARGUMENT_SPEC`` and implement ``act(args, result)``; an
    error of ours becomes a failed result (with ``failure_fields``), never a
    traceback. Before anything else, a setting that an inventory decides is refused
    (plugin_utils/setting_sources.py): every action of the collection is the guard.
    """

    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False
    ARGUMENT_SPEC = {}
    PATH_ARGS = ()
    LOCAL_ONLY = False

    def failure_fields(self, exc):  # pylint: disable=unused-argument
        return {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self.task_vars = task_vars or {}
        if self.LOCAL_ONLY and not is_local(self._play_context):
            return failed(result, "%s runs on the controller only (connection: local)" % self._task.action,
                          refused=True)
        self.sources = SettingSources(self._task, self._loader, task_vars)
        findings = self.sources.findings() or self.sources.option_findings(self._task.args)
        if findings:
            return failed(result, refusal_text(findings), **dict(self.failure_fields(None), refused=True))
        args = dict(self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)[1])
        for spec in self.ARGUMENT_SPEC.values():
            for alias in spec.get("aliases", ()):
                args.pop(alias, None)
        absolute_paths(args, self.PATH_ARGS)
        try:
            return self.act(args, result)
        except CoworkerError as exc:
            return failed(result, str(exc), **self.failure_fields(exc))
        except OSError as exc:
            problem = state_dir_problem(exc)  # read-only, full, not ours: said in words, with the path
            if problem is None:
                raise
            return failed(result, problem, **self.failure_fields(exc))

    def act(self, args, result):
        raise NotImplementedError
