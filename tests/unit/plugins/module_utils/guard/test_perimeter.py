# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource perimeter: what a resolved request names must be the target account and allowed regions."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.grants import (
    approval_notes, cross_account_grants, plan_grants)
from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import OwnedBuckets
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter, check_plan, check_request
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import Journal, read_events
from ansible_collections.coworker.aws.plugins.module_utils.run.step_runner import StepRunner

ME = "123456789012"
PROD = "999999999999"
ALLOWED = ("us-east-1", "us-west-2")


def config(**extra):
    sandbox = dict({"account_ids": [ME], "account_aliases": [], "profiles": [], "regions": list(ALLOWED)}, **extra)
    return {"environments": {"sandbox": sandbox}, "unknown_environment": "staging"}


def perimeter(buckets=(), **extra):
    owned = OwnedBuckets(lambda: list(buckets))
    return Perimeter.for_class(config(**extra), "sandbox", ME, owned)


def refused(service, operation, params, fragment, fence=None):
    with pytest.raises(GuardRefusal) as caught:
        check_request(fence or perimeter(), service, operation, params, "step s")
    assert fragment in str(caught.value), str(caught.value)
    assert "step s" in str(caught.value)
    return str(caught.value)


# -- ARNs ------------------------------------------------------------------------------------
@pytest.mark.parametrize("service, operation, params, field", [
    ("sns", "DeleteTopic", {"TopicArn": "arn:aws:sns:us-east-1:%s:alerts" % PROD}, "TopicArn"),
    ("lambda", "DeleteFunction", {"FunctionName": "arn:aws:lambda:us-east-1:%s:function:f" % PROD}, "FunctionName"),
    ("kms", "ScheduleKeyDeletion", {"KeyId": "arn:aws:kms:us-east-1:%s:key/1234" % PROD}, "KeyId"),
    ("secretsmanager", "DeleteSecret", {"SecretId": "arn:aws:secretsmanager:us-east-1:%s:secret:s" % PROD},
     "SecretId"),
    ("events", "PutTargets", {"Rule": "r", "Targets": [{"Id": "1", "Arn": "arn:aws:sqs:us-east-1:%s:q" % PROD}]},
     "Targets[0].Arn"),
    ("iam", "AttachRolePolicy", {"RoleName": "r", "PolicyArn": "arn:aws:iam::%s:policy/p" % PROD}, "PolicyArn"),
])
def test_an_arn_of_another_account_is_refused_naming_the_field_and_value(service, operation, params, field):
    message = refused(service, operation, params, "names account %s, not the target account %s" % (PROD, ME))
    assert ", %s: ARN 'arn:aws:" % field in message


def test_arns_without_account_or_aws_managed_or_own_are_fine():
    fence = perimeter()
    check_request(fence, "iam", "AttachRolePolicy",
                  {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "step s")
    check_request(fence, "sns", "DeleteTopic", {"TopicArn": "arn:aws:sns:us-east-1:%s:t" % ME}, "step s")


def test_an_arn_in_a_region_the_class_does_not_allow_is_refused():
    refused("sns", "DeleteTopic", {"TopicArn": "arn:aws:sns:eu-west-1:%s:t" % ME}, "region eu-west-1")


@pytest.mark.parametrize("service, operation, params, field", [
    ("sqs", "SetQueueAttributes",
     {"QueueUrl": "http://127.0.0.1:5000/%s/q" % ME,
      "Attributes": {"RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:%s:dlq" % PROD,
                                                  "maxReceiveCount": "5"})}},
     "Attributes.RedrivePolicy#/deadLetterTargetArn"),
    ("stepfunctions", "CreateStateMachine",
     {"name": "m", "roleArn": "arn:aws:iam::%s:role/r" % ME,
      "definition": '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:%s:'
                    'function:f","End":true}}}' % PROD}, "definition#/States/A/Resource"),
    ("events", "PutTargets", {"Rule": "r", "Targets": [{"Id": "1", "Arn": "arn:aws:sqs:us-east-1:%s:q" % ME,
                                                        "Input": "see arn:aws:sns:us-east-1:%s:t" % PROD}]},
     "Targets[0].Input"),
])
def test_an_arn_of_another_account_inside_a_longer_text_is_refused(service, operation, params, field):
    message = refused(service, operation, params, "names account %s, not the target account %s" % (PROD, ME))
    assert ", %s: ARN 'arn:aws:" % field in message


