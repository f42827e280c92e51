"""A run keeps its record whatever the disk or a second operator does, and retries as asked.

The journal deleted at a checkpoint: the next batch stops before any call, the report is not
rebuilt from nothing, and rollback_run restores the journal from its copy and undoes every
step. force_unlock is refused while the holder lives and takes over once it is dead.
-e max_attempts=12 reaches botocore, and every retry (the call's and its reads') is counted.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from moto_harness import ansible_bin, mutating_calls, output_of
from workflow_support import (
    ALL_FOUR, APPROVAL_WAITING, ROLLBACK, CHECKPOINT_WAITING, PROFILE, expect, finish, four_steps, kill_tree, put_param,
    run_throttled, step_statuses, unwrapped, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest


def test_a_journal_deleted_mid_run_stops_the_run_and_rollback_run_still_undoes_everything(workflow):
    plan = workflow.write_plan("wf", four_steps())
    before = workflow.snapshot()
    child = workflow.spawn(plan)
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)  # phase 1 (put_a, put_b) is done
    run_id = workflow.only_run()
    journal = workflow.state_dir / "runs" / run_id / "journal.jsonl"
    report_before = workflow.report(run_id)
    journal.unlink()
    with workflow.moto.recording() as calls:
        child.sendline("yes")
        expect(child, f"the journal {journal} was deleted")
        kill_tree(child)  # whatever the person answers next, the run has stopped

    assert mutating_calls(calls) == []  # nothing sent after the journal vanished
    assert not journal.exists()  # not silently recreated as a fresh, empty history
    assert workflow.report(run_id) == report_before  # not rewritten from less
    assert step_statuses(report_before)["put_b"] == "succeeded"

    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")

    assert rolled.returncode == 0, output_of(rolled)
    assert "restored from its copy" in unwrapped(output_of(rolled))
    assert workflow.snapshot() == before
    report = workflow.report(run_id)
    assert report["status"] == "rolled_back"
    assert {s["id"] for s in report["rollback"]["steps"]} == {"put_a", "put_b"}


def test_force_unlock_is_refused_while_the_holder_lives_and_takes_over_once_it_is_dead(workflow):
    plan = workflow.write_plan("wf", four_steps())
    holder = workflow.spawn(plan)
    try:
        expect(holder, APPROVAL_WAITING)  # the holder is alive and holds the lock
        holder_id = workflow.only_run()
        with workflow.moto.recording() as calls:
            forced = workflow.run_rollback("-e", f"run={holder_id}", "-e", f"force_unlock={holder_id}",
                                           "-e", f"approve={plan.digest}")
        shown = unwrapped(output_of(forced))
        assert forced.returncode != 0
        assert f"force_unlock refused: run {holder_id} still runs here (pid {holder.pid} " in shown
        assert mutating_calls(calls) == []
    finally:
        kill_tree(holder)

    taken = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", f"force_unlock={holder_id}")

    shown = unwrapped(output_of(taken))
    assert taken.returncode == 0, shown
    assert f"took over the stale lock of run {holder_id} (pid {holder.pid}" in shown
    assert workflow.parameter_values() == ALL_FOUR


@pytest.mark.parametrize("max_attempts, succeeds", [(None, False), ("12", True)], ids=["default-5", "max-attempts-12"])
def test_max_attempts_as_a_plain_extra_var_reaches_every_call_and_retries_are_counted(
        workflow, fault_proxy, max_attempts, succeeds):
    plan = workflow.write_plan("wf", [("Only", [put_param("put_a", "/wf/a")])])
    workflow.env = lambda: workflow.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)
    fault_proxy.add_fault("ssm", "PutParameter", "throttle", count=5)  # six attempts needed
    fault_proxy.add_fault("ssm", "GetParameter", "throttle", count=2)  # the describe before: two retries

    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort",
                          *(["-e", f"max_attempts={max_attempts}"] if max_attempts else []))

    report = workflow.report(workflow.only_run())
    row = report["steps"][0]
    if succeeds:
        assert result.returncode == 0, output_of(result)
        assert (row["status"], workflow.parameter_values()) == ("succeeded", {"/wf/a": "v1"})
        assert row["retries"] == 5 + 2
    else:  # botocore's default of 5 attempts: 4 retries of the call, counted although the step failed
        assert result.returncode != 0
        assert row["status"] == "failed" and row["error"]["kind"] == "throttled"
        assert row["retries"] == 4 + 2
    assert fault_proxy.hits("ssm", "PutParameter") == (6 if succeeds else 5)


THROTTLE_STEPS = int(os.environ.get("COWORKER_THROTTLE_STEPS") or 10)  # 30 on demand
THROTTLE_SEED = int(os.environ.get("COWORKER_THROTTLE_SEED") or 17)


def mixed_steps(count: int) -> list[dict]:
    """Parameters and security groups, two to one, each with its describe, validate and rollback."""
    steps = []
    for n in range(count):
        if n % 3 == 2:
            name = f"throttled-{n}"
            steps.append({"id": f"group_{n}", "description": name, "action": "ec2:CreateSecurityGroup",
                          "params": {"GroupName": name, "Description": "throttle trial"},
                          "register": {"group_id": "GroupId"},
                          "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": [name]}},
                          "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupName": name}}})
        else:
            steps.append(put_param(f"put_{n}", f"/throttled/{n}"))
    return steps


def test_half_of_every_request_throttled_completes_with_max_attempts_12_and_every_retry_counted(
        workflow, fault_proxy):
    steps = mixed_steps(THROTTLE_STEPS)
    plan = workflow.write_plan("throttled", [("Only", steps)])

    result, report, counted = run_throttled(workflow, fault_proxy, plan, ("ssm", "ec2"), 0.5, THROTTLE_SEED)

    print(f"THROTTLE-TRIAL steps={len(steps)} seed={THROTTLE_SEED}: rc={result.returncode} {report['status']}, "
          f"faults injected={fault_proxy.faults()}, retries in the report={counted}")
    assert result.returncode == 0, output_of(result)
    assert report["status"] == "succeeded"
    snapshot = workflow.snapshot()
    assert sorted(g["name"] for g in snapshot["ec2_security_groups"].values()) == sorted(
        s["params"]["GroupName"] for s in steps if s["id"].startswith("group_"))  # each once: no duplicate
    assert {name: p["version"] for name, p in snapshot["ssm_parameters"].items()} == {
        s["params"]["Name"]: 1 for s in steps if s["id"].startswith("put_")}
    assert fault_proxy.faults() > len(steps) // 2  # the trial really throttled
    assert counted == fault_proxy.faults()  # every retry, of calls and reads, is in the report


def test_an_endpoint_gone_mid_run_is_said_as_such_and_the_report_names_what_is_left(workflow, fault_proxy):
    plan = workflow.write_plan("wf", four_steps())
    before = workflow.snapshot()
    workflow.env = lambda: workflow.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)
    child = workflow.spawn(plan)
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)  # phase 1 (put_a, put_b) is done
    fault_proxy.stop()  # the endpoint goes away and stays away
    child.sendline("yes")
    code, transcript = finish(child)

    shown = unwrapped(transcript)
    assert code != 0
    assert f"could not reach AWS endpoint {fault_proxy.url}" in shown
    assert "executes in non-production only" not in shown  # not worded as a production refusal
    report = workflow.report(workflow.only_run())
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/b": "v1"}
    assert report["rollback"]["status"] == "not_done"  # never "not_needed" while something is left
    assert report["rollback"]["left"] == ["put_a", "put_b"]
    assert [m.split(":")[0] for m in report["rollback"]["manual_cleanup"]] == ["put_b", "put_a"]  # undo order

    workflow.env = lambda: workflow.aws_env.env(profile=PROFILE)  # the endpoint is back
    rolled = workflow.run_rollback("-e", "run=last", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    assert workflow.snapshot() == before
    assert workflow.report(workflow.only_run())["status"] == "rolled_back"


def read_only_mounts_work() -> bool:
    """A private mount namespace where a bind mount can be made read-only (root in a container)."""
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "mount --bind -o ro /tmp /tmp && ! touch /tmp/.coworker-ro-probe"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def run_with_read_only_state(workflow, playbook_args: list) -> subprocess.CompletedProcess:
    """ansible-playbook with the state dir read-only (EROFS), in a mount namespace of its own."""
    state = str(workflow.state_dir)
    command = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", command, state,
                           str(ansible_bin()), *map(str, playbook_args)],
                          env=workflow.env(), cwd=str(workflow.tmp), capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, check=False)


@pytest.mark.skipif(not read_only_mounts_work(), reason="needs unshare and a read-only bind mount")
def test_a_read_only_state_dir_is_explained_in_words_and_nothing_is_changed(workflow):
    plan = workflow.write_plan("wf", four_steps())
    workflow.state_dir.mkdir()
    with workflow.moto.recording() as calls:
        refused = run_with_read_only_state(workflow, workflow.execute_args(plan, "-e", f"approve={plan.digest}"))
    shown = unwrapped(output_of(refused))
    assert refused.returncode != 0
    assert f"cannot write the run state at {workflow.state_dir}/" in shown
    assert "the file system is read-only [Errno 30]" in shown
    assert mutating_calls(calls) == []

    done = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert done.returncode == 0, output_of(done)
    with workflow.moto.recording() as calls:
        refused = run_with_read_only_state(workflow, [ROLLBACK, *workflow.common_args(
            "-e", "run=last", "-e", f"approve={plan.digest}")])
    assert refused.returncode != 0
    assert "the file system is read-only [Errno 30]" in unwrapped(output_of(refused))
    assert mutating_calls(calls) == []  # a rollback that could not journal sends nothing
    assert workflow.parameter_values() == ALL_FOUR
