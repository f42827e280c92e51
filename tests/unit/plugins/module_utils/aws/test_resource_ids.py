"""Which resources a call names, read from botocore's model; ARNs that name them; where their tags are read."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws.resource_ids import (
    arn_names, chosen_members, identifiers, identifying_members, tag_read)


@pytest.mark.parametrize("service, operation, members", [
    ("ec2", "DeleteSecurityGroup", ("GroupId", "GroupName")),
    ("ec2", "TerminateInstances", ("InstanceIds",)),
    ("s3", "DeleteBucket", ("Bucket",)),  # a URI label
    ("s3", "DeleteObject", ("Bucket", "Key", "VersionId")),
    ("ssm", "DeleteParameters", ("Names",)),
    ("iam", "DetachRolePolicy", ("RoleName", "PolicyArn")),
    ("rds", "DeleteDBInstance", ("DBInstanceIdentifier", "FinalDBSnapshotIdentifier")),
])
def test_the_model_names_the_members_that_identify_resources(service, operation, members):
    assert identifying_members(service, operation) == members


def test_accounts_tokens_and_enums_are_not_resources():
    members = identifying_members("ec2", "RevokeSecurityGroupIngress")
    assert "SourceSecurityGroupOwnerId" not in members and "GroupId" in members
    assert "ClientToken" not in identifying_members("ec2", "RunInstances")
    assert "Type" not in identifying_members("ssm", "PutParameter")  # an enum


@pytest.mark.parametrize("service, operation, chosen", [
    ("ec2", "CreateSecurityGroup", ("GroupName",)),  # not VpcId: the group's parent
    ("ec2", "RunInstances", ()),  # not KeyName: a key pair that exists
    ("ec2", "CreateKeyPair", ("KeyName",)),
    ("iam", "CreateRole", ("RoleName",)),
    ("ssm", "PutParameter", ("Name",)),
    ("s3", "CreateBucket", ("Bucket",)),
    ("ec2", "CreateSubnet", ()),
])
def test_a_create_names_what_it_makes_by_the_members_it_chooses(service, operation, chosen):
    assert chosen_members(service, operation) == chosen


def test_identifiers_flatten_list_members_and_skip_what_is_not_text():
    params = {"InstanceIds": ["i-1", "i-2", 3], "DryRun": False}
    assert identifiers("ec2", "TerminateInstances", params) == [("InstanceIds", "i-1"), ("InstanceIds", "i-2")]
    assert identifiers("ec2", "DeleteSecurityGroup", {}) == []


@pytest.mark.parametrize("arn, value, names", [
    ("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", "sg-1", True),
    ("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", "sg-12", False),
    ("arn:aws:ssm:us-east-1:123456789012:parameter/app/db", "/app/db", True),
    ("arn:aws:ssm:us-east-1:123456789012:parameter/app/db", "db", False),  # another parameter's name
    ("arn:aws:s3:::logs", "logs", True),
    ("arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:sns:us-east-1:123456789012:topic", True),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", "orders", True),
    (None, "sg-1", False),
])
def test_an_arn_names_a_value_by_its_resource_part(arn, value, names):
    assert arn_names(arn, value) is names


def test_tag_reads_come_from_the_model_or_ec2s_filter():
    assert tag_read("iam", "RoleName", "app") == ("ListRoleTags", {"RoleName": "app"})
    assert tag_read("iam", "PolicyArn", "arn:p") == ("ListPolicyTags", {"PolicyArn": "arn:p"})
    assert tag_read("s3", "Bucket", "logs") == ("GetBucketTagging", {"Bucket": "logs"})
    assert tag_read("ec2", "GroupId", "sg-1") == ("DescribeTags",
                                                  {"Filters": [{"Name": "resource-id", "Values": ["sg-1"]}]})
    assert tag_read("ec2", "GroupName", "web") is None  # a name is not a resource id EC2 filters by
    assert tag_read("ssm", "Name", "/x") is None  # the Tagging API lists parameters
