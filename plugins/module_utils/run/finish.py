# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a run ends, whichever task ends it: report, change log, lock, the one closing line, the exit.

Finish ends every run that reached its Run task; Verify (a refusal) and Approve (no approval) end the
others with the same function, so that every end writes the same report from the journal and says
the same kind of closing line. A reopened run (a resume or a rollback run) that is refused or not
approved is ``release``d instead: its lock is given back and its report is left as it was.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run import decide, integrity
from ansible_collections.coworker.aws.plugins.module_utils.run.followup import closing_line
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state, steps_to_roll_back
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import lock_key, release
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path
from ansible_collections.coworker.aws.plugins.module_utils.run.report import (
    append_changelog, build_report, report_keys, write_report)

REOPENED_ENDINGS = {"refused": "REFUSED", "not_approved": "NOT APPROVED"}


def _this_pass(events):
    """The events of the run's latest pass (since its run_started or its latest run_resumed)."""
    start = 0
    for number, event in enumerate(events):
        if event["event"] in ("run_started", "run_resumed"):
            start = number
    return events[start:]


def pass_outcome(events):
    """How the Run task ended the latest pass, as it journaled it: its last ``outcome`` event that ended the pass
    (``final``), or None while the pass goes on."""
    ends = [e for e in _this_pass(events) if e["event"] == "outcome" and e.get("final", True)]
    return ends[-1] if ends else None


def last_choice(events):
    """The latest decision of the latest pass (retry, skip, rollback, pause, ...), or None."""
    choices = [e.get("choice") for e in _this_pass(events) if e["event"] == "decision"]
    return choices[-1] if choices else None


def _release(backend, started, run_id, keeper):
    """The lock back; the heartbeat that renews it (``keeper``: plugin_utils/lock_keeper.py) is stopped first."""
    key = lock_key(started["account_id"], started["region"], started["plan_id"])
    if keeper is not None:
        keeper.drop(backend, key)  # else it would only find the lock gone
    release(backend, key, run_id)


def finish_run(backend, run_id, outcome="auto", by_person=False, warn_only=False, rollback_run=False,
               plan_fallback=None, commands=None, keeper=None):
    """Write the final report of ``run_id`` (its latest pass), the change log entry, give the lock back.

    ``commands``: the resume and rollback commands as this invocation would print them (default: those the
    run recorded when it started). Returns what the Finish task returns (see ``run_journal``'s RETURN).
    """
    events = integrity.check(backend, run_id)[0]  # a report is never rebuilt from a journal that lost events
    if outcome == "auto":  # what the Run task journaled
        ended = pass_outcome(events) or {}
        outcome, by_person = ended.get("outcome") or "auto", bool(ended.get("by_person"))
    rollback_run = rollback_run or outcome == "rollback"
    state = run_state(events)
    started = state["started"] or {}
    loaded = load_plan(run_plan_path(started, plan_fallback, backend), None, verify=False,
                       target=started.get("target"))
    dry_run = bool(started.get("dry_run"))
    if build_report(run_id, loaded, events, outcome, dry_run)["status"] == "succeeded":
        skipped = [s for s, e in state["steps"].items() if e["status"] == "skipped"]
        outcome = decide.finish_outcome(outcome, skipped)
    report, _markdown = write_report(backend, run_id, loaded, events, outcome, dry_run)
    report_json, report_md = (backend.location(key) for key in report_keys(run_id, events))
    with backend.journal(run_id) as journal:
        journal.append("run_finished", status=report["status"])
    integrity.record_head(backend, run_id, journal.head, pass_open=False)  # the pass ended here: nothing follows
    if not dry_run:
        append_changelog(backend, report)
        _release(backend, started, run_id, keeper)
    commands = commands or started.get("commands") or {}
    summary = decide.summary_line(report, rollback_run)
    left = bool(steps_to_roll_back(state))
    return {"report": report, "status": report["status"], "report_dir": backend.run_location(run_id),
            "report_md": report_md, "report_json": report_json, "commands": commands, "summary": summary,
            "closing": closing_line(summary, report["status"], commands, dry_run, left),
            "ends_in_error": decide.ends_in_error(report["status"], rollback_run, report["would_fail"], warn_only),
            "by_person": by_person}


def release_run(backend, run_id, outcome, commands=None, keeper=None):
    """A reopened run that goes no further (refused, not approved): lock given back, report left as it was."""
    started = run_state(backend.events(run_id))["started"] or {}
    with backend.journal(run_id) as journal:
        journal.append("run_released", outcome=outcome)
    integrity.record_head(backend, run_id, journal.head, pass_open=False)  # the pass ended here: nothing follows
    if started:
        _release(backend, started, run_id, keeper)
    events = backend.events(run_id)
    report_json, report_md = (backend.location(key) for key in report_keys(run_id, events))
    summary = "Run %s: %s — nothing was changed; the run is left as it was" % (
        run_id, REOPENED_ENDINGS.get(outcome, outcome.upper()))
    return {"status": outcome, "report_dir": backend.run_location(run_id), "report_md": report_md,
            "report_json": report_json, "commands": commands or started.get("commands") or {}, "summary": summary,
            "closing": summary, "ends_in_error": True, "by_person": False}


def end_run(backend, run_id, outcome, reopened, commands=None, keeper=None):
    """Verify's and Approve's end of a run that goes no further: finish it, or release a reopened one."""
    if reopened:
        return release_run(backend, run_id, outcome, commands, keeper)
    return finish_run(backend, run_id, outcome, commands=commands, keeper=keeper)


def run_stats(run_id, finished):
    """The run's statistics for AWX and ansible-runner (``ansible_stats`` of the Finish task)."""
    report = finished["report"]
    return {"data": {"coworker_aws_run": {
        "run_id": run_id, "status": finished["status"], "steps_completed": report["steps_completed"],
        "steps_total": report["steps_total"], "report_md": finished["report_md"],
        "report_json": finished["report_json"], "journal": "%s/journal.jsonl" % finished["report_dir"],
        "outputs": {step["id"]: step["outputs"] for step in report["steps"]},
        "approval": (report.get("approval") or {}).get("text") or "not approved",
        "resume": finished["commands"].get("resume"), "rollback": finished["commands"].get("rollback")}},
        "per_host": False, "aggregate": True}
