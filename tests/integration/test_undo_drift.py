"""A past run is not rolled back blind: what changed since is shown, and what others made is kept.

rollback_run describes each resource again and compares it with what the journal recorded the run
left. Without a terminal a drift refuses (nothing is sent) unless -e accept_drift=true; on a
terminal the table comes before the question. A bucket someone else put objects in is never
emptied or deleted, accepted or not. A resume's clean-up leaves a resource changed since the
run's earlier pass as it is.
"""

from __future__ import annotations

import pytest

from moto_harness import mutating_calls, output_of, spawn_playbook
from workflow_support import (
    APPROVAL_WAITING, ROLLBACK, expect, finish, four_steps, put_param, step_statuses, unwrapped, workflow)
from test_undo_ownership import GROUP, groups, make_group

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

BUCKET = "drift-logs-bucket"


def done_run(workflow, phases):
    plan = workflow.write_plan("drift", phases)
    before = workflow.snapshot()
    done = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert done.returncode == 0, output_of(done)
    return plan, before, workflow.only_run()


def open_port_22(workflow):
    """Someone else changes the run's group after the run."""
    workflow.session.client("ec2").authorize_security_group_ingress(
        GroupId=groups(workflow)[GROUP], IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                         "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}])


def test_a_resource_changed_after_the_run_is_shown_and_refused_without_a_person_unless_accepted(workflow):
    plan, before, run_id = done_run(workflow, [("Network", [put_param("put_a", "/drift/a"), make_group()])])
    open_port_22(workflow)

    with workflow.moto.recording() as calls:
        refused = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")

    shown = unwrapped(output_of(refused))
    assert refused.returncode != 0
    assert mutating_calls(calls) == []  # nothing undone blind
    assert "DRIFT since the run" in shown and "create_sg" in shown and "CHANGED" in shown
    assert "IpPermissions[0].FromPort" in shown or "IpPermissions" in shown
    assert "put_a /drift/a" in shown  # the unchanged one is in the table too, as "none"
    assert "-e accept_drift=true" in shown
    assert set(workflow.snapshot()["ssm_parameters"]) == {"/drift/a"} and GROUP in groups(workflow)
    assert workflow.report(run_id)["status"] == "succeeded"  # the run's own report: a refused pass writes none

    accepted = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}", "-e", "accept_drift=true")

    assert accepted.returncode == 0, output_of(accepted)
    assert workflow.snapshot() == before
    report = workflow.report(run_id)
    assert report["status"] == "rolled_back"
    assert {row["step"]: row["drift"] for row in report["drift"]["rows"]} == {"create_sg": "changed", "put_a": "none"}
    assert "## Drift" in workflow.report_md(run_id)


def test_on_a_terminal_the_drift_table_comes_before_the_question(workflow):
    plan, before, run_id = done_run(workflow, [("Network", [make_group()])])
    open_port_22(workflow)
    child = spawn_playbook([ROLLBACK, *workflow.common_args("-e", f"run={run_id}")], workflow.env(), workflow.tmp)
    workflow.children.append(child)

    expect(child, APPROVAL_WAITING)
    shown = unwrapped(child.before[child.before.rindex("ROLLBACK PLAN"):])
    assert "DRIFT since the run" in shown and f"create_sg {groups(workflow)[GROUP]}" in shown
    assert "CHANGED" in shown
    child.sendline("yes")
    code, transcript = finish(child)

    assert code == 0, transcript
    assert workflow.snapshot() == before
    assert workflow.report(run_id)["status"] == "rolled_back"


def bucket_steps():
    return [("Storage", [
        {"id": "create_bucket", "action": "s3:CreateBucket", "params": {"Bucket": BUCKET},
         "validate": {"action": "s3:HeadBucket", "params": {"Bucket": BUCKET}},
         "rollback": {"action": "s3:DeleteBucket", "params": {"Bucket": BUCKET}}},
        {"id": "put_readme", "action": "s3:PutObject", "params": {"Bucket": BUCKET, "Key": "README", "Body": "ours"},
         "validate": {"action": "s3:HeadObject", "params": {"Bucket": BUCKET, "Key": "README"}},
         "rollback": {"action": "s3:DeleteObject", "params": {"Bucket": BUCKET, "Key": "README"}}}])]


def test_a_bucket_that_gained_objects_from_someone_else_is_never_emptied_or_deleted(workflow):
    plan, _before, run_id = done_run(workflow, bucket_steps())
    s3 = workflow.session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="theirs/report.csv", Body=b"someone else's")

    refused = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    shown = unwrapped(output_of(refused))
    assert refused.returncode != 0
    assert "create_bucket drift-logs-bucket: 1 objects: theirs/report.csv" in shown

    with workflow.moto.recording() as calls:
        accepted = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}",
                                         "-e", "accept_drift=true")

    shown = unwrapped(output_of(accepted))
    assert mutating_calls(calls) == [("s3", "DeleteObject")]  # the run's own README only; no DeleteBucket
    assert b"README" in next(c.url.encode() for c in calls if c.key == ("s3", "DeleteObject"))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == ["theirs/report.csv"]  # the bucket is there with what someone else put in it
    assert accepted.returncode != 0  # the run is not rolled back: its bucket is left
    report = workflow.report(run_id)
    assert report["status"] == "partial"
    assert step_statuses(report)["put_readme"] == "rolled_back"
    left = next(m for m in report["rollback"]["manual_cleanup"] if m.startswith("create_bucket"))
    assert "holds what others made since the run, so it is not deleted: 1 objects (theirs/report.csv): left" in left
    assert "holds what others made since the run" in shown


def test_a_resumes_clean_up_leaves_a_resource_changed_since_the_earlier_pass(workflow):
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    stopped = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort")
    assert stopped.returncode != 0, output_of(stopped)
    run_id = workflow.only_run()
    workflow.ssm.put_parameter(Name="/wf/a", Value="changed by someone", Type="String", Overwrite=True)

    resumed = workflow.run(None, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}", "-e", "on_failure=rollback")

    assert resumed.returncode != 0
    assert workflow.parameter_values() == {"/wf/a": "changed by someone", "/wf/c": "keep"}  # put_b undone, a left
    report = workflow.report(run_id)
    assert step_statuses(report)["put_b"] == "rolled_back"
    left = next(m for m in report["rollback"]["manual_cleanup"] if m.startswith("put_a"))
    assert "changed since the run (" in left and "Parameter.Version: 1 -> 2" in left

    accepted = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}", "-e", "accept_drift=true")
    assert accepted.returncode == 0, output_of(accepted)
    assert workflow.parameter_values() == {"/wf/c": "keep"}
