"""A resume and a rollback of a run each write their own report beside the run's, never over it.

The run stops at put_c (abort); its report.md/report.json are kept byte for byte. A resume
writes report-resume-1.*, a rollback report-rollback-1.*; the printed "Report:" line, the
set_stats of the run and every earlier report say which is which.
"""

from __future__ import annotations

import pytest

from moto_harness import output_of
from workflow_support import ALL_FOUR, four_steps, step_statuses, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest


def files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("report")}


def test_resume_and_rollback_write_their_own_reports_and_keep_the_runs(workflow):
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    aborted = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort")
    assert aborted.returncode == 2, output_of(aborted)
    run_id = workflow.only_run()
    folder = workflow.state_dir / "runs" / run_id
    original = files(folder)
    assert set(original) == {"report.md", "report.json"}
    assert workflow.report(run_id, "report")["status"] == "failed"

    workflow.unblock_put_c()
    resumed = workflow.run(None, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}")
    assert resumed.returncode == 0, output_of(resumed)
    assert workflow.parameter_values() == ALL_FOUR
    after_resume = files(folder)
    assert {name: after_resume[name] for name in original} == original  # byte for byte
    assert set(after_resume) == {"report.md", "report.json", "report-resume-1.md", "report-resume-1.json"}
    resume_report = workflow.report(run_id, "report-resume-1")
    assert resume_report["status"] == "succeeded" and resume_report["written_by"] == "resume 1"
    assert step_statuses(resume_report) == dict.fromkeys(["put_a", "put_b", "put_c", "put_d"], "succeeded")
    assert "- Written by: resume 1 of this run" in workflow.report_md(run_id, "report-resume-1")
    assert f"Report: {folder}/report-resume-1.md (report-resume-1.json and journal.jsonl beside it)" in unwrapped(
        output_of(resumed))

    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    assert workflow.parameter_values() == {}
    after_rollback = files(folder)
    assert {name: after_rollback[name] for name in after_resume} == after_resume
    assert set(after_rollback) - set(after_resume) == {"report-rollback-1.md", "report-rollback-1.json"}
    assert workflow.report(run_id)["status"] == "rolled_back"  # the latest pass: the rollback's
    assert workflow.report(run_id, "report-rollback-1")["written_by"] == "rollback 1"
    assert f"{folder}/report-rollback-1.md" in unwrapped(output_of(rolled))
