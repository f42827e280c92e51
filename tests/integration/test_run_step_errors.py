"""run_step in a user's playbook: classified errors (access denied, not found), rollback of what is already gone,
and a step run again recognising what its first attempt made."""

from __future__ import annotations

import configparser
import json

import pytest

from moto_harness import account_snapshot, output_of
from run_step_support import (  # noqa: F401  (the fixtures sandbox and workspace)  # pylint: disable=unused-import
    BUCKET, PROFILE, rollback_task, sandbox, small_plan, step_task, workspace)

pytestmark = pytest.mark.integration


# ------------------------------------------------------------------ classified errors

def add_user_profile(aws_env, profile: str, policy: dict) -> None:
    """An IAM user of the sandbox account with an inline policy, and a profile with its key."""
    iam = aws_env.boto3_session().client("iam")
    iam.create_user(UserName=profile)
    iam.put_user_policy(UserName=profile, PolicyName="limited", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=profile)["AccessKey"]
    for path, section, values in (
            (aws_env.credentials_file, profile, {"aws_access_key_id": key["AccessKeyId"],
                                                 "aws_secret_access_key": key["SecretAccessKey"]}),
            (aws_env.config_file, f"profile {profile}", {"region": "us-east-1",
                                                         "endpoint_url": aws_env.endpoint_url})):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path)
        parser[section] = values
        with open(path, "w") as handle:
            parser.write(handle)


LIKELY_CAUSES = {
    "ACCESS DENIED": ["lacks permission for s3:CreateBucket (check its IAM policies)",
                      "a service control policy (SCP) of the organisation blocks s3:CreateBucket",
                      "a resource policy (bucket, key, role trust) denies this caller"],
    "NOT FOUND": ["was already deleted", "it exists in another region or account",
                  "it is named differently"],
}


def test_access_denied_names_profile_operation_and_likely_causes(
        workspace, sandbox, moto_server):
    plan, digest = workspace.approve_example("s3-dev-logs.yml")
    add_user_profile(workspace.aws_env, "sandbox-limited", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Resource": "*",
        "Action": ["sts:GetCallerIdentity", "iam:ListAccountAliases", "s3:ListBucket",
                   "s3:HeadBucket"]}]})
    moto_server.enable_iam_checks()

    result, results = workspace.run(plan, [step_task("create_bucket")], digest,
                                    profile="sandbox-limited")

    moto_server.disable_iam_checks()
    assert result.returncode == 2, output_of(result)
    task = results["create_bucket"]
    assert task["identity"]["profile"] == "sandbox-limited"
    assert task["error"]["kind"] == "access_denied" and task["error"]["code"] == "AccessDenied"
    message = task["msg"]
    assert "ACCESS DENIED: s3:CreateBucket failed with AccessDenied" in message
    assert f"resource: Bucket={BUCKET}; caller: profile sandbox-limited" in message
    assert "request id: " in message
    assert "profile sandbox-limited lacks permission" in message
    for cause in LIKELY_CAUSES["ACCESS DENIED"]:
        assert cause in message
    assert account_snapshot(sandbox)["s3_buckets"] == {}


def test_not_found_names_the_resource_and_likely_causes(workspace, sandbox):
    # not S3: a bucket the account does not own is refused by the perimeter before any call
    group = "sg-0123456789abcdef0"
    plan, digest = workspace.approve(small_plan("tag-missing-group", [{
        "id": "tag_group", "action": "ec2:CreateTags",
        "params": {"Resources": [group], "Tags": [{"Key": "team", "Value": "web"}]},
        "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupIds": [group]}},
        "rollback": {"action": "ec2:DeleteTags", "params": {"Resources": [group]}}}]))

    result, results = workspace.run(plan, [step_task("tag_group")], digest)

    assert result.returncode == 2, output_of(result)
    task = results["tag_group"]
    assert (task["error"]["kind"], task["error"]["code"]) == ("not_found", "InvalidGroup.NotFound")
    message = task["msg"]
    assert "NOT FOUND: ec2:CreateTags failed with InvalidGroup.NotFound" in message
    assert f"The security group '{{'{group}'}}' does not exist" in message
    assert f"caller: profile {PROFILE}" in message
    for cause in LIKELY_CAUSES["NOT FOUND"]:
        assert cause in message
    assert "NOT FOUND" in result.stdout
    # the step changed nothing, so a rollback of the run has nothing to undo
    journal = workspace.journal(results["run"]["run_id"])
    assert [e["changed"] for e in journal if e["event"] == "call_failed"] == [False]


