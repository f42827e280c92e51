# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A wave (one plan on every target of its ``targets:`` list), on the controller: begin it, let a target start,
hold the batch's checkpoint, report it, end it. Every choice comes from run/waves.py; no AWS call except
the verification of every target when the wave begins.
"""

from __future__ import annotations

from ansible import context
from ansible.utils.display import Display

from ansible_collections.coworker.aws.plugins.module_utils.common import with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run import waves
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import (
    FIRST, PURPOSES, begin_pass, plan_copy_path, store_plan, wave_report, wave_targets)
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.followup import wave_commands
from ansible_collections.coworker.aws.plugins.module_utils.run.wave_begin import begin_wave, reopened_plan
from ansible_collections.coworker.aws.plugins.module_utils.run.wave_checkpoint import wave_checkpoint
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    ControllerAction, controller_has_terminal, failed, plan_reference)
from ansible_collections.coworker.aws.plugins.plugin_utils.prompts import prompter

ARGUMENT_SPEC = with_group_args(dict(
    op=dict(type="str", default="report", choices=["begin", "gate", "checkpoint", "report", "finish"]),
    plan=dict(type="str"),
    plans_dir=dict(type="path"),
    state_dir=dict(type="path", default=".coworker"),
    wave_id=dict(type="str"),
    purpose=dict(type="str", default="run", choices=list(PURPOSES)),
    begin=dict(type="bool", default=False),
    report_name=dict(type="str"),
    sha256=dict(type="str"),
    all_or_nothing=dict(type="bool", default=False),
    undo=dict(type="bool", default=False),
    write=dict(type="bool", default=True),
    targets=dict(type="list", elements="str"),
    approve=dict(type="str", no_log=False),
    max_errors=dict(type="int", default=0),
    target=dict(type="str"),
    segment=dict(type="int"),
    checkpoints=dict(type="bool", default=False),
    command_vars=dict(type="dict", default={}),
))


def _wave_id(args):
    if not args["wave_id"]:
        raise RunError("wave_id is required for op=%s" % args["op"])
    return args["wave_id"]


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "state_dir", "environments_file")

    def act(self, args, result):
        self.backend = backend_of(args)
        self.say = Display().display
        result["changed"] = False
        return getattr(self, "_op_" + args["op"])(args, result)

    def _plan(self, args):
        """The plan given, or the wave's own copy of the plan it ran (refused if missing or not the wave's)."""
        if args["plan"]:
            return load_plan(plan_reference(args["plan"]), args["plans_dir"], render=False)
        return reopened_plan(self.backend, _wave_id(args))

    def _report(self, args, write=None):
        name = args["report_name"] or FIRST
        if args["purpose"] != "run" and not args["report_name"]:
            raise RunError("report_name is required for a %s pass that has begun" % args["purpose"])
        return wave_report(self.backend, _wave_id(args), self._plan(args), write=args["write"] if write is None
                           else write, report_name=name, purpose=args["purpose"], selected=args["targets"])

    def _op_begin(self, args, result):
        """Which targets, each verified, one approval, the pass begun (or, with ``begin``, only the pass)."""
        if args["begin"]:  # the pass alone, for a playbook of the user's own
            return self._begin_pass(args, result)
        args["environments_file"] = resolve_path(args["environments_file"])
        ask = prompter(self._task.get_name()) if controller_has_terminal() else None
        begun = begin_wave(self.backend, dict(args, new_wave_id=args["wave_id"] if args["purpose"] == "run" else None),
                           self.task_vars, ask, self.say, self._task.check_mode)
        result.update(begun)
        return result

    def _begin_pass(self, args, result):
        loaded = self._plan(args)
        name = begin_pass(self.backend, _wave_id(args), args["purpose"])
        copy_key = None
        if name == FIRST:  # a new wave keeps the bytes shown and approved; every target runs from them
            wave_targets(loaded, None, args["targets"])  # a bad selection is refused before anything is kept
            copy_key = store_plan(self.backend, args["wave_id"], loaded["path"], args["sha256"] or loaded["sha256"])
        report = wave_report(self.backend, args["wave_id"], loaded, report_name=name, purpose=args["purpose"],
                             all_or_nothing=args["all_or_nothing"], plan_copy_key=copy_key, selected=args["targets"])
        path = plan_copy_path(self.backend, args["wave_id"], report) if report["plan_copy_key"] else loaded["path"]
        result.update(rows=report["rows"], rollup=report["rollup"], report_name=name, plan_path=path,
                      sha256=loaded["sha256"], progress=report["rollup"]["progress"])
        return result

    def _op_gate(self, args, result):
        """May this target start (or, with ``undo`` after the wave, be undone: all or nothing)?"""
        report = self._report(args, write=False)
        row = next(r for r in report["rows"] if r["target"] == args["target"])
        if args["undo"]:
            start = waves.undo_due(row, report["rollup"], args["purpose"], args["all_or_nothing"])
        else:
            start = waves.may_start(row, report["rollup"], args["purpose"], args["max_errors"],
                                    waves.stopped_by_person(report["rows"], report.get("baseline")))
        result.update(start=start, rollup=report["rollup"])
        return result

    def _op_checkpoint(self, args, result):
        """The batch's one question before a destructive step or a later phase (asked once: run_once)."""
        keys = [str(host) for host in self.task_vars.get("ansible_play_batch") or []]
        ask = prompter(self._task.get_name())
        result.update(wave_checkpoint(self.backend, _wave_id(args), self._plan(args), args["segment"], keys,
                                      args["purpose"], args["checkpoints"], ask))
        return result

    def _op_report(self, args, result):
        """Write the pass's report; print where the wave stands, one line a target."""
        report = self._report(args)
        self.say("Wave %s: %s" % (args["wave_id"], report["rollup"]["progress"]))
        for row in report["rows"]:
            self.say("  %s: %s" % (printable(row["target"]), row["status"]))
        result.update(rows=report["rows"], rollup=report["rollup"], progress=report["rollup"]["progress"],
                      report_dir=report.get("report_dir"))
        return result

    def _op_finish(self, args, result):
        """The wave's report, its verdict and what to do next; fails unless every target ended as it should."""
        self._op_report(args, result)
        rollup = result["rollup"]
        folder = result["report_dir"]
        commands = wave_commands(context.CLIARGS.get("args") or [], args["wave_id"], args["command_vars"])
        ok, lines = waves.verdict(rollup, args["purpose"], waves.stopped_by_person(result["rows"], result.get("baseline")), commands,
                                  self._task.check_mode)
        for line in lines:
            self.say(line)
        report = "%s/%s.md" % (folder, args["report_name"] or FIRST)
        self.say("Report: %s" % printable(report))
        if ok:
            return result
        return failed({"changed": False}, "Wave %s: %s; report %s" % (args["wave_id"], rollup["progress"], report))
