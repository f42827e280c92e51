# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of a wave (every target's run of one plan), on the controller; no AWS call."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.common import with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import (
    FIRST, PURPOSES, begin_pass, plan_copy_path, read_pass, store_plan, wave_report, wave_targets)
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import ControllerAction, failed, plan_reference

ARGUMENT_SPEC = with_group_args(dict(
    plan=dict(type="str"),
    plans_dir=dict(type="path"),
    state_dir=dict(type="path", default=".coworker"),
    wave_id=dict(type="str", required=True),
    purpose=dict(type="str", default="run", choices=list(PURPOSES)),
    begin=dict(type="bool", default=False),
    report_name=dict(type="str"),
    sha256=dict(type="str"),
    all_or_nothing=dict(type="bool", default=False),
    write=dict(type="bool", default=True),
    targets=dict(type="list", elements="str"),
))


def wave_plan(args, backend):
    """The plan given, or for a resume or rollback the wave's own copy of the plan it ran (from any directory
    or machine; refused if it is missing or its digest is not the wave's)."""
    if args["plan"]:
        return load_plan(plan_reference(args["plan"]), args["plans_dir"], render=False)
    first = read_pass(backend, args["wave_id"])
    if first is None:
        raise ValueError("no wave %r in %s; nothing was changed" % (args["wave_id"], backend.location("waves")))
    path = plan_copy_path(backend, args["wave_id"], first)
    loaded = load_plan(path, None, render=False)
    if loaded["sha256"] != first["sha256"]:
        raise ValueError("refused: the copy %s of the plan of wave %s does not have the wave's digest (now %s, the "
                         "wave ran %s); nothing was changed"
                         % (path, args["wave_id"], loaded["sha256"][:12], first["sha256"][:12]))
    return loaded


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "state_dir", "environments_file")

    def act(self, args, result):
        try:
            backend = backend_of(args)
            loaded = wave_plan(args, backend)
            name = args["report_name"] or FIRST
            copy_key = None
            if args["begin"]:
                name = begin_pass(backend, args["wave_id"], args["purpose"])
                if name == FIRST:  # a new wave keeps the bytes shown and approved; every target runs from them
                    wave_targets(loaded, None, args["targets"])  # a bad selection is refused before anything is kept
                    copy_key = store_plan(backend, args["wave_id"], loaded["path"], args["sha256"] or loaded["sha256"])
            elif args["purpose"] != "run" and not args["report_name"]:
                raise ValueError("report_name is required for a %s pass that has begun" % args["purpose"])
            report = wave_report(backend, args["wave_id"], loaded, write=args["write"] or args["begin"],
                                 report_name=name, purpose=args["purpose"], all_or_nothing=args["all_or_nothing"],
                                 plan_copy_key=copy_key, selected=args["targets"])
            if args["begin"] and report["plan_copy_key"]:  # later tasks and passes read the wave's copy
                loaded["path"] = plan_copy_path(backend, args["wave_id"], report)
        except ValueError as exc:
            return failed(result, str(exc))
        result.update(changed=False, rows=report["rows"], rollup=report["rollup"], report_name=name,
                      plan_path=loaded["path"], sha256=loaded["sha256"],
                      progress=report["rollup"]["progress"], report_dir=report.get("report_dir"))
        return result
