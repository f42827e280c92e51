# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan-v1 contract for calls: actions and params checked against botocore's models, aws CLI commands,
read-only validate calls, and the destructive flag (inferred, may be raised, never lowered)."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import base_plan, step
from schema_support import ONLY, S1, S2, SOURCE, assert_problem, edit, problems, single_step


# -- calls checked against botocore -------------------------------------------------------------------------------

def test_unknown_service_suggests_close_names():
    message = assert_problem(edit([("phases.0.steps.0.action", "s3x:CreateBucket")]), S1 + ".action",
                             "unknown AWS service 's3x'")
    assert "did you mean" in message and "s3," in message


def test_unknown_operation_suggests_close_names():
    message = assert_problem(edit([("phases.0.steps.0.action", "s3:CreateBuket")]), S1 + ".action",
                             "unknown operation 'CreateBuket' for service 's3'")
    assert "did you mean CreateBucket" in message


def test_unknown_operation_in_validate_and_rollback():
    doc = edit([("phases.0.steps.0.validate.action", "s3:HeadBuckets"),
                ("phases.0.steps.0.rollback.0.action", "s3:DeleteBuckets")])
    assert_problem(doc, S1 + ".validate.action", "unknown operation 'HeadBuckets'")
    assert_problem(doc, S1 + ".rollback[0].action", "unknown operation 'DeleteBuckets'")


@pytest.mark.parametrize("params, field, fragment", [
    ({"BucketName": "x"}, S1 + ".params.BucketName", "unknown parameter (did you mean"),
    ({}, S1 + ".params", "missing required parameter 'Bucket'"),
    ({"Bucket": 5}, S1 + ".params.Bucket", "must be string, got int 5"),
    ({"Bucket": "b", "ACL": "world-writable"}, S1 + ".params.ACL", "must be one of private, "),
    ({"Bucket": "b", "CreateBucketConfiguration": "eu-west-1"}, S1 + ".params.CreateBucketConfiguration",
     "must be a mapping, got str"),
    ({"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "mars-1"}},
     S1 + ".params.CreateBucketConfiguration.LocationConstraint", "must be one of"),
    ({"Bucket": "b", "CreateBucketConfiguration": {"Region": "x"}},
     S1 + ".params.CreateBucketConfiguration.Region", "unknown parameter"),
    ({"Bucket": "b", "ObjectLockEnabledForBucket": "yes"}, S1 + ".params.ObjectLockEnabledForBucket",
     "must be boolean, got str 'yes'"),
])
def test_params_that_do_not_fit_the_input_shape(params, field, fragment):
    assert_problem(edit([("phases.0.steps.0.params", params)]), field, fragment)


INGRESS = {"GroupId": "sg-1", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}


@pytest.mark.parametrize("change, field, fragment", [
    (("IpRanges", 0, "CidrIp", 10), ".IpPermissions[0].IpRanges[0].CidrIp", "must be string, got int 10"),
    (("FromPort", "443"), ".IpPermissions[0].FromPort", "must be integer, got str '443'"),
    (("FromPort", True), ".IpPermissions[0].FromPort", "must be integer, got bool True"),
    (("FromPort", 4.5), ".IpPermissions[0].FromPort", "must be integer, got float 4.5"),
    (("IpRanges", {"CidrIp": "10.0.0.0/16"}), ".IpPermissions[0].IpRanges", "must be a list, got dict"),
    (("IpRanges", 0, "Cidr", "10.0.0.0/16"), ".IpPermissions[0].IpRanges[0].Cidr", "unknown parameter"),
])
def test_nested_params_are_checked_to_the_leaf(change, field, fragment):
    params = {"GroupId": "sg-1", "IpPermissions": [dict(INGRESS["IpPermissions"][0])]}
    permission = params["IpPermissions"][0]
    if change[0] == "IpRanges" and len(change) == 4:
        permission["IpRanges"] = [{change[2]: change[3]}]
    else:
        permission[change[0]] = change[1]
    assert_problem(single_step("ec2:AuthorizeSecurityGroupIngress", params), ONLY + ".params" + field, fragment)


def test_nested_required_member_and_map_values():
    tagging = single_step("s3:PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "Owner"}]}})
    assert_problem(tagging, ONLY + ".params.Tagging.TagSet[0]", "missing required parameter 'Value'")
    put = single_step("s3:PutObject", {"Bucket": "b", "Key": "k", "Body": "text", "Metadata": {"team": 7}})
    assert_problem(put, ONLY + ".params.Metadata.team", "must be string, got int 7")


def test_references_fill_typed_params_only_when_exact():
    doc = base_plan()
    doc["phases"][0]["steps"].append({
        "id": "allow_https", "action": "ec2:AuthorizeSecurityGroupIngress",
        "params": {"GroupId": "${create_bucket.location}", "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": "${create_bucket.location}", "ToPort": "4${create_bucket.location}"}]}})
    found = problems(doc)
    assert found == [("phases[0].steps[2].params.IpPermissions[0].ToPort",
                      "a text with a reference cannot fill a integer parameter")]


