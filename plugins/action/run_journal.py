# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side run bookkeeping: start (lock), approval, decisions, finish (report).

Runs in the controller process (no module is sent), so each of these tasks
costs milliseconds. Approval is decided here from the journal's own record
of the plan digest, never from a variable that claims it.
"""

from __future__ import annotations

import os

from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import token_matches
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import (
    Journal, check_intact, done_steps, find_run, journal_path, new_run_id, read_events, restore_from_copy, run_dir,
    run_state, steps_to_roll_back)
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import read_document
from ansible_collections.coworker.aws.plugins.module_utils.run.report import append_changelog, write_report
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import acquire, lock_path, release
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    ControllerAction, controller_has_terminal, failed)

RECORDABLE = ("checkpoint", "decision", "step_skipped", "environment_verified", "refused", "interrupted", "note")
ARGUMENT_SPEC = dict(
    op=dict(type="str", required=True, choices=["start", "open", "record", "approve", "finish", "release"]),
    purpose=dict(type="str", default="resume", choices=["resume", "rollback"]),
    plan=dict(type="str"),
    plans_dir=dict(type="path"),
    state_dir=dict(type="path", default=".coworker"),
    run_id=dict(type="str"),
    profile=dict(type="str"),
    dry_run=dict(type="bool", default=False),
    force_unlock=dict(type="str"),
    answer=dict(type="str", no_log=False),
    token=dict(type="str", no_log=False),
    event=dict(type="str", choices=list(RECORDABLE)),
    data=dict(type="dict", default={}),
    outcome=dict(type="str", default="auto",
                 choices=["auto", "rollback", "refused", "not_approved", "aborted", "paused", "interrupted"]),
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("state_dir", "plans_dir")

    def act(self, args, result):
        try:
            return getattr(self, "_op_" + args["op"])(args, result)
        except ValueError as exc:
            return failed(result, str(exc))

    def _journal(self, args):
        if not args["run_id"]:
            raise ValueError("run_id is required for op=%s" % args["op"])
        return journal_path(args["state_dir"], args["run_id"])

    def _op_start(self, args, result):
        loaded = load_plan(args["plan"], args["plans_dir"], verify=False)
        plan = loaded["plan"]
        run_id = args["run_id"] or new_run_id(plan["id"])
        dry_run = bool(args["dry_run"] or self._task.check_mode)
        note = None
        if not dry_run:
            lock = lock_path(args["state_dir"], plan["target"]["account_id"], plan["target"]["region"], plan["id"])
            note = acquire(lock, run_id, os.getppid(), args["force_unlock"])
        with Journal(journal_path(args["state_dir"], run_id), run_id, create=True) as journal:
            journal.append("run_started", plan_id=plan["id"], plan_path=loaded["path"], sha256=loaded["sha256"],
                           account_id=plan["target"]["account_id"], region=plan["target"]["region"],
                           environment=plan["target"]["environment"],
                           profile=args["profile"] or plan["target"]["profile"], dry_run=dry_run, lock_note=note)
        if not dry_run:  # an interrupted run has a report from its first second on
            write_report(run_dir(args["state_dir"], run_id), run_id, loaded,
                         read_events(journal_path(args["state_dir"], run_id)), provisional=True)
        result.update(changed=False, run_id=run_id, run_dir=run_dir(args["state_dir"], run_id), dry_run=dry_run,
                      interactive=controller_has_terminal(), lock_note=note, sha256=loaded["sha256"])
        return result

    def _op_open(self, args, result):
        """Reopen a past run to resume it or roll it back; its plan file must be unchanged."""
        if args["dry_run"] or self._task.check_mode:
            # a dry run would journal "planned" steps into the real run and hide what it changed
            raise ValueError("a dry run of %s is not available: the %s plan is shown before the approval prompt; "
                             "answer no there to stop — nothing was changed" % (args["purpose"], args["purpose"]))
        run_id = find_run(args["state_dir"], args["run_id"] or "last")
        path = journal_path(args["state_dir"], run_id)
        restored = restore_from_copy(path)  # a journal deleted or cut short under the run comes back whole
        state = run_state(read_events(path))
        started = state["started"]
        if started is None or started.get("dry_run"):
            raise ValueError("run %s %s" % (run_id, "is a dry run: nothing to %s" % args["purpose"]
                                            if started else "has no run_started event"))
        document = read_document(started["plan_path"])
        digest = plan_digest(document)
        if digest != started["sha256"]:
            raise ValueError("refused: the plan file %s changed since run %s (digest now %s, the run used %s); "
                             "nothing was changed" % (started["plan_path"], run_id, digest[:12], started["sha256"][:12]))
        lock = lock_path(args["state_dir"], started["account_id"], started["region"], started["plan_id"])
        note = acquire(lock, run_id, os.getppid(), args["force_unlock"])
        with Journal(path, run_id) as journal:
            if restored:
                journal.append("note", text=restored)
            journal.append("run_resumed", purpose=args["purpose"], lock_note=note)
        note = "; ".join(filter(None, [restored, note])) or None
        result.update(changed=False, run_id=run_id, run_dir=run_dir(args["state_dir"], run_id), dry_run=False,
                      interactive=controller_has_terminal(), lock_note=note, sha256=digest,
                      plan_path=started["plan_path"], done=done_steps(state),
                      rollback_steps=steps_to_roll_back(state), previous_status=(state["finished"] or {}).get("status"))
        return result

    def _op_release(self, args, result):
        """Leave a reopened run as it was (its report untouched) and give its lock back."""
        path = self._journal(args)
        started = run_state(read_events(path))["started"] or {}
        with Journal(path, args["run_id"]) as journal:
            journal.append("run_released", outcome=args["outcome"])
        if started:
            release(lock_path(args["state_dir"], started["account_id"], started["region"], started["plan_id"]),
                    args["run_id"])
        result["changed"] = False
        return result

    def _op_record(self, args, result):
        if not args["event"]:
            raise ValueError("event is required for op=record")
        with Journal(self._journal(args), args["run_id"]) as journal:
            fields = dict(args["data"])
            fields.pop("event", None)
            fields.pop("ts", None)
            journal.append(args["event"], **fields)
        result["changed"] = False
        return result

    def _op_approve(self, args, result):
        """Approval is a typed "yes" or a token that matches the digest this run started with."""
        path = self._journal(args)
        started = run_state(read_events(path))["started"]
        if started is None:
            raise ValueError("run %s has no journal" % args["run_id"])
        digest = started["sha256"]
        if args["token"]:
            approved, how = token_matches(args["token"], digest), "token"
        else:
            approved, how = (args["answer"] or "").strip().lower() == "yes", "prompt"
        with Journal(path, args["run_id"]) as journal:
            journal.append("approved" if approved else "not_approved", sha256=digest, how=how)
        result.update(changed=False, approved=approved)
        if not approved:
            reason = ("the approval token does not match the plan digest %s" % digest[:12] if how == "token"
                      else "not approved")
            return failed(result, "%s — no changes made" % reason)
        return result

    def _op_finish(self, args, result):
        path = self._journal(args)
        check_intact(path)  # a report is never rebuilt from a journal that lost events
        events = read_events(path)
        state = run_state(events)
        started = state["started"] or {}
        loaded = load_plan(started.get("plan_path") or args["plan"], args["plans_dir"], verify=False)
        dry_run = bool(started.get("dry_run"))
        folder = run_dir(args["state_dir"], args["run_id"])
        report, markdown = write_report(folder, args["run_id"], loaded, events, args["outcome"], dry_run)
        with Journal(path, args["run_id"]) as journal:
            journal.append("run_finished", status=report["status"])
        if not dry_run:
            append_changelog(args["state_dir"], report)
            plan = loaded["plan"]
            release(lock_path(args["state_dir"], plan["target"]["account_id"], plan["target"]["region"], plan["id"]),
                    args["run_id"])
        result.update(changed=False, report=report, report_text=markdown, status=report["status"],
                      report_dir=folder)
        return result
