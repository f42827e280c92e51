# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The walk of a whole request: every value, read by its member's role in botocore's model, documents
inside strings included. Table-driven over requests: ``(kind, path, value)`` of what each one names."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.guard import model_roles as roles
from ansible_collections.coworker.aws.plugins.module_utils.guard.values import named_values, policy_documents

P, ME = "111111111111", "123456789012"
QUEUE = "https://sqs.us-east-1.amazonaws.com/%s/q" % ME
YAML_VALUE = "Resources:\n  B:\n    Properties:\n      Bucket: !Ref X\n      Target: arn:aws:sns:us-east-1:%s:t\n" \
             "      Description: %s\n" % (P, P)
TRUST = json.dumps({"Statement": [
    {"Effect": "Deny", "Principal": {"AWS": P}},                      # a Deny lets nobody in
    {"Effect": "Allow", "NotPrincipal": {"AWS": ME}},                 # everyone but ME
    {"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"}},
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}]})

CASES = [
    # near misses let through: free text (tag values, descriptions) names no account or region...
    ("ec2", "CreateTags", {"Resources": ["i-1"], "Tags": [{"Key": "Ticket", "Value": "%s eu-west-1" % P}]}, []),
    ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}",
                           "Description": "migrated from %s in eu-west-1" % P}, []),
    ("lambda", "TagResource", {"Resource": "arn:aws:lambda:us-east-1:%s:function:f" % ME, "Tags": {"Owner": P}},
     [("arn", "Resource", "arn:aws:lambda:us-east-1:%s:function:f" % ME), ("account", "Resource", ME),
      ("region", "Resource", "us-east-1")]),
    # ...but a whole ARN there is still judged
    ("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16", "TagSpecifications": [
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "arn:aws:sns:us-east-1:%s:t" % P}]}]},
     [("arn", "TagSpecifications[0].Tags[0].Value", "arn:aws:sns:us-east-1:%s:t" % P)]),
    # a policy document identified by the model (SQS Attributes key Policy): its principals are grants
    ("sqs", "SetQueueAttributes", {"QueueUrl": QUEUE, "Attributes": {"Policy": json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": P}, "Resource": "arn:aws:sqs:us-east-1:%s:q" % ME}]})}},
     [("account", "QueueUrl", ME), ("region", "QueueUrl", "us-east-1"),
      ("grant", "Attributes.Policy#/Statement/0/Principal/AWS", P),
      ("arn", "Attributes.Policy#/Statement/0/Resource", "arn:aws:sqs:us-east-1:%s:q" % ME),
      ("account", "Attributes.Policy#/Statement/0/Resource", ME),
      ("region", "Attributes.Policy#/Statement/0/Resource", "us-east-1")]),
    # JSON inside a string that is no policy (a redrive policy, an event input with a "Statement" key)
    ("sqs", "SetQueueAttributes", {"QueueUrl": QUEUE, "Attributes": {"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:%s:d" % P})}},
     [("account", "QueueUrl", ME), ("region", "QueueUrl", "us-east-1"),
      ("arn", "Attributes.RedrivePolicy#/deadLetterTargetArn", "arn:aws:sqs:us-east-1:%s:d" % P),
      ("account", "Attributes.RedrivePolicy#/deadLetterTargetArn", P),
      ("region", "Attributes.RedrivePolicy#/deadLetterTargetArn", "us-east-1")]),
    ("events", "PutTargets", {"Rule": "r", "Targets": [{"Id": "1", "Arn": "arn:aws:sqs:us-east-1:%s:q" % ME,
                                                        "Input": json.dumps({"Statement": [
                                                            {"Effect": "Allow", "Principal": {"AWS": P}}]})}]},
     [("arn", "Targets[0].Arn", "arn:aws:sqs:us-east-1:%s:q" % ME), ("account", "Targets[0].Arn", ME),
      ("region", "Targets[0].Arn", "us-east-1"), ("account", "Targets[0].Input#/Statement/0/Principal/AWS", P)]),
    # YAML inside a string, with CloudFormation tags; its Description is free text
    ("ssm", "PutParameter", {"Name": "/p", "Type": "String", "Value": YAML_VALUE},
     [("arn", "Value#/Resources/B/Properties/Target", "arn:aws:sns:us-east-1:%s:t" % P),
      ("account", "Value#/Resources/B/Properties/Target", P),
      ("region", "Value#/Resources/B/Properties/Target", "us-east-1")]),
    # buckets: S3's own create is not judged for ownership; a legacy location is a region
    ("s3", "CreateBucket", {"Bucket": "new-one", "CreateBucketConfiguration": {"LocationConstraint": "EU"}},
     [("creates", "Bucket", "new-one"), ("region", "CreateBucketConfiguration.LocationConstraint", "eu-west-1")]),
    ("s3", "CopyObject", {"Bucket": "mine", "Key": "k", "CopySource": "/theirs/secret?versionId=1"},
     [("bucket", "Bucket", "mine"), ("bucket", "CopySource", "theirs")]),
    ("logs", "CreateExportTask", {"logGroupName": "g", "from": 0, "to": 1, "destination": "theirs"},
     [("bucket", "destination", "theirs")]),  # a lower-case member the documentation names a bucket
    # revocations take access away: nothing to judge
    ("ec2", "ModifyImageAttribute", {"ImageId": "ami-1", "Attribute": "launchPermission", "OperationType": "remove",
                                     "UserIds": [P]}, []),
    ("rds", "ModifyDBSnapshotAttribute", {"DBSnapshotIdentifier": "s", "AttributeName": "restore",
                                          "ValuesToRemove": [P]}, []),
    ("ec2", "CopyImage", {"Name": "c", "SourceImageId": "ami-1", "SourceRegion": "eu-west-1"},
     [("region", "SourceRegion", "eu-west-1")]),
    ("cloudformation", "CreateStackInstances", {"StackSetName": "s", "Regions": ["us-east-1"], "DeploymentTargets": {
        "OrganizationalUnitIds": ["ou-ab12-cdef3456"]}},
     [("region", "Regions[0]", "us-east-1"),
      ("deploys", "DeploymentTargets.OrganizationalUnitIds", ["ou-ab12-cdef3456"])]),
    # content fetched by reference: one object of a bucket
    ("lambda", "UpdateFunctionCode", {"FunctionName": "f", "S3Bucket": "code", "S3Key": "f.zip",
                                      "S3ObjectVersion": "3"},
     [("object", "S3Bucket", "s3://code/f.zip?versionId=3"), ("bucket", "S3Bucket", "code")]),
    ("cloudformation", "CreateStack", {"StackName": "s", "TemplateURL": "https://example.com/t.yml"},
     [("unfetchable", "TemplateURL", "https://example.com/t.yml")]),
    ("cloudformation", "CreateStack", {"StackName": "s", "TemplateURL": "https://s3.amazonaws.com/b/"},
     [("bucket", "TemplateURL", "b"), ("unfetchable", "TemplateURL", "https://s3.amazonaws.com/b/")]),
    # principals of a sharing operation: grants, also of the target itself (perimeter.is_grant decides)
    ("kms", "CreateGrant", {"KeyId": "k", "GranteePrincipal": "arn:aws:iam::%s:root" % P, "Operations": ["Decrypt"],
                            "RetiringPrincipal": "arn:aws:iam::%s:root" % ME},
     [("grant", "GranteePrincipal", "arn:aws:iam::%s:root" % P),
      ("grant", "RetiringPrincipal", "arn:aws:iam::%s:root" % ME)]),
    ("lambda", "AddPermission", {"FunctionName": "f", "StatementId": "s", "Action": "lambda:InvokeFunction",
                                 "Principal": "s3.amazonaws.com", "SourceAccount": P},
     [("grant", "SourceAccount", P)]),  # a service principal is no grant; the account it acts for is
    ("iam", "UpdateAssumeRolePolicy", {"RoleName": "r", "PolicyDocument": TRUST},
     [("grant", "PolicyDocument#/Statement/1/NotPrincipal", "*"),
      ("grant", "PolicyDocument#/Statement/2/Principal/Federated", "Federated accounts.google.com")]),
    ("ssm", "ModifyDocumentPermission", {"Name": "d", "PermissionType": "Share", "AccountIdsToAdd": [P, "all"]},
     [("grant", "AccountIdsToAdd[0]", P), ("public", "AccountIdsToAdd[1]", "all")]),
    ("s3", "PutBucketAcl", {"Bucket": "b", "ACL": "public-read"}, [("bucket", "Bucket", "b"),
                                                                   ("public", "ACL", "public-read")]),
    # outside a sharing operation the same member names an account to reach: judged as one
    ("ec2", "CreateVpcPeeringConnection", {"VpcId": "v", "PeerOwnerId": P}, [("account", "PeerOwnerId", P)]),
]


