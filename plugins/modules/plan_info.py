#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load, validate and verify an approved plan; describe what it would do."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: plan_info
short_description: Load, validate and verify an approved AWS change plan
version_added: 0.1.0
description:
  - Finds a plan by path, by id in O(plans_dir), or V(last) (newest by C(created)).
  - Parses it as data (no tags, no aliases, timestamps kept as text), validates every field of
    the plan-v1 contract and every call against botocore's service model, resolves the shape of
    every C(${...}) reference, infers destructive steps, and verifies the approval (digest, time,
    expiry) and the guardrail status.
  - Returns the plan with its digest, the steps flattened with phase and index, the aws CLI line of
    every call, the destructive flags, the blast radius and the checkpoint segments.
  - Makes no AWS call. Runs on the controller (an action plugin of the same name reads the file there).
author:
  - coworker.aws maintainers (@coworker)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - coworker.aws.group
  - coworker.aws.plan
options:
  verify_approval:
    description: Refuse a plan that is not approved for its digest (set V(false) only to review a draft).
    type: bool
    default: true
  target:
    description:
      - For a plan with a C(targets) list, the key (C(<account_id>-<region>)) of the target whose values fill in
        the CLI lines; without it the first target is shown and C(plan.target_selected) is false.
    type: str
  profile:
    description: Profile shown in the rendered CLI lines (defaults to the plan's C(target.profile)).
    type: str
    aliases: [aws_profile]
  environments_file:
    description:
      - The environments file whose C(guardrails) for the plan's C(target.environment) are evaluated against
        the plan's calls (RV(policies)). Defaults to E(COWORKER_AWS_ENVIRONMENTS) or
        C(~/.config/coworker-aws/environments.yml).
      - Only informs; M(coworker.aws.verify_environment) and M(coworker.aws.run_step) refuse a FAIL.
    type: path
requirements:
  - botocore
  - jmespath
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Load the newest plan
  coworker.aws.plan_info:
    plan: last
    plans_dir: plans/
  register: loaded

- name: Show its commands
  ansible.builtin.debug:
    msg: "{{ loaded.plan.steps | map(attribute='cli') | list }}"
"""

RETURN = r"""
policies:
  description:
    - The guardrail verdicts of the plan's class (see O(environments_file)). C(checked) (false when the
      environments file could not be read, with the reason in C(lines)), C(verdicts) (rule, severity, status
      V(fail)/V(warn)/V(unknown)/V(pass), description, steps), C(lines) (one per rule that did not pass,
      then how many passed) and C(failed) (rule ids with a FAIL).
  returned: success
  type: dict
path:
  description: Absolute path of the plan file.
  returned: success
  type: str
sha256:
  description: The plan digest (canonical JSON without C(approval)).
  returned: success
  type: str
plan:
  description:
    - The normalised plan, C(id), C(name), C(created), C(target), C(guardrail), C(approval) and
      C(steps), each step with C(index), C(phase), C(cli), C(call), C(validate), C(rollback),
      C(destructive), C(mutating), C(skippable).
  returned: success
  type: dict
warnings_list:
  description: Guardrail WARN findings, shown to the person who approves.
  returned: success
  type: list
  elements: str
blast_radius:
  description:
    - Counts of calls by service and action, destructive and irreversible steps, regions.
    - C(permissions_steps), the ids of steps whose action is C(Permissions management) in AWS's access levels.
    - C(cross_account_grants), every grant to a principal outside the target account (or C(*)) that a call of the
      plan makes, in a policy document or in any member that says who gets access (C(lambda:AddPermission)
      C(Principal), a RAM share, a snapshot shared ...), each with C(step), C(field), C(principal) and C(effect), for
      the person who approves; such a step is destructive (a checkpoint comes before it).
  returned: success
  type: dict
approval_notes:
  description: Lines the approval shows besides the plan, listing cross-account grants and permission-changing steps.
  returned: success
  type: list
  elements: str
approval_check:
  description:
    - Who approved, by the approval rules (C(approval) key) of the plan's class in the environments file
      (O(environments_file), else E(COWORKER_AWS_ENVIRONMENTS) or the default file when it exists); C(null) without one.
    - C(status) (V(verified), V(unsigned) or V(unverified) when the class names no approvers file), C(signers) (each
      C(principal), C(fingerprint), C(signed_at)), C(required), C(destructive), C(text).
    - A refused approval (unsigned where required, unknown key, another digest or expiry, too few distinct
      approvers) fails the task, naming the plan file and the field.
  returned: success
  type: dict
approval_text:
  description:
    - One line on who approved - C(approval_check.text) when the class's rules were checked; else the principals that
      claim to have signed (verified with the account, by M(coworker.aws.verify_environment) and M(coworker.aws.run_step));
      else V(claimed by <approved_by>, unsigned — anyone who can edit the file can write this).
  returned: success
  type: str
segments:
  description: Runs of steps that need no prompt between them, each with its checkpoint reason.
  returned: success
  type: list
  elements: dict
"""

import functools

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.coworker.aws.plugins.module_utils.common import HAS_JMESPATH, with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import approval_environments, plan_info
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import plan_policies
from ansible_collections.coworker.aws.plugins.module_utils.aws.service_model import HAS_BOTOCORE
from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import HAS_YAML


ARGUMENT_SPEC = with_group_args(dict(plan=dict(type="str", required=True), plans_dir=dict(type="path"),
                                     verify_approval=dict(type="bool", default=True),
                                     profile=dict(type="str", aliases=["aws_profile"]),
                                     environments_file=dict(type="path"), target=dict(type="str")))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if not (HAS_BOTOCORE and HAS_JMESPATH and HAS_YAML):
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib("botocore, jmespath and PyYAML"))
    try:
        info = plan_info(module.params["plan"], module.params["plans_dir"],
                         verify=module.params["verify_approval"], profile=module.params["profile"],
                         environments_file=approval_environments(module.params["environments_file"]),
                         policies=functools.partial(plan_policies, module.params["environments_file"]),
                         target=module.params["target"])
    except PlanError as exc:
        module.fail_json(msg="invalid plan:\n%s" % exc, plan_errors=[list(p) for p in exc.problems],
                         source=exc.source)
    for warning in info["warnings_list"]:
        module.warn(warning)
    module.exit_json(changed=False, **info)


if __name__ == "__main__":
    main()
