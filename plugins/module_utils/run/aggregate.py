# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One report for a wave: every target's run of one plan, a status table and a rollup.

Each target of a ``targets:`` plan runs as its own run, ``<wave id>-<target key>``
(journal, lock, report and rollback of its own). This module reads those runs' reports
(each run's latest pass: the run, a resume or a rollback) and writes
``waves/<wave id>/report.json`` and ``report.md`` beside them, through the run's state backend
(so a wave kept in S3 is reported in S3): one row per target and
the progress line ``targets: 12 done, 0 running, 0 failed, 0 waiting``. A target
without a journal never started (the wave stopped before it).

A wave may run only some of its plan's targets (an inventory of plan targets sliced by AWX, or
``--limit``): its first report records the wave's own ``targets`` (keys), and every later report,
resume and rollback of that wave covers exactly those; a target of the plan outside the wave is
not a row of it. A later pass that names a different selection is refused.

A wave is a pass too: its resume or rollback writes ``report-resume-N`` or
``report-rollback-N`` beside the wave's first report, never over it, and records each
target's number of run passes when it began, so that only failures of this pass count
against ``max_errors``.
"""

from __future__ import annotations

import json
import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import RUN_ID_RE
from ansible_collections.coworker.aws.plugins.module_utils.run.passes import FIRST, report_names
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import check_shown, read_plan_bytes, store_copy

DONE = ("succeeded",)
RUNNING = "running"
WAITING = "not_started"
ROLLED_BACK = "rolled_back"
STOPPED = "aborted"  # a person stopped the run at a checkpoint (or it was interrupted): resumable
PURPOSES = ("run", "resume", "rollback")
PASS_NAME_RE = re.compile(r"^report(-(resume|rollback)-[1-9][0-9]{0,5})?$")


def target_run_id(wave_id, key):
    """The run id of one target of a wave: the one place where it is chosen."""
    run_id = "%s-%s" % (wave_id, key)
    if not RUN_ID_RE.match(run_id):
        raise RunError("invalid wave id %r" % (wave_id,))
    return run_id


def _pass_status(backend, key):
    data = backend.get(key)
    if data is None:
        return RUNNING, None  # the pass is open (or was killed before it wrote its report)
    report = json.loads(data.decode("utf-8"))
    return (RUNNING if report.get("provisional") else report.get("status")), report


def _row(backend, wave_id, target):
    run_id = target_run_id(wave_id, target["key"])
    row = {"target": target["key"], "account_id": target["account_id"], "region": target["region"],
           "environment": target["environment"], "run_id": run_id, "status": WAITING, "history": [],
           "steps_completed": 0, "steps_total": None, "report": None}
    events = backend.events(run_id)
    if not events:
        return row
    row["stopped_by_person"] = _stopped_at_checkpoint(events)
    report = None
    for name in report_names(events):
        key = "runs/%s/%s.json" % (run_id, name)
        status, report = _pass_status(backend, key)
        row["history"].append(status)
        row["report"] = backend.location(key)
    row["status"] = row["history"][-1]
    if report is not None:
        row.update(steps_completed=report.get("steps_completed", 0), steps_total=report.get("steps_total"),
                   rollback=(report.get("rollback") or {}).get("status"))
    return row


def _stopped_at_checkpoint(events):
    """The latest pass of the run ended at a wave checkpoint where a person said something other than yes."""
    start = max((n for n, e in enumerate(events) if e["event"] in ("run_started", "run_resumed")), default=0)
    return any(e["event"] == "checkpoint" and e.get("wave") and str(e.get("answer") or "").strip().lower() != "yes"
               for e in events[start:])


def note(row, all_or_nothing=False):
    """What happened to a target, in words: which rolled-back targets had failed and which were done."""
    if row["status"] != ROLLED_BACK:
        return ""
    if any(status in DONE for status in row["history"][:-1]):
        return "done, then rolled back" + (" (all or nothing)" if all_or_nothing else "")
    return "failed, rolled back"


def rollup(rows, baseline=None, purpose="run"):
    """Counts by phase of the wave and by status, the one progress line, and the failures of this pass
    (targets whose run gained a pass since ``baseline``, {target: passes when the wave's pass began}).
    A target a person stopped at a checkpoint (``aborted``) is stopped, not failed: it can be resumed.
    A rollback pass counts what it is there for: targets rolled back, and those not (yet)."""
    done = sum(1 for r in rows if r["status"] in DONE)
    running = sum(1 for r in rows if r["status"] == RUNNING)
    waiting = sum(1 for r in rows if r["status"] == WAITING)
    rolled_back = sum(1 for r in rows if r["status"] == ROLLED_BACK)
    stopped = sum(1 for r in rows if r["status"] == STOPPED)
    failed = len(rows) - done - running - waiting - stopped
    baseline = baseline or {}
    failed_in_pass = sum(1 for r in rows if r["status"] not in DONE + (RUNNING, WAITING, STOPPED)
                         and len(r["history"]) > baseline.get(r["target"], 0))
    by_status = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    counts = {"targets": len(rows), "done": done, "running": running, "failed": failed, "waiting": waiting,
              "rolled_back": rolled_back, "stopped": stopped, "failed_in_pass": failed_in_pass,
              "by_status": dict(sorted(by_status.items()))}
    if purpose == "rollback":
        left = len(rows) - rolled_back - running - waiting
        counts["status"] = "running" if running else "failed" if left else "rolled_back"
        counts["progress"] = "targets: %d rolled back, %d running, %d not rolled back, %d never started" % (
            rolled_back, running, left, waiting)
        return counts
    counts["status"] = ("succeeded" if done == len(rows) else "running" if running else "failed" if failed
                        else "stopped" if stopped else "partial")
    counts["progress"] = "targets: %d done, %d running, %d failed%s%s, %d waiting" % (
        done, running, failed, " (%d rolled back)" % rolled_back if rolled_back else "",
        ", %d stopped" % stopped if stopped else "", waiting)
    return counts


def next_action(row, purpose):
    """What a pass of the wave does with one target: start, resume, rollback or skip."""
    if purpose == "rollback":
        return "skip" if row["status"] in (WAITING, ROLLED_BACK) else "rollback"
    if purpose == "resume":
        return "skip" if row["status"] in DONE else "start" if row["status"] == WAITING else "resume"
    return "start"


def render_markdown(report):
    title = report["rollup"]["status"].upper()
    if report["report_name"] != FIRST:
        title += " (%s)" % report["report_name"][len(FIRST) + 1:].replace("-", " ")
    lines = ["# Wave %s: %s" % (report["wave_id"], title), "",
             "- Plan: %s (%s), digest %s" % (printable(report["plan_id"]), printable(report["plan_path"]), report["sha256"]),
             "- %s" % report["rollup"]["progress"]]
    if len(report["rows"]) < report.get("plan_targets", 0):
        lines.append("- This wave runs %d of the plan's %d targets (a slice of an inventory of its targets); the others "
                     "are not part of it" % (len(report["rows"]), report["plan_targets"]))
    if report.get("all_or_nothing"):
        lines.append("- All or nothing: when a target failed, the targets already done were rolled back too")
    lines += ["", "| # | target | environment | status | steps | run | passes | note |", "|---|---|---|---|---|---|---|---|"]
    for number, row in enumerate(report["rows"], start=1):
        steps = "%s/%s" % (row["steps_completed"], row["steps_total"] if row["steps_total"] is not None else "?")
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
            number, row["target"], row["environment"], row["status"], steps, row["run_id"],
            " > ".join(row["history"]) or "-", row["note"]))
    lines += ["", "Each target's own report: runs/<run>/report.md in the state backend (and a "
              "report-resume-N or report-rollback-N for each later pass of that run)."]
    return "\n".join(lines) + "\n"


def wave_targets(loaded, first, selected):
    """The plan's targets that make up the wave: those its first report recorded (every target of the plan for a
    wave recorded before waves could be sliced), or for a new wave ``selected`` (keys; None means all).

    Keys that are not targets of the plan, or a selection that is not the recorded wave, are refused."""
    targets = loaded["plan"]["targets"]
    keys = [t["key"] for t in targets]
    recorded = first.get("targets") if first else None
    if selected is not None:
        unknown = [k for k in selected if k not in keys]
        if unknown:
            raise RunError("refused, nothing was changed: %s %s not a target of plan %s (%s); its targets: %s"
                           % (", ".join(printable(k) for k in unknown), "is" if len(unknown) == 1 else "are",
                              printable(loaded["plan"]["id"]), loaded["path"], ", ".join(keys)))
        if not selected:
            raise RunError("refused, nothing was changed: no target of plan %s is selected" % printable(loaded["plan"]["id"]))
        if first and set(selected) != set(recorded if recorded is not None else keys):
            raise RunError("refused, nothing was changed: this wave ran %s, but the inventory selects %s; a wave "
                           "keeps its targets (select the same hosts, or run without the plan_targets inventory)"
                           % (", ".join(recorded if recorded is not None else keys), ", ".join(selected)))
    chosen = set(recorded if recorded is not None else selected if selected is not None else keys)
    return [t for t in targets if t["key"] in chosen]


def wave_folder(wave_id):
    """The wave's folder key in the state backend (``waves/<wave id>/``)."""
    if not isinstance(wave_id, str) or not RUN_ID_RE.match(wave_id):
        raise RunError("invalid wave id %r" % (wave_id,))
    return "waves/%s/" % wave_id


def read_pass(backend, wave_id, name=FIRST):
    """A pass report of a wave as written, or None."""
    data = backend.get(wave_folder(wave_id) + name + ".json")
    return None if data is None else json.loads(data.decode("utf-8"))


def begin_pass(backend, wave_id, purpose):
    """The report name of a new pass of the wave; a new wave may not reuse the id of an existing one."""
    if purpose not in PURPOSES:
        raise RunError("purpose must be one of %s" % ", ".join(PURPOSES))
    first = read_pass(backend, wave_id)
    where = backend.location(wave_folder(wave_id).rstrip("/"))
    if purpose == "run":
        if first is not None:
            raise RunError("wave %s already exists under %s: resume it (execute_targets.yml -e resume=%s), roll it "
                           "back (rollback_run.yml -e wave=%s) or choose another wave_id; nothing was changed"
                           % (wave_id, where, wave_id, wave_id))
        return FIRST
    if first is None:
        raise RunError("no wave %r (its report %s/report.json is missing); nothing was changed" % (wave_id, where))
    number = 1
    while read_pass(backend, wave_id, "%s-%s-%d" % (FIRST, purpose, number)) is not None:
        number += 1
    return "%s-%s-%d" % (FIRST, purpose, number)


def store_plan(backend, wave_id, path, shown):
    """Keep the plan bytes the wave was approved on (digest ``shown``) in the wave's folder; return the key.

    Every target's run, and every later pass of the wave from any machine, reads this copy: not the
    user's file, which may have moved or changed since.
    """
    raw, _document, digest = read_plan_bytes(path)
    check_shown(path, digest, shown)
    return store_copy(backend, None, path, raw, folder=wave_folder(wave_id))[0]


def plan_copy_path(backend, wave_id, first):
    """The wave's copy of its plan on this machine (fetched from a shared backend), refused when it is missing."""
    key = first.get("plan_copy_key")
    path = backend.local_file(key) if key else None
    if path is None:
        raise RunError("the approved copy of the plan of wave %s is missing (%s): refused, nothing was changed"
                       % (wave_id, backend.location(key or wave_folder(wave_id) + "approved-plan.yml")))
    return path


def wave_report(backend, wave_id, loaded, write=True, report_name=FIRST, purpose="run", all_or_nothing=False,
                plan_copy_key=None, selected=None):
    """Build (and write, through ``backend``) the report of one pass of the wave from its targets' runs
    (the wave's own targets, see ``wave_targets``)."""
    folder = wave_folder(wave_id)
    if not PASS_NAME_RE.match(report_name or ""):
        raise RunError("invalid report name %r (report, report-resume-N or report-rollback-N)" % (report_name,))
    earlier = read_pass(backend, wave_id, report_name) or {}
    first = earlier if report_name == FIRST else read_pass(backend, wave_id) or {}
    targets = wave_targets(loaded, first, selected)
    rows = [_row(backend, wave_id, target) for target in targets]
    plan_copy_key = plan_copy_key or first.get("plan_copy_key")
    baseline = earlier.get("baseline") or {r["target"]: len(r["history"]) for r in rows}
    all_or_nothing = bool(all_or_nothing or earlier.get("all_or_nothing"))
    for row in rows:
        row["note"] = note(row, all_or_nothing)
        row["next"] = next_action(row, purpose)
    report = {"wave_id": wave_id, "report_name": report_name, "purpose": purpose, "plan_id": loaded["plan"]["id"],
              "plan_path": first.get("plan_path") or loaded["path"], "plan_copy_key": plan_copy_key,
              "sha256": loaded["sha256"], "targets": [t["key"] for t in targets],
              "plan_targets": len(loaded["plan"]["targets"]), "rows": rows, "baseline": baseline,
              "all_or_nothing": all_or_nothing, "rollup": rollup(rows, baseline, purpose)}
    if write:
        backend.put(folder + report_name + ".json", json.dumps(report, indent=2, sort_keys=True).encode("utf-8"))
        backend.put(folder + report_name + ".md", render_markdown(report).encode("utf-8"))
        report["report_dir"] = backend.location(folder.rstrip("/"))
    return report
