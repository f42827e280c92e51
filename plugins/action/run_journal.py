# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side run bookkeeping: Load (start or reopen a run), Approve, Finish, and reading the state.

One operation a call, each a short function over module_utils (table ``OPERATIONS``). Runs in the
controller process (no module is sent). Approval is decided from the journal's own record of the
plan digest, never from a variable that claims it. Lines meant for a person are printed with
Ansible's display, so they read the same under any callback and any ansible.cfg.
"""

from __future__ import annotations

from ansible import context
from ansible.utils.display import Display

from ansible_collections.coworker.aws.plugins.module_utils.common import with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run import listing, screens
from ansible_collections.coworker.aws.plugins.module_utils.run.approving import approve_run
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.finish import end_run, finish_run, release_run, run_stats
from ansible_collections.coworker.aws.plugins.module_utils.run.followup import followup_commands
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import RUN_ID_RE, run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.opening import open_run, start_run
from ansible_collections.coworker.aws.plugins.plugin_utils import lock_keeper
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    ControllerAction, controller_has_terminal, failed, plan_reference)
from ansible_collections.coworker.aws.plugins.plugin_utils.prompts import prompter

RECORDABLE = ("checkpoint", "decision", "step_skipped", "environment_verified", "refused", "interrupted", "note")
OUTCOMES = ["auto", "rollback", "refused", "not_approved", "aborted", "paused", "interrupted"]
ARGUMENT_SPEC = with_group_args(dict(
    op=dict(type="str", required=True,
            choices=["start", "open", "approve", "finish", "record", "release", "list", "show"]),
    purpose=dict(type="str", default="resume", choices=["resume", "rollback"]),
    plan=dict(type="str"),
    target=dict(type="str"),
    sha256=dict(type="str"),
    plans_dir=dict(type="path"),
    state_dir=dict(type="path", default=".coworker"),
    run_id=dict(type="str"),
    limit=dict(type="int", default=20),
    profile=dict(type="str", aliases=["aws_profile"]),
    dry_run=dict(type="bool", default=False),
    force_unlock=dict(type="str"),
    token=dict(type="str", no_log=False),
    tag_resources=dict(type="bool", default=True),
    # op=approve of a rollback run: undo what changed since the run without a person reading the drift table
    accept_drift=dict(type="bool", default=False),
    # op=approve: the run's max_concurrency, for the review's list of the steps that start together
    max_concurrency=dict(type="int", default=0),
    event=dict(type="str", choices=list(RECORDABLE)),
    data=dict(type="dict", default={}),
    outcome=dict(type="str", default="auto", choices=OUTCOMES),
    stopped_by_person=dict(type="bool", default=False),
    # op=finish of a dry run: a step certain to fail only warns (exit 0) instead of failing the play
    dry_run_warn_only=dict(type="bool", default=False),
    # the extra variables, as the person gave them, that the printed resume/rollback commands repeat
    command_vars=dict(type="dict", default={}),
))


def _run_id(args):
    """The run this task is about (its id, checked)."""
    if not args["run_id"]:
        raise RunError("run_id is required for op=%s" % args["op"])
    if not RUN_ID_RE.match(args["run_id"]):
        raise RunError("invalid run id %r" % (args["run_id"],))
    return args["run_id"]


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("state_dir", "plans_dir", "environments_file")

    def act(self, args, result):
        self.backend = backend_of(args)
        self.say = Display().display
        result["changed"] = False
        return getattr(self, "_op_" + args["op"])(args, result)

    def _commands(self, args, run_id):
        """Resume and rollback commands naming the playbook as it was run, with the options given."""
        return followup_commands(context.CLIARGS.get("args") or [], run_id, args["command_vars"])

    def _show(self, lines):
        for line in lines:
            self.say(line)

    # -- Load -------------------------------------------------------------------------------------------
    def _loaded(self, result, run, info):
        for warning in info["warnings_list"]:
            Display().warning(printable(warning))
        run["journal"] = self.backend.journal_location(run["run_id"])
        self._show(screens.loading_plan(info, run["dry_run"]) + screens.run_lines(run))
        result.update(run, run_dir=self.backend.run_location(run["run_id"]), segments=info["segments"],
                      steps_total=len(info["plan"]["steps"]))
        warning = self.backend.versioning_warning()  # the backend cannot restore a lost journal (S3 versioning)
        if warning:
            result.setdefault("warnings", []).append(printable(warning))
        return result

    def _op_start(self, args, result):
        args["plan"] = plan_reference(args["plan"])
        dry_run = bool(args["dry_run"] or self._task.check_mode)
        run, info = start_run(self.backend, args, dry_run, lambda run_id: self._commands(args, run_id), lock_keeper)
        return self._loaded(result, run, info)

    def _op_open(self, args, result):
        """Reopen a past run to resume it or roll it back; its plan file must be unchanged."""
        if args["dry_run"] or self._task.check_mode:
            # a dry run would journal "planned" steps into the real run and hide what it changed
            raise RunError("a dry run of %s is not available: the %s plan is shown before the approval prompt; "
                           "answer no there to stop — nothing was changed" % (args["purpose"], args["purpose"]))
        run, info = open_run(self.backend, args, args["purpose"], lambda run_id: self._commands(args, run_id),
                             lock_keeper)
        return self._loaded(result, run, info)

    # -- Approve ----------------------------------------------------------------------------------------
    def _op_approve(self, args, result):
        run_id = _run_id(args)
        ask = prompter(self._task.get_name()) if controller_has_terminal() else None
        verdict = approve_run(self.backend, run_id, args["token"], ask, self.say, args["environments_file"],
                              args["tag_resources"], self._session_params(args))
        result.update(approved=verdict["approved"], how=verdict["how"])
        if verdict["approved"]:
            return result
        self.say("%s — no changes made" % printable(verdict["reason"], multiline=True))
        reopened = run_state(self.backend.events(run_id))["resumed"] is not None
        outcome = "refused" if verdict.get("refused") else "not_approved"
        ended = end_run(self.backend, run_id, outcome, reopened, self._commands(args, run_id), lock_keeper)
        return self._ended(result, ended)

    @staticmethod
    def _session_params(args):
        """The AWS settings of the Run task, for the drift check a rollback run shows before its question."""
        return {"plan": None, "plans_dir": args["plans_dir"], "environments_file": args["environments_file"],
                "profile": args["profile"], "retry_mode": args["retry_mode"] or "standard",
                "max_attempts": args["max_attempts"] or 5, "tag_resources": args["tag_resources"],
                "accept_drift": args["accept_drift"], "max_concurrency": args["max_concurrency"]}

    def _ended(self, result, ended):
        """A run that ends in this task: its report, then the task fails with the one closing line."""
        self.say("Report: %s" % printable(ended["report_md"]))
        return failed(result, ended["closing"])

    # -- Finish -----------------------------------------------------------------------------------------
    def _op_finish(self, args, result):
        run_id = _run_id(args)
        ended = finish_run(self.backend, run_id, args["outcome"], args["stopped_by_person"],
                           args["dry_run_warn_only"], plan_fallback=plan_reference(args["plan"]) if args["plan"] else None,
                           commands=self._commands(args, run_id), keeper=lock_keeper)
        self.say("Report: %s (%s and journal.jsonl beside it)" % (
            printable(ended["report_md"]), printable(ended["report_json"].rsplit("/", 1)[-1])))
        if not ended["ends_in_error"]:
            self.say(printable(ended["closing"]))
        result.update(status=ended["status"], summary=ended["summary"], closing=ended["closing"],
                      ends_in_error=ended["ends_in_error"], report_md=ended["report_md"],
                      report_json=ended["report_json"], report_dir=ended["report_dir"], commands=ended["commands"],
                      ansible_stats=run_stats(run_id, ended))
        return result

    # -- storage --------------------------------------------------------------------------------------
    def _op_release(self, args, result):
        """Leave a reopened run as it was (its report untouched) and give its lock back."""
        release_run(self.backend, _run_id(args), args["outcome"], keeper=lock_keeper)
        return result

    def _op_record(self, args, result):
        if not args["event"]:
            raise RunError("event is required for op=record")
        with self.backend.journal(_run_id(args)) as journal:
            fields = {k: v for k, v in args["data"].items() if k not in ("event", "ts")}
            journal.append(args["event"], **fields)
        return result

    def _op_list(self, args, result):
        """The runs the backend holds, newest first, as their reports say."""
        runs, lines = listing.list_runs(self.backend, args["limit"])
        result.update(runs=runs, lines=lines)
        return result

    def _op_show(self, args, result):
        """One run's report (report.md), read from the backend."""
        run_id, report, text = listing.show_run(self.backend, args["run_id"] or "last")
        result.update(run_id=run_id, report=report, report_text=text, lines=text.rstrip("\n").split("\n"))
        return result
