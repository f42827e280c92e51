"""A rollback undoes only what its run made: a journal that names something else decides nothing.

The run's journal is rewritten the way a legitimate write would (an event appended through the
backend's own journal, so an integrity check of the journal's history is no obstacle): the id the
run registered for its security group now names a bystander group of the same account. The
rollback, from the local state and from the shared S3 state, must not send one call for the
bystander, must list it as "not made by this run: left", and must still remove the run's own group,
found by its run tags. A journal deleted while the create's answer is in flight loses the group's
id altogether: the sweep by tag removes it too.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from moto_harness import REGION, ansible_bin, output_of
from workflow_support import EXECUTE, PROFILE, ROLLBACK, put_param, unwrapped, workflow
from test_s3_state_backend import BUCKET, TOOLING, TOOLING_PROFILE, Machine, report_of

from ansible_collections.coworker.aws.plugins.module_utils.run.backend import open_backend
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import Head
from ansible_collections.coworker.aws.plugins.module_utils.run.integrity import head_key, record_head

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

GROUP = "own-web"


def make_group(step_id="create_sg", name=GROUP):
    return {"id": step_id, "description": f"Create {name}", "action": "ec2:CreateSecurityGroup",
            "params": {"GroupName": name, "Description": "the run's own group"},
            "register": {"group_id": "GroupId"},
            "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupIds": [f"${{{step_id}.group_id}}"]}},
            "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupId": f"${{{step_id}.group_id}}"}}}


def phases():
    return [("Network", [put_param("put_a", "/own/a"), make_group()])]


def groups(workflow) -> dict[str, str]:
    """name -> id of the account's security groups (moto's default ones left out)."""
    return {g["name"]: gid for gid, g in workflow.snapshot()["ec2_security_groups"].items()}


def bystander(workflow, tags=None) -> str:
    ec2 = workflow.session.client("ec2")
    spec = [{"ResourceType": "security-group", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    return ec2.create_security_group(GroupName="bystander", Description="not the run's",
                                     TagSpecifications=spec)["GroupId"]


def deletes_sent(calls) -> list[bytes]:
    return [c.body for c in calls if c.key == ("ec2", "DeleteSecurityGroup")]


def rewrite_group_id(backend, run_id, group_id):
    """Append what a legitimate write appends: the step's answer, now naming another group; and mark the run's
    head record as a pass begun after it (as a pass killed mid-way leaves it), so the journal's integrity checks
    (run/integrity.py) pass: whoever can write all of the state can do this, and ownership must still hold."""
    record = json.loads(backend.get(head_key(run_id)))
    record_head(backend, run_id, Head.of(record), pass_open=True)
    with backend.journal(run_id) as journal:
        journal.append("call_succeeded", step="create_sg", retries=0, outputs={"group_id": group_id}, mutating=True)


@pytest.mark.parametrize("tags", [None, {"coworker:run-id": "20260101T000000Z-other-000000"}],
                         ids=["untagged", "another-runs"])
def test_a_journal_id_rewritten_to_a_bystander_is_refused_and_the_runs_own_group_is_swept(workflow, tags):
    plan = workflow.write_plan("own", phases())
    before = workflow.snapshot()
    done = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert done.returncode == 0, output_of(done)
    run_id = workflow.only_run()
    own = groups(workflow)[GROUP]
    other = bystander(workflow, tags)
    rewrite_group_id(open_backend(str(workflow.state_dir)), run_id, other)

    with workflow.moto.recording() as calls:  # the drift check shows the rewrite; accepted, ownership must hold
        rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}", "-e", "accept_drift=true")

    shown = unwrapped(output_of(rolled))
    assert rolled.returncode == 0, shown  # everything the run made is undone
    assert other.encode() not in b"".join(deletes_sent(calls))  # not one call for the bystander
    assert groups(workflow) == {"bystander": other}  # the run's own group is gone, the bystander intact
    assert workflow.snapshot()["ssm_parameters"] == before["ssm_parameters"]
    report = workflow.report(run_id)
    assert [line.split(":")[0] for line in report["rollback"]["not_ours"]] == ["create_sg"]
    assert other in report["rollback"]["not_ours"][0]
    reason = "carries coworker:run-id=%s, another run's" % tags["coworker:run-id"] if tags else (
        f"this run tagged what step create_sg made, and it does not carry coworker:run-id={run_id}")
    assert reason in report["rollback"]["not_ours"][0]
    assert "not made by this run: left" in shown and other in shown
    swept = next(s for s in report["rollback"]["steps"] if s["id"] == "create_sg")
    assert swept["status"] == "succeeded" and own in swept["swept"]  # found by its run tags, not by the journal
    assert "Not made by this run, so not touched" in workflow.report_md(run_id)
    assert report["status"] == "rolled_back", shown
    assert "1 undo call not sent: not made by this run" in shown


def test_through_the_shared_s3_state_a_rewritten_id_is_refused_on_the_second_machine(workflow, monkeypatch):
    workflow.aws_env.add_account_profile(TOOLING_PROFILE, TOOLING)
    state = workflow.aws_env.boto3_session(TOOLING_PROFILE).client("s3")
    state.create_bucket(Bucket=BUCKET)
    backend = {"type": "s3", "bucket": BUCKET, "prefix": "coworker", "region": REGION,
               "profile": TOOLING_PROFILE, "account_id": TOOLING}
    first, second = Machine(workflow, "machine-a", backend, False), Machine(workflow, "machine-b", backend, True)
    plan = workflow.write_plan("own", phases())
    done = first.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    assert done.returncode == 0, output_of(done)
    run_id = _only_run(state)
    other = bystander(workflow)
    for name, value in workflow.aws_env.env(profile=TOOLING_PROFILE).items():  # this process writes as machine C
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    rewrite_group_id(open_backend(str(workflow.tmp / "machine-c"), backend), run_id, other)

    with workflow.moto.recording() as calls:
        rolled = second.run(ROLLBACK, "-e", f"run={run_id}", "-e", f"approve={plan.digest}", "-e", "accept_drift=true")

    assert other.encode() not in b"".join(deletes_sent(calls))
    assert groups(workflow) == {"bystander": other}, output_of(rolled)
    report = report_of(state, run_id)
    assert other in report["rollback"]["not_ours"][0]
    assert report["status"] == "rolled_back"


def _only_run(state) -> str:
    pages = state.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="coworker/runs/")
    runs = {item["Key"].split("/")[2] for page in pages for item in page.get("Contents", [])}
    assert len(runs) == 1, runs
    return runs.pop()


def test_a_journal_deleted_with_a_create_in_flight_is_undone_by_the_sweep_and_reported(workflow, fault_proxy):
    plan = workflow.write_plan("own", [("Network", [put_param("put_a", "/own/a"), put_param("put_b", "/own/b"),
                                                    make_group()])])
    before = workflow.snapshot()
    workflow.env = lambda: workflow.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)
    held = fault_proxy.add_fault("ec2", "CreateSecurityGroup", "hold", count=1)
    run = subprocess.Popen([str(ansible_bin()), *map(str, workflow.execute_args(plan, "-e", f"approve={plan.digest}"))],
                           env=workflow.env(), cwd=str(workflow.tmp), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        for _attempt in range(600):  # the create reached moto; its answer is held
            if GROUP in groups(workflow):
                break
            time.sleep(0.1)
        assert GROUP in groups(workflow)
        run_id = workflow.only_run()
        (workflow.state_dir / "runs" / run_id / "journal.jsonl").unlink()
    finally:
        held.release()
        output = run.communicate(timeout=300)[0]
    assert run.returncode != 0 and "was deleted" in unwrapped(output), output

    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")

    shown = unwrapped(output_of(rolled))
    assert rolled.returncode == 0, shown
    assert workflow.snapshot() == before  # the group whose id the journal never got is gone too
    report = workflow.report(run_id)
    assert report["status"] == "rolled_back"
    rows = {s["id"]: s for s in report["rollback"]["steps"]}
    assert set(rows) == {"put_a", "put_b", "create_sg"}  # all three resources the run made are named
    assert rows["create_sg"]["status"] == "succeeded" and "security-group/sg-" in rows["create_sg"]["swept"]
    assert "[Sweep] create_sg arn:aws:ec2:" in shown
