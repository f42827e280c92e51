"""What a run prints, as a user who installed the collection sees it (ANSIBLE_CONFIG pointing at an empty
.cfg): a 5-step run in at most 80 lines with nothing skipped or included, no JSON escapes; a refused step
after a create is a change and ends with the commands; Ctrl-C then A or C at a question ends like any other
stop; a single run's rollback has no wave play."""

from __future__ import annotations

import re

import pytest

from moto_harness import REPO_ROOT, mutating_calls, output_of, run_playbook, spawn_playbook
from workflow_support import (
    APPROVAL_WAITING, CHECKPOINT_WAITING, ROLLBACK, assert_closing_line, ctrl_c_at_the_prompt, expect, finish, put_param, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)\s+skipped=(\d+)")


def bare_env(flow) -> dict:
    empty = flow.tmp / "empty.cfg"
    empty.write_text("")
    env = flow.env()
    env.update(ANSIBLE_CONFIG=str(empty), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"))
    return env


def five_steps(flow, second=None):
    steps = [put_param("put_%s" % n, "/out/%s" % n) for n in "abcde"]
    if second:
        steps[1] = second
    return flow.write_plan("five", [("Config", steps[:3]), ("Access", steps[3:])])


def recap(stdout):
    ok, changed, failed, skipped = map(int, RECAP.search(stdout).groups())
    return {"ok": ok, "changed": changed, "failed": failed, "skipped": skipped}


def assert_readable(text):
    for noise in ("skipping:", "included:", "\\n", '\\"', "\\u"):
        assert noise not in text, f"{noise!r} in:\n{text}"


def test_a_five_step_run_prints_at_most_80_lines_with_nothing_skipped(workflow):
    plan = five_steps(workflow)
    result = run_playbook(workflow.execute_args(plan, "-e", f"approve={plan.digest[:12]}"), bare_env(workflow),
                          workflow.tmp)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output_of(result)
    lines = output.splitlines()
    assert len(lines) <= 80, f"{len(lines)} lines:\n{output}"
    assert_readable(output)
    assert recap(result.stdout) == {"ok": 7, "changed": 1, "failed": 0, "skipped": 0}
    assert output.count("Run %s: SUCCEEDED — 5 of 5 steps completed" % workflow.only_run()) == 1


def test_the_same_run_with_a_person_at_the_terminal_adds_only_the_plan_it_approves(workflow):
    plan = five_steps(workflow)
    child = spawn_playbook(workflow.execute_args(plan), bare_env(workflow), workflow.tmp)
    workflow.children.append(child)
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)
    child.sendline("yes")
    code, transcript = finish(child)
    assert code == 0, transcript
    lines = transcript.splitlines()
    # the execution plan the person approves: each call with its description, validate and rollback lines, the
    # blast radius, the run tags, the guardrail verdicts (WARN required-tags, then the rules passed), the warning
    start = next(n for n, line in enumerate(lines) if line.strip() == "EXECUTION PLAN")
    end = next(n for n, line in enumerate(lines) if "WARNING: AWS resources in account" in line)
    assert end - start + 1 == 2 + 2 + 5 * 5 + 2 + 2 + 1, "\n".join(lines[start:end + 1])
    rest = len(lines) - (end - start + 1)  # everything else the run prints stays short
    assert rest <= 65, f"{rest} lines besides the execution plan:\n{transcript}"
    assert_readable(transcript)


def test_a_step_refused_after_a_create_is_a_change_said_once_and_the_closing_line_has_the_commands(workflow):
    # the bucket is named by an earlier step's answer: unknown to Verify (which refuses a bucket of another account
    # named in the plan before the question), so the perimeter refuses it in the Run task, after put_a's create
    name = "not-in-this-account"
    read = {"id": "read_name", "action": "ssm:GetParameter", "params": {"Name": name},
            "register": {"bucket": "Parameter.Name"}}
    refused = {"id": "tag_theirs", "action": "s3:PutBucketTagging",
               "params": {"Bucket": "${read_name.bucket}", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}}
    steps = [put_param("put_a", name), read, refused, put_param("put_d", "/out/d"), put_param("put_e", "/out/e")]
    plan = workflow.write_plan("five", [("Config", steps[:3]), ("Access", steps[3:])])
    with workflow.moto.recording() as calls:
        result = run_playbook(workflow.execute_args(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort"),
                              bare_env(workflow), workflow.tmp)
    output = result.stdout + result.stderr
    run_id = workflow.only_run()
    assert_closing_line(result.returncode, output, f"Run {run_id}: REFUSED — 2 of 5 steps completed (refused) — "
                                                   f"resume: ansible-playbook")
    assert f"— roll back: ansible-playbook {ROLLBACK} -e run={run_id}" in re.sub(r"\s+", " ", output)
    assert recap(result.stdout)["changed"] == 1  # put_a made a parameter: the run changed something
    assert output.count("bucket 'not-in-this-account' is not owned by the target account") == 1, output
    assert mutating_calls(calls) == [("ssm", "PutParameter")]
    assert workflow.parameter_values() == {name: "v1"}
    assert workflow.report(run_id)["status"] == "refused"


@pytest.mark.parametrize("key", ["a", "c"])
def test_ctrl_c_at_the_approval_then_a_or_c_ends_with_the_report_and_the_closing_line(workflow, key):
    plan = five_steps(workflow)
    child = spawn_playbook(workflow.execute_args(plan), bare_env(workflow), workflow.tmp)
    workflow.children.append(child)
    expect(child, APPROVAL_WAITING)
    ctrl_c_at_the_prompt(child)
    child.send(key)
    code, transcript = finish(child)
    run_id = workflow.only_run()
    assert "user requested abort" not in transcript
    assert_closing_line(code, transcript, f"Run {run_id}: NOT APPROVED — 0 of 5 steps completed", task="Approve")
    assert f"Report: {workflow.state_dir}/runs/{run_id}/report.md" in transcript
    assert workflow.parameter_values() == {}


def test_ctrl_c_at_a_checkpoint_stops_there_with_the_commands(workflow):
    plan = five_steps(workflow)
    child = spawn_playbook(workflow.execute_args(plan), bare_env(workflow), workflow.tmp)
    workflow.children.append(child)
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)
    ctrl_c_at_the_prompt(child)
    child.send("a")
    code, transcript = finish(child)
    run_id = workflow.only_run()
    assert "user requested abort" not in transcript
    assert_closing_line(code, transcript, f"Run {run_id}: ABORTED — 3 of 5 steps completed (stopped) — resume: ")
    assert f"Report: {workflow.state_dir}/runs/{run_id}/report.md" in transcript
    assert workflow.parameter_values() == {"/out/a": "v1", "/out/b": "v1", "/out/c": "v1"}


def test_a_single_runs_rollback_runs_the_role_and_no_wave_play(workflow):
    plan = five_steps(workflow)
    assert workflow.run(plan, "-e", f"approve={plan.digest}").returncode == 0
    result = run_playbook([ROLLBACK, *workflow.common_args("-e", f"approve={plan.digest}")], bare_env(workflow),
                          workflow.tmp)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output_of(result)
    assert output.count("PLAY [") == 1 and "PLAY [Roll back a past run from its journal]" in output
    assert_readable(output)
    assert recap(result.stdout) == {"ok": 7, "changed": 1, "failed": 0, "skipped": 0}
    assert workflow.parameter_values() == {}
