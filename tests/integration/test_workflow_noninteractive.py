"""The execute_nonprod workflow without a person at a terminal (stdin is not a tty).

Execution then needs -e approve=<plan digest or its first 12+ hex characters>, and a
failed step follows on_failure (rollback by default). Also: dry runs (--check and
-e dry_run=true), the role inside a user's own playbook, resuming a run, rolling back a
past run with rollback_run.yml, and the lock that keeps two runs of one plan apart.
"""

from __future__ import annotations

import socket

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import REPO_ROOT, mutating_calls, output_of
from workflow_support import (
    ALL_FOUR, APPROVAL_PROMPT, APPROVAL_WAITING, PROFILE, delete_param, expect, finish, four_steps, kill_tree,
    sent_after_resume, step_statuses, unwrapped, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

INCLUDE_ROLE = REPO_ROOT / "tests" / "integration" / "playbooks" / "include_role.yml"


def wrong_token(digest: str) -> str:
    return ("0" if digest[0] != "0" else "1") + digest[1:12]


@pytest.mark.parametrize("token, message", [
    (None, "without a terminal run with -e approve=<plan digest> — no changes made"),
    ("wrong", "the approval token does not match the plan digest"),
], ids=["no-token", "wrong-token"])
def test_without_the_right_token_nothing_is_changed(workflow, token, message):
    plan = workflow.write_plan("wf", four_steps())
    token = wrong_token(plan.digest) if token == "wrong" else None
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, *(["-e", f"approve={token}"] if token else []))

    assert result.returncode != 0
    assert message in unwrapped(output_of(result))
    assert mutating_calls(calls) == []
    assert workflow.report(workflow.only_run())["status"] == "not_approved"


def test_the_full_digest_as_token_executes_the_plan_without_asking(workflow):
    plan = workflow.write_plan("wf", four_steps())
    result = workflow.run(plan, "-e", f"approve={plan.digest}")

    assert result.returncode == 0, output_of(result)
    assert APPROVAL_PROMPT + ":" not in result.stdout
    assert workflow.parameter_values() == ALL_FOUR
    run_id = workflow.only_run()
    assert workflow.report(run_id)["status"] == "succeeded"
    approvals = [e for e in workflow.journal(run_id) if e["event"] == "approved"]
    assert [(e["how"], e["sha256"]) for e in approvals] == [("token", plan.digest)]


def test_rollback_run_returns_the_account_to_its_state_before_the_run(workflow):
    plan = workflow.write_plan("wf", four_steps())
    before = workflow.snapshot()
    executed = workflow.run(plan, "-e", f"approve={plan.digest[:12]}")
    assert executed.returncode == 0, output_of(executed)
    assert workflow.parameter_values() == ALL_FOUR

    rolled_back = workflow.run_rollback("-e", "run=last", "-e", f"approve={plan.digest}")

    assert rolled_back.returncode == 0, output_of(rolled_back)
    assert workflow.snapshot() == before
    report = workflow.report(workflow.only_run())
    assert report["status"] == "rolled_back"
    assert set(step_statuses(report).values()) == {"rolled_back"}


def test_a_dry_run_of_rollback_run_deletes_nothing(workflow):
    plan = workflow.write_plan("wf", four_steps())
    executed = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert executed.returncode == 0, output_of(executed)

    with workflow.moto.recording() as calls:
        dry = workflow.run_rollback("-e", "run=last", "-e", f"approve={plan.digest}", "-e", "dry_run=true")

    assert dry.returncode != 0
    assert "a dry run of rollback is not available" in output_of(dry)
    assert mutating_calls(calls) == []
    assert workflow.parameter_values() == ALL_FOUR


def put_c_cannot_validate(workflow) -> list:
    """put_c creates /wf/c, then its validation fails: the failed step itself changed something."""
    phases = four_steps()
    phases[1][1][0]["validate"]["expect"] = ["Parameter.Value == 'never'"]
    return phases


def put_c_already_exists(workflow) -> list:
    workflow.block_put_c()
    return four_steps()


@pytest.mark.parametrize("on_failure, cause", [
    (["-e", "on_failure=rollback"], put_c_already_exists),
    ([], put_c_cannot_validate),  # on_failure=ask, but no terminal to ask at
], ids=["rollback-after-conflict", "ask-without-tty-after-failed-validation"])
def test_a_failure_rolls_back_every_step_that_changed_something(workflow, on_failure, cause):
    phases = cause(workflow)
    before = workflow.snapshot()
    plan = workflow.write_plan("wf", phases)
    result = workflow.run(plan, "-e", f"approve={plan.digest}", *on_failure)

    assert result.returncode != 0
    assert workflow.snapshot() == before  # a /wf/c that existed before is untouched
    report = workflow.report(workflow.only_run())
    assert report["status"] == "rolled_back"
    assert step_statuses(report)["put_d"] == "not_run"
    assert {s["id"] for s in report["rollback"]["steps"]} == (
        {"put_a", "put_b"} if cause is put_c_already_exists else {"put_a", "put_b", "put_c"})


def aborted_at_put_c(workflow):
    """A run of the four-step plan that put_c's pre-existing parameter stops under on_failure=abort."""
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    aborted = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort")
    assert aborted.returncode != 0, output_of(aborted)
    return plan


