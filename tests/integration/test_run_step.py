"""Running plan steps with coworker.aws.run_step, as a user's own playbook does it.

Each test writes a small playbook that starts a run (run_journal op=start), approves it
with the plan digest (op=approve token=...), runs the plan's steps one task at a time,
optionally rolls back (mode: rollback) and finishes the run (op=finish). It then checks
what a user would check: the resources in moto, the task results, the journal and
report.json. The sandbox account is moto's default account 123456789012, classified by
an environments file, as scripts/demo.sh does.
"""

from __future__ import annotations

import pytest

from moto_harness import account_snapshot, output_of
from run_step_support import (  # noqa: F401  (the fixtures sandbox and workspace)  # pylint: disable=unused-import
    BUCKET, PROFILE, rollback_task, sandbox, step_ids, step_task, workspace)

pytestmark = pytest.mark.integration


# ------------------------------------------------------- example plans, step by step

OWNERSHIP_TAGS = {"Environment": "sandbox", "Owner": "platform-team", "CostCenter": "CC-1042",
                  "CreatedBy": "coworker.aws"}  # with Name and Application: the default required-tags rule's keys


def plan_tags(tags: dict) -> dict:
    """The tags the plan itself gives (the coworker: run tags left out)."""
    return {k: v for k, v in tags.items() if not k.startswith("coworker:")}


def s3_plan_created(snapshot, results, session=None):
    assert snapshot["s3_buckets"] == {BUCKET: {
        "versioning": "Enabled",
        "encryption": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": False}],
        "tags": dict(OWNERSHIP_TAGS, Name=BUCKET, Application="dev-logs",
                     Plan=results["run"]["run_id"])}}
    if session is not None:
        assert session.client("s3").get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True}


def vpc_plan_created(snapshot, results, _session=None):
    [(vpc_id, vpc)] = snapshot["ec2_vpcs"].items()
    [(subnet_id, subnet)] = snapshot["ec2_subnets"].items()
    [(group_id, group)] = snapshot["ec2_security_groups"].items()
    assert vpc["cidr"] == "10.20.0.0/16" and vpc["tags"]["coworker:step-id"] == "create_vpc"
    assert plan_tags(vpc["tags"]) == dict(OWNERSHIP_TAGS, Name="dev-web", Application="dev-web")
    assert plan_tags(subnet["tags"]) == dict(OWNERSHIP_TAGS, Name="dev-web-private-a", Application="dev-web")
    assert plan_tags(group["tags"]) == dict(OWNERSHIP_TAGS, Name="dev-web-https", Application="dev-web")
    assert (subnet["vpc"], subnet["cidr"]) == (vpc_id, "10.20.1.0/24")
    assert (group["name"], group["vpc"]) == ("dev-web-https", vpc_id)
    assert [(r["FromPort"], r["ToPort"], [ip["CidrIp"] for ip in r["IpRanges"]])
            for r in group["ingress"]] == [(443, 443, ["10.20.0.0/16"])]
    # the outputs chain through references: each step was sent the ids the previous made
    outputs = {sid: results[sid]["results"][0]["outputs"] for sid in
               ("create_vpc", "create_subnet", "create_security_group")}
    assert outputs == {"create_vpc": {"vpc_id": vpc_id}, "create_subnet": {"subnet_id": subnet_id},
                       "create_security_group": {"group_id": group_id}}
    assert results["create_subnet"]["results"][0]["call"]["params"]["VpcId"] == vpc_id
    assert results["allow_https"]["results"][0]["call"]["params"]["GroupId"] == group_id


def ssm_plan_created(snapshot, results, session=None):
    parameters = {name: p["value"] for name, p in snapshot["ssm_parameters"].items()}
    assert parameters == {"/sandbox/app/db_host": "db.sandbox.internal",
                          "/sandbox/app/log_level": "debug"}
    assert snapshot["iam_roles"] == {"sandbox-app-config-reader": {
        "path": "/", "attached_policies": [], "inline_policies": ["read-app-config"]}}
    if session is None:
        return
    ssm = session.client("ssm")
    for name, tag in (("/sandbox/app/db_host", "app-db-host"), ("/sandbox/app/log_level", "app-log-level")):
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        assert plan_tags({t["Key"]: t["Value"] for t in tags}) == dict(OWNERSHIP_TAGS, Name=tag, Application="sandbox-app")
    tags = session.client("iam").list_role_tags(RoleName="sandbox-app-config-reader")["Tags"]
    assert plan_tags({t["Key"]: t["Value"] for t in tags}) == dict(
        OWNERSHIP_TAGS, Name="sandbox-app-config-reader", Application="sandbox-app")


