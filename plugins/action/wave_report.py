# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of a wave (every target's run of one plan), on the controller; no AWS call."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.common import with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import wave_report
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import ControllerAction, failed, plan_reference

ARGUMENT_SPEC = with_group_args(dict(
    plan=dict(type="str", required=True),
    plans_dir=dict(type="path"),
    state_dir=dict(type="path", default=".coworker"),
    wave_id=dict(type="str", required=True),
    write=dict(type="bool", default=True),
))


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "state_dir", "environments_file")

    def act(self, args, result):
        loaded = load_plan(plan_reference(args["plan"]), args["plans_dir"], render=False)
        try:
            report = wave_report(backend_of(args), args["wave_id"], loaded, write=args["write"])
        except ValueError as exc:
            return failed(result, str(exc))
        result.update(changed=False, rows=report["rows"], rollup=report["rollup"],
                      progress=report["rollup"]["progress"], report_dir=report.get("report_dir"))
        return result