@pytest.mark.parametrize("service, operation, params, expected", CASES,
                         ids=["%s:%s-%d" % (c[0], c[1], i) for i, c in enumerate(CASES)])
def test_every_value_of_a_request_is_read_by_what_it_is(service, operation, params, expected):
    assert [(f.kind, f.path, f.value) for f in named_values(service, operation, params)] == expected


def test_a_source_region_is_marked_as_only_read_from():
    found = named_values("ec2", "CopyImage", {"Name": "c", "SourceImageId": "ami-1", "SourceRegion": "eu-west-1"})
    assert [f.info for f in found] == ["source"]


def test_policy_documents_are_the_ones_the_model_names_never_the_ones_that_look_like_one():
    doc = json.dumps({"Statement": []})
    assert policy_documents("s3", "PutBucketPolicy", {"Bucket": "b", "Policy": doc}) == [("Policy", doc)]
    assert policy_documents("sns", "SetTopicAttributes", {"TopicArn": "t", "AttributeName": "Policy",
                                                          "AttributeValue": doc}) == [("AttributeValue", doc)]
    assert policy_documents("events", "PutTargets", {"Rule": "r", "Targets": [{"Id": "1", "Arn": "a",
                                                                               "Input": doc}]}) == []
    assert policy_documents("s3", "CreateBucket", {"Bucket": "b"}) == []


