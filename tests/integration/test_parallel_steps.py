"""Independent steps at the same time (issue 29): with max_concurrency above 1 the steps of a phase that
neither refer to each other nor name the same resource run together, through the real playbook, in front
of a moto whose every answer takes 100 ms (the fault proxy's latency, as over a WAN)."""

from __future__ import annotations

import os
import threading
import time

import pexpect
import pytest

from moto_harness import output_of
from workflow_support import (
    APPROVAL_WAITING, FAILURE_WAITING, PROFILE, expect, finish, kill_tree, put_param, step_statuses, unwrapped,
    workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

LATENCY = 0.1
KILL_TRIALS = int(os.environ.get("COWORKER_PARALLEL_KILL_TRIALS") or 2)


def behind_latency(workflow, fault_proxy):
    fault_proxy.latency = LATENCY
    workflow.env = lambda: workflow.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)


def events_of(journal, event):
    return {e["step"]: index for index, e in enumerate(journal) if e["event"] == event}


def wait_for_calls(workflow, event, enough, timeout=60):
    """Wait until the run's journal shows ``enough(steps whose event is journaled)``; the run's id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = workflow.run_ids()
        try:
            if ids and enough(events_of(workflow.journal(ids[0]), event)):
                return ids[0]
        except (OSError, ValueError):
            pass  # not written yet, or a line being written
        time.sleep(0.05)
    return None


def release_once_started(workflow, holds, event, step_ids):
    """Let the held answers go once the call of every step named is journaled as started: their spans overlap."""
    def watch():
        wait_for_calls(workflow, event, lambda started: set(step_ids) <= set(started))
        for hold in holds:
            hold.release()
    threading.Thread(target=watch, daemon=True).start()


def deployment(workflow):
    """The planner's deployment: a security group then an instance in it, and a bucket (configured next) beside them."""
    image = workflow.session.client("ec2").describe_images()["Images"][0]["ImageId"]
    steps = [
        {"id": "make_sg", "action": "ec2:CreateSecurityGroup", "params": {"GroupName": "web", "Description": "web"},
         "register": {"group_id": "GroupId"},
         "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupIds": ["${make_sg.group_id}"]}},
         "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupId": "${make_sg.group_id}"}}},
        {"id": "launch", "action": "ec2:RunInstances",
         "params": {"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
                    "SecurityGroupIds": ["${make_sg.group_id}"]},
         "register": {"instance_id": "Instances[0].InstanceId"},
         "rollback": {"action": "ec2:TerminateInstances", "params": {"InstanceIds": ["${launch.instance_id}"]}}},
        {"id": "logs", "action": "s3:CreateBucket", "params": {"Bucket": "wf-parallel-logs"},
         "validate": {"action": "s3:HeadBucket", "params": {"Bucket": "wf-parallel-logs"}},
         "rollback": {"action": "s3:DeleteBucket", "params": {"Bucket": "wf-parallel-logs"}}},
        {"id": "logs_versioning", "action": "s3:PutBucketVersioning",  # the same bucket by name: after logs
         "params": {"Bucket": "wf-parallel-logs", "VersioningConfiguration": {"Status": "Enabled"}},
         "undone_by": "logs"},
    ]
    return workflow.write_plan("deploy", [("Deploy", steps)])


def test_the_planners_deployment_security_group_then_instance_and_the_bucket_beside_them(workflow, fault_proxy):
    plan = deployment(workflow)
    behind_latency(workflow, fault_proxy)
    holds = [fault_proxy.add_fault("ec2", "CreateSecurityGroup", "hold", count=1),
             fault_proxy.add_fault("s3", "CreateBucket", "hold", count=1)]  # each answer waits for the other's call
    release_once_started(workflow, holds, "call_started", ["make_sg", "logs"])
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "max_concurrency=4")
    out = unwrapped(output_of(result))
    assert result.returncode == 0, out
    assert "Steps that run at the same time (max_concurrency 4):" in out
    assert "Deploy: make_sg, logs" in out  # the review: what starts together
    run_id = workflow.only_run()
    journal = workflow.journal(run_id)
    started, ended = events_of(journal, "call_started"), events_of(journal, "step_succeeded")
    assert started["logs"] < ended["make_sg"] and started["make_sg"] < ended["logs"]  # together
    assert started["launch"] > ended["make_sg"]  # its reference: after
    assert started["logs_versioning"] > ended["logs"]  # the same bucket: after
    report = workflow.report(run_id)
    assert [s["id"] for s in report["steps"]] == ["make_sg", "launch", "logs", "logs_versioning"]  # plan order
    assert set(step_statuses(report).values()) == {"succeeded"}
    snapshot = workflow.snapshot()
    assert "wf-parallel-logs" in snapshot["s3_buckets"]
    ec2 = workflow.session.client("ec2")
    group = ec2.describe_security_groups(GroupNames=["web"])["SecurityGroups"][0]["GroupId"]
    reservations = ec2.describe_instances()["Reservations"]
    assert [i["SecurityGroups"][0]["GroupId"] for r in reservations for i in r["Instances"]] == [group]