def test_arns_of_the_target_inside_a_text_and_an_arn_in_another_region_inside_a_text():
    fence = perimeter()
    own = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:%s:dlq" % ME, "maxReceiveCount": "5"})
    check_request(fence, "sqs", "SetQueueAttributes",
                  {"QueueUrl": "http://127.0.0.1:5000/%s/q" % ME, "Attributes": {"RedrivePolicy": own}}, "step s")
    refused("sqs", "SetQueueAttributes",
            {"QueueUrl": "http://127.0.0.1:5000/%s/q" % ME,
             "Attributes": {"RedrivePolicy": own.replace("us-east-1", "eu-west-1")}}, "region eu-west-1")


SHARES = [
    ("ec2", "ModifyImageAttribute", {"ImageId": "ami-1", "LaunchPermission": {"Add": [{"UserId": PROD}]}},
     "LaunchPermission.Add[0].UserId"),
    ("ec2", "ModifyImageAttribute", {"ImageId": "ami-1", "Attribute": "launchPermission", "OperationType": "add",
                                     "UserIds": [PROD]}, "UserIds[0]"),
    ("ec2", "ModifySnapshotAttribute", {"SnapshotId": "snap-1", "CreateVolumePermission": {"Add": [{"UserId": PROD}]}},
     "CreateVolumePermission.Add[0].UserId"),
    ("rds", "ModifyDBSnapshotAttribute", {"DBSnapshotIdentifier": "s", "AttributeName": "restore",
                                          "ValuesToAdd": [PROD]}, "ValuesToAdd[0]"),
]


@pytest.mark.parametrize("service, operation, params, field", SHARES)
def test_sharing_with_another_account_is_a_grant_listed_for_the_approval_or_refused_by_the_class(
        service, operation, params, field):
    check_request(perimeter(), service, operation, params, "step s")
    assert cross_account_grants(ME, service, operation, params) == [
        {"field": field, "principal": PROD, "effect": "Allow"}]
    refused(service, operation, params, "grants %s access; this class refuses grants to other accounts" % PROD,
            perimeter(cross_account_grants="refuse"))


@pytest.mark.parametrize("service, operation, params", [
    ("ec2", "ModifyImageAttribute", {"ImageId": "ami-1", "LaunchPermission": {"Add": [{"Group": "all"}]}}),
    ("rds", "ModifyDBSnapshotAttribute", {"DBSnapshotIdentifier": "s", "AttributeName": "restore",
                                          "ValuesToAdd": ["all"]}),
])
def test_sharing_an_image_or_snapshot_with_everyone_is_refused(service, operation, params):
    refused(service, operation, params, "shares the resource with every AWS account")


def test_sharing_within_the_target_account_is_fine():
    check_request(perimeter(), "ec2", "ModifyImageAttribute",
                  {"ImageId": "ami-1", "LaunchPermission": {"Remove": [{"UserId": ME}]}}, "step s")


# -- members the model names as accounts ------------------------------------------------------
@pytest.mark.parametrize("service, operation, params, field", [
    ("ec2", "CreateVpcPeeringConnection", {"VpcId": "vpc-1", "PeerOwnerId": PROD}, "PeerOwnerId"),
    ("cloudformation", "CreateStackInstances",
     {"StackSetName": "s", "Accounts": [PROD], "Regions": ["us-east-1"]}, "Accounts[0]"),
    ("cloudformation", "CreateStackInstances",
     {"StackSetName": "s", "DeploymentTargets": {"Accounts": [ME, PROD]}, "Regions": ["us-east-1"]},
     "DeploymentTargets.Accounts[1]"),
    ("ecr", "DeleteRepository", {"repositoryName": "r", "registryId": PROD}, "registryId"),
    ("s3", "GetBucketPolicy", {"Bucket": "mine", "ExpectedBucketOwner": PROD}, "ExpectedBucketOwner"),
])
def test_a_member_named_as_an_account_must_be_the_target(service, operation, params, field):
    message = refused(service, operation, params, "account %s is not the target account" % PROD,
                      perimeter(buckets=["mine"]))
    assert ", %s: " % field in message


def test_stack_set_instances_for_organizational_units_are_refused():
    refused("cloudformation", "CreateStackInstances",
            {"StackSetName": "s", "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdef3456"]},
             "Regions": ["us-east-1"]}, "deploys to every account it names")


def test_a_foreign_sqs_queue_url_is_refused():
    url = "https://sqs.us-east-1.amazonaws.com/%s/orders" % PROD
    refused("sqs", "PurgeQueue", {"QueueUrl": url}, "%r names account %s, not the target account" % (url, PROD))
    check_request(perimeter(), "sqs", "PurgeQueue", {"QueueUrl": "http://127.0.0.1:5000/%s/orders" % ME}, "s")


