"""Listing runs and showing one run's report read only the backend (here: a local state_dir)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import EMPTY, JournalTampered, seal
from ansible_collections.coworker.aws.plugins.module_utils.run.listing import list_runs, show_run


def write_run(backend, run_id, ts, report=None):
    """A run that started at ``ts`` (its first event written as the journal writes it, with that time)."""
    started = {"ts": ts, "run_id": run_id, "event": "run_started", "plan_id": "p\x1b[2J", "account_id": "210987654321",
               "region": "us-east-1"}
    backend.put("runs/%s/journal.jsonl" % run_id, seal(started, EMPTY)[1])
    if report:
        backend.put("runs/%s/report.json" % run_id, json.dumps(report).encode())
        backend.put("runs/%s/report.md" % run_id, b"# Run %s: SUCCEEDED\n" % run_id.encode())


def test_runs_are_listed_newest_first_from_their_reports_or_journals(tmp_path):
    backend = LocalBackend(str(tmp_path))
    write_run(backend, "run-old", "2026-11-01T00:00:00.000000Z",
              {"status": "succeeded", "plan": {"id": "p"}, "account_id": "210987654321", "region": "us-east-1",
               "started_at": "2026-11-01T00:00:00.000000Z", "finished_at": "2026-11-01T00:01:00.000000Z"})
    write_run(backend, "run-new", "2026-11-02T00:00:00.000000Z")
    runs, lines = list_runs(backend, 20)
    assert [r["run_id"] for r in runs] == ["run-new", "run-old"]
    assert runs[0]["status"] == "no report" and runs[1]["status"] == "succeeded"
    assert lines[0] == "2 run(s) in %s" % (tmp_path / "runs")
    assert "\x1b" not in "".join(lines)  # plan text is data: no terminal control reaches the screen
    assert [r["run_id"] for r in list_runs(backend, 1)[0]] == ["run-new"]


def test_show_reads_the_report_of_a_run_or_says_it_has_none(tmp_path):
    backend = LocalBackend(str(tmp_path))
    write_run(backend, "run-old", "2026-11-01T00:00:00.000000Z", {"status": "succeeded"})
    write_run(backend, "run-new", "2026-11-02T00:00:00.000000Z")
    assert show_run(backend, "run-old")[2] == "# Run run-old: SUCCEEDED\n"
    with pytest.raises(RunError, match="run run-new has no report yet"):
        show_run(backend, "last")
    with pytest.raises(RunError, match="invalid run id"):
        show_run(backend, "../../etc")


def test_a_resumed_run_is_listed_and_shown_by_its_latest_pass_s_report(tmp_path):
    backend = LocalBackend(str(tmp_path))
    write_run(backend, "run-a", "2026-11-01T00:00:00.000000Z", {"status": "paused"})
    with backend.journal("run-a") as journal:
        journal.append("run_resumed", purpose="resume")
    # reopened, its pass wrote nothing yet: the run's own report still speaks for it
    assert list_runs(backend, 5)[0][0]["status"] == "paused"
    backend.put("runs/run-a/report-resume-1.json", json.dumps({"status": "succeeded"}).encode())
    backend.put("runs/run-a/report-resume-1.md", b"# Run run-a: SUCCEEDED (resume 1)\n")
    run = list_runs(backend, 5)[0][0]
    assert run["status"] == "succeeded" and run["report"] == str(tmp_path / "runs" / "run-a" / "report-resume-1.md")
    assert show_run(backend, "run-a")[1:] == ({"status": "succeeded"}, "# Run run-a: SUCCEEDED (resume 1)\n")
    assert json.loads(backend.get("runs/run-a/report.json")) == {"status": "paused"}  # never written over


def test_a_run_whose_journal_was_tampered_with_is_listed_as_such_and_showing_it_says_why(tmp_path):
    backend = LocalBackend(str(tmp_path))
    write_run(backend, "run-a", "2026-11-01T00:00:00.000000Z", {"status": "succeeded"})
    write_run(backend, "run-b", "2026-11-02T00:00:00.000000Z", {"status": "succeeded"})
    path = tmp_path / "runs" / "run-a" / "journal.jsonl"
    path.write_bytes(path.read_bytes() + path.read_bytes())  # the same event twice: the chain is broken
    runs, lines = list_runs(backend, 20)
    assert [(r["run_id"], r["status"]) for r in runs] == [("run-b", "succeeded"), ("run-a", "tampered")]
    assert lines[2] == "run-a  tampered  -  account - -  "
    with pytest.raises(JournalTampered, match="run run-a was tampered with: event #1 .run_started. is recorded as "):
        show_run(backend, "run-a")