def test_rollback_terminates_the_instance_before_its_group_and_deletes_the_bucket_meanwhile(workflow, fault_proxy):
    plan = deployment(workflow)
    behind_latency(workflow, fault_proxy)
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "max_concurrency=4")
    assert result.returncode == 0, output_of(result)
    run_id = workflow.only_run()
    holds = [fault_proxy.add_fault("ec2", "TerminateInstances", "hold", count=1),
             fault_proxy.add_fault("s3", "DeleteBucket", "hold", count=1)]
    release_once_started(workflow, holds, "rollback_call_started", ["launch", "logs"])
    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}", "-e", "max_concurrency=4")
    out = unwrapped(output_of(rolled))
    assert rolled.returncode == 0, out
    journal = workflow.journal(run_id)
    started, ended = events_of(journal, "rollback_call_started"), events_of(journal, "rollback_succeeded")
    assert started["make_sg"] > ended["launch"]  # the instance in the group is gone first
    assert started["logs"] < ended["launch"] and started["launch"] < ended["logs"]  # independent: together
    assert ended["logs_versioning"] > ended["logs"]  # undone with the bucket's rollback
    assert set(step_statuses(workflow.report(run_id)).values()) == {"rolled_back"}
    ec2 = workflow.session.client("ec2")
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["web"]}])["SecurityGroups"]
    states = [i["State"]["Name"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert states == ["terminated"]
    assert "wf-parallel-logs" not in workflow.snapshot()["s3_buckets"]


def phase_seconds(fault_proxy, names):
    """From the phase's first request to its last answer (the proxy's clock), for the parameters named."""
    spans = [(start, end) for service, _op, start, end in fault_proxy.timeline if service == "ssm"]
    return max(end for _s, end in spans) - min(start for start, _e in spans)


def test_twelve_independent_creates_finish_at_least_three_times_faster_with_four_at_once(workflow, fault_proxy):
    behind_latency(workflow, fault_proxy)
    seconds, states = {}, {}
    for limit in (1, 4):
        names = ["/par%d/p%02d" % (limit, n) for n in range(12)]
        plan = workflow.write_plan("twelve%d" % limit, [("Create", [
            put_param("p%02d" % n, name) for n, name in enumerate(names)])])
        fault_proxy.timeline.clear()
        result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", f"max_concurrency={limit}")
        assert result.returncode == 0, output_of(result)
        seconds[limit] = phase_seconds(fault_proxy, names)
        values = workflow.parameter_values()
        states[limit] = {name.split("/")[-1]: values[name] for name in names}
    print("\nPARALLEL 12 steps, %.0f ms latency: 1 at once %.2f s, 4 at once %.2f s (%.1fx)" % (
        LATENCY * 1000, seconds[1], seconds[4], seconds[1] / seconds[4]))
    assert states[1] == states[4]  # the same end state
    assert seconds[1] >= 3 * seconds[4], seconds


def test_a_failure_among_steps_in_flight_is_offered_once_and_rollback_undoes_the_others(workflow, fault_proxy):
    behind_latency(workflow, fault_proxy)
    workflow.block_put_c()  # /wf/c exists: put_c fails while the others are in flight
    steps = [put_param("put_a", "/wf/a"), put_param("put_b", "/wf/b"), put_param("put_c", "/wf/c"),
             put_param("put_d", "/wf/d"), put_param("put_e", "/wf/e", after=["put_a"])]
    plan = workflow.write_plan("fail", [("Config", steps)])
    child = workflow.spawn(plan, "-e", "max_concurrency=4")
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, FAILURE_WAITING)
    child.sendline("3")  # roll back completed steps
    code, out = finish(child)
    text = unwrapped(out)
    assert code != 0
    assert len(FAILURE_WAITING.findall(text)) == 1  # offered once, for the batch
    run_id = workflow.only_run()
    journal = workflow.journal(run_id)
    succeeded = set(events_of(journal, "step_succeeded"))
    assert succeeded == {"put_a", "put_b", "put_d"}  # the others in flight finished; put_e never started
    assert "put_e" not in events_of(journal, "call_started")
    undone = [e["step"] for e in journal if e["event"] == "rollback_succeeded"]
    assert sorted(undone) == ["put_a", "put_b", "put_d"]  # independent undos: at the same time
    started = [index for index, e in enumerate(journal) if e["event"] == "rollback_call_started"]
    assert len(started) == 3 and max(started) < min(events_of(journal, "rollback_succeeded").values())
    assert workflow.parameter_values() == {"/wf/c": "keep"}
    assert step_statuses(workflow.report(run_id))["put_c"] == "failed"


def three_calls_in_flight(workflow, fault_proxy, label, spawn=None):
    """A run of six independent PutParameter steps, three at once (``spawn``: workflow.spawn by default), once
    the answers of the first three are held by the fault proxy (moto has acted): (plan, the run, the hold)."""
    behind_latency(workflow, fault_proxy)
    plan = workflow.write_plan(label, [("Create", [put_param("p%d" % n, "/%s/p%d" % (label, n)) for n in range(6)])])
    held = fault_proxy.add_fault("ssm", "PutParameter", "hold", count=3)  # moto acts; the answers wait
    child = (spawn or workflow.spawn)(plan, "-e", f"approve={plan.digest}", "-e", "max_concurrency=3")
    deadline = time.monotonic() + 60
    while fault_proxy.hits("ssm", "PutParameter") < 3 and time.monotonic() < deadline:  # each journaled first
        child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.1)  # read the screen, as a terminal shows it
    return plan, child, held