@pytest.mark.parametrize("service, parent, member, role", [
    ("s3", "PutBucketPolicyRequest", "Policy", roles.POLICY),
    ("iam", "CreateRoleRequest", "AssumeRolePolicyDocument", roles.POLICY),
    ("ecr", "SetRepositoryPolicyRequest", "policyText", roles.POLICY),
    ("ses", "ReceiptIpFilter", "Policy", roles.PLAIN),            # an enum (Block/Allow), not a document
    ("logs", "CreateExportTaskRequest", "destination", roles.BUCKET),
    ("codebuild", "ProjectArtifacts", "location", roles.BUCKET),
    ("cloudtrail", "CreateTrailRequest", "S3BucketName", roles.BUCKET),
    ("s3", "PutBucketPolicyRequest", "ExpectedBucketOwner", roles.PLAIN),
    ("lightsail", "CreateBucketRequest", "bucketName", roles.PLAIN),   # not an S3 bucket
    ("cloudformation", "CreateStackInput", "TemplateURL", roles.FETCH),
    ("glue", "JobCommand", "ScriptLocation", roles.FETCH),
    ("lambda", "AddPermissionRequest", "Principal", roles.PRINCIPAL),
    ("ec2", "LaunchPermission", "Group", roles.PRINCIPAL),
    ("s3", "PutBucketAclRequest", "ACL", roles.CANNED_ACL),
    ("ec2", "Tag", "Value", roles.FREE_TEXT),
    ("iam", "CreateRoleRequest", "Description", roles.FREE_TEXT),
    ("dynamodb", "CreateReplicationGroupMemberAction", "RegionName", roles.PLAIN),  # scanned: a region by value
    ("ec2", "CopyImageRequest", "SourceRegion", roles.SOURCE_REGION),
])
def test_member_roles_are_read_from_the_model(service, parent, member, role):
    assert roles.member_role(service, parent, member) == role


@pytest.mark.parametrize("action, sharing", [
    ("ec2:ModifyImageAttribute", True), ("ram:CreateResourceShare", True), ("lambda:AddPermission", True),
    ("kms:CreateGrant", True), ("ssm:ModifyDocumentPermission", True), ("s3:PutBucketAcl", True),
    ("ec2:CreateVpcPeeringConnection", False), ("cloudformation:CreateStackInstances", False),
    ("s3:PutBucketAccelerateConfiguration", False),
])
def test_sharing_operations(action, sharing):
    assert roles.is_sharing(*action.split(":")) is sharing
