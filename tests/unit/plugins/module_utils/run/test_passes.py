"""Each pass of a run (the run, each resume, each rollback) names its own report."""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.passes import pass_label, report_name
from ansible_collections.coworker.aws.plugins.module_utils.run.report import render_markdown, write_report

from test_report import PLAN, event, ran


def reopened(purpose):
    return event("run_resumed", purpose=purpose)


def test_the_run_itself_writes_report_and_each_reopening_its_own_numbered_one():
    events = [event("run_started")]
    assert report_name(events) == "report" and pass_label(events) is None
    events.append(reopened("resume"))
    assert report_name(events) == "report-resume-1" and pass_label(events) == "resume 1"
    events += [reopened("resume"), reopened("rollback")]
    assert report_name(events) == "report-rollback-1"
    events.append(reopened("resume"))
    assert report_name(events) == "report-resume-3"


def test_a_refused_reopening_takes_no_number():
    events = [event("run_started"), reopened("resume"), event("run_released", outcome="not_approved"),
              reopened("resume")]
    assert report_name(events) == "report-resume-1"


def test_a_resume_never_writes_over_the_run_s_report(tmp_path):
    backend, folder = LocalBackend(str(tmp_path)), tmp_path / "runs" / "r"
    first = [event("run_started")] + ran("put_a")
    write_report(backend, "r", PLAN, first, outcome="paused")
    original = {p.name: p.read_bytes() for p in folder.iterdir()}

    resumed = first + [reopened("resume")] + ran("put_b")
    report, markdown = write_report(backend, "r", PLAN, resumed)

    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name in original} == original
    assert json.loads((folder / "report-resume-1.json").read_text())["status"] == "succeeded"
    assert report["written_by"] == "resume 1"
    assert "- Written by: resume 1 of this run" in markdown
    assert (folder / "report-resume-1.md").read_text() == markdown
    assert "Written by" not in render_markdown(json.loads((folder / "report.json").read_text()))