def test_abort_keeps_earlier_steps_and_resume_runs_only_the_rest_of_the_approved_plan(workflow):
    plan = aborted_at_put_c(workflow)
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/b": "v1", "/wf/c": "keep"}
    run_id = workflow.only_run()
    assert workflow.report(run_id)["status"] == "failed"
    workflow.unblock_put_c()

    # An edited (and re-approved) plan is not the plan the run started with: its digest does not
    # approve the run, and the resume executes the run's own copy of the approved plan.
    document = yaml.safe_load(plan.path.read_text())
    document["phases"][1]["steps"][1]["params"]["Value"] = "v2"
    document["approval"] = approval_block(document, "tester@example.com")
    plan.path.write_text(yaml.safe_dump(document, sort_keys=False))
    with workflow.moto.recording() as calls:
        refused = workflow.run(None, "-e", f"resume={run_id}", "-e",
                               f"approve={document['approval']['plan_sha256']}")
    assert refused.returncode != 0
    assert f"does not match the plan digest {plan.digest[:12]}" in unwrapped(output_of(refused))
    assert mutating_calls(calls) == []

    resumed = workflow.run(None, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}")

    assert resumed.returncode == 0, output_of(resumed)
    assert sent_after_resume(workflow.journal(run_id)) == ["put_c", "put_d"]
    assert workflow.parameter_values() == ALL_FOUR  # v1 everywhere: the edit never ran
    assert workflow.report(run_id)["status"] == "succeeded"


def test_a_refused_resume_leaves_the_runs_report_as_it_was(workflow):
    aborted_at_put_c(workflow)
    run_id = workflow.only_run()
    assert workflow.report(run_id)["status"] == "failed"

    with workflow.moto.recording() as calls:
        refused = workflow.run(None, "-e", f"resume={run_id}")  # no token

    assert refused.returncode != 0
    assert "-e approve=<plan digest>" in output_of(refused)
    assert mutating_calls(calls) == []
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/b": "v1", "/wf/c": "keep"}
    assert workflow.report(run_id)["status"] == "failed"


@pytest.mark.parametrize("dry_run", [["--check"], ["-e", "dry_run=true"]], ids=["check", "dry_run"])
def test_a_dry_run_shows_every_call_changes_nothing_and_asks_nothing(workflow, dry_run):
    phases = four_steps() + [("Clean up", [delete_param("delete_b", "/wf/b")])]
    plan = workflow.write_plan("wf", phases)
    changelog = workflow.state_dir / "changelog.md"
    changelog.parent.mkdir()
    changelog.write_text("# Changes\n")
    with workflow.moto.recording() as calls:
        # a terminal, yet no question may be asked (tag_resources=false: the plan's own lines, see test_lost_answers)
        child = workflow.spawn(plan, *dry_run, "-e", "tag_resources=false")
        code, transcript = finish(child)

    assert code == 0, transcript
    assert APPROVAL_PROMPT not in transcript and "(yes/no)" not in transcript
    assert mutating_calls(calls) == []
    assert workflow.parameter_values() == {}
    shown = unwrapped(transcript)
    for name in sorted(ALL_FOUR):
        assert (f"aws ssm put-parameter --name {name} --value v1 --type String --no-overwrite "
                f"--region us-east-1 --profile {PROFILE}") in shown
        assert f"aws ssm get-parameter --name {name} --region us-east-1 --profile {PROFILE}" in shown
    assert f"aws ssm delete-parameter --name /wf/b --region us-east-1 --profile {PROFILE}" in shown
    report = workflow.report(workflow.only_run())
    assert report["status"] == "dry_run"
    assert set(step_statuses(report).values()) == {"planned"}
    assert changelog.read_text() == "# Changes\n"


def test_a_dry_run_of_a_resume_changes_nothing(workflow):
    plan = aborted_at_put_c(workflow)
    run_id = workflow.only_run()
    workflow.unblock_put_c()

    with workflow.moto.recording() as calls:
        dry = workflow.run(None, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}", "-e", "dry_run=true")

    assert dry.returncode != 0
    assert "a dry run of resume is not available" in output_of(dry)
    assert mutating_calls(calls) == []
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/b": "v1"}


def test_the_role_included_in_a_users_playbook_lets_the_playbook_go_on(workflow):
    plan = workflow.write_plan("wf", four_steps())
    result = workflow.run_other(INCLUDE_ROLE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}",
                                "-e", f"marker_dir={workflow.tmp}")

    assert result.returncode == 0, output_of(result)
    assert (workflow.tmp / "before.txt").read_text() == "started\n"
    assert (workflow.tmp / "after.txt").read_text() == "finished\n"
    assert workflow.parameter_values() == ALL_FOUR
    assert workflow.report(workflow.only_run())["status"] == "succeeded"


def test_a_second_run_of_the_plan_is_locked_out_until_the_holder_dies(workflow):
    plan = workflow.write_plan("wf", four_steps())
    holder = workflow.spawn(plan)
    try:
        expect(holder, APPROVAL_WAITING)  # the first run holds the lock while it waits
        holder_id = workflow.only_run()
        with workflow.moto.recording() as calls:
            second = workflow.run(plan, "-e", f"approve={plan.digest}")
        shown = unwrapped(output_of(second))
        assert second.returncode != 0
        assert "another run holds the lock" in shown
        assert f"run {holder_id} " in shown and f"(pid {holder.pid})" in shown
        assert f"on {socket.gethostname()} " in shown
        assert mutating_calls(calls) == []
        assert workflow.run_ids() == [holder_id]
    finally:
        kill_tree(holder)  # SIGKILL: the run cannot release its lock

    third = workflow.run(plan, "-e", f"approve={plan.digest}")

    shown = unwrapped(output_of(third))
    assert third.returncode == 0, shown
    assert f"took over the stale lock of run {holder_id} (pid {holder.pid}" in shown
    assert workflow.parameter_values() == ALL_FOUR