# -- regions named in params --------------------------------------------------------------------
@pytest.mark.parametrize("service, operation, params, field", [
    ("s3", "CreateBucket", {"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
     "CreateBucketConfiguration.LocationConstraint"),
    ("s3", "CreateBucket", {"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "EU"}},
     "CreateBucketConfiguration.LocationConstraint"),
    ("ec2", "CreateVpcPeeringConnection", {"VpcId": "v", "PeerVpcId": "p", "PeerRegion": "eu-west-1"},
     "PeerRegion"),
    ("cloudformation", "CreateStackInstances", {"StackSetName": "s", "Accounts": [ME], "Regions": ["eu-west-1"]},
     "Regions[0]"),
    ("secretsmanager", "ReplicateSecretToRegions", {"SecretId": "s", "AddReplicaRegions": [{"Region": "eu-west-1"}]},
     "AddReplicaRegions[0].Region"),
])
def test_a_region_member_must_be_allowed_for_the_class(service, operation, params, field):
    message = refused(service, operation, params, "region eu-west-1 is not allowed for this class")
    assert ", %s: " % field in message


def test_a_source_region_is_refused_unless_the_class_lists_it():
    params = {"SourceImageId": "ami-1", "SourceRegion": "eu-west-1", "Name": "copy"}
    refused("ec2", "CopyImage", params, "source region eu-west-1 is not allowed")
    check_request(perimeter(source_regions=["eu-*"]), "ec2", "CopyImage", params, "step s")
    check_request(perimeter(), "ec2", "CopyImage", dict(params, SourceRegion="us-west-2"), "step s")


# -- S3 buckets ---------------------------------------------------------------------------------
def test_a_bucket_the_target_does_not_own_is_refused_but_its_own_creation_is_not():
    fence = perimeter(buckets=["mine"])
    refused("s3", "PutBucketPolicy", {"Bucket": "prod-data", "Policy": "{}"}, "bucket 'prod-data' is not owned",
            fence)
    refused("s3", "DeleteObject", {"Bucket": "prod-data", "Key": "k"}, "not owned", fence)
    refused("s3", "CopyObject", {"Bucket": "mine", "Key": "k", "CopySource": "prod-data/secret"}, "not owned", fence)
    refused("s3", "PutBucketReplication", {"Bucket": "mine", "ReplicationConfiguration": {
        "Role": "arn:aws:iam::%s:role/r" % ME,
        "Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::prod-data"}}]}},
        "bucket 'prod-data' is not owned", fence)
    check_request(fence, "s3", "CreateBucket", {"Bucket": "new-one"}, "step s")
    check_request(fence, "s3", "DeleteObject", {"Bucket": "mine", "Key": "k"}, "step s")


def test_owned_buckets_are_listed_once_and_follow_this_runs_creates_and_deletes():
    listed = []
    owned = OwnedBuckets(lambda: listed.append(1) or ["a"])
    owned.created("b")
    owned.deleted("a")
    assert owned() == {"b"} and listed == [1]


# -- operations and size ------------------------------------------------------------------------
@pytest.mark.parametrize("action, params", [
    ("sts:AssumeRole", {"RoleArn": "arn:aws:iam::%s:role/r" % ME, "RoleSessionName": "x"}),
    ("sts:GetSessionToken", {}),
    ("sts:GetFederationToken", {"Name": "x"}),
    ("organizations:CloseAccount", {"AccountId": ME}),
    ("account:PutAlternateContact", {"AlternateContactType": "BILLING", "EmailAddress": "a@b.c", "Name": "n",
                                     "PhoneNumber": "1", "Title": "t"}),
    ("cognito-identity:GetCredentialsForIdentity", {"IdentityId": "us-east-1:x"}),
    # tokens and credentials the model does not mark sensitive, read-only by AWS's access levels (issue 24)
    ("ecr:GetAuthorizationToken", {}),
    ("ecr-public:GetAuthorizationToken", {}),
    ("codeartifact:GetAuthorizationToken", {"domain": "d"}),
    ("sso:GetRoleCredentials", {"roleName": "r", "accountId": ME, "accessToken": "t"}),
    ("redshift:GetClusterCredentials", {"DbUser": "u", "ClusterIdentifier": "c"}),
    ("ssm:StartSession", {"Target": "i-0123456789abcdef0"}),
])
def test_operations_that_issue_credentials_or_change_accounts_need_the_class_to_allow_them(action, params):
    service, operation = action.split(":")
    refused(service, operation, params, "%s is refused as a plan step" % action)
    check_request(perimeter(allow_operations=[action]), service, operation, params, "step s")


def test_reading_the_organization_is_not_restricted():
    check_request(perimeter(), "organizations", "DescribeOrganization", {}, "step s")