@pytest.mark.parametrize("trial", range(KILL_TRIALS), ids=lambda n: f"trial{n}")
def test_killed_with_several_calls_in_flight_rollback_run_undoes_everything(workflow, fault_proxy, trial):
    before = workflow.parameter_values()
    plan, child, held = three_calls_in_flight(workflow, fault_proxy, "kill%d" % trial)
    run_id = workflow.only_run()
    kill_tree(child)  # SIGKILL with three calls in flight
    held.release()
    assert len(events_of(workflow.journal(run_id), "call_started")) == 3
    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    assert workflow.parameter_values() == before
    assert workflow.report(run_id)["status"] == "rolled_back"


def test_a_request_budget_spaces_every_call_to_the_account(workflow, fault_proxy):
    behind_latency(workflow, fault_proxy)
    fault_proxy.latency = 0.0  # moto's own speed: only the budget spaces the calls
    plan = workflow.write_plan("budget", [("Create", [put_param("p%d" % n, "/budget/p%d" % n) for n in range(6)])])
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "max_concurrency=4",
                          "-e", "max_requests_per_second=10")
    assert result.returncode == 0, output_of(result)
    first = min(start for service, op, start, _end in fault_proxy.timeline if op == "PutParameter")
    sent = sorted(start for service, _op, start, _end in fault_proxy.timeline if service == "ssm" and start >= first)
    assert len(sent) >= 12  # the put and the validation of each step at least
    # 10 a second, whatever runs at once (at moto's speed, 4 at once, they would all go in about 0.3 s); each call
    # leaves at its slot plus a thread's wake-up, which a loaded machine stretches: 100 ms of it allowed
    assert sent[-1] - sent[0] >= (len(sent) - 1) * 0.1 - 0.1
    assert max(sum(1 for t in sent if start <= t < start + 0.5) for start in sent) <= 6
    assert len(workflow.parameter_values()) == 6


def test_the_dry_run_shows_the_schedule_and_changes_nothing(workflow):
    plan = workflow.write_plan("dryrun", [("Create", [put_param("d%d" % n, "/dry/p%d" % n) for n in range(3)])])
    result = workflow.run(plan, "--check", "-e", "max_concurrency=4")
    out = unwrapped(output_of(result))
    assert result.returncode == 0, out
    assert "Steps that run at the same time (max_concurrency 4):" in out and "Create: d0, d1, d2" in out
    assert workflow.parameter_values() == {}
