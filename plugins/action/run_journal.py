# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side run bookkeeping: start (lock), approval, decisions, finish (report).

Runs in the controller process (no module is sent), so each of these tasks
costs milliseconds. Approval is decided here from the journal's own record
of the plan digest, never from a variable that claims it.
"""

from __future__ import annotations

import os

from ansible import context

from ansible_collections.coworker.aws.plugins.module_utils.common import with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import token_matches
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import (
    RUN_ID_RE, done_steps, new_run_id, run_state, steps_to_roll_back)
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import find_plan, read_document
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import require_one_target
from ansible_collections.coworker.aws.plugins.module_utils.run import decide, integrity, listing
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import EMPTY
from ansible_collections.coworker.aws.plugins.module_utils.run.integrity import record_head
from ansible_collections.coworker.aws.plugins.module_utils.run.approval_record import approval_record
from ansible_collections.coworker.aws.plugins.module_utils.run.followup import closing_lines, followup_commands
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import (
    check_shown, read_plan_bytes, run_plan_path, store_copy)
from ansible_collections.coworker.aws.plugins.module_utils.run.report import (
    append_changelog, build_report, report_keys, write_report)
from ansible_collections.coworker.aws.plugins.module_utils.run.leftovers import undone_with
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import acquire, lock_key, release
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import resolved_lines, resume_line
from ansible_collections.coworker.aws.plugins.plugin_utils import lock_keeper
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    ControllerAction, controller_has_terminal, failed)
from ansible_collections.coworker.aws.plugins.plugin_utils.lock_keeper import lease_for

RECORDABLE = ("checkpoint", "decision", "step_skipped", "environment_verified", "refused", "interrupted", "note")
ARGUMENT_SPEC = with_group_args(dict(
    op=dict(type="str", required=True,
            choices=["start", "open", "record", "approve", "decide", "finish", "release", "list", "show"]),
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
    answer=dict(type="str", no_log=False),
    token=dict(type="str", no_log=False),
    event=dict(type="str", choices=list(RECORDABLE)),
    data=dict(type="dict", default={}),
    outcome=dict(type="str", default="auto",
                 choices=["auto", "rollback", "refused", "not_approved", "aborted", "paused", "interrupted"]),
    stopped_by_person=dict(type="bool", default=False),
    # op=finish of a dry run: a step certain to fail only warns (exit 0) instead of failing the play
    dry_run_warn_only=dict(type="bool", default=False),
    # op=decide: what happened and what the person answered
    about=dict(type="str", default="batch", choices=["batch", "answer", "checkpoint"]),
    batch=dict(type="dict", default={}),
    pending=dict(type="list", elements="str", default=[]),
    on_failure=dict(type="str", default="ask", choices=list(decide.FAILURE_MODES)),
    prompts=dict(type="bool", default=False),
    previous=dict(type="dict", default={}),
    # the extra variables, as the person gave them, that the printed resume/rollback commands repeat
    command_vars=dict(type="dict", default={}),
))


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("state_dir", "plans_dir")

    def act(self, args, result):
        try:
            self.backend = backend_of(args)
            return getattr(self, "_op_" + args["op"])(args, result)
        except ValueError as exc:
            return failed(result, str(exc))

    def _journal(self, args):
        """The run this task is about (its id, checked)."""
        if not args["run_id"]:
            raise ValueError("run_id is required for op=%s" % args["op"])
        if not RUN_ID_RE.match(args["run_id"]):
            raise ValueError("invalid run id %r" % (args["run_id"],))
        return args["run_id"]

    def _events(self, run_id):
        return self.backend.events(run_id)

    def _op_start(self, args, result):
        source = find_plan(args["plan"], args["plans_dir"])
        raw, document, digest = read_plan_bytes(source)
        check_shown(source, digest, args["sha256"])
        plan = validate_document(document, source, target=args["target"])
        require_one_target(plan, source)
        run_id = args["run_id"] or new_run_id(plan["id"])
        dry_run = bool(args["dry_run"] or self._task.check_mode)
        note = None
        backend = self.backend
        if not RUN_ID_RE.match(run_id):
            raise ValueError("invalid run id %r" % (run_id,))
        if not dry_run:
            lock = lock_key(plan["target"]["account_id"], plan["target"]["region"], plan["id"])
            note = acquire(backend, lock, run_id, os.getppid(), args["force_unlock"], lease_for(backend))
            lock_keeper.hold(backend, lock, run_id)
        # from here on the run reads only the bytes whose digest was checked above
        copy_key, copy = store_copy(backend, run_id, source, raw)
        loaded = load_plan(backend.local_file(copy_key), verify=False, target=args["target"])
        commands = self._commands(args, run_id)
        record_head(backend, run_id, EMPTY, pass_open=True)  # before the first event: the chain starts here
        with backend.journal(run_id, create=True) as journal:
            journal.append("run_started", plan_id=plan["id"], plan_path=source, plan_copy=copy, plan_copy_key=copy_key,
                           state_backend=backend.kind, sha256=loaded["sha256"], commands=commands,
                           account_id=plan["target"]["account_id"], region=plan["target"]["region"],
                           environment=plan["target"]["environment"], target=args["target"],
                           profile=args["profile"] or plan["target"]["profile"], dry_run=dry_run, lock_note=note)
        if not dry_run:  # an interrupted run has a report from its first second on
            write_report(backend, run_id, loaded, backend.events(run_id), provisional=True)
        result.update(changed=False, run_id=run_id, run_dir=backend.run_location(run_id), dry_run=dry_run,
                      journal=backend.journal_location(run_id),
                      interactive=controller_has_terminal(), lock_note=note, sha256=loaded["sha256"],
                      commands=commands)
        return self._warn_unversioned(result)

    def _warn_unversioned(self, result):
        """A run that writes its journal is told when the backend could not restore a lost one (S3 versioning)."""
        warning = self.backend.versioning_warning()
        if warning:
            result.setdefault("warnings", []).append(printable(warning))
        return result

    @staticmethod
    def _commands(args, run_id):
        """Resume and rollback commands naming the playbook as it was run, with the options given."""
        return followup_commands(context.CLIARGS.get("args") or [], run_id, args["command_vars"])

    def _op_open(self, args, result):
        """Reopen a past run to resume it or roll it back; its plan file must be unchanged."""
        if args["dry_run"] or self._task.check_mode:
            # a dry run would journal "planned" steps into the real run and hide what it changed
            raise ValueError("a dry run of %s is not available: the %s plan is shown before the approval prompt; "
                             "answer no there to stop — nothing was changed" % (args["purpose"], args["purpose"]))
        backend = self.backend
        run_id = backend.find_run(args["run_id"] or "last")
        restored = backend.restore(run_id)  # a journal deleted or cut short under the run comes back whole
        events, head, unverified = integrity.check(backend, run_id)  # what the run wrote, or refused here
        state = run_state(events)
        started = state["started"]
        if started is None or started.get("dry_run"):
            raise ValueError("run %s %s" % (run_id, "is a dry run: nothing to %s" % args["purpose"]
                                            if started else "has no run_started event"))
        plan_path = run_plan_path(started, None, backend)
        digest = plan_digest(read_document(plan_path))
        if digest != started["sha256"]:
            raise ValueError("refused: the plan file %s changed since run %s (digest now %s, the run used %s); "
                             "nothing was changed" % (plan_path, run_id, digest[:12], started["sha256"][:12]))
        lock = lock_key(started["account_id"], started["region"], started["plan_id"])
        note = acquire(backend, lock, run_id, os.getppid(), args["force_unlock"], lease_for(backend), head.as_dict())
        lock_keeper.hold(backend, lock, run_id)
        record_head(backend, run_id, head, pass_open=True)  # events after this head are this pass's
        with backend.journal(run_id) as journal:
            for text in filter(None, [restored, unverified]):
                journal.append("note", text=text)
            journal.append("run_resumed", purpose=args["purpose"], lock_note=note)
        note = "; ".join(filter(None, [restored, unverified, note])) or None
        steps = load_plan(plan_path, verify=False, render=False, target=started.get("target"))["plan"]["steps"]
        result.update(changed=False, run_id=run_id, run_dir=backend.run_location(run_id), dry_run=False,
                      journal=backend.journal_location(run_id),
                      interactive=controller_has_terminal(), lock_note=note, sha256=digest,
                      plan_path=plan_path, target=started.get("target"), done=done_steps(state),
                      resume_header=resume_line(run_id, steps, done_steps(state)),
                      resolved=self._resolved(run_id),
                      rollback_steps=steps_to_roll_back(state), previous_status=(state["finished"] or {}).get("status"),
                      commands=self._commands(args, run_id))
        return self._warn_unversioned(result)

    def _op_release(self, args, result):
        """Leave a reopened run as it was (its report untouched) and give its lock back."""
        run_id = self._journal(args)
        started = run_state(self._events(run_id))["started"] or {}
        with self.backend.journal(run_id) as journal:
            journal.append("run_released", outcome=args["outcome"])
        record_head(self.backend, run_id, journal.head, pass_open=False)  # the pass ended here: nothing follows
        if started:
            self._release(lock_key(started["account_id"], started["region"], started["plan_id"]), run_id)
        result["changed"] = False
        return result

    def _op_record(self, args, result):
        if not args["event"]:
            raise ValueError("event is required for op=record")
        with self.backend.journal(self._journal(args)) as journal:
            fields = dict(args["data"])
            fields.pop("event", None)
            fields.pop("ts", None)
            journal.append(args["event"], **fields)
        result["changed"] = False
        return result

    def _op_approve(self, args, result):
        """Approval is a typed "yes" or a token that matches the digest this run started with."""
        path = self._journal(args)
        started = run_state(self._events(path))["started"]
        if started is None:
            raise ValueError("run %s has no journal" % args["run_id"])
        digest = started["sha256"]
        if args["token"]:
            approved, how = token_matches(args["token"], digest), "token"
        else:
            approved, how = (args["answer"] or "").strip().lower() == "yes", "prompt"
        reason = ("the approval token does not match the plan digest %s" % digest[:12] if how == "token"
                  else "not approved")
        signed = {}
        if approved:  # who signed, as the guard verifies it: recorded with the approval and in the reports
            try:
                signed = approval_record(self.backend, started, args["environments_file"])
            except (GuardRefusal, ConfigError) as exc:
                approved, reason = False, str(exc)
        with self.backend.journal(path) as journal:
            journal.append("approved" if approved else "not_approved", sha256=digest, how=how, **signed)
        result.update(changed=False, approved=approved)
        if not approved:
            return failed(result, "%s — no changes made" % reason)
        return result

    def _op_decide(self, args, result):
        """What the run does next (see module_utils/run/decide.py); a decision is journaled here."""
        path = self._journal(args)
        previous, batch = args["previous"], args["batch"]
        if args["about"] == "checkpoint":
            decision = decide.at_checkpoint(args["answer"])
        elif args["about"] == "answer":
            step = previous.get("step")
            decision = decide.after_answer(previous.get("question"), args["answer"], step,
                                           batch.get("not_run") or [], self._skippable(path, step),
                                           previous.get("asked", 0) + 1)
            decision["asked"] = previous.get("asked", 0) + 1
        else:
            dry_run = bool((run_state(self._events(path))["started"] or {}).get("dry_run"))
            decision = decide.after_batch(batch, args["pending"], args["on_failure"], args["prompts"], dry_run)
        decision.setdefault("asked", 0)
        self._journal_decision(path, args, decision, batch)
        # the next checkpoint and a failure's options show the values the journal now holds
        decision["resolved"] = self._resolved(path)
        if decision["action"] == "ask":
            decision["prompt"] = self._question(decision, batch, self._skippable(path, decision["step"]),
                                                self._undo_lines(path, decision["resolved"]))
        result.update(changed=False, **decision)
        return result

    def _plan_of_run(self, state, render=False):
        """The plan a run executes (its stored copy, its target), as the journal's run_started names it."""
        started = state["started"] or {}
        return load_plan(run_plan_path(started, None, self.backend), None, verify=False, render=render,
                         target=started.get("target"))["plan"]

    def _resolved(self, run_id):
        """The plan's command lines with the outputs the journal holds (run/resolved.py)."""
        state = run_state(self._events(run_id))
        plan = self._plan_of_run(state)
        return resolved_lines(plan, run_id, state, (state["started"] or {}).get("profile"))

    def _undo_lines(self, run_id, resolved):
        """What "roll back" would undo now, last step first, each with its resolved rollback calls."""
        left = set(steps_to_roll_back(run_state(self._events(run_id))))
        lines = []
        for step_id in reversed([sid for sid in resolved if sid in left]):
            calls = resolved[step_id]["rollback"] or [undone_with(resolved[step_id].get("undone_by"))]
            lines += ["       undo %s: %s" % (step_id, printable(call)) for call in calls]
        return lines

    def _skippable(self, run_id, step):
        if not step:
            return False
        state = run_state(self._events(run_id))
        started = state["started"] or {}
        if not (started.get("plan_copy") or started.get("plan_path")):
            return False
        steps = self._plan_of_run(state)["steps"]
        return any(s["id"] == step and s.get("skippable") for s in steps)

    @staticmethod
    def _question(decision, batch, skippable, undo=()):
        """The text of the prompt: the failure's options, or the unexpected output to accept."""
        lines = ["%s — please choose again." % decision["note"]] if decision.get("note") else []
        if decision["question"] == "unexpected":
            unexpected = ((batch.get("results") or [{}])[-1]).get("unexpected") or []
            lines.append("CHECKPOINT: step %s returned unexpected output:" % decision["step"])
            return "\n".join(lines + ["  - %s" % printable(item) for item in unexpected]
                             + ["Continue with the next steps? (yes/no)"]) + "\n"
        options = decide.failure_choices(skippable)
        lines.append("Step %s failed. What now?" % decision["step"])
        for key, label in options:
            lines.append("  %s %s" % (key, label))
            lines += list(undo) if key == "3" else []
        keys = [key for key, _label in options]
        lines.append("Choose %s or %s" % (", ".join(keys[:-1]), keys[-1]))
        return "\n".join(lines) + "\n"

    def _journal_decision(self, path, args, decision, batch):
        with self.backend.journal(path) as journal:
            if args["about"] == "checkpoint":
                journal.append("checkpoint", answer=args["answer"], **args["data"])
            if decision["choice"] and args["about"] != "checkpoint":
                error = (batch.get("error") or {}).get("kind") or (
                    "unexpected_output" if batch.get("unexpected_step") else "unknown")
                journal.append("decision", step=decision["step"], choice=decision["choice"], error=error,
                               answer=args["answer"], status=decision["status"])
            if decision["action"] == "skip":
                journal.append("step_skipped", step=decision["step"])

    def _op_finish(self, args, result):
        path = self._journal(args)
        backend = self.backend
        events = integrity.check(backend, path)[0]  # a report is never rebuilt from a journal that lost events
        state = run_state(events)
        started = state["started"] or {}
        loaded = load_plan(run_plan_path(started, args["plan"], backend), args["plans_dir"], verify=False,
                           target=started.get("target"))
        dry_run = bool(started.get("dry_run"))
        folder = backend.run_location(path)
        outcome = args["outcome"]
        if build_report(args["run_id"], loaded, events, outcome, dry_run)["status"] == "succeeded":
            outcome = decide.finish_outcome(outcome, [s for s, e in state["steps"].items() if e["status"] == "skipped"])
        report, markdown = write_report(backend, path, loaded, events, outcome, dry_run)
        report_json, report_md = (backend.location(key) for key in report_keys(path, events))
        with backend.journal(path) as journal:
            journal.append("run_finished", status=report["status"])
        record_head(backend, path, journal.head, pass_open=False)  # the pass ended here: nothing follows
        if not dry_run:
            append_changelog(backend, report)
            plan = loaded["plan"]
            self._release(lock_key(plan["target"]["account_id"], plan["target"]["region"], plan["id"]), path)
        rollback_run = args["outcome"] == "rollback"
        commands = self._commands(args, args["run_id"])
        summary = decide.summary_line(report, rollback_run)
        result.update(changed=False, report=report, report_text=markdown, status=report["status"], report_dir=folder,
                      report_md=report_md, report_json=report_json,
                      report_lines=markdown.rstrip("\n").split("\n"), commands=commands, summary=summary,
                      closing=closing_lines(summary, report["status"], commands, dry_run),
                      ends_in_error=decide.ends_in_error(report["status"], rollback_run, args["stopped_by_person"],
                                                         report["would_fail"], args["dry_run_warn_only"]))
        return result

    def _release(self, lock, run_id):
        lock_keeper.drop(self.backend, lock)  # the heartbeat first: it would only find the lock gone
        release(self.backend, lock, run_id)

    def _op_list(self, args, result):
        """The runs the backend holds, newest first, as their reports say."""
        runs, lines = listing.list_runs(self.backend, args["limit"])
        result.update(changed=False, runs=runs, lines=lines)
        return result

    def _op_show(self, args, result):
        """One run's report (report.md), read from the backend."""
        run_id, report, text = listing.show_run(self.backend, args["run_id"] or "last")
        result.update(changed=False, run_id=run_id, report=report, report_text=text,
                      lines=text.rstrip("\n").split("\n"))
        return result
