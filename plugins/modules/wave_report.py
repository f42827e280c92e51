#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the wave_report action plugin (it runs on the controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wave_report
short_description: The aggregated report of a plan run on all of its targets
version_added: 0.1.0
description:
  - A plan with a C(targets) list runs each target as its own run, C(<wave_id>-<target key>), with its own
    journal, lock, report and rollback. This reads those runs' reports and writes C(waves/<wave_id>/report.json)
    and C(report.md) under O(state_dir), or in the O(state_backend) the runs use - one row per target and a rollup - done on the controller by the
    action plugin of the same name; this file only documents it.
  - A target without a journal has not started (C(not_started)); one whose report is provisional is
    C(running); C(succeeded) counts as done and every other final status as failed.
  - Makes no AWS call.
options:
  plan:
    description: The plan (path, id or V(last)).
    type: str
    required: true
  plans_dir:
    description: Directory searched when O(plan) is an id or V(last).
    type: path
  state_dir:
    description: The state directory of the runs.
    type: path
    default: .coworker
  wave_id:
    description: The wave id the playbook chose (each target's run id is C(<wave_id>-<target key>)).
    type: str
    required: true
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
"""

RETURN = r"""
rows:
  description: One entry per target (C(target), C(account_id), C(region), C(environment), C(run_id), C(status),
    C(steps_completed), C(steps_total), C(report)).
  returned: success
  type: list
  elements: dict
rollup:
  description: Counts (C(targets), C(done), C(running), C(failed), C(waiting)), C(by_status) and the wave's C(status).
  returned: success
  type: dict
progress:
  description: The line C(targets, n done, n running, n failed, n waiting).
  returned: success
  type: str
report_dir:
  description: Where C(report.json) and C(report.md) were written.
  returned: when O(write) is true
  type: str
"""
