"""The execute_nonprod playbook driven by a person at a real terminal (pexpect).

No approval token is given, so the role asks: approval, a checkpoint before each later
phase and before each destructive step, and retry / skip / roll back / pause when a step
fails. Each test answers the prompts the way a user would and then checks what the user
would check: the resources in moto, the exit code, report.json / report.md, the journal
and the change log. Steps fail for a real reason: a parameter the plan wants to create
(Overwrite false) already exists.
"""

from __future__ import annotations

import re

import pytest

from moto_harness import mutating_calls, output_of
from workflow_support import (
    ACCOUNT, ALL_FOUR, APPROVAL_WAITING, CHECKPOINT_WAITING, FAILURE_WAITING, PROFILE, ROLLBACK, assert_closing_line,
    delete_param, expect, finish, four_steps, put_param, sent_after_resume, sent_steps, step_statuses, unwrapped,
    workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest


def approve_and_pass_checkpoint(child) -> None:
    """Say yes to the approval and to the checkpoint before phase 2 ("Access")."""
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, 'CHECKPOINT: phase 2 "Access" starts with:')
    expect(child, CHECKPOINT_WAITING)
    child.sendline("yes")


def failure_prompt(child) -> str:
    """Wait for the what-now question after a failed step; return its text."""
    expect(child, FAILURE_WAITING)
    shown = child.before + child.after
    return shown[shown.rindex("\n", 0, shown.rindex("What now?")):]


def test_yes_to_approval_and_checkpoint_runs_every_step_and_reports_it(workflow):
    plan = workflow.write_plan("app-config", four_steps())
    child = workflow.spawn(plan)
    approve_and_pass_checkpoint(child)
    code, transcript = finish(child)

    assert code == 0, transcript
    shown = unwrapped(transcript)
    plan_shown = shown[shown.index("EXECUTION PLAN"):shown.index(APPROVAL_WAITING)]
    for name in sorted(ALL_FOUR):  # every call, as an aws CLI line, before the question
        # Value is sensitive in the model, but a String parameter's value is plain text by its own type: shown
        assert re.search(rf"aws ssm put-parameter --name {name} --value v1 --type String --no-overwrite",
                         plan_shown), plan_shown
    assert workflow.parameter_values() == ALL_FOUR
    run_id = workflow.only_run()
    report = workflow.report(run_id)
    assert report["status"] == "succeeded"
    assert set(step_statuses(report).values()) == {"succeeded"}
    assert set(report["validation"].values()) == {"passed"}
    arn = workflow.session.client("sts").get_caller_identity()["Arn"]
    assert (report["executor_arn"], report["profile"], report["account_id"]) == (arn, PROFILE, ACCOUNT)
    report_md, changelog = workflow.report_md(run_id), workflow.changelog()
    assert f"# Run {run_id}: SUCCEEDED" in report_md
    assert "app-config: succeeded" in changelog and f"- Run: {run_id}" in changelog
    for document in (report_md, changelog):
        assert "app-config" in document and plan.digest[:12] in document
        assert arn in document and f"profile {PROFILE}" in document


def test_no_at_the_approval_prompt_changes_nothing(workflow):
    plan = workflow.write_plan("wf", four_steps())
    with workflow.moto.recording() as calls:
        child = workflow.spawn(plan)
        expect(child, APPROVAL_WAITING)
        child.sendline("no")
        code, transcript = finish(child)

    # "no" ends the run non-zero (docs/running.md, "Exit codes"): the reason, the report, one closing line.
    run_id = workflow.only_run()
    assert "not approved — no changes made" in transcript
    assert_closing_line(code, transcript, f"Run {run_id}: NOT APPROVED — 0 of 4 steps completed", task="Approve")
    assert f"Report: {workflow.state_dir}/runs/{run_id}/report.md" in transcript
    assert mutating_calls(calls) == []
    assert workflow.parameter_values() == {}
    report = workflow.report(run_id)
    assert report["status"] == "not_approved"
    assert report["resources"] == []
    # A refused run may or may not be in the change log; if it is, it must say what report.json says.
    if workflow.changelog():
        assert "wf: not_approved\n" in workflow.changelog() and run_id in workflow.changelog()
        assert "- Resources:\n  - none" in workflow.changelog()


def test_rollback_after_a_failure_leaves_the_account_as_it_was(workflow):
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    before = workflow.snapshot()
    child = workflow.spawn(plan)
    approve_and_pass_checkpoint(child)
    prompt = failure_prompt(child)
    child.sendline("2")  # put_c is not skippable: skipping is neither offered nor accepted
    failure_prompt(child)
    child.sendline("3")
    code, transcript = finish(child)

    assert "ParameterAlreadyExists" in transcript
    # the wrong answer was asked again, said why, and without Ansible's until/retries noise
    assert "'2' is not one of the choices — please choose again." in transcript
    assert "FAILED - RETRYING" not in transcript
    assert "1 retry" in prompt and "3 roll back completed steps" in prompt and "4 pause" in prompt
    assert "skip" not in prompt and "Choose 1, 3 or 4" in prompt
    assert code != 0, transcript
    run_id = workflow.only_run()
    assert [e["choice"] for e in workflow.journal(run_id) if e["event"] == "decision"] == ["rollback"]
    # put_a and put_b are undone; the /wf/c that existed before (and made put_c fail) is untouched
    assert workflow.snapshot() == before
    report = workflow.report(run_id)
    assert report["status"] == "rolled_back"
    assert step_statuses(report) == {"put_a": "rolled_back", "put_b": "rolled_back", "put_c": "failed",
                                     "put_d": "not_run"}


