# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listing the runs a state backend holds and reading one run's report, from any machine.

A run that was resumed or rolled back is shown by its latest pass's report (``report-resume-<n>``,
``report-rollback-<n>``, see run/passes.py), the run's own ``report`` until that pass wrote one."""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import JournalTampered
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import parse_events
from ansible_collections.coworker.aws.plugins.module_utils.run.passes import FIRST, report_name


def report_key(backend, run_id, ext=".md"):
    """The key of the run's latest report: its latest pass's when that pass wrote one, else its own."""
    latest = "runs/%s/%s" % (run_id, report_name(backend.events(run_id)))
    if latest != "runs/%s/%s" % (run_id, FIRST) and backend.get(latest + ".json") is not None:
        return latest + ext
    return "runs/%s/%s%s" % (run_id, FIRST, ext)


def read_report(backend, run_id, key=None):
    """A run's (latest) report.json as a dict, or None (no report yet, or unreadable)."""
    try:
        report = json.loads((backend.get(key or report_key(backend, run_id, ".json")) or b"null").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return report if isinstance(report, dict) else None


def summary(backend, run_id):
    """One line of data about a run: from its report, else from its journal's first event. A run whose
    journal's chain is broken is listed as ``tampered`` (showing it, or reopening it, says why)."""
    try:
        key = report_key(backend, run_id, "")
    except JournalTampered:
        return {"run_id": run_id, "status": "tampered", "plan_id": None, "account_id": None, "region": None,
                "started_at": None, "finished_at": None, "report": backend.journal_location(run_id)}
    report = read_report(backend, run_id, key + ".json") or {}
    started = {}
    if not report:
        started = (parse_events(backend.get("runs/%s/journal.jsonl" % run_id))[:1] or [{}])[0]
    return {"run_id": run_id, "status": report.get("status") or "no report",
            "plan_id": (report.get("plan") or {}).get("id") or started.get("plan_id"),
            "account_id": report.get("account_id") or started.get("account_id"),
            "region": report.get("region") or started.get("region"),
            "started_at": report.get("started_at") or started.get("ts"), "finished_at": report.get("finished_at"),
            "report": backend.location(key + ".md")}


def list_runs(backend, limit):
    """(runs, lines to print): at most ``limit`` runs, newest first."""
    runs = [summary(backend, run_id) for run_id in backend.run_ids()[:max(limit, 0)]]
    lines = ["%d run(s) in %s" % (len(runs), backend.location("runs"))]
    lines += ["%s  %s  %s  account %s %s  %s" % (
        r["run_id"], r["status"], r["plan_id"] or "-", r["account_id"] or "-", r["region"] or "-",
        r["finished_at"] or r["started_at"] or "") for r in runs]
    return runs, [printable(line) for line in lines]


def show_run(backend, ref):
    """(run id, report dict, report.md text) of a run id or ``last``: its latest pass's report."""
    run_id = backend.find_run(ref)
    key = report_key(backend, run_id, "")
    text = backend.get(key + ".md")
    if text is None:
        raise RunError("run %s has no report yet (%s)" % (run_id, backend.run_location(run_id)))
    return run_id, read_report(backend, run_id, key + ".json"), text.decode("utf-8", errors="replace")
