#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the wave_report action plugin (it runs on the controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wave_report
short_description: A plan run on all of its targets - begin the wave, gate each target, its checkpoint, its report
version_added: 0.1.0
description:
  - The controller's side of C(playbooks/execute_targets.yml); every choice is made in C(module_utils/run/waves.py).
  - O(op=begin) (the wave's first play) checks the inventory's selection against the plan (an inventory of plan
    targets that added no host, a run that selects none of them, hosts that are not targets of the plan, an
    inventory built from another digest are refused), prints the targets, verifies EVERY target of the plan with its
    own credentials (one refusal refuses the whole wave, before any change), takes one approval for all of them (a
    typed C(yes) at C(Do you approve ... on N targets? (yes/no)), or O(approve), the plan digest) and begins the pass.
    It returns RV(wave_id), RV(rows), RV(token) and RV(checkpoints) for the per-target runs.
  - O(op=gate) says whether one target starts (RV(start)) - not after more than O(max_errors) targets failed in this
    pass or a person stopped the wave at a checkpoint; with O(undo) (after the wave), whether a target already done is
    rolled back because another one failed and O(all_or_nothing) is true.
  - O(op=checkpoint) (run once a batch) asks one question for every target of the batch before a destructive step or a
    later phase (O(segment)), when O(checkpoints) (a person approved the wave) and some target is still going; the
    answer (RV(answer)) is recorded in each target's journal by its run.
  - O(op=report) writes the pass's report and prints where the wave stands; O(op=finish) also prints what to do
    next (the resume and rollback commands) and fails unless every target ended as it should.
  - A plan with a C(targets) list runs each target as its own run, C(<wave_id>-<target key>), with its own
    journal, lock, report and rollback. This reads those runs' reports and writes C(waves/<wave_id>/report.json)
    and C(report.md) under O(state_dir), or in the O(state_backend) the runs use - one row per target and a rollup - done on the controller by the
    action plugin of the same name; this file only documents it.
  - A target without a journal has not started (C(not_started)); one whose latest pass (the run, a resume or a
    rollback) has no report yet, or a provisional one, is C(running); C(succeeded) counts as done and every other
    final status as failed.
  - A resume or a rollback of the wave is a pass of its own; it writes C(report-resume-N) or C(report-rollback-N)
    beside the wave's first report, never over it.
  - Makes no AWS call.
options:
  op:
    description: What to do (see the description).
    type: str
    choices: [begin, gate, checkpoint, report, finish]
    default: report
  approve:
    description: For O(op=begin), the approval token (the plan digest or its first 12 or more hex characters).
    type: str
  max_errors:
    description: For O(op=gate), how many targets may fail in this pass before no new one starts.
    type: int
    default: 0
  target:
    description: For O(op=gate), the target (its key).
    type: str
  segment:
    description: For O(op=checkpoint), the index of the segment about to run.
    type: int
  checkpoints:
    description: For O(op=checkpoint), whether a person approved the wave and answers its checkpoints.
    type: bool
    default: false
  command_vars:
    description: For O(op=finish), the extra variables as given, repeated by the resume and rollback commands printed.
    type: dict
    default: {}
  plan:
    description:
      - The plan (path, id or V(last)).
      - Without it, the wave's own copy of the plan it ran (see O(sha256)), refused when it is missing or its digest
        is not the wave's.
    type: str
  plans_dir:
    description: Directory searched when O(plan) is an id or V(last).
    type: path
  state_dir:
    description: The state directory of the runs.
    type: path
    default: .coworker
  wave_id:
    description:
      - The wave (each target's run id is C(<wave_id>-<target key>)); required except for O(op=begin) of a new wave
        (which chooses one when not given).
    type: str
  purpose:
    description: The pass of the wave - its first V(run), a V(resume) or a V(rollback); it decides each row's C(next).
    type: str
    choices: [run, resume, rollback]
    default: run
  begin:
    description:
      - With O(op=begin), begin the pass only (no selection, no verification, no approval - for a playbook of the
        user's own). Begin a pass - choose its report name (C(report) for a run, refused when the wave exists; the next free
        C(report-resume-N) or C(report-rollback-N) otherwise) and write it, recording how many passes each target's
        run had so far (only later failures count in C(rollup.failed_in_pass)).
    type: bool
    default: false
  sha256:
    description:
      - With O(begin) on a new wave, the plan digest shown to the person; a plan file whose digest differs is refused.
      - The new wave keeps a copy of those very bytes in its folder (C(waves/<wave_id>/approved-plan.yml)); every
        target's run and every later pass of the wave, from any directory or machine, reads that copy.
    type: str
  report_name:
    description: The report of the pass that has begun (C(report_name) returned by O(begin)); default C(report).
    type: str
  all_or_nothing:
    description: Record in the report that the targets already done are rolled back when one fails.
    type: bool
    default: false
  undo:
    description:
      - With O(op=gate), the question is whether a target is rolled back after the wave (all or nothing), not whether
        it starts. Only with O(all_or_nothing) and a failed target is a target that is done rolled back.
    type: bool
    default: false
  targets:
    description:
      - The keys of the targets that make up the wave, when it runs only some of its plan's targets (the hosts of
        an inventory of the plan's targets, see P(coworker.aws.plan_targets#inventory), after C(--limit) or an AWX
        slice). Keys that are not targets of the plan are refused.
      - A new wave records them in its first report; every later call and pass covers exactly those targets, and
        one that gives a different list is refused. Without it, a new wave is every target of the plan.
    type: list
    elements: str
  write:
    description: Write the report files (V(false) only counts, for example to decide whether to start more targets).
    type: bool
    default: true
author:
  - coworker.aws maintainers (@coworker)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - coworker.aws.group
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
    details: Reads the runs' reports in check mode too.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Aggregated report of the wave
  coworker.aws.wave_report:
    plan: plans/baseline.yml
    wave_id: "{{ wave_id }}"
  register: wave

- name: Begin a rollback pass of wave w1 (the plan is the one the wave ran)
  coworker.aws.wave_report:
    op: begin
    wave_id: w1
    purpose: rollback
    begin: true
  register: rollback_pass
"""

RETURN = r"""
rows:
  description: One entry per target (C(target), C(account_id), C(region), C(environment), C(run_id), C(status),
    C(history) (the status of each pass of its run), C(note), C(next) (V(start), V(resume), V(rollback) or V(skip)
    in this pass), C(steps_completed), C(steps_total), C(report)).
  returned: success
  type: list
  elements: dict
rollup:
  description: Counts (C(targets), C(done), C(running), C(failed), C(waiting), C(rolled_back), C(failed_in_pass)),
    C(by_status), the wave's C(status) (for a rollback pass V(rolled_back) once every target that ran is) and
    C(progress).
  returned: success
  type: dict
progress:
  description:
    - The line C(targets, n done, n running, n failed, n waiting), with C((n rolled back)) after the failed count
      when some are.
    - For a rollback pass C(targets, n rolled back, n running, n not rolled back, n never started).
  returned: success
  type: str
report_dir:
  description: Where the pass's report (C(<report_name>.json) and C(.md)) was written.
  returned: when O(write) or O(begin) is true
  type: str
report_name:
  description: The pass's report name, C(report), C(report-resume-N) or C(report-rollback-N).
  returned: success
  type: str
plan_path:
  description: The plan file of the wave; once the wave has begun, the wave's own copy of it (fetched to a private
    file of this machine when the state backend is S3).
  returned: success
  type: str
sha256:
  description: The plan's digest.
  returned: success
  type: str
wave_id:
  description: The wave's id.
  returned: op=begin
  type: str
token:
  description: The plan digest every target's run is approved with (the one typed yes covers, or the token given).
  returned: op=begin
  type: str
checkpoints:
  description: A person typed the approval, so the same person answers the wave's checkpoints.
  returned: op=begin
  type: bool
start:
  description: Whether the target starts (or, with O(undo), is rolled back).
  returned: op=gate
  type: bool
asked:
  description: Whether a checkpoint question was asked.
  returned: op=checkpoint
  type: bool
answer:
  description: The answer at the checkpoint (empty after Ctrl-C); only V(yes) goes on.
  returned: op=checkpoint
  type: str
"""