@pytest.mark.parametrize("example, created", [
    ("s3-dev-logs.yml", s3_plan_created),
    ("vpc-dev-network.yml", vpc_plan_created),
    ("ssm-iam-app-config.yml", ssm_plan_created),
])
def test_example_plan_runs_step_by_step_then_rolls_back(workspace, sandbox, example, created):
    plan, digest = workspace.approve_example(example)
    steps = step_ids(plan)
    before = account_snapshot(sandbox)

    result, results = workspace.run(plan, [step_task(s) for s in steps], digest, finish=False)

    assert result.returncode == 0, output_of(result)
    created(account_snapshot(sandbox), results, sandbox)
    for step in steps:
        [outcome] = results[step]["results"]
        assert (outcome["id"], outcome["status"], outcome["validation"]["status"]) \
            == (step, "succeeded", "passed")
        assert results[step]["changed"] is True and results[step]["completed"] == [step]
    run_id = results["run"]["run_id"]

    result, results = workspace.run(plan, [rollback_task()], run_id=run_id)

    assert result.returncode == 0, output_of(result)
    assert account_snapshot(sandbox) == before
    assert [r["id"] for r in results["rolled"]["rollback"]] == steps[::-1]
    assert {r["status"] for r in results["rolled"]["rollback"]} == {"rolled_back"}
    journal = workspace.journal(run_id)
    assert [e["step"] for e in journal if e["event"] == "rollback_succeeded"] == steps[::-1]
    report = workspace.report(run_id)
    assert report["status"] == "rolled_back"
    assert [(s["id"], s["validation"]) for s in report["steps"]] == [(s, "passed") for s in steps]
    assert report["rollback"]["status"] == "succeeded"


# ------------------------------------------------------------- throttling and 5xx

def test_throttled_and_failing_calls_are_retried_and_counted(workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    steps = step_ids(plan)
    fault_proxy.add_fault("ssm", "PutParameter", "throttle", count=3)  # put_db_host
    fault_proxy.add_fault("iam", "CreateRole", "error500", count=1)    # create_role
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)

    result, results = workspace.run(plan, [step_task(s) for s in steps], digest, env=env)

    assert result.returncode == 0, output_of(result)
    assert (fault_proxy.hits("ssm", "PutParameter"), fault_proxy.hits("iam", "CreateRole")) \
        == (3 + 1 + 1, 1 + 1)
    assert [results[s]["results"][0]["retries"] for s in steps] == [3, 0, 1, 0]
    report = workspace.report(results["run"]["run_id"])
    assert report["status"] == "succeeded"
    assert [(s["id"], s["retries"]) for s in report["steps"]] == list(zip(steps, [3, 0, 1, 0]))
    ssm_plan_created(account_snapshot(sandbox), results)


def test_ec2_request_limit_exceeded_is_retried(workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("vpc-dev-network.yml")
    fault_proxy.add_fault("ec2", "CreateVpc", "throttle", count=3)  # RequestLimitExceeded
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)

    result, results = workspace.run(plan, [step_task("create_vpc")], digest, env=env)

    assert result.returncode == 0, output_of(result)
    assert fault_proxy.hits("ec2", "CreateVpc") == 4
    [outcome] = results["create_vpc"]["results"]
    assert (outcome["status"], outcome["retries"]) == ("succeeded", 3)
    assert len(account_snapshot(sandbox)["ec2_vpcs"]) == 1


def test_permanent_throttling_fails_with_rate_limited_and_the_retry_count(
        workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    fault_proxy.add_fault("ssm", "PutParameter", "throttle")
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)

    # max_attempts counts every attempt: 3 attempts are 2 retries (keeps backoff short)
    result, results = workspace.run(plan, [step_task("put_db_host", max_attempts=3)], digest,
                                    env=env)

    assert result.returncode == 2, output_of(result)
    assert fault_proxy.hits("ssm", "PutParameter") == 3
    task = results["put_db_host"]
    assert task["failed"] is True and task["failed_step"] == "put_db_host"
    assert task["error"]["kind"] == "throttled" and task["error"]["retries"] == 2
    assert "RATE LIMITED: ssm:PutParameter failed with ThrottlingException: Rate exceeded" \
        in task["msg"]
    assert "still failed after 2 retries" in task["msg"]
    assert "RATE LIMITED" in result.stdout
    assert account_snapshot(sandbox)["ssm_parameters"] == {}
    report = workspace.report(results["run"]["run_id"])
    assert (report["status"], report["steps"][0]["status"]) == ("failed", "failed")
