# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the completion report, its Markdown form and the change-log entry from the journal."""

from __future__ import annotations

import json
from datetime import datetime

from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import unsigned_text
from ansible_collections.coworker.aws.plugins.module_utils.guard.grants import grant_lines
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import head_of
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import JournalLost, run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.leftovers import (
    account_facts, last_drift, rollback_summary, undo_markdown, undo_notes)
from ansible_collections.coworker.aws.plugins.module_utils.run.passes import FIRST, pass_label, report_name
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import rollback_lines

STEP_EVENTS = {"step_succeeded": "succeeded", "step_failed": "failed", "step_skipped": "skipped",
               "step_planned": "planned", "rollback_succeeded": "rolled_back"}
FORCED = {"refused": "refused", "not_approved": "not_approved", "aborted": "aborted", "paused": "partial",
          "interrupted": "aborted"}


def _steps(plan_steps, events):
    rows = {s["id"]: {"id": s["id"], "phase": s["phase"], "index": s["index"],
                      "cli": s["call"].get("cli") or "%s:%s" % (s["call"]["service"], s["call"]["operation"]),
                      "action": "%s:%s" % (s["call"]["service"], s["call"]["operation"]),
                      "status": "not_run", "validation": "not_run", "retries": 0, "retries_chosen": 0, "error": None,
                      "before": None, "after": None, "outputs": {}, "rollback": None,
                      "undone_by": s.get("undone_by")} for s in plan_steps}
    for event in events:
        row = rows.get(event.get("step"))
        if row is None:
            continue
        kind = event["event"]
        if kind in ("call_started", "step_planned") and event.get("cli"):
            row["cli"] = event["cli"]  # the resolved call, as sent (or as it would be)
        if kind == "call_started":
            # a new attempt (a retry, or a resume after a rollback): the row tells what the last pass did
            row.update(status="started", rollback=None, error=None)
        if kind == "decision" and event.get("choice") == "retry":
            row["retries_chosen"] += 1  # a retry the person chose at "What now?"
        if kind == "step_planned" and event.get("before") is not None:
            row["before"] = event["before"]
        if kind == "step_planned":  # what a dry run predicts (see run/dry_run.py)
            row.update({key: event[key] for key in ("prediction", "would_fail", "waits_for") if key in event})
        if kind in STEP_EVENTS:
            row["status"] = STEP_EVENTS[kind]
        if kind == "validation":
            row["validation"] = event.get("status")
        if kind in ("step_succeeded", "step_failed"):
            for key in ("before", "after", "outputs"):
                if event.get(key) is not None:
                    row[key] = event[key]
            # every botocore retry of the step: its call's and its reads' (describe, validate)
            row["retries"] = (event.get("retries") or 0) + (event.get("read_retries") or 0)
            row["error"] = event.get("error")
        if kind in ("rollback_succeeded", "rollback_failed", "rollback_planned"):
            row["rollback"] = {"status": kind.replace("rollback_", ""), "calls": event.get("calls", []),
                               "reason": event.get("reason")}
            row["rollback"].update({k: event[k] for k in ("left", "swept") if event.get(k)})
    for row in rows.values():
        if row["status"] == "started":
            row["status"] = "in_flight"  # sent, and the step has no outcome: treated as possibly done
            row["error"] = row["error"] or {"kind": "interrupted", "text": "the run stopped while this call was "
                                            "in flight; it may or may not have taken effect"}
    return [rows[s["id"]] for s in plan_steps]


def overall_status(outcome, dry_run, steps, rollback):
    if outcome == "rollback":  # a rollback run: done when nothing is left to undo
        return "rolled_back" if rollback["status"] in ("succeeded", "not_needed") else (
            "dry_run" if dry_run else "partial")
    if outcome in FORCED and not (dry_run and outcome == "aborted"):
        return FORCED[outcome]
    if dry_run:
        return "dry_run"
    if rollback["status"] == "succeeded":
        return "rolled_back"
    if rollback["status"] == "incomplete":
        return "partial"
    if any(s["status"] in ("failed", "in_flight") for s in steps):
        return "failed"
    if all(s["status"] in ("succeeded", "skipped") for s in steps):
        return "succeeded"
    return "partial"


