# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Required tags on the end state: later calls add, replace (S3) and remove tags; every call is judged."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import evaluate
from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_rules import load_guardrails
from ansible_collections.coworker.aws.plugins.module_utils.guard.tag_state import tag_change
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from plan_samples import base_plan

REQUIRED = {"required_tags": ["Owner", "CostCenter"]}
TAGS = [{"Key": "Owner", "Value": "web"}, {"Key": "CostCenter", "Value": "cc"}]


def _plan(*steps):
    document = base_plan()
    document["phases"] = [{"name": "P", "steps": [
        dict({"id": s[0], "action": s[1], "params": s[2]}, **(s[3] if len(s) > 3 else {})) for s in steps]}]
    return validate_document(document, "plan.yml", 1000)


def _required_tags(plan, context=None):
    verdict = {v["rule"]: v for v in evaluate(plan, load_guardrails("e.yml", "g", REQUIRED), "sandbox", context)}
    return verdict["required-tags"]["status"], verdict["required-tags"]["steps"]


def _bucket(*more):
    return _plan(("make", "s3:CreateBucket", {"Bucket": "b"}),
                 ("tag", "s3:PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": TAGS}}), *more)


@pytest.mark.parametrize("plan, steps", [
    (_bucket(), []),
    (_bucket(("retag", "s3:PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": TAGS[:1]}})),
     [{"step": "make", "detail": "missing CostCenter (removed by step retag)"}]),
    (_bucket(("untag", "s3:DeleteBucketTagging", {"Bucket": "b"})),
     [{"step": "make", "detail": "missing Owner, CostCenter (removed by step untag)"}]),
    (_bucket(("untag", "s3:DeleteBucketTagging", {"Bucket": "b"}),
             ("again", "s3:PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": TAGS}})), []),
    (_bucket(("other", "s3:DeleteBucketTagging", {"Bucket": "not-this-plans"})),
     [{"step": "other", "detail": "leaves removed Owner, CostCenter"}]),
    (_plan(("vpc", "ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16", "TagSpecifications": [
        {"ResourceType": "vpc", "Tags": TAGS}]}, {"register": {"id": "Vpc.VpcId"}}),
        ("untag", "ec2:DeleteTags", {"Resources": ["${vpc.id}"]})),   # no Tags: every tag goes
     [{"step": "vpc", "detail": "missing Owner, CostCenter (removed by step untag)"}]),
    (_plan(("vpc", "ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16", "TagSpecifications": [
        {"ResourceType": "vpc", "Tags": TAGS}]}, {"register": {"id": "Vpc.VpcId"}}),
        ("untag", "ec2:DeleteTags", {"Resources": ["${vpc.id}"], "Tags": [{"Key": "Name"}]})), []),
    (_plan(("param", "ssm:PutParameter", {"Name": "/p", "Value": "v", "Type": "String", "Tags": TAGS}),
           ("untag", "ssm:RemoveTagsFromResource", {"ResourceType": "Parameter", "ResourceId": "/p",
                                                    "TagKeys": ["Owner"]}),
           ("retag", "ssm:AddTagsToResource", {"ResourceType": "Parameter", "ResourceId": "/p",
                                               "Tags": [{"Key": "Owner", "Value": ""}]})),
     [{"step": "param", "detail": "missing Owner (removed by step untag)"}]),   # an empty value is no tag
    (_plan(("role", "iam:CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": TAGS}),
           ("untag", "iam:UntagRole", {"RoleName": "r", "TagKeys": ["CostCenter"]})),
     [{"step": "role", "detail": "missing CostCenter (removed by step untag)"}]),
])
def test_the_end_state_of_a_created_resource_decides(plan, steps):
    status, found = _required_tags(plan)
    assert (status, found) == (("fail", steps) if steps else ("pass", []))


def test_a_removal_named_by_an_output_not_known_yet_is_decided_when_it_is_known():
    plan = _plan(("topic", "sns:CreateTopic", {"Name": "t", "Tags": TAGS}, {"register": {"arn": "TopicArn"}}),
                 ("untag", "sns:UntagResource", {"ResourceArn": "${topic.arn}", "TagKeys": ["Owner"]}))
    assert _required_tags(plan) == ("fail", [{"step": "topic", "detail": "missing Owner (removed by step untag)"}])


@pytest.mark.parametrize("service, operation, params, change", [
    ("s3", "PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": TAGS}}, ("replace", {"Owner": "web",
                                                                                          "CostCenter": "cc"})),
    ("s3", "DeleteBucketTagging", {"Bucket": "b"}, ("remove", "*")),
    ("ec2", "DeleteTags", {"Resources": ["i-1"], "Tags": [{"Key": "Owner"}]}, ("remove", ["Owner"])),
    ("ecs", "UntagResource", {"resourceArn": "a", "tagKeys": ["Owner"]}, ("remove", ["Owner"])),
    ("ecs", "TagResource", {"resourceArn": "a", "tags": [{"key": "Owner", "value": "w"}]}, ("add", {"Owner": "w"})),
    ("lambda", "TagResource", {"Resource": "a", "Tags": {"Owner": "w"}}, ("add", {"Owner": "w"})),
    ("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16"}, None),
])
def test_tag_changes_are_read_from_the_call(service, operation, params, change):
    assert tag_change(service, operation, params) == change
