#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Execute steps of an approved plan (or roll them back) after verifying the account."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_step
short_description: Run steps of an approved AWS change plan in a non-production account
version_added: 0.1.0
description:
  - With O(mode=run) (the role's Run task), runs the whole approved plan of a run in one task, segment by
    segment, in a bounded loop in which every choice is made by one tested function (C(run/loop.py)). It asks the
    checkpoints (before a destructive step, before each later phase) and, when a step fails, "What now?"
    (retry, skip, roll back, pause) itself, through Ansible's own prompt, when a person approved the run at
    the prompt; without one, failures follow O(on_failure). It never fails for a run outcome; the outcome
    is returned (RV(outcome)) and journaled, and the task is C(changed) as soon as anything may have changed.
  - With O(mode=recover) (the role's rescue), the Run task broke (an exception, a killed worker), so it rolls back
    what the run changed when the journaled decision or O(on_failure) says so, else records the
    interruption and changes nothing.
  - With O(mode=execute) or O(mode=rollback), runs (or rolls back) the steps named in O(steps), one batch.
  - Before the first call it asks STS who the credentials are, classifies the account with the
    environments file and refuses unless the account is sandbox, development or test, equals the
    plan's C(target.environment) and C(target.account_id), and every call's region is allowed.
    The same boto3 session then makes every call of the task, so the credentials that were checked are
    the ones used; after a question that waited long, they are verified again.
  - The guard action plugin of the same name runs this module's code in the controller process (where
    boto3 is imported once for the whole play), so no task reaches AWS without the guard. Run
    outside Ansible's action mechanism, the module enforces the very same checks itself.
  - Every call that can change something is written to the run journal before it is sent, and its
    outcome after it returns.
  - Each step registers outputs, checks C(expect), runs its waiter, runs its C(validate) calls and
    describes the resource before and after. A batch stops at the first failure, and after a
    step whose output was unexpected, so the run can hold a checkpoint.
  - In check mode no mutating call is made; read-only calls may run; the CLI lines are returned.
  - A rollback touches only what the run made, as the run left it. Before each rollback call, every resource the
    call names must carry this run's C(coworker:run-id) tag or, where the run could not tag it, be named by the
    approved plan or returned by the run's own journaled answers; otherwise the call is not sent (C(status=left)).
    A resource of an earlier pass that changed since is left unless O(accept_drift), and one that holds what others
    made since is never deleted. After the calls, what still carries the run's tag is undone or reported (C(swept)).
  - C(register), C(expect) and C(validate) expressions see each answer without the run's own C(coworker:) tags.
author:
  - coworker.aws maintainers (@coworker)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - coworker.aws.group
options:
  plan:
    description: Only for a run whose journal names no copy of its plan (runs started before copies were kept).
    type: str
  steps:
    description:
      - Ids of the steps to run, in plan order. In O(mode=rollback) the steps to undo; they are
        rolled back in reverse plan order. Required with O(mode=execute).
      - In O(mode=rollback) without O(steps), every step the run journal shows as possibly
        changed and not yet rolled back (a step sent but never answered counts as changed).
    type: list
    elements: str
  mode:
    description:
      - V(run) runs the run's plan to its end (the role's Run task); V(recover) finishes a Run task that broke
        (the role's rescue); V(execute) runs O(steps); V(rollback) undoes them.
      - A run that is a rollback run (reopened with purpose rollback) is rolled back by V(run).
      - V(drift) only reads. For every step of an earlier pass that a rollback would undo (without O(steps),
        the same steps as V(rollback)), it describes the resource again, compares it with the state the run left
        (the journal's C(after) state) and lists what others made inside it since (objects in a bucket, network
        interfaces or instances in a subnet, rules of other groups that name a security group). It returns the
        table as C(drift) and fails (refused) when there is something to accept and O(accept_drift) is false.
    type: str
    default: execute
    choices: [execute, rollback, run, recover, drift]
  on_failure:
    description:
      - With O(mode=run) or O(mode=recover), what happens when a step fails; V(ask) without a person to ask
        (no terminal, or the run was approved by a token) becomes V(rollback).
    type: str
    default: ask
    choices: [ask, rollback, abort]
  segments:
    description:
      - With O(mode=run), run only these segments (their index in the plan's segments; a wave runs one a task).
    type: list
    elements: int
  checkpoint_answer:
    description:
      - With O(mode=run), the answer a person gave to the checkpoint held for every target of a wave before
        the segment; only V(yes) goes on.
    type: str
  failure:
    description: With O(mode=recover), the message of the Run task that broke (journaled).
    type: str
  accept_drift:
    description:
      - In O(mode=rollback) (and the rollbacks of O(mode=run)), undo a resource of an earlier pass even though it changed since the run left it.
        Without it such a resource is left as it is and listed (what others made inside a resource is never
        deleted, with or without it). A person's typed yes to a rollback after its drift table was shown
        accepts the drift too.
      - In O(mode=drift), do not fail for the drift found (a person is asked next, or it is accepted).
    type: bool
    default: false
  run_id:
    description: The run this invocation belongs to (from M(coworker.aws.run_journal) C(start)).
    type: str
    required: true
  state_dir:
    description: Directory holding C(runs/<run_id>/journal.jsonl) (with an S3 O(state_backend), its local cache).
    type: path
    default: .coworker
  state_backend:
    description:
      - Where the run's journal and lock live (V(local), the default, or an S3 bucket); see the
        C(state_backend) option of M(coworker.aws.run_journal). Not given, the environments file's
        top-level C(state_backend) decides.
    type: dict
  profile:
    description: AWS profile; overrides the plan's C(target.profile).
    type: str
    aliases: [aws_profile]
  environments_file:
    description:
      - The environments (account classification) file. Defaults to E(COWORKER_AWS_ENVIRONMENTS)
        or C(~/.config/coworker-aws/environments.yml).
    type: path
  retry_mode:
    description: botocore retry mode for throttling and 5xx errors.
    type: str
    default: standard
    choices: [standard, adaptive]
  max_attempts:
    description: Total attempts per call, first one included (botocore C(total_max_attempts)).
    type: int
    default: 5
  max_concurrency:
    description:
      - How many independent steps of a phase may be sent at the same time (plan order and C(after), shared
        resource names and references decide which are independent). V(0) takes the class's C(max_concurrency)
        from the environments file, else 1 (one step after another, as written). Never more than the class
        allows, nor than 16.
      - A rollback undoes as many at once, in reverse dependency order, a phase at a time; a dry run sends
        one step after another.
    type: int
    default: 0
  max_requests_per_second:
    description:
      - The most requests per second this collection sends to the target account, all runs of this OS user on this
        machine together (steps at the same time, the targets of a wave); each call waits for its slot. V(0) sets no
        budget.
      - The slots are kept in C(<tmp>/coworker-aws-request-budget-<uid>), mode 0700; a folder of that name that is
        not a directory of this user, or that its group or others may write, is refused before any call.
    type: float
    default: 0
  stop_on_unexpected:
    description: Stop the batch after a step whose C(expect) or C(register) found unexpected output.
    type: bool
    default: true
  tag_resources:
    description:
      - Tag what a creating call makes with C(coworker:run-id), C(coworker:plan-id) and C(coworker:step-id),
        added to the plan's own tags, when the operation's input shape takes tags (C(TagSpecifications) or
        C(Tags)). A resource whose create answer was lost can then be found and adopted or removed.
      - The tags are part of the request sent, so they appear in the CLI lines, the dry run and the journal.
    type: bool
    default: true
notes:
  - Runs on the controller (connection C(local)); the guard refuses any other connection.
  - Supports C(--diff) (before and after state of each resource).
requirements:
  - boto3
  - botocore
  - jmespath
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Run the whole plan of an approved run, asking the checkpoints and "What now?" at a terminal
  coworker.aws.run_step:
    mode: run
    run_id: "{{ run.run_id }}"
    on_failure: ask
  register: ran

- name: Create the logs bucket (steps of phase Storage)
  coworker.aws.run_step:
    plan: plans/dev-logs.yml
    run_id: "{{ run.run_id }}"
    steps: [create_bucket, enable_versioning]

- name: Roll the same steps back
  coworker.aws.run_step:
    plan: plans/dev-logs.yml
    run_id: "{{ run.run_id }}"
    steps: [create_bucket, enable_versioning]
    mode: rollback
"""

RETURN = r"""
outcome:
  description:
    - With O(mode=run) or O(mode=recover), how the run ended (what run_journal op=finish reports), also journaled
      as the event C(outcome); V(auto) means every step ran and the steps' own results decide.
  returned: mode is run or recover
  type: str
by_person:
  description: With O(mode=run), the run stopped because a person said so at a question.
  returned: mode is run
  type: bool
identity:
  description: The caller identity the guard verified (account, arn, alias, profile).
  returned: always
  type: dict
environment:
  description: Classification of the account (environment, matched signals, reason).
  returned: success
  type: dict
results:
  description:
    - One entry per step run, in order, with C(id), C(status) (succeeded, failed, planned),
      C(cli), C(call), C(response), C(outputs), C(expect), C(unexpected), C(validation),
      C(retries), C(duration_ms), C(before), C(after), C(error).
  returned: always
  type: list
  elements: dict
rollback:
  description:
    - In rollback mode, one entry per step undone, with each call and its outcome. A call that would have touched
      a resource this run did not make was not sent (C(status=left), with the reason).
  returned: when mode is rollback
  type: list
  elements: dict
swept:
  description:
    - In rollback mode, what still carried this run's C(coworker:run-id) tag after the rollback calls (Resource
      Groups Tagging API, and IAM names the plan's creates give), each C(removed) with its step's rollback calls or
      C(left) with the reason.
  returned: when mode is rollback
  type: list
  elements: dict
drift:
  description:
    - In drift mode, C(rows) (step, resource, drift, changes), C(dependents) (what others made inside a resource),
      C(lines) (the table as shown) and C(needs_consent).
  returned: when mode is drift
  type: dict
completed:
  description: Ids of the steps that succeeded (or were planned in check mode) in this invocation.
  returned: always
  type: list
  elements: str
failed_step:
  description: Id of the step that failed, if any.
  returned: always
  type: str
unexpected_step:
  description: Id of the step whose output was unexpected, if the batch stopped there.
  returned: always
  type: str
not_run:
  description:
    - Ids of the steps of this batch after the failed or unexpected step, which were not run.
    - With O(max_concurrency) above 1, every step of the batch that did not complete but the one in
      RV(failed_step) (or RV(unexpected_step)), in plan order; steps never started and other steps that failed.
  returned: always
  type: list
  elements: str
error:
  description: The classified error of the failed step (kind, code, message, request_id, hints, text).
  returned: on failure
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.coworker.aws.plugins.module_utils.common import AWS_ARGS, require_libraries
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.run.executor import run_batch

ARGUMENT_SPEC = dict(
    AWS_ARGS, plan=dict(type="str"), plans_dir=dict(type="path"),
    steps=dict(type="list", elements="str"),
    mode=dict(type="str", default="execute", choices=["execute", "rollback", "run", "recover", "drift"]),
    accept_drift=dict(type="bool", default=False),
    on_failure=dict(type="str", default="ask", choices=["ask", "rollback", "abort"]),
    segments=dict(type="list", elements="int"),
    checkpoint_answer=dict(type="str", no_log=False),
    failure=dict(type="str"),
    run_id=dict(type="str", required=True),
    state_dir=dict(type="path", default=".coworker"),
    state_backend=dict(type="dict"),
    stop_on_unexpected=dict(type="bool", default=True),
    max_concurrency=dict(type="int", default=0),
    max_requests_per_second=dict(type="float", default=0),
    tag_resources=dict(type="bool", default=True),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_libraries(module)
    params = dict(module.params, state_dir=os.path.abspath(module.params["state_dir"]))
    if params["mode"] in ("run", "recover"):  # they ask questions and print: the action plugin's work
        module.fail_json(msg="mode=%s runs through the coworker.aws.run_step action (a task on the controller)"
                         % params["mode"])
    try:
        outcome = run_batch(params, module.check_mode, module._diff)
    except CoworkerError as exc:
        module.fail_json(msg=str(exc), refused=True, results=[], completed=[], failed_step=None,
                         unexpected_step=None, identity=getattr(exc, "identity", None))
    if outcome.get("failed"):
        module.fail_json(**outcome)
    module.exit_json(**outcome)


if __name__ == "__main__":
    main()