def _next_steps(status, run_id, left, commands=None):
    """What to do next; ``commands`` are the follow-up commands recorded when the run started (the
    playbook as the person ran it, with their options), so they work as printed."""
    if status in ("succeeded", "dry_run", "rolled_back"):
        return [] if status != "dry_run" else ["run again without --check / dry_run to execute"]
    if status in ("refused", "not_approved") and not left:
        return ["nothing was changed"]
    commands = commands or {
        "rollback": "ansible-playbook playbooks/rollback_run.yml -e run=%s" % run_id,
        "resume": "ansible-playbook playbooks/execute_nonprod.yml -e resume=%s" % run_id}
    if not left:
        return []
    return ["roll back what this run changed: %s" % commands["rollback"], "or continue it: %s" % commands["resume"]]


def build_report(run_id, plan_info, events, outcome="auto", dry_run=False):
    """The report dict (report.json) for a run."""
    started = next((e for e in events if e["event"] == "run_started"), {})
    env = next((e for e in reversed(events) if e["event"] in ("environment_verified", "guard_passed", "refused")
                and e.get("account")), {})
    refusal = next((e.get("reason") for e in reversed(events) if e["event"] == "refused"), None)
    plan = plan_info["plan"]
    steps = _steps(plan["steps"], events)
    rollback = rollback_summary(steps)

    def undo_of(step_ids):
        return rollback_lines(plan, run_id, run_state(events), step_ids, started.get("profile")) if step_ids else {}

    status = account_facts(overall_status(outcome, dry_run, steps, rollback), rollback, steps, events, undo_of)
    rollback.update({key: value for key, value in undo_notes(events).items() if value})
    left = [s["id"] for s in steps if s["status"] in ("succeeded", "failed", "in_flight") and s["rollback"] is None]
    finished = events[-1]["ts"] if events else None
    return {
        "run_id": run_id, "status": status, "dry_run": dry_run,
        "plan": {"id": plan["id"], "name": plan["name"], "path": plan_info["path"], "sha256": plan_info["sha256"],
                 "created": plan["created"], "approval": _claimed_approval(plan.get("approval")),
                 "guardrail": plan["guardrail"]["status"]},
        "account_id": env.get("account") or started.get("account_id"),
        "environment": env.get("environment") or plan["target"]["environment"],
        "region": plan["target"]["region"], "profile": started.get("profile"),
        "executor_arn": env.get("arn"), "started_at": started.get("ts"), "finished_at": finished,
        "duration_s": _duration(started.get("ts"), finished),
        "steps_total": len(steps), "steps_completed": sum(1 for s in steps if s["status"] == "succeeded"),
        "steps": steps, "rollback": rollback,
        "resources": [{"step": s["id"], "action": s["action"], "cli": s["cli"], "result": s["status"],
                       "before": s["before"], "after": s["after"]} for s in steps if s["status"] != "not_run"],
        "validation": {s["id"]: s["validation"] for s in steps},
        "next_steps": _next_steps(status, run_id, left, started.get("commands")),
        "refusal": refusal,
        "would_fail": [s["id"] for s in steps if s.get("would_fail")] if dry_run else [],
        "written_by": pass_label(events),
        "approval": _recorded_approval(events),
        "drift": last_drift(events),
        "cross_account_grants": (plan_info.get("blast_radius") or {}).get("cross_account_grants") or [],
    }


def _claimed_approval(approval):
    """The plan's approval block as written, each signature reduced to who claims to have signed and when."""
    if not isinstance(approval, dict):
        return approval
    claimed = dict(approval)
    if isinstance(approval.get("signatures"), list):
        claimed["signatures"] = [{key: entry.get(key) for key in ("principal", "signed_at")}
                                 for entry in approval["signatures"] if isinstance(entry, dict)]
    return claimed


def _recorded_approval(events):
    """How this pass was approved and who signed, as the journal's approval event says (None: not approved);
    ``text`` says it in one line, as the review did."""
    event = next((e for e in reversed(events) if e["event"] == "approved"), None)
    if event is None:
        return None
    approval = {"how": event.get("how"), "at": event.get("ts"), "signature": event.get("signature") or "not recorded",
                "signers": event.get("signers") or []}
    approval.update({key: event[key] for key in ("claimed", "approved_by") if event.get(key)})
    return dict(approval, text=_signed_text(approval))


