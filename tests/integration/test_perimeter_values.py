"""The perimeter judges what every value is, whatever the member is called (issue 23, first class).

Each case is a request that names something of the production account in a member the old
name-based checks did not know: a log export, an Athena result location, an s3:// URI in a
shell command, an SSM output bucket, a trail, an ECR image of another registry, a replica region,
a partial ARN, an ARN in an event's input that merely looks like a policy, a wildcard account in
an identity policy, an ARN in a YAML template. Each is refused before anything is sent, with
the step, the member path and the value; the control then sends the same request straight to
moto as the sandbox identity, and moto takes it.
"""

from __future__ import annotations

import json

import pytest

from perimeter_support import (
    DEV_PROFILE, DEVELOPMENT, PROD_BUCKET, PRODUCTION, SANDBOX, Perimeter, assert_refused, policy, prod_arn, step)

pytestmark = pytest.mark.integration

SHELL = "AWS-RunShellScript"
INSTANCE = "i-1234567890abcdef0"
TEMPLATE = f"""\
Resources:
  Alerts:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: {prod_arn("sns", "alerts")}
      Protocol: email
      Endpoint: ops@example.com
"""
EVENT_INPUT = json.dumps({"Statement": "not a policy", "target": prod_arn("sqs", "orders")})
IMAGE = f"{PRODUCTION}.dkr.ecr.us-east-1.amazonaws.com/app:1"
NOT_OWNED = f"bucket '{PROD_BUCKET}' is not owned by the target account {SANDBOX}"

# case -> (action, params, the refusal's text, setup calls the control needs first)
CASES = {
    "log-export-into-production": (
        "logs:CreateExportTask", {"logGroupName": "app", "from": 0, "to": 1, "destination": PROD_BUCKET},
        f"step attack, destination: {NOT_OWNED}", [("logs:CreateLogGroup", {"logGroupName": "app"})]),
    "athena-results-into-production": (
        "athena:StartQueryExecution",
        {"QueryString": "SELECT 1", "ResultConfiguration": {"OutputLocation": f"s3://{PROD_BUCKET}/results/"}},
        f"step attack, ResultConfiguration.OutputLocation: {NOT_OWNED}", []),
    "shell-command-reads-production": (
        "ssm:SendCommand", {"InstanceIds": [INSTANCE], "DocumentName": SHELL,
                            "Parameters": {"commands": [f"aws s3 cp s3://{PROD_BUCKET}/ledger.csv /tmp/"]}},
        f"step attack, Parameters.commands[0]: {NOT_OWNED}", []),
    "command-output-into-production": (
        "ssm:SendCommand", {"InstanceIds": [INSTANCE], "DocumentName": SHELL, "Parameters": {"commands": ["id"]},
                            "OutputS3BucketName": PROD_BUCKET},
        f"step attack, OutputS3BucketName: {NOT_OWNED}", []),
    "trail-into-production": (
        "cloudtrail:CreateTrail", {"Name": "audit", "S3BucketName": PROD_BUCKET},
        f"step attack, S3BucketName: {NOT_OWNED}", []),
    "image-of-another-registry": (
        "ecs:RegisterTaskDefinition", {"family": "app", "containerDefinitions": [
            {"name": "app", "image": IMAGE, "memory": 128}]},
        f"step attack, containerDefinitions[0].image: '{IMAGE}' names account {PRODUCTION}, not the target account",
        []),
    "event-input-that-looks-like-a-policy": (
        "events:PutTargets", {"Rule": "nightly", "Targets": [
            {"Id": "1", "Arn": f"arn:aws:sqs:us-east-1:{SANDBOX}:work", "Input": EVENT_INPUT}]},
        f"step attack, Targets[0].Input#/target: ARN '{prod_arn('sqs', 'orders')}' names account {PRODUCTION}",
        [("events:PutRule", {"Name": "nightly", "ScheduleExpression": "rate(1 day)"})]),
    "every-account-in-an-identity-policy": (
        "iam:PutRolePolicy", {"RoleName": "app", "PolicyName": "hop", "PolicyDocument": policy(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"})},
        "step attack, PolicyDocument#/Statement/0/Resource: ARN 'arn:aws:iam::*:role/*' names every account",
        [("iam:CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": "{}"})]),
    "arn-in-a-yaml-template": (
        "cloudformation:CreateStack", {"StackName": "alerts", "TemplateBody": TEMPLATE},
        f"step attack, TemplateBody#/Resources/Alerts/Properties/TopicArn: ARN '{prod_arn('sns', 'alerts')}' "
        f"names account {PRODUCTION}", []),
}


@pytest.fixture
def ws(aws_env, moto_server, tmp_path) -> Perimeter:
    return Perimeter(aws_env, moto_server, tmp_path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_value_of_another_account_is_refused_whatever_its_member_is_called(ws, case):
    action, params, text, setup = CASES[case]
    result, calls = ws.execute([step("attack", action, params)])
    assert_refused(ws, result, calls, "REFUSED by the perimeter", text, "nothing was sent")
    for setup_action, setup_params in setup:
        ws.control(setup_action, setup_params)
    ws.control(action, params)  # the control: moto itself takes the request


def test_a_replica_region_the_class_does_not_allow_is_refused(ws):
    table = {"TableName": "orders", "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
    replica = {"TableName": "orders", "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]}
    result, calls = ws.execute([step("attack", "dynamodb:UpdateTable", replica)], profile=DEV_PROFILE,
                               account=DEVELOPMENT, environment="development")
    assert_refused(ws, result, calls, "step attack, ReplicaUpdates[0].Create.RegionName: region eu-west-1 is not "
                                      "allowed for this class")
    ws.control("dynamodb:CreateTable", table, profile=DEV_PROFILE)
    ws.control("dynamodb:UpdateTable", replica, profile=DEV_PROFILE)