# ---------------------------------------------------------------- rollback and retry

def test_rollback_of_a_resource_already_gone_counts_as_done(workspace, sandbox):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    before = account_snapshot(sandbox)
    result, results = workspace.run(
        plan, [step_task("put_db_host"), step_task("put_log_level")], digest, finish=False)
    assert result.returncode == 0, output_of(result)
    run_id = results["run"]["run_id"]
    sandbox.client("ssm").delete_parameter(Name="/sandbox/app/db_host")  # behind the plan's back

    result, results = workspace.run(plan, [rollback_task()], run_id=run_id)

    assert result.returncode == 0, output_of(result)
    rolled = {r["id"]: r for r in results["rolled"]["rollback"]}
    assert list(rolled) == ["put_log_level", "put_db_host"]
    assert {sid: r["status"] for sid, r in rolled.items()} \
        == {"put_log_level": "rolled_back", "put_db_host": "rolled_back"}
    assert [c["status"] for c in rolled["put_log_level"]["calls"]] == ["done"]
    assert [(c["status"], c["code"]) for c in rolled["put_db_host"]["calls"]] \
        == [("already_gone", "ParameterNotFound")]
    assert results["rolled"].get("failed") is not True and results["rolled"]["manual_cleanup"] == []
    assert account_snapshot(sandbox) == before
    report = workspace.report(run_id)
    assert (report["status"], report["rollback"]["status"]) == ("rolled_back", "succeeded")


def test_step_rerun_in_the_same_run_recognises_what_its_first_attempt_created(
        workspace, sandbox):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    tasks = [step_task("put_db_host"), step_task("put_log_level"),
             step_task("put_log_level", register="again"), rollback_task()]

    result, results = workspace.run(plan, tasks, digest)

    assert result.returncode == 0, output_of(result)
    # AlreadyExists after this run's own create: validation decides, and it passes
    [again] = results["again"]["results"]
    assert (again["status"], again["validation"]["status"], again["changed"]) \
        == ("succeeded", "passed", True)
    assert again["error"] is None and "earlier attempt of this run" in again["recovered"]
    assert [r["id"] for r in results["rolled"]["rollback"]] == ["put_log_level", "put_db_host"]
    assert account_snapshot(sandbox)["ssm_parameters"] == {}


def test_rerun_of_a_step_with_journaled_outputs_recovers_them(workspace):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    tasks = [step_task("put_db_host"),
             {**step_task("put_db_host", register="again"), "ignore_errors": True}]

    result, results = workspace.run(plan, tasks, digest)

    assert "outputs were not journaled" not in results["again"].get("msg", "")
    [again] = results["again"]["results"]
    assert (again["status"], again["outputs"]) == ("succeeded", {"version": 1})


def test_what_a_first_attempt_created_is_rolled_back_after_a_failed_retry(
        workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)
    # first attempt: the parameter is created, but every read of it is throttled, so the
    # step fails validation (describe before, validate, describe after)
    fault_proxy.add_fault("ssm", "GetParameter", "throttle", count=3)
    result, results = workspace.run(plan, [step_task("put_db_host", max_attempts=1)], digest,
                                    finish=False, env=env)
    assert result.returncode == 2 and "VALIDATION FAILED" in results["put_db_host"]["msg"]
    assert "/sandbox/app/db_host" in account_snapshot(sandbox)["ssm_parameters"]
    run_id = results["run"]["run_id"]
    # the person retries the step; AWS answers with a 500; then they roll back
    fault_proxy.add_fault("ssm", "PutParameter", "error500")
    retry = {**step_task("put_db_host", max_attempts=1), "ignore_errors": True}

    result, results = workspace.run(plan, [retry, rollback_task()], run_id=run_id, env=env)

    assert result.returncode == 0, output_of(result)
    assert results["put_db_host"]["error"]["code"] == "InternalServerError"
    assert account_snapshot(sandbox)["ssm_parameters"] == {}
    assert [r["id"] for r in results["rolled"]["rollback"]] == ["put_db_host"]