def test_a_request_larger_than_the_limit_is_refused():
    big = {"Name": "n", "Value": "x" * 2000, "Type": "String"}
    refused("ssm", "PutParameter", big, "more than the 1024 allowed", perimeter(max_request_bytes=1024))
    check_request(perimeter(), "ssm", "PutParameter", big, "step s")
    refused("ssm", "PutParameter", dict(big, Value="x" * (1024 * 1024)), "more than the 1048576 allowed")


# -- policy documents ---------------------------------------------------------------------------
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % PROD}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"AWS": ME, "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def test_principals_of_other_accounts_in_a_policy_are_allowed_and_listed_as_grants():
    params = {"RoleName": "r", "AssumeRolePolicyDocument": TRUST}
    check_request(perimeter(), "iam", "CreateRole", params, "step s")
    assert cross_account_grants(ME, "iam", "CreateRole", params) == [
        {"field": "AssumeRolePolicyDocument#/Statement/0/Principal/AWS", "principal": "arn:aws:iam::%s:root" % PROD,
         "effect": "Allow"}]


def _plan(steps):
    doc = {"format": "coworker.aws/plan-v1", "id": "p", "name": "n", "created": "2026-11-24T00:00:00Z",
           "target": {"environment": "sandbox", "account_id": ME, "region": "us-east-1"},
           "guardrail": {"status": "PASS"}, "phases": [{"name": "one", "steps": steps}]}
    return validate_document(doc, "plan.yml")


def test_the_plan_check_finds_literal_violations_before_any_aws_call_and_lists_grants():
    plan = _plan([
        {"id": "role", "action": "iam:CreateRole", "params": {"RoleName": "r", "AssumeRolePolicyDocument": TRUST}},
        {"id": "peer", "action": "ec2:CreateVpcPeeringConnection",
         "params": {"VpcId": "vpc-1", "PeerOwnerId": PROD}},
    ])
    assert [(g["step"], g["field"]) for g in plan_grants(plan)] == [
        ("role", "params.AssumeRolePolicyDocument#/Statement/0/Principal/AWS")]
    with pytest.raises(GuardRefusal, match="step peer, PeerOwnerId: account 999999999999"):
        check_plan(Perimeter.for_class(config(), "sandbox", ME), plan)


def test_the_plan_check_sees_rollback_calls_and_resolves_the_target():
    plan = _plan([{"id": "topic", "action": "sns:CreateTopic", "params": {"Name": "t"},
                   "rollback": {"action": "sns:DeleteTopic",
                                "params": {"TopicArn": "arn:aws:sns:eu-west-1:${target.account_id}:t"}}}])
    with pytest.raises(GuardRefusal, match=r"step topic rollback\[0\], TopicArn: .*region eu-west-1"):
        check_plan(Perimeter.for_class(config(), "sandbox", ME), plan)


# -- the step runner: the check sits where calls are sent ---------------------------------------
class FakeAws:
    profile = None

    def __init__(self):
        self.calls = []

    def call(self, service, operation, params, region=None):
        self.calls.append((operation, params))
        return {"ResponseMetadata": {"RetryAttempts": 0}}


def _runner(tmp_path, aws, buckets, check_mode=False):
    journal = Journal(str(tmp_path / "journal.jsonl"), "run-1")
    context = {"target": {"account_id": ME, "region": "us-east-1"}, "run": {"id": "run-1"}}
    return StepRunner(aws, journal, context, perimeter(buckets=buckets), check_mode=check_mode), journal


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_refused_step_sends_nothing_and_is_journaled_as_refused(tmp_path, check_mode):
    aws = FakeAws()
    step = _plan([{"id": "policy", "action": "s3:PutBucketPolicy", "params": {"Bucket": "prod-data", "Policy": "{}"},
                   "validate": {"action": "s3:GetBucketPolicy", "params": {"Bucket": "prod-data"}}}])["steps"][0]
    step["index"] = 1
    runner, journal = _runner(tmp_path, aws, ["mine"], check_mode)
    with journal, pytest.raises(GuardRefusal, match="bucket 'prod-data' is not owned"):
        runner.execute(step)
    assert aws.calls == []
    failed = [e for e in read_events(str(tmp_path / "journal.jsonl")) if e["event"] == "step_failed"]
    assert [(e["step"], e["error"]["kind"]) for e in failed] == [("policy", "refused")]


