#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the run_journal action plugin (it runs on the controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_journal
short_description: Start, record, approve and finish a plan run (journal, lock, report, change log)
version_added: 0.1.0
description:
  - Bookkeeping of a run under O(state_dir), done on the controller by the action plugin of the same
    name; this file only documents it. The role's Load (V(start) or V(open)), Approve (V(approve)) and
    Finish (V(finish)) tasks are operations of this plugin; each prints what a person needs to read with
    Ansible's display (the same under any callback and any ansible.cfg).
  - V(start) reads the plan file once and checks it (its approval, the signatures under its class's rules,
    the class's guardrails, shown as C(LOADING PLAN)), refuses it if its digest is not O(sha256) when given,
    copies those very bytes to C(runs/<run_id>/approved-plan.yml), takes the lock for (account, region, plan
    id), creates C(runs/<run_id>/journal.jsonl) and writes C(run_started) with the plan digest. Every later
    task of the run (M(coworker.aws.verify_environment), M(coworker.aws.run_step), V(approve), V(finish))
    reads that copy, never the user's file again. It prints the run id and the resume and rollback
    commands.
  - V(open) reopens a past run (O(run_id) or V(last)) to resume it or roll it back (O(purpose)); it refuses a
    plan file whose digest differs from the one the run started with, and takes the lock again. A dry run
    of a resume or a rollback is refused (it would mark steps of the real run as planned).
  - V(approve) shows what is approved (the execution plan, the rollback plan of a rollback run, or one line
    a step when no person is asked) and records the approval of this run. A person types C(yes) at the
    question C(Do you approve execution? (yes/no)) (asked when ansible-playbook reads a terminal and no
    O(token) is given), or O(token) is the plan digest this run started with (or its first 12 or more hex
    characters). The record names who signed the approval (principal, key fingerprint, signing time of
    each signature verified against the approvers of the plan's class in O(environments_file)), or says
    C(unsigned). Anything else (no, Ctrl-C then A or C, a wrong token, signatures that no longer satisfy the
    class) is journaled as C(not_approved), the run ends (its report; a reopened run is left as it was) and
    the task fails with the run's closing line. A dry run needs no approval.
    M(coworker.aws.run_step) refuses to change anything in a run without this record.
  - V(release) gives back the lock of a reopened run that was refused or not approved, leaving its
    report as it was.
  - V(record) appends an event (an environment verified, a refusal, a note) to the journal.
  - V(finish) builds C(report.json) and C(report.md) from the journal (a resume or rollback of the run writes
    its own C(report-resume-<n>) or C(report-rollback-<n>) pair beside them, see RV(report_md)), appends the
    change-log entry to C(state_dir/changelog.md) (not for dry runs) and releases the lock. It prints the
    report's path and, when the run succeeded, its closing line; it returns RV(ends_in_error) and
    RV(closing) (the role's last task fails with that line) and the run's statistics for AWX and
    ansible-runner as C(ansible_stats) (C(coworker_aws_run)).
  - V(list) lists the runs the state backend holds, newest first (at most O(limit)), from their reports;
    V(show) returns one run's report (O(run_id), or V(last)). Both only read, from any machine that can
    read the backend.
  - With an S3 O(state_backend) all of this is kept in the bucket instead of O(state_dir), so any machine
    that reads the bucket can resume, roll back, unlock, list and show runs.
author:
  - coworker.aws maintainers (@coworker)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - coworker.aws.group
options:
  op:
    description: What to do.
    type: str
    required: true
    choices: [start, open, approve, finish, record, release, list, show]
  purpose:
    description: For V(open), why the run is reopened.
    type: str
    default: resume
    choices: [resume, rollback]
  plan:
    description: The plan (path, id or V(last)); required for V(start).
    type: str
  target:
    description:
      - For a plan with a C(targets) list, the key (C(<account_id>-<region>)) of the one target this run executes
        (for V(start); later operations read it from the journal).
      - A plan of several targets is refused without it; a plan of one target needs none.
    type: str
  sha256:
    description:
      - For V(start), the plan digest that was shown to the person (C(plan_info)'s C(sha256)). When given,
        a plan file whose digest differs now is refused and nothing is started.
    type: str
  plans_dir:
    description: Directory searched when O(plan) is an id or V(last).
    type: path
  run_id:
    description: The run; V(start) creates one when omitted.
    type: str
  limit:
    description: For V(list), how many runs at most (the newest).
    type: int
    default: 20
  profile:
    description: Profile recorded in the journal and report.
    type: str
    aliases: [aws_profile]
  dry_run:
    description: Mark the run as a dry run (also implied by check mode). No lock, no change-log entry.
    type: bool
    default: false
  force_unlock:
    description: Take over the lock held by this run id (for a run that is known to be dead).
    type: str
  token:
    description: For V(approve), the non-interactive approval token (the plan digest or its prefix).
    type: str
  tag_resources:
    description: For V(approve), whether the execution plan says that created resources get the run's tags.
    type: bool
    default: true
  accept_drift:
    description:
      - For V(approve) of a rollback run (V(open) with O(purpose=rollback)). Before the rollback plan is shown, the
        run's resources are described again (read-only, after the guard verified the credentials) and compared with
        what the run left; the drift table is shown with the plan. Without a person to ask, drift that needs consent
        refuses the rollback (nothing is sent) unless O(accept_drift) is true; a person's typed yes accepts it.
    type: bool
    default: false
  max_concurrency:
    description:
      - For V(approve), the run's C(max_concurrency) (see M(coworker.aws.run_step)). With more than one step at
        once, the review lists the steps that start together. V(0) takes the class's.
    type: int
    default: 0
  event:
    description: For V(record), the event name.
    type: str
    choices: [checkpoint, decision, step_skipped, environment_verified, refused, interrupted, note]
  data:
    description: For V(record), the event's fields.
    type: dict
    default: {}
  outcome:
    description:
      - For V(finish), what ended the run when it was not the steps themselves; V(auto) takes the outcome the
        Run task journaled (else the steps' results decide); V(rollback) finishes a rollback run
        (C(rolled_back) when nothing is left to undo).
    type: str
    default: auto
    choices: [auto, rollback, refused, not_approved, aborted, paused, interrupted]
  stopped_by_person:
    description: For V(finish), the run stops because the person said so at a prompt (recorded, not an exit code).
    type: bool
    default: false
  dry_run_warn_only:
    description:
      - For V(finish) of a dry run, when the dry run predicts that a step would certainly fail (a create of
        what already exists, listed in the report's C(would_fail)), only warn (RV(ends_in_error) false) instead
        of failing the play.
    type: bool
    default: false
  command_vars:
    description:
      - The extra variables as the person gave them (C(state_dir), C(plans_dir), C(environments_file),
        C(aws_profile)); the printed resume and rollback commands repeat those that differ from the defaults.
    type: dict
    default: {}
  state_dir:
    description: Where runs, locks and the change log live (with an S3 O(state_backend), its local cache).
    type: path
    default: .coworker
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
    details: Runs in check mode too; a dry run gets a journal and a report with status C(dry_run).
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Start a run
  coworker.aws.run_journal:
    op: start
    plan: plans/dev-logs.yml
  register: run

- name: Approve it without a terminal
  coworker.aws.run_journal:
    op: approve
    run_id: "{{ run.run_id }}"
    token: "{{ approve }}"

- name: List the runs an S3 state backend holds (from any machine)
  coworker.aws.run_journal:
    op: list
    state_backend: {type: s3, bucket: coworker-state, prefix: runs, region: eu-west-1,
                    account_id: "222233334444", profile: tooling}
  register: runs

- name: Finish and write the report
  coworker.aws.run_journal:
    op: finish
    run_id: "{{ run.run_id }}"
  register: finished
"""

RETURN = r"""
run_id:
  description: The run id.
  returned: op=start, op=open
  type: str
run_dir:
  description: Where the run's journal and reports are (a folder, or an C(s3://) URL).
  returned: op=start, op=open
  type: str
segments:
  description: The plan's segments (the steps between two checkpoints), in order, each with C(index), C(phase),
    C(phase_index), C(checkpoint) (V(phase) or V(destructive)) and C(steps).
  returned: op=start, op=open
  type: list
  elements: dict
lock_note:
  description: Set when a stale or forcibly released lock was taken over.
  returned: op=start, op=open
  type: str
approved:
  description: Whether the run is approved.
  returned: op=approve
  type: bool
status:
  description: Final status (succeeded, failed, rolled_back, partial, aborted, refused, not_approved, dry_run).
  returned: op=finish
  type: str
report:
  description: The report (same as C(report.json)).
  returned: op=show
  type: dict
commands:
  description: The resume and rollback commands of this run, naming the playbook as it was run.
  returned: op=start, op=open, op=finish
  type: dict
summary:
  description: The one line the run ends with.
  returned: op=finish
  type: str
closing:
  description: The one line the run ends with, RV(summary) followed by the resume and rollback commands when
    the run stopped with something left to do or undo.
  returned: op=finish
  type: str
ends_in_error:
  description: Whether the play must fail (see the exit codes in docs/running.md).
  returned: op=finish
  type: bool
report_text:
  description: The report as Markdown (same as C(report.md)).
  returned: op=show
  type: str
runs:
  description: The runs, newest first, each with C(run_id), C(status), C(plan_id), C(account_id), C(region),
    C(started_at), C(finished_at) and C(report) (where its report is).
  returned: op=list
  type: list
  elements: dict
lines:
  description: What V(list) or V(show) found, as lines to print.
  returned: op=list, op=show
  type: list
  elements: str
report_md:
  description:
    - The Markdown report this pass wrote, in the run folder. C(report.md) for the run itself; a resume or
      a rollback of it writes its own C(report-resume-<n>.md) or C(report-rollback-<n>.md) beside it and
      never over an earlier one. A path, or the object's C(s3://) URL with an S3 O(state_backend).
  returned: op=finish
  type: str
report_json:
  description: The JSON report this pass wrote, beside RV(report_md) (same name, C(.json)).
  returned: op=finish
  type: str
"""