def _signed_text(approval):
    if approval["signers"]:
        return "signed by %s" % ", ".join("%s (key %s, signed %s)" % (s["principal"], s["fingerprint"], s["signed_at"])
                                          for s in approval["signers"])
    if approval.get("claimed"):
        return "signatures not verified (claimed by %s)" % ", ".join(approval["claimed"])
    if approval["signature"] == "unsigned":
        return unsigned_text(approval.get("approved_by"))
    return approval["signature"]


def _approval_line(approval):
    if not approval:
        return []
    how = {"prompt": "a typed yes", "token": "the approval token"}.get(approval["how"], approval["how"])
    return ["- Approval: %s at %s; %s" % (how, approval["at"], approval.get("text") or _signed_text(approval))]


def _duration(start, end):
    try:
        return round((_ts(end) - _ts(start)).total_seconds(), 3)
    except (TypeError, ValueError):
        return None


def _ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def _dry_run_lines(steps):
    """What the dry run predicts, step by step; the steps the real run would fail at come first."""
    said = [s for s in steps if s.get("prediction") or s.get("waits_for")]
    if not said:
        return []
    failing = [s for s in said if s.get("would_fail")]
    lines = ["## Dry run: what a real run would do", ""]
    if failing:
        lines += ["A real run would fail at: %s." % ", ".join(s["id"] for s in failing), ""]
    for s in said:
        what = ("would run after %s (needs its output)" % ", ".join(s["waits_for"]) if s.get("waits_for")
                else s["prediction"])
        lines.append("- %s: %s" % (s["id"], what))
    return lines + [""]


def render_markdown(report):
    # an error's explanation keeps its lines; everything else is one line a field
    error_texts = {s["id"]: printable((s["error"] or {}).get("text", ""), multiline=True).replace("\n", "\n  ")
                   for s in report["steps"] if s["error"]}
    report = printable(report)  # plan text and AWS output: no terminal control in a file people cat
    lines = ["# Run %s: %s" % (report["run_id"], report["status"].upper().replace("_", " ")), "",
             "- Plan: %s (%s), digest %s" % (report["plan"]["name"], report["plan"]["id"], report["plan"]["sha256"]),
             "- Account: %s (%s), region %s, profile %s" % (report["account_id"], report["environment"],
                                                            report["region"], report["profile"] or "default"),
             "- Executor: %s" % (report["executor_arn"] or "unknown")]
    lines += _approval_line(report.get("approval"))
    lines += ["- Duration: %s s" % report["duration_s"],
              "- Steps completed: %d/%d" % (report["steps_completed"], report["steps_total"])]
    head = report.get("journal_head")
    if head:
        lines.append("- Journal: %d events, chain head %s" % (head["events"], head["sha256"]))
    lines.append("")
    if report.get("written_by"):
        lines[-1:-1] = ["- Written by: %s of this run (what the run said before it is in %s.md and the other "
                        "reports beside this one, unchanged)" % (report["written_by"], FIRST)]
    if report.get("refusal"):
        lines += ["## Refused", "", report["refusal"], ""]
    if report.get("cross_account_grants"):
        lines += ["## Cross-account grants", ""] + grant_lines(report["account_id"], report["cross_account_grants"]) \
            + [""]
    if report.get("dry_run"):
        lines += _dry_run_lines(report["steps"])
    lines += ["## Steps", "", "| # | step | phase | status | validation | retries | command |",
              "|---|---|---|---|---|---|---|"]
    for s in report["steps"]:
        retries = "%s (+%d chosen)" % (s["retries"], s["retries_chosen"]) if s.get("retries_chosen") else s["retries"]
        lines.append("| %d | %s | %s | %s | %s | %s | `%s` |" % (s["index"], s["id"], s["phase"], s["status"],
                                                                 s["validation"], retries, s["cli"]))
    lines += ["", "## Resources", ""]
    for r in report["resources"]:
        lines.append("- %s `%s`: %s; before: %s; after: %s" % (r["step"], r["action"], r["result"],
                                                               _short(r["before"]), _short(r["after"])))
    errors = [s for s in report["steps"] if s["error"]]
    if errors:
        lines += ["", "## Errors", ""] + ["- %s: %s" % (s["id"], error_texts.get(s["id"], "")) for s in errors]
    rb = report["rollback"]
    lines += ["", "## Rollback: %s" % rb["status"], ""]
    for s in rb["steps"]:
        swept = " (found by the run's tags: %s)" % s["swept"] if s.get("swept") else ""
        calls = ", ".join("`%s` %s" % (c.get("cli"), c.get("status")) for c in s.get("calls", []))
        lines.append("- %s: %s%s %s" % (s["id"], s["status"], swept, calls or "(%s)" % (s.get("reason") or "no calls")))
    if rb["manual_cleanup"]:
        lines += ["", "Needs manual clean-up:"] + ["- %s" % m for m in rb["manual_cleanup"]]
    lines += undo_markdown(report)
    if report["next_steps"]:
        lines += ["", "## Next steps", ""] + ["- %s" % n for n in report["next_steps"]]
    return "\n".join(lines) + "\n"


