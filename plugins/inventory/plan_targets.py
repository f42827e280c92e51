# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One inventory host per target of an approved plan, for execute_targets.yml and AWX job slicing."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: plan_targets
short_description: One inventory host per target of an approved coworker.aws plan
version_added: 0.1.0
description:
  - Reads an approved plan with the collection's own loader - the same checks as M(coworker.aws.plan_info) (schema,
    digest, approval, expiry, guardrail status, and the signature rules of the plan's class when an environments
    file is found) - and adds one host per entry of its C(targets) list (or its one C(target)), named by the
    target's key C(<account_id>-<region>), in the group C(coworker_wave_targets).
  - Each host gets C(ansible_connection=local) and C(coworker_wave_target=<key>); the group gets
    C(coworker_wave_plan_file) (the plan file read) and C(coworker_wave_plan_sha256) (its digest).
  - This is a static list of hosts, so an AWX job template can slice it between slice jobs and C(--limit) can
    select some of them; C(playbooks/execute_targets.yml) runs exactly the targets the inventory gives it, as one
    wave, after verifying every target of the plan.
  - The plan is data; nothing in it is templated. Makes no AWS call. A plan that does not load or verify fails the
    inventory source with the inventory file, the plan file and the field named.
  - The inventory source is a YAML file whose name ends in C(.coworker_targets.yml) or C(.coworker_targets.yaml).
    The C(auto) inventory plugin (enabled by default) loads it by its C(plugin) key; where C(enable_plugins) was
    changed, add C(coworker.aws.plan_targets) (or C(auto)) to it.
author:
  - coworker.aws maintainers (@coworker)
options:
  plugin:
    description: The name of this plugin; it makes this file an inventory source of this plugin.
    type: str
    required: true
    choices: [coworker.aws.plan_targets]
  plan:
    description:
      - The plan - a path, a plan id in O(plans_dir), or V(last) (the newest plan by C(created)).
      - A relative path is relative to the directory of this inventory file, so the same file works from any
        working directory (an AWX project checkout, a CI runner).
    type: str
    required: true
  plans_dir:
    description: Directory searched when O(plan) is an id or V(last); a relative one is relative to this file.
    type: path
  environments_file:
    description:
      - The environments file whose approval rules (signatures) for the plan's class are checked, as
        M(coworker.aws.plan_info) does. Defaults to E(COWORKER_AWS_ENVIRONMENTS) or
        C(~/.config/coworker-aws/environments.yml) when that file exists; without one only the digest approval
        is checked here (the playbook checks every target fully before anything runs).
    type: path
"""

EXAMPLES = r"""
# plans/baseline.coworker_targets.yml
plugin: coworker.aws.plan_targets
plan: baseline.yml          # relative to this file

# ansible-inventory -i plans/baseline.coworker_targets.yml --graph
# One slice by hand (AWX job slicing gives each slice job its own share of the hosts):
# ansible-playbook playbooks/execute_targets.yml -i plans/baseline.coworker_targets.yml \
#     --limit '300000000001-*' -e approve=<digest>
"""

# imports follow the documentation, as ansible-test validate-modules requires of every plugin
import os  # noqa: E402

from ansible.errors import AnsibleParserError  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import (  # noqa: E402
    approval_environments, check_approval_rules, load_plan)

GROUP = "coworker_wave_targets"
SUFFIXES = (".coworker_targets.yml", ".coworker_targets.yaml")


def relative_to(base_dir, value):
    """A path given in the inventory file, resolved against the file's own directory."""
    if not value:
        return value
    value = os.path.expanduser(value)
    return value if os.path.isabs(value) else os.path.join(base_dir, value)


def plan_reference(base_dir, value):
    """A plan path relative to the inventory file if such a file exists, else as given (an id or ``last``)."""
    candidate = relative_to(base_dir, value)
    return candidate if candidate and os.path.isfile(candidate) else value


def load_targets(source, plan, plans_dir=None, environments_file=None):
    """The verified plan's path, digest and targets, for the inventory file ``source``; AnsibleParserError if not."""
    base_dir = os.path.dirname(os.path.abspath(source))
    try:
        loaded = load_plan(plan_reference(base_dir, plan), relative_to(base_dir, plans_dir), render=False)
        rules = approval_environments(relative_to(base_dir, environments_file))
        if rules:
            check_approval_rules(loaded, rules)
    except CoworkerError as exc:
        raise AnsibleParserError("%s: the plan does not load or verify, no hosts were added:\n%s" % (source, exc)) from None
    return loaded["path"], loaded["sha256"], [target["key"] for target in loaded["plan"]["targets"]]


class InventoryModule(BaseInventoryPlugin):
    NAME = "coworker.aws.plan_targets"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        plan_path, digest, keys = load_targets(path, self.get_option("plan"), self.get_option("plans_dir"),
                                               self.get_option("environments_file"))
        self.inventory.add_group(GROUP)
        self.inventory.set_variable(GROUP, "coworker_wave_plan_file", plan_path)
        self.inventory.set_variable(GROUP, "coworker_wave_plan_sha256", digest)
        for key in keys:
            self.inventory.add_host(key, group=GROUP)
            self.inventory.set_variable(key, "ansible_connection", "local")
            self.inventory.set_variable(key, "coworker_wave_target", key)