def test_s3_calls_carry_the_expected_bucket_owner_and_own_creations_count_as_owned(tmp_path):
    aws = FakeAws()
    plan = _plan([
        {"id": "make", "action": "s3:CreateBucket", "params": {"Bucket": "fresh"},
         "wait": {"waiter": "bucket_exists", "params": {"Bucket": "fresh"}}},
        {"id": "tag", "action": "s3:PutBucketTagging",
         "params": {"Bucket": "fresh", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}},
         "validate": {"action": "s3:GetBucketTagging", "params": {"Bucket": "fresh"}}}])
    runner, journal = _runner(tmp_path, aws, [])
    runner.aws.client = lambda *a: type("C", (), {"get_waiter": lambda s, n: type("W", (), {
        "wait": lambda s, **p: aws.calls.append(("wait", p))})()})()
    with journal:
        for index, step in enumerate(plan["steps"], start=1):
            step["index"] = index
            assert runner.execute(step)["status"] == "succeeded"
    assert [(op, p.get("ExpectedBucketOwner")) for op, p in aws.calls] == [
        ("CreateBucket", None), ("wait", ME), ("GetBucketTagging", ME), ("PutBucketTagging", ME),
        ("GetBucketTagging", ME)]


def test_approval_notes_list_grants_and_permission_steps():
    radius = {"cross_account_grants": [{"step": "role", "field": "params.AssumeRolePolicyDocument",
                                        "effect": "Allow", "principal": "arn:aws:iam::%s:root" % PROD}],
              "permissions_steps": ["role"]}
    assert approval_notes(ME, radius) == [
        "Cross-account grants (principals outside account %s that this plan lets in; a checkpoint comes before "
        "each of these steps):" % ME,
        "  - step role, params.AssumeRolePolicyDocument: Allow arn:aws:iam::%s:root" % PROD,
        "Steps that change permissions (a checkpoint comes before each): role"]
    assert approval_notes(ME, {"cross_account_grants": [], "permissions_steps": []}) == []


def test_looking_at_a_bucket_of_another_account_means_absent_and_is_not_sent(tmp_path):
    """Describe-before of a create, a validate expecting the bucket gone, a rollback finding it gone."""
    aws = FakeAws()
    plan = _plan([{"id": "make", "action": "s3:CreateBucket", "params": {"Bucket": "fresh"},
                   "validate": {"action": "s3:HeadBucket", "params": {"Bucket": "fresh"}},
                   "rollback": {"action": "s3:DeleteBucket", "params": {"Bucket": "fresh"}}},
                  {"id": "drop", "action": "s3:DeleteBucket", "params": {"Bucket": "fresh"},
                   "validate": {"action": "s3:HeadBucket", "params": {"Bucket": "fresh"}}}])
    runner, journal = _runner(tmp_path, aws, [])
    with journal:
        make, drop = plan["steps"]
        make["index"], drop["index"] = 1, 2
        assert runner.execute(make)["before"] == "absent"
        assert runner.execute(drop)["validation"]["status"] == "passed"
        assert runner.rollback(make)["calls"][0]["status"] == "already_gone"
    assert [op for op, _params in aws.calls] == ["CreateBucket", "HeadBucket", "HeadBucket", "DeleteBucket"]


def test_when_list_buckets_fails_bucket_calls_are_refused_and_looks_are_not_sent(tmp_path):
    def denied():
        raise RuntimeError("AccessDenied: not allowed")

    aws = FakeAws()
    journal = Journal(str(tmp_path / "journal.jsonl"), "run-1")
    context = {"target": {"account_id": ME, "region": "us-east-1"}, "run": {"id": "run-1"}}
    fence = Perimeter.for_class(config(), "sandbox", ME, OwnedBuckets(denied))
    runner = StepRunner(aws, journal, context, fence)
    plan = _plan([{"id": "make", "action": "s3:CreateBucket", "params": {"Bucket": "fresh"},
                   "validate": {"action": "s3:HeadBucket", "params": {"Bucket": "fresh"}}}])
    make = plan["steps"][0]
    make["index"] = 1
    with journal, pytest.raises(GuardRefusal, match=r"step make \(validate\), Bucket: cannot tell whether bucket "
                                                    r"'fresh' belongs .*s3:ListBuckets failed \(AccessDenied"):
        runner.execute(make)
    assert [op for op, _params in aws.calls] == ["CreateBucket"]  # describe-before not sent; validate refused


def test_a_bucket_create_without_an_answer_makes_the_owned_list_ask_list_buckets_again():
    listings = [["other"], ["other", "maybe-ours"]]
    owned = OwnedBuckets(lambda: listings.pop(0))
    assert owned() == {"other"}
    owned.created("made")
    owned.relist()  # the create of maybe-ours lost its answer
    assert owned() == {"other", "maybe-ours"} and listings == []
