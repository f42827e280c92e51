# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run leaves in the account, and what would undo it, for the report's rollback section.

A person reading "Needs manual clean-up" needs the command that undoes each step still in
effect, not the one that made it: its rollback calls as they would be sent with the values the
journal holds, or, for a step that has none, the command whose result is removed by hand.
"""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.run.drift import table_lines
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state, steps_to_roll_back


def rollback_summary(steps):
    """The rollback section of a report from its step rows: what was undone, what failed to be."""
    attempted = [s for s in steps if s["rollback"]]
    if not attempted:
        return {"status": "not_needed", "steps": [], "manual_cleanup": [], "undo": []}
    failed = [s for s in attempted if s["rollback"]["status"] == "failed"]
    manual, undo = [], []
    for step in failed:
        bad = [c for c in step["rollback"]["calls"] if c.get("status") == "failed"]
        held = _held_line(step)
        if held:  # left on purpose, or its calls named only what this run did not make: no command to offer
            undo.append({"step": step["id"], "calls": [], "left": held})
            manual.append("%s: %s" % (step["id"], held))
            continue
        if not step["rollback"]["calls"]:  # a step without rollback calls (run/undo.py)
            undo.append(_undo_entry(step, []))
            manual.append(_by_hand_line(step))
            continue
        undo.append(_undo_entry(step, [c["cli"] for c in bad]))
        manual.append("%s: %s" % (step["id"], step["rollback"].get("reason") or
                                  "; ".join("%s (%s)" % (c["cli"], c.get("error")) for c in bad)))
    planned = all(s["rollback"]["status"] == "planned" for s in attempted)
    status = "planned" if planned else ("incomplete" if failed else "succeeded")
    return {"status": status, "steps": [{"id": s["id"], **s["rollback"]} for s in attempted],
            "manual_cleanup": manual, "undo": undo}


def _held_line(step):
    """Why a step's rollback left it on purpose (drift, others' resources in it, the sweep could not undo what it
    found), or only refused calls naming what this run did not make; None for other failures."""
    rollback = step["rollback"]
    if rollback.get("left") or rollback.get("swept"):
        return rollback.get("reason")
    refused = [c for c in rollback["calls"] if c.get("status") == "left"]
    if refused and len(refused) == len([c for c in rollback["calls"] if c.get("status") != "done"]):
        return ("%s; what this step made was not found by the run's tags (coworker:run-id): check the account "
                "for it" % "; ".join(c["reason"] for c in refused))
    return None


def undo_notes(events):
    """What the report adds to its rollback section from the undo's own events: the resources an undo refused
    to touch (not this run's), what the last sweep found that names no step, and searches that failed."""
    notes = {"not_ours": [], "sweep": []}
    for event in events:
        if event["event"] == "undo_refused":
            line = "%s: `%s`: %s" % (event.get("step"), event.get("cli"), event.get("reason"))
            notes["not_ours"] += [line] if line not in notes["not_ours"] else []
        elif event["event"] == "sweep_left":
            notes["sweep"].append("%s: %s" % (event.get("resource"), event.get("reason")))
        elif event["event"] == "sweep_incomplete":
            notes["sweep"].append("the search by the run's tags failed (%s): resources the journal lost may be left" %
                                  ", ".join("%s: %s" % item for item in sorted((event.get("errors") or {}).items())))
    return notes


def last_drift(events):
    """The drift table the latest drift check showed (run/drift.py), or None."""
    event = next((e for e in reversed(events) if e["event"] == "drift_checked"), None)
    return None if event is None else {"at": event.get("ts"), "rows": event.get("rows") or [],
                                       "dependents": event.get("dependents") or []}


def undo_markdown(report):
    """The report's lines about drift, refused undos and the sweep (after its rollback section)."""
    lines, rollback = [], report["rollback"]
    if rollback.get("not_ours"):
        lines += ["", "Not made by this run, so not touched (no call was sent for these):"]
        lines += ["- %s" % line for line in rollback["not_ours"]]
    if rollback.get("sweep"):
        lines += ["", "Found by the run's tags and left:"] + ["- %s" % line for line in rollback["sweep"]]
    if report.get("drift") and report["drift"]["rows"]:
        lines += ["", "## Drift (checked %s)" % report["drift"]["at"], "", "```"]
        lines += table_lines(report["drift"]["rows"], report["drift"]["dependents"]) + ["```"]
    return lines


def _undo_entry(step, calls):
    """How to undo a step still in effect: its rollback calls as they would be sent with the values the
    journal holds, or, for a step without any, the command whose result is to be removed by hand."""
    entry = {"step": step["id"], "calls": calls}
    if not calls:
        entry["by_hand"] = step["cli"]
    return entry


def _outputs(outputs):
    return " (outputs: %s)" % json.dumps(outputs, sort_keys=True) if outputs else ""


def by_hand_line(step_id, cli, outputs=None):
    """The clean-up line of a step without rollback calls: the command as it was sent, and what it returned.

    The rollback pass prints it and the report lists it: both from the journal, so they say the same.
    """
    return "%s: no rollback calls: clean up by hand what `%s` made%s" % (step_id, cli, _outputs(outputs))


def _by_hand_line(step):
    return by_hand_line(step["id"], step["cli"], step["outputs"])


def undone_with(other):
    """What undoes a step without rollback calls: the rollback of the step named, or a person."""
    return "(undone with the rollback of %s)" % other if other else "(no rollback calls: needs manual clean-up)"


def _cleanup_line(step, entry):
    if not entry["calls"] and step.get("undone_by"):
        return "%s: goes with %s: undo that step and this one is undone too" % (step["id"], step["undone_by"])
    if not entry["calls"]:
        return _by_hand_line(step)
    return "%s: may have changed the account and was not rolled back; undo it with %s%s" % (
        step["id"], " then ".join("`%s`" % c for c in entry["calls"]), _outputs(step["outputs"]))


def account_facts(status, rollback, steps, events, undo_of):
    """Correct the status with what may still exist: changed (or possibly changed) and not undone.

    A rollback that was refused (no answer from AWS, a guard refusal) or failed leaves no
    rollback events for those steps; the journal still says they may have changed something,
    so the rollback is never "not_needed" and the run never "rolled_back" while they remain.
    What is left is listed last step first, the order to undo it in, each with what undoes it
    (``undo_of(step ids)`` gives the rollback commands as they would be sent now).
    """
    twins = [e for e in events if e["event"] == "twin_left"]
    if status == "dry_run":
        return status
    # after a success what the steps made is meant to stay; only a twin is left behind
    left_ids = set() if status == "succeeded" else set(steps_to_roll_back(run_state(events)))
    left = [s for s in steps if s["id"] in left_ids]
    if not left and not twins:
        return status
    if rollback["status"] in ("not_needed", "succeeded"):
        rollback["status"] = "not_done" if rollback["status"] == "not_needed" else "incomplete"
    rollback["left"] = [s["id"] for s in left]
    # a step whose rollback failed is listed above with the calls that failed
    pending = [s for s in reversed(left) if not (s["rollback"] and s["rollback"]["status"] == "failed")]
    calls = undo_of([s["id"] for s in pending])
    entries = [_undo_entry(s, calls.get(s["id"], [])) for s in pending]
    rollback["undo"] += entries
    rollback["manual_cleanup"] += [_cleanup_line(s, e) for s, e in zip(pending, entries)]
    rollback["manual_cleanup"] += ["%s: a second resource made by a retried create (tagged coworker:run-id, "
                                   "coworker:step-id=%s) was not removed: %s" % (
                                       e["step"], e["step"], e.get("reason") or "outputs %s" % json.dumps(
                                           e.get("outputs"), sort_keys=True)) for e in twins]
    return "partial" if status == "rolled_back" else status