def _short(value):
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def changelog_entry(report):
    report = printable(report)
    touched = [r for r in report["resources"] if r["result"] not in ("planned", "not_run")]
    lines = ["## %s %s: %s" % (report["finished_at"] or "", report["plan"]["id"], report["status"]), "",
             "- Plan: %s (digest %s)" % (report["plan"]["name"], report["plan"]["sha256"][:12]),
             "- Run: %s" % report["run_id"],
             "- Executor: %s (profile %s)" % (report["executor_arn"] or "unknown", report["profile"] or "default"),
             "- Account: %s (%s), region %s" % (report["account_id"], report["environment"], report["region"]),
             "- Resources:"]
    lines += ["  - %s `%s`: %s" % (r["step"], r["cli"], r["result"]) for r in touched] or ["  - none"]
    return "\n".join(lines) + "\n\n"


def _write(backend, key, text):
    backend.put(key, text.encode("utf-8"))


PROVISIONAL_NOTE = ("written while the run was in progress: if the run was interrupted (Ctrl-C, a crash), this is "
                    "its last known state and the journal beside it has every call")


def _refuse_shorter_history(backend, key, count):
    """A report is never rebuilt from fewer journal events than the one it would replace."""
    try:
        had = json.loads((backend.get(key) or b"{}").decode("utf-8")).get("journal_events") or 0
    except (OSError, ValueError, AttributeError):
        return
    if had > count:
        raise JournalLost("not rewriting %s: it was built from %d journal events and the journal now has %d; "
                          "the journal lost events (resuming or rolling back the run restores it from its copy)"
                          % (backend.location(key), had, count))


def report_keys(run_id, events):
    """(json, md) backend keys of the report the run's latest pass writes (see run/passes.py)."""
    name = report_name(events)
    return "runs/%s/%s.json" % (run_id, name), "runs/%s/%s.md" % (run_id, name)


def write_report(backend, run_id, plan_info, events, outcome="auto", dry_run=False, provisional=False):
    """Write report.json and report.md (or this pass's own pair) beside the run's journal (any backend).

    Returns (report, markdown)."""
    json_key, md_key = report_keys(run_id, events)
    _refuse_shorter_history(backend, json_key, len(events))
    report = build_report(run_id, plan_info, events, "interrupted" if provisional else outcome, dry_run)
    report["journal_events"] = len(events)
    report["journal_head"] = head_of(events)  # one of the places the chain's head is kept (run/integrity.py)
    if provisional:
        report.update(provisional=True, note=PROVISIONAL_NOTE)
        started = next((e for e in events if e["event"] == "run_started"), {})
        report["next_steps"] = _next_steps("aborted", run_id, True, started.get("commands"))
    markdown = render_markdown(report)
    if provisional:
        markdown += "\n_%s._\n" % PROVISIONAL_NOTE
    _write(backend, json_key, json.dumps(report, indent=2, sort_keys=True, default=str))
    _write(backend, md_key, markdown)
    return report, markdown


def append_changelog(backend, report):
    backend.append("changelog.md", changelog_entry(report).encode("utf-8"))
