"""The resource perimeter, end to end: real ansible-playbook, moto with several accounts.

A sandbox identity runs plans that try to reach the production account (by bucket name,
ARN, queue URL, account or region parameters, credential-issuing steps, huge requests).
Each must be refused with a message naming the step and the field, exit non-zero, and the
moto recorder must show no call that could change anything, in any account. Calls are
judged by AWS's own access levels here (Read/List only), stricter than name prefixes.
"""

from __future__ import annotations

import json

import pytest
import yaml

from moto_harness import call_keys, output_of
from perimeter_support import (
    DEV_PROFILE, DEVELOPMENT, PROD_BUCKET, PRODUCTION, SANDBOX, SANDBOX_PROFILE, TOOLING, Perimeter, assert_refused,
    changing_calls, flat, prod_arn, step)

pytestmark = pytest.mark.integration


@pytest.fixture
def ws(aws_env, moto_server, tmp_path) -> Perimeter:
    return Perimeter(aws_env, moto_server, tmp_path)


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{PROD_BUCKET}/*"}]})

# case -> (steps, texts the refusal shows)
REFUSED = {
    "foreign-bucket-policy": (
        [step("lock_bucket", "s3:PutBucketPolicy", {"Bucket": PROD_BUCKET, "Policy": POLICY})],
        ["step lock_bucket, Bucket: bucket 'acme-prod-data' is not owned by the target account 555555555555"]),
    "foreign-bucket-object": (
        [step("drop_ledger", "s3:DeleteObject", {"Bucket": PROD_BUCKET, "Key": "ledger.csv"})],
        ["step drop_ledger, Bucket: bucket 'acme-prod-data' is not owned"]),
    "sns-topic-arn": (
        [step("drop_topic", "sns:DeleteTopic", {"TopicArn": prod_arn("sns", "alerts")})],
        [f"step drop_topic, TopicArn: ARN '{prod_arn('sns', 'alerts')}' names account {PRODUCTION}, "
         f"not the target account {SANDBOX}"]),
    "sqs-queue-url": (
        [step("purge", "sqs:PurgeQueue", {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/{PRODUCTION}/orders"})],
        [f"step purge, QueueUrl: 'https://sqs.us-east-1.amazonaws.com/{PRODUCTION}/orders' "
         f"names account {PRODUCTION}, not the target account {SANDBOX}"]),
    "lambda-arn": (
        [step("drop_fn", "lambda:DeleteFunction", {"FunctionName": prod_arn("lambda", "function:billing")})],
        [f"step drop_fn, FunctionName: ARN '{prod_arn('lambda', 'function:billing')}' names account {PRODUCTION}"]),
    "kms-arn": (
        [step("drop_key", "kms:ScheduleKeyDeletion", {"KeyId": prod_arn("kms", "key/1234abcd")})],
        [f"step drop_key, KeyId: ARN '{prod_arn('kms', 'key/1234abcd')}' names account {PRODUCTION}"]),
    "secretsmanager-arn": (
        [step("drop_secret", "secretsmanager:DeleteSecret", {"SecretId": prod_arn("secretsmanager", "secret:db")})],
        ["step drop_secret, SecretId: ARN", f"names account {PRODUCTION}"]),
    "eventbridge-target-arn": (
        [step("route", "events:PutTargets",
              {"Rule": "nightly", "Targets": [{"Id": "1", "Arn": prod_arn("sqs", "orders")}]})],
        [f"step route, Targets[0].Arn: ARN '{prod_arn('sqs', 'orders')}' names account {PRODUCTION}"]),
    "iam-policy-arn": (
        [step("attach", "iam:AttachRolePolicy",
              {"RoleName": "app", "PolicyArn": f"arn:aws:iam::{PRODUCTION}:policy/Admin"})],
        [f"step attach, PolicyArn: ARN 'arn:aws:iam::{PRODUCTION}:policy/Admin' names account {PRODUCTION}"]),
    "stackset-instances": (
        [step("instances", "cloudformation:CreateStackInstances",
              {"StackSetName": "baseline", "Accounts": [PRODUCTION], "Regions": ["us-east-1"]})],
        [f"step instances, Accounts[0]: account {PRODUCTION} is not the target account {SANDBOX}"]),
    "vpc-peering-owner": (
        [step("peer", "ec2:CreateVpcPeeringConnection",
              {"VpcId": "vpc-12345678", "PeerVpcId": "vpc-87654321", "PeerOwnerId": PRODUCTION})],
        [f"step peer, PeerOwnerId: account {PRODUCTION} is not the target account"]),
    "organizations-other-account": (
        [step("close", "organizations:CloseAccount", {"AccountId": PRODUCTION})],
        ["step close, action: organizations:CloseAccount is refused as a plan step",
         "allow_operations"]),
    "assume-role": (
        [step("become_prod", "sts:AssumeRole",
              {"RoleArn": f"arn:aws:iam::{SANDBOX}:role/Hop", "RoleSessionName": "hop"})],
        ["step become_prod, action: sts:AssumeRole is refused as a plan step because it issues credentials"]),
    "get-session-token": (
        [step("token", "sts:GetSessionToken", {})],
        ["step token, action: sts:GetSessionToken is refused as a plan step"]),
    "arn-inside-redrive-policy": (
        [step("dlq", "sqs:CreateQueue", {"QueueName": "work", "Attributes": {"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": prod_arn("sqs", "orders-dlq"), "maxReceiveCount": "3"})}})],
        [f"step dlq, Attributes.RedrivePolicy#/deadLetterTargetArn: ARN '{prod_arn('sqs', 'orders-dlq')}' "
         f"names account {PRODUCTION}"]),
    "snapshot-shared-with-everyone": (
        [step("publish", "ec2:ModifySnapshotAttribute",
              {"SnapshotId": "snap-12345678", "CreateVolumePermission": {"Add": [{"Group": "all"}]}})],
        ["step publish, CreateVolumePermission.Add[0].Group: Group 'all' shares the resource with every AWS account"]),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_request_outside_the_perimeter_is_refused_and_nothing_is_sent(ws, case):
    steps, texts = REFUSED[case]
    result, calls = ws.execute(steps)
    assert_refused(ws, result, calls, "REFUSED by the perimeter", *texts)


def test_a_region_in_params_the_class_does_not_allow_is_refused(ws):
    steps = [step("eu_bucket", "s3:CreateBucket", {
        "Bucket": "dev-eu-bucket", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})]
    result, calls = ws.execute(steps, profile=DEV_PROFILE, account=DEVELOPMENT, environment="development")
    assert_refused(ws, result, calls, "step eu_bucket, CreateBucketConfiguration.LocationConstraint: "
                                      "region eu-west-1 is not allowed for this class")
    assert ws.aws_env.boto3_session(DEV_PROFILE).client("s3").list_buckets()["Buckets"] == []


def test_an_allowed_operation_is_no_longer_refused_by_name(ws):
    config = yaml.safe_load(ws.environments.read_text())
    config["environments"]["sandbox"]["allow_operations"] = ["sts:GetSessionToken"]
    ws.environments.write_text(yaml.safe_dump(config))
    result, calls = ws.execute([step("token", "sts:GetSessionToken", {})])
    assert "REFUSED by the perimeter" not in output_of(result)
    assert ("sts", "GetSessionToken") in call_keys(calls)


def test_reference_amplification_is_refused_before_sending_in_check_mode_too(ws):
    # a ~3 KiB answer referenced 400 times: a 7 KiB plan asking for a >1 MiB request
    big = "".join("${regions.all}" for _copy in range(400))
    steps = [step("regions", "ec2:DescribeRegions", {}, register={"all": "Regions"}),
             step("amplified", "ssm:PutParameter", {"Name": "/amplified", "Value": big, "Type": "String"})]
    for extra in ((), ("--check",)):
        result, calls = ws.execute(steps, extra=extra)
        assert_refused(ws, result, calls, "step amplified, params: the resolved request is",
                       "more than the 1048576 allowed (max_request_bytes)")
        assert ("ssm", "PutParameter") not in call_keys(calls)


def test_write_level_get_is_never_sent_under_check_and_cannot_validate(ws):
    pool = "us-east-1:00000000-0000-0000-0000-000000000000"
    result, calls = ws.execute([step("identity", "cognito-identity:GetId", {"IdentityPoolId": pool})],
                               extra=("--check",))
    assert result.returncode == 0, output_of(result)
    assert [k for k in call_keys(calls) if k[0] == "cognito-identity"] == []
    assert changing_calls(calls) == []
    result, calls = ws.execute([step("bucket", "s3:CreateBucket", {"Bucket": "sandbox-x"},
                                     validate={"action": "cognito-identity:GetId",
                                               "params": {"IdentityPoolId": pool}})])
    out = flat(output_of(result))
    assert result.returncode != 0, out
    assert ("phases[0].steps[0].validate.action: validate calls must be read-only; cognito-identity:GetId "
            "changes things (AWS's access level: Write; Read or List needed)") in out
    assert call_keys(calls) == []


def test_an_ordinary_run_tells_s3_the_expected_owner_and_shows_cross_account_grants(ws):
    bucket = "sandbox-perimeter-logs"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TOOLING}:root"}, "Action": "sts:AssumeRole"}]})
    steps = [
        step("make_bucket", "s3:CreateBucket", {"Bucket": bucket},
             wait={"waiter": "bucket_exists", "params": {"Bucket": bucket}},
             validate={"action": "s3:HeadBucket", "params": {"Bucket": bucket}},
             rollback={"action": "s3:DeleteBucket", "params": {"Bucket": bucket}}),
        step("tag_bucket", "s3:PutBucketTagging",
             {"Bucket": bucket, "Tagging": {"TagSet": [{"Key": "team", "Value": "web"}]}},
             validate={"action": "s3:GetBucketTagging", "params": {"Bucket": bucket}}),
        step("deploy_role", "iam:CreateRole", {"RoleName": "deployer", "AssumeRolePolicyDocument": trust},
             rollback={"action": "iam:DeleteRole", "params": {"RoleName": "deployer"}}),
    ]
    result, calls = ws.execute(steps, empty_cfg=False)
    out = flat(output_of(result))
    assert result.returncode == 0, output_of(result)
    assert f"Cross-account grants (principals outside account {SANDBOX} that this plan lets in" in out
    assert (f"- step deploy_role, params.AssumeRolePolicyDocument#/Statement/0/Principal/AWS: "
            f"Allow arn:aws:iam::{TOOLING}:root") in out
    s3_calls = [c for c in calls if c.service == "s3"]
    owners = {(c.operation, {k.lower(): v for k, v in c.headers.items()}.get("x-amz-expected-bucket-owner"))
              for c in s3_calls}
    assert owners == {("CreateBucket", None), ("ListBuckets", None), ("HeadBucket", SANDBOX),
                      ("GetBucketTagging", SANDBOX), ("PutBucketTagging", SANDBOX)}, owners
    sandbox = ws.aws_env.boto3_session(SANDBOX_PROFILE).client("s3")
    assert sandbox.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "web"}]
    assert ws.prod_state() == {"buckets": [PROD_BUCKET], "objects": ["ledger.csv"], "policy": None}


def test_moto_itself_would_have_let_the_foreign_bucket_call_through(ws):
    """The control: without the perimeter, a sandbox identity changes production's bucket in moto."""
    sandbox = ws.aws_env.boto3_session(SANDBOX_PROFILE).client("s3")
    sandbox.put_object(Bucket=PROD_BUCKET, Key="planted", Body=b"x", ExpectedBucketOwner=SANDBOX)
    assert ws.prod_state()["objects"] == ["ledger.csv", "planted"]
