# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One report for a wave: every target's run of one plan, a status table and a rollup.

Each target of a ``targets:`` plan runs as its own run, ``<wave id>-<target key>``
(journal, lock, report and rollback of its own). This module reads those runs'
reports and writes ``waves/<wave id>/report.json`` and ``report.md`` beside them (through the
run's state backend, so a wave kept in S3 is reported in S3):
one row per target and the progress line ``targets: 12 done, 0 running, 0 failed,
0 waiting``. A target without a journal never started (the wave stopped before it).
"""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import RUN_ID_RE

DONE = ("succeeded",)
RUNNING = "running"
WAITING = "not_started"


def target_run_id(wave_id, key):
    """The run id of one target of a wave: the one place where it is chosen."""
    run_id = "%s-%s" % (wave_id, key)
    if not RUN_ID_RE.match(run_id):
        raise ValueError("invalid wave id %r" % (wave_id,))
    return run_id


def _row(backend, wave_id, target):
    run_id = target_run_id(wave_id, target["key"])
    row = {"target": target["key"], "account_id": target["account_id"], "region": target["region"],
           "environment": target["environment"], "run_id": run_id, "status": WAITING,
           "steps_completed": 0, "steps_total": None, "report": None}
    key = "runs/%s/report.json" % run_id
    data = backend.get(key)
    if data is None:
        if backend.events(run_id):
            row["status"] = RUNNING
        return row
    report = json.loads(data.decode("utf-8"))
    row.update(status=RUNNING if report.get("provisional") else report.get("status"),
               steps_completed=report.get("steps_completed", 0), steps_total=report.get("steps_total"),
               report=backend.location(key), rollback=(report.get("rollback") or {}).get("status"))
    return row


def rollup(rows):
    """Counts by phase of the wave and by status, and the one progress line."""
    done = sum(1 for r in rows if r["status"] in DONE)
    running = sum(1 for r in rows if r["status"] == RUNNING)
    waiting = sum(1 for r in rows if r["status"] == WAITING)
    failed = len(rows) - done - running - waiting
    by_status = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    status = "succeeded" if done == len(rows) else "running" if running else "failed" if failed else "partial"
    return {"targets": len(rows), "done": done, "running": running, "failed": failed, "waiting": waiting,
            "by_status": dict(sorted(by_status.items())), "status": status,
            "progress": "targets: %d done, %d running, %d failed, %d waiting" % (done, running, failed, waiting)}


def render_markdown(report):
    lines = ["# Wave %s: %s" % (report["wave_id"], report["rollup"]["status"].upper()), "",
             "- Plan: %s (%s), digest %s" % (printable(report["plan_id"]), printable(report["plan_path"]), report["sha256"]),
             "- %s" % report["rollup"]["progress"], "",
             "| # | target | environment | status | steps | run |", "|---|---|---|---|---|---|"]
    for number, row in enumerate(report["rows"], start=1):
        steps = "%s/%s" % (row["steps_completed"], row["steps_total"] if row["steps_total"] is not None else "?")
        lines.append("| %d | %s | %s | %s | %s | %s |" % (number, row["target"], row["environment"], row["status"],
                                                          steps, row["run_id"]))
    lines += ["", "Each target's own report: runs/<run>/report.md in the state backend."]
    return "\n".join(lines) + "\n"


def wave_report(backend, wave_id, loaded, write=True):
    """Build (and write, through ``backend``) the wave's report from its targets' runs; return it."""
    if not isinstance(wave_id, str) or not RUN_ID_RE.match(wave_id):
        raise ValueError("invalid wave id %r" % (wave_id,))
    rows = [_row(backend, wave_id, target) for target in loaded["plan"]["targets"]]
    report = {"wave_id": wave_id, "plan_id": loaded["plan"]["id"], "plan_path": loaded["path"],
              "sha256": loaded["sha256"], "rows": rows, "rollup": rollup(rows)}
    if write:
        folder = "waves/%s/" % wave_id
        backend.put(folder + "report.json", json.dumps(report, indent=2, sort_keys=True).encode("utf-8"))
        backend.put(folder + "report.md", render_markdown(report).encode("utf-8"))
        report["report_dir"] = backend.location(folder.rstrip("/"))
    return report