def test_retry_after_the_cause_is_fixed_completes_the_plan(workflow):
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    child = workflow.spawn(plan)
    approve_and_pass_checkpoint(child)
    failure_prompt(child)
    workflow.unblock_put_c()  # the user fixes the cause while the prompt waits
    child.sendline("1")
    code, transcript = finish(child)

    assert code == 0, transcript
    assert workflow.parameter_values() == ALL_FOUR
    run_id = workflow.only_run()
    assert workflow.report(run_id)["status"] == "succeeded"
    assert sent_steps(workflow.journal(run_id)) == ["put_a", "put_b", "put_c", "put_c", "put_d"]
    put_c = next(s for s in workflow.report(run_id)["steps"] if s["id"] == "put_c")
    assert put_c["retries_chosen"] == 1  # the person's retry is counted
    assert "| 3 | put_c | Access | succeeded | passed | 0 (+1 chosen) |" in workflow.report_md(run_id)


def test_skip_of_a_skippable_step_continues_with_the_rest(workflow):
    plan = workflow.write_plan("wf", four_steps(skippable_c=True))
    workflow.block_put_c()
    child = workflow.spawn(plan)
    approve_and_pass_checkpoint(child)
    prompt = failure_prompt(child)
    child.sendline("2")
    code, transcript = finish(child)

    assert "2 skip and continue" in prompt and "Choose 1, 2, 3 or 4" in prompt
    # A skipped step means the approved plan did not complete: partial, exit code 2 (was SUCCEEDED, 0).
    assert code == 2, transcript
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/b": "v1", "/wf/c": "keep", "/wf/d": "v1"}
    run_id = workflow.only_run()
    report = workflow.report(run_id)
    assert step_statuses(report) == {"put_a": "succeeded", "put_b": "succeeded", "put_c": "skipped",
                                     "put_d": "succeeded"}
    assert report["status"] == "partial"
    assert f"Run {run_id}: PARTIAL — 3 of 4 steps completed, skipped: put_c" in unwrapped(transcript)
    assert [e["choice"] for e in workflow.journal(run_id) if e["event"] == "decision"] == ["skip"]


def test_pause_keeps_the_changes_and_resume_runs_only_the_rest(workflow):
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    child = workflow.spawn(plan)
    approve_and_pass_checkpoint(child)
    failure_prompt(child)
    child.sendline("4")
    code, transcript = finish(child)

    # Pausing stops part-way: exit code 2 and one closing line with the resume and rollback commands.
    run_id = workflow.only_run()
    assert_closing_line(code, transcript, f"Run {run_id}: PARTIAL — 2 of 4 steps completed (stopped part-way) — "
                                          f"resume: ansible-playbook {workflow.execute_args(None)[0]} -e resume={run_id}")
    assert f"— roll back: ansible-playbook {ROLLBACK} -e run={run_id}" in unwrapped(transcript)
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/b": "v1", "/wf/c": "keep"}
    assert workflow.report(run_id)["status"] == "partial"
    report_md = workflow.report_md(run_id)
    # report.md's next steps are the commands as printed on screen: with this run's state_dir
    assert f"rollback_run.yml -e run={run_id} -e state_dir={workflow.state_dir}" in report_md
    # the error's explanation keeps its lines (not one line of escaped newlines)
    assert "- put_c: CONFLICT: ssm:PutParameter failed with ParameterAlreadyExists" in report_md
    assert "\\x0a" not in report_md

    workflow.unblock_put_c()
    with workflow.moto.recording() as calls:
        resumed = workflow.run(None, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}")

    assert resumed.returncode == 0, output_of(resumed)
    assert sent_after_resume(workflow.journal(run_id)) == ["put_c", "put_d"]
    assert mutating_calls(calls) == [("ssm", "PutParameter")] * 2
    assert workflow.parameter_values() == ALL_FOUR
    assert workflow.report(run_id)["status"] == "succeeded"


def test_no_at_the_destructive_checkpoint_stops_before_the_delete(workflow):
    plan = workflow.write_plan("wf-delete", [
        ("Create", [put_param("put_a", "/wf/a"), put_param("put_tmp", "/wf/tmp")]),
        ("Clean up", [delete_param("delete_tmp", "/wf/tmp")])])
    with workflow.moto.recording() as calls:
        child = workflow.spawn(plan)
        expect(child, APPROVAL_WAITING)
        child.sendline("yes")
        expect(child, "CHECKPOINT: the next step is DESTRUCTIVE:")
        expect(child, "delete_tmp: aws ssm delete-parameter --name /wf/tmp")
        expect(child, CHECKPOINT_WAITING)
        child.sendline("no")
        code, transcript = finish(child)

    # "no" at a checkpoint stops the run before the delete: exit code 2, one closing line with the commands
    run_id = workflow.only_run()
    assert_closing_line(code, transcript, f"Run {run_id}: ABORTED — 2 of 3 steps completed (stopped) — resume:")
    assert mutating_calls(calls) == [("ssm", "PutParameter")] * 2
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/tmp": "v1"}
    report = workflow.report(workflow.only_run())
    assert report["status"] == "aborted"
    assert step_statuses(report)["delete_tmp"] == "not_run"
