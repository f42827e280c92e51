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
    name; this file only documents it.
  - V(start) reads the plan file once, refuses it if its digest is not O(sha256) (the digest shown to
    the person), copies its bytes to C(runs/<run_id>/approved-plan.yml), takes the lock for (account,
    region, plan id), creates C(runs/<run_id>/journal.jsonl) and writes C(run_started) with the plan
    digest. Every later task of the run (M(coworker.aws.run_step), V(finish), V(open)) reads that copy,
    never the user's file again. It also tells whether a person can answer prompts (RV(interactive)).
  - V(approve) records the approval of this run. O(answer) must be C(yes), or O(token) must be the plan
    digest this run started with (or its first 12 or more hex characters). Fails otherwise.
  - V(open) reopens a past run (O(run_id) or V(last)) to resume it or roll it back (O(purpose)); it refuses a
    plan file whose digest differs from the one the run started with, and takes the lock again. A dry run
    of a resume or a rollback is refused (it would mark steps of the real run as planned).
    M(coworker.aws.run_step) refuses to change anything in a run without this record.
  - V(release) gives back the lock of a reopened run that was refused or not approved, leaving its
    report as it was.
  - V(record) appends a decision (checkpoint answer, skip, failure choice) to the journal.
  - V(finish) builds C(report.json) and C(report.md) from the journal, appends the change-log entry to
    C(state_dir/changelog.md) (not for dry runs) and releases the lock.
author:
  - coworker.aws maintainers (@coworker)
options:
  op:
    description: What to do.
    type: str
    required: true
    choices: [start, open, record, approve, finish, release]
  purpose:
    description: For V(open), why the run is reopened.
    type: str
    default: resume
    choices: [resume, rollback]
  plan:
    description: The plan (path, id or V(last)); required for V(start).
    type: str
  sha256:
    description:
      - For V(start), the plan digest that was shown to the person (C(plan_info)'s C(sha256)). When given,
        a plan file whose digest differs now is refused and nothing is started.
    type: str
  plans_dir:
    description: Directory searched when O(plan) is an id or V(last).
    type: path
  state_dir:
    description: Where runs, locks and the change log live.
    type: path
    default: .coworker
  run_id:
    description: The run; V(start) creates one when omitted.
    type: str
  profile:
    description: Profile recorded in the journal and report.
    type: str
  dry_run:
    description: Mark the run as a dry run (also implied by check mode). No lock, no change-log entry.
    type: bool
    default: false
  force_unlock:
    description: Take over the lock held by this run id (for a run that is known to be dead).
    type: str
  answer:
    description: For V(approve), what the person typed.
    type: str
  token:
    description: For V(approve), the non-interactive approval token (the plan digest or its prefix).
    type: str
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
      - For V(finish), what ended the run when it was not the steps themselves; V(auto) derives the
        status from the journal; V(rollback) finishes a rollback run (C(rolled_back) when nothing is
        left to undo).
    type: str
    default: auto
    choices: [auto, rollback, refused, not_approved, aborted, paused, interrupted]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
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

- name: Finish and write the report
  coworker.aws.run_journal:
    op: finish
    run_id: "{{ run.run_id }}"
  register: finished
"""

RETURN = r"""
run_id:
  description: The run id.
  returned: op=start
  type: str
interactive:
  description: Whether ansible-playbook reads a terminal (prompts can be answered).
  returned: op=start
  type: bool
lock_note:
  description: Set when a stale or forcibly released lock was taken over.
  returned: op=start
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
  returned: op=finish
  type: dict
report_text:
  description: The report as Markdown (same as C(report.md)).
  returned: op=finish
  type: str
"""
