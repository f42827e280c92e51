"""What a person sees, outside the checkout: ANSIBLE_CONFIG points at an empty .cfg file, so the
default callback prints JSON and no repo setting helps. The failure text once, a wrong answer
asked again without Ansible's retry lines, a pause that ends with one closing line and exit code 2,
printed resume and rollback commands that work as printed, the run's stats for AWX, and the
action group under module_defaults.
"""

from __future__ import annotations

import json
import shlex

import pexpect
import pytest

from moto_harness import REPO_ROOT, mutating_calls, output_of, run_playbook
from workflow_support import (
    ALL_FOUR, APPROVAL_WAITING, CHECKPOINT_WAITING, FAILURE_WAITING, assert_closing_line, bare_env, closing_commands,
    expect, finish, four_steps, sent_after_resume, step_statuses, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

GROUP_DEFAULTS = REPO_ROOT / "tests" / "integration" / "playbooks" / "group_defaults.yml"


def spawn_as_typed(flow, command: str, env: dict):
    """A printed command line, run on a terminal exactly as a person would paste it."""
    argv = shlex.split(command)
    child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(flow.tmp), encoding="utf-8",
                          dimensions=(50, 250), timeout=120)
    import io
    child.logfile_read = io.StringIO()
    flow.children.append(child)
    return child


def test_failure_shown_once_wrong_answer_asked_again_pause_and_printed_commands_work(workflow):
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    env = bare_env(workflow)
    child = spawn_as_typed(workflow, shlex.join(["ansible-playbook", *map(str, workflow.execute_args(plan))]), env)
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)
    child.sendline("yes")
    expect(child, FAILURE_WAITING)
    first = child.before + child.after
    child.sendline("later")
    expect(child, FAILURE_WAITING)
    child.sendline("4")
    code, transcript = finish(child)

    between = first[first.index("[Step 3 of 4] put_c"):]
    assert between.count("ParameterAlreadyExists") == 1, between  # the failure, once, before the question
    assert "'later' is not one of the choices — please choose again." in transcript
    run_id = workflow.only_run()
    # the person paused part-way: exit code 2, one closing line with the commands, no JSON escapes
    assert_closing_line(code, transcript, f"Run {run_id}: PARTIAL — 2 of 4 steps completed (stopped part-way)")
    assert workflow.report(run_id)["status"] == "partial"
    resume, rollback = closing_commands(transcript)
    assert shlex.split(resume)[:4] == ["ansible-playbook", str(workflow.execute_args(None)[0]), "-e",
                                       f"resume={run_id}"]
    assert f"state_dir={workflow.state_dir}" in resume and f"environments_file={workflow.environments}" in rollback

    workflow.unblock_put_c()
    resumed = spawn_as_typed(workflow, resume, env)
    expect(resumed, APPROVAL_WAITING)
    resumed.sendline("yes")
    expect(resumed, CHECKPOINT_WAITING)  # the phase put_c starts
    resumed.sendline("yes")
    code, transcript = finish(resumed)
    assert code == 0, transcript
    assert sent_after_resume(workflow.journal(run_id)) == ["put_c", "put_d"]
    assert workflow.parameter_values() == ALL_FOUR

    with workflow.moto.recording() as calls:
        undone = spawn_as_typed(workflow, rollback, env)
        expect(undone, APPROVAL_WAITING)
        undone.sendline("yes")
        code, transcript = finish(undone)
    assert code == 0, transcript
    assert sorted(mutating_calls(calls)) == [("ssm", "DeleteParameter")] * 4
    assert workflow.parameter_values() == {}


def test_run_stats_for_awx_hold_the_run_id_status_counts_reports_and_outputs(workflow):
    plan = workflow.write_plan("wf", four_steps())
    env = bare_env(workflow)
    env["ANSIBLE_SHOW_CUSTOM_STATS"] = "true"
    result = run_playbook(workflow.execute_args(plan, "-e", f"approve={plan.digest}"), env, workflow.tmp)

    assert result.returncode == 0, output_of(result)
    stats = json.loads(result.stdout[result.stdout.index("RUN: ") + 5:].split("\n\n")[0])["coworker_aws_run"]
    run_id = workflow.only_run()
    folder = workflow.state_dir / "runs" / run_id
    assert (stats["run_id"], stats["status"], stats["steps_completed"], stats["steps_total"]) == (
        run_id, "succeeded", 4, 4)
    assert (stats["report_md"], stats["report_json"], stats["journal"]) == (
        str(folder / "report.md"), str(folder / "report.json"), str(folder / "journal.jsonl"))
    assert set(stats["outputs"]) == {"put_a", "put_b", "put_c", "put_d"}
    assert stats["outputs"] == {s["id"]: s["outputs"] for s in workflow.report(run_id)["steps"]}
    # the report's path and the closing line are printed, not the report itself, and no JSON string full of \n
    assert f"Report: {folder / 'report.md'} (report.json and journal.jsonl beside it)" in result.stdout
    assert f"Run {run_id}: SUCCEEDED — 4 of 4 steps completed (completed)\n" in result.stdout
    assert "## Steps" not in result.stdout and "\\n" not in result.stdout


def test_a_skip_finishes_partial_and_the_run_fails_without_a_terminal_too(workflow):
    phases = four_steps(skippable_c=True)
    phases[1][1][0]["validate"]["expect"] = ["Parameter.Value == 'never'"]
    plan = workflow.write_plan("wf", phases)
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort")

    assert result.returncode == 2, output_of(result)  # no person to skip: abort is a failure
    report = workflow.report(workflow.only_run())
    assert report["status"] == "failed" and step_statuses(report)["put_d"] == "not_run"
    assert "FAILED - RETRYING" not in result.stdout


def test_module_defaults_for_the_action_group_fit_every_member(workflow):
    plan = workflow.write_plan("wf", four_steps())
    result = workflow.run_other(GROUP_DEFAULTS, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")

    assert result.returncode == 0, output_of(result)
    assert "Unsupported parameters" not in result.stdout
    assert workflow.parameter_values() == {"/wf/a": "v1"}  # run_step used the group's profile and state_dir
    run_id = workflow.only_run()  # ... in the group's state_dir
    assert step_statuses(workflow.report(run_id))["put_a"] == "succeeded"