# -- commands -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command, fragment", [
    ("aws s3api create-bucket --bucket b --profile prod-admin", "--profile prod-admin: the target names no profile"),
    ("aws s3api create-bucket --bucket b --region eu-west-1a", "--region 'eu-west-1a' is not an AWS region name"),
    ("aws s3api create-bucket --bucket b --endpoint-url=https://evil.example", "--endpoint-url is not allowed"),
    ("aws s3api create-bucket --cli-input-json file://in.json", "--cli-input-json is not allowed"),
    ("aws s3api put-bucket-versioning --bucket b --versioning-configuration file:///etc/passwd",
     "the CLI would read the value from a file or URL"),
    ("aws s3api put-bucket-versioning --bucket b --versioning-configuration https://example.com/v.json",
     "file or URL"),
    ("aws s3 mb s3://b", "high-level S3 command"),
    ("aws s3api create-buckt --bucket b", "unknown operation 'create-buckt'"),
    ("aws s3api create-bucket --bucket-title b", "unknown option --bucket-title"),
    ("aws s3api create-bucket --bucket b; rm -rf /", "--bucket takes one value, got 4"),
    ("rm -rf /", "must start with 'aws'"),
    ("aws s3api create-bucket --bucket 'unclosed", "cannot split the command line"),
])
def test_bad_commands(command, fragment):
    doc = edit([("phases.0.steps.0.action", ...), ("phases.0.steps.0.params", ...),
                ("phases.0.steps.0.command", command)])
    assert_problem(doc, S1 + ".command", fragment)


def test_command_is_turned_into_the_same_call_as_action():
    doc = edit([("phases.0.steps.1.action", ...), ("phases.0.steps.1.params", ...),
                ("phases.0.steps.1.command", "aws s3api put-bucket-versioning --bucket unit-${target.account_id} "
                                             "--versioning-configuration Status=Enabled")])
    by_command = validate_document(doc, SOURCE)["steps"][1]["call"]
    by_action = validate_document(base_plan(), SOURCE)["steps"][1]["call"]
    assert (by_command["service"], by_command["operation"], by_command["params"]) == \
        (by_action["service"], by_action["operation"], by_action["params"])


def test_command_and_params_together():
    doc = edit([("phases.0.steps.0.action", ...), ("phases.0.steps.0.command", "aws s3api create-bucket --bucket b")])
    assert_problem(doc, S1 + ".params", "'params' cannot be combined with 'command'")


# -- validate calls are read-only; destructive can be raised, never lowered --------------------------------------

def test_validate_call_must_be_read_only():
    doc = edit([("phases.0.steps.1.validate.action", "s3:PutBucketVersioning"),
                ("phases.0.steps.1.validate.params",
                 {"Bucket": "b", "VersioningConfiguration": {"Status": "Enabled"}})])
    assert_problem(doc, S2 + ".validate.action", "validate calls must be read-only; s3:PutBucketVersioning changes")


def test_validate_list_and_command_are_checked_too():
    doc = base_plan()
    step(doc)["validate"] = [{"action": "s3:HeadBucket", "params": {"Bucket": "b"}},
                             {"command": "aws s3api delete-bucket --bucket b"}]
    assert_problem(doc, S1 + ".validate[1].action", "validate calls must be read-only; s3:DeleteBucket")


def test_rollback_may_change_things():
    assert problems(base_plan()) == []  # its rollbacks are DeleteBucket and PutBucketVersioning


DESTRUCTIVE = [
    ("s3:DeleteBucket", {"Bucket": "b"}),
    ("ec2:TerminateInstances", {"InstanceIds": ["i-1"]}),
    ("iam:RemoveRoleFromInstanceProfile", {"InstanceProfileName": "p", "RoleName": "r"}),
    ("iam:DetachRolePolicy", {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ("ec2:DisassociateRouteTable", {"AssociationId": "rtbassoc-1"}),
    ("ec2:RevokeSecurityGroupIngress", {"GroupId": "sg-1"}),
    ("ec2:DeregisterImage", {"ImageId": "ami-1"}),
    ("ec2:DisableEbsEncryptionByDefault", {}),
    ("ec2:StopInstances", {"InstanceIds": ["i-1"]}),
    ("ec2:RebootInstances", {"InstanceIds": ["i-1"]}),
    ("ec2:CancelSpotInstanceRequests", {"SpotInstanceRequestIds": ["sir-1"]}),
    ("sqs:PurgeQueue", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}),
    ("ec2:ReleaseAddress", {"AllocationId": "eipalloc-1"}),
    ("ec2:ResetImageAttribute", {"Attribute": "launchPermission", "ImageId": "ami-1"}),
]


@pytest.mark.parametrize("action, params", DESTRUCTIVE, ids=[a for a, _params in DESTRUCTIVE])
def test_destructive_is_inferred_from_the_operation_name(action, params):
    only = validate_document(single_step(action, params), SOURCE)["steps"][0]
    assert only["destructive"] and only["destructive_inferred"]


@pytest.mark.parametrize("action, params", DESTRUCTIVE, ids=[a for a, _params in DESTRUCTIVE])
def test_destructive_flag_cannot_be_lowered(action, params):
    operation = action.split(":")[1]
    assert_problem(single_step(action, params, destructive=False), ONLY + ".destructive",
                   "%s is destructive by its name; a plan may raise this flag, never lower it" % operation)


def test_destructive_inferred_for_a_command():
    doc = single_step("x:y", {})
    del doc["phases"][0]["steps"][0]["action"], doc["phases"][0]["steps"][0]["params"]
    doc["phases"][0]["steps"][0]["command"] = "aws ec2 terminate-instances --instance-ids i-1 i-2"
    only = validate_document(doc, SOURCE)["steps"][0]
    assert only["destructive"] and only["call"]["params"] == {"InstanceIds": ["i-1", "i-2"]}


def test_destructive_may_be_raised_and_is_otherwise_false():
    plan = validate_document(edit([("phases.0.steps.1.destructive", True)]), SOURCE)
    first, second = plan["steps"]
    assert (first["destructive"], second["destructive"], second["destructive_inferred"]) == (False, True, False)


def test_read_only_main_call_is_not_mutating():
    only = validate_document(single_step("ec2:DescribeVpcs", {}), SOURCE)["steps"][0]
    assert not only["mutating"] and not only["destructive"]
