#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who are these credentials, and may a plan change anything in this account?"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: verify_environment
short_description: Identify the AWS account in use and classify it as sandbox, development, test, staging or production
version_added: 0.1.0
description:
  - Calls C(sts get-caller-identity) with the profile in use and reads the IAM account alias
    (an C(AccessDenied) on C(iam:ListAccountAliases) leaves the alias unknown, and says so).
  - Classifies the account with the environments file (account ids, alias patterns, profile
    patterns; the most restrictive match wins; no match is C(unknown_environment)).
  - With O(plan), also checks that the plan may run here (class equals C(target.environment),
    account equals C(target.account_id), every region allowed, the approval satisfies the class's
    C(approval) rules, signatures before any AWS call and self-approval after STS) and fails with a
    STOPPING message if not. Without O(plan), fails when the account is not sandbox, development or test unless
    O(fail_on_refusal=false).
  - Only reads, so it runs in check mode too; a dry run still verifies the environment.
  - The action plugin of the same name runs this module's code in the controller process.
author:
  - coworker.aws maintainers (@coworker)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - coworker.aws.group
options:
  profile:
    description: AWS profile to verify (default credentials chain when omitted).
    type: str
    aliases: [aws_profile]
  region:
    description: Region for the STS and IAM calls; defaults to the plan's target region.
    type: str
  environments_file:
    description:
      - The environments file. Defaults to E(COWORKER_AWS_ENVIRONMENTS) or
        C(~/.config/coworker-aws/environments.yml).
    type: path
  plan:
    description: Plan (path, id or V(last)) whose target must match this account.
    type: str
  target:
    description:
      - For a plan with a C(targets) list, the key (C(<account_id>-<region>)) of the one target to verify (its region,
        and its C(role_arn) assumed from O(profile)).
      - With O(plan), a plan of several targets is refused without it; a plan of one target needs none.
    type: str
  plans_dir:
    description: Directory searched when O(plan) is an id or V(last).
    type: path
  fail_on_refusal:
    description: Fail when execution is not allowed. With V(false), report the verdict in RV(allowed).
    type: bool
    default: true
  max_concurrency:
    description:
      - The run's C(max_concurrency) (see M(coworker.aws.run_step)), for RV(concurrency) to show which steps start
        together. V(0) takes the class's.
    type: int
    default: 0
  check_policies:
    description:
      - Evaluate the class's guardrail policies (C(guardrails) in the environments file) against the calls of
        O(plan) and refuse when one says FAIL. The plan's own C(guardrail.status) is not taken on trust.
      - Set V(false) only to roll back a run (rollback calls are not the plan's calls).
    type: bool
    default: true
  run_id:
    description:
      - The run this verification belongs to (the role's Verify task). The plan is then the run's own copy, its
        target and profile are the run's, guardrails are skipped for a rollback run, and the verdict is written
        to the run's journal (C(environment_verified) or C(refused)).
      - A refusal ends the run here (its report, its lock given back; a reopened run is left as it was) and the
        task fails with the run's closing line.
    type: str
  command_vars:
    description: With O(run_id), the extra variables as given, repeated by the resume and rollback commands printed.
    type: dict
    default: {}
requirements:
  - boto3
  - botocore
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Refuse anything but non-production
  coworker.aws.verify_environment:
    profile: dev-admin
    plan: plans/dev-logs.yml
  register: env

- name: Just classify
  coworker.aws.verify_environment:
    profile: "{{ lookup('ansible.builtin.env', 'AWS_PROFILE') }}"
    fail_on_refusal: false
  register: env
"""

RETURN = r"""
identity:
  description: C(account), C(arn), C(user_id), C(profile), C(alias) and C(alias_status).
  returned: always
  type: dict
environment:
  description: The class (sandbox, development, test, staging, production).
  returned: always
  type: str
matched:
  description: Every signal that matched (signal, value, environment, pattern).
  returned: always
  type: list
  elements: dict
reason:
  description: One line explaining the classification.
  returned: always
  type: str
environments:
  description:
    - C(path), the environments file that classified the account, and C(source), where that path came from (an
      extra var, the environment variable E(COWORKER_AWS_ENVIRONMENTS), the default path, or the playbook).
    - The path never comes from an inventory, C(group_vars) or C(host_vars) - the action refuses that before any
      AWS call.
  returned: when the environments file loaded
  type: dict
allowed:
  description: Whether a plan (or, without O(plan), anything) may execute here.
  returned: always
  type: bool
approval:
  description:
    - With O(plan), who approved under the approval rules of the class (see the return value C(approval_check) of
      M(coworker.aws.plan_info)); the signatures are checked before any AWS call, self-approval
      after C(sts get-caller-identity).
  returned: when allowed and O(plan) is given
  type: dict
refusal:
  description: The STOPPING message when not allowed.
  returned: when not allowed
  type: str
policies:
  description:
    - The guardrail verdicts for O(plan) in its class. C(verdicts) (rule, severity, status
      V(fail)/V(warn)/V(unknown)/V(pass), description, steps), C(lines) (one per rule that did not pass, then how
      many passed) and C(failed) (rule ids). A FAIL refuses, so a returned summary holds WARN and
      "cannot tell yet" at most.
  returned: when O(plan) is given, O(check_policies) is true and the plan is allowed
  type: dict
concurrency:
  description:
    - How the run will send the steps. C(limit) (steps at once), C(note) (why fewer than asked, or null) and
      C(lines) (the steps that start together, round by round, for the review; empty when one at a time).
  returned: when O(plan) is given and the plan is allowed
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.coworker.aws.plugins.module_utils.common import require_libraries, with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.guard.verification import verify_environment

ARGUMENT_SPEC = with_group_args(dict(profile=dict(type="str", aliases=["aws_profile"]), region=dict(type="str"),
                                     environments_file=dict(type="path"), plan=dict(type="str"),
                                     plans_dir=dict(type="path"), target=dict(type="str"),
                                     fail_on_refusal=dict(type="bool", default=True),
                                     check_policies=dict(type="bool", default=True),
                                     run_id=dict(type="str"), command_vars=dict(type="dict", default={}),
                                     max_concurrency=dict(type="int", default=0)))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_libraries(module)
    result = verify_environment(module.params)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
