"""Run tags: added where botocore's input shape takes tags, in the shape's own form, merged with the plan's."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import plan_view, run_tags, tags_of, with_run_tags

OURS = run_tags("run-1", "plan-1", "make_it")
OURS_LIST = [{"Key": "coworker:run-id", "Value": "run-1"}, {"Key": "coworker:plan-id", "Value": "plan-1"},
             {"Key": "coworker:step-id", "Value": "make_it"}]


@pytest.mark.parametrize("service, operation, resource_type", [
    ("ec2", "CreateSecurityGroup", "security-group"), ("ec2", "CreateVpc", "vpc"),
    ("ec2", "RunInstances", "instance"), ("ec2", "CreateSubnet", "subnet"),
])
def test_ec2_creates_get_a_tag_specification_for_the_resource_type_they_make(service, operation, resource_type):
    assert with_run_tags(service, operation, {}, OURS) == {
        "TagSpecifications": [{"ResourceType": resource_type, "Tags": OURS_LIST}]}


def test_the_plans_own_tag_specification_is_kept_and_extended():
    plan = {"TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]},
                                  {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "disk"}]}]}
    tagged = with_run_tags("ec2", "RunInstances", plan, OURS)
    assert tagged["TagSpecifications"] == [
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}] + OURS_LIST},
        {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "disk"}]}]
    assert plan["TagSpecifications"][0]["Tags"] == [{"Key": "Name", "Value": "web"}]  # input untouched


@pytest.mark.parametrize("service, operation", [("iam", "CreateRole"), ("ssm", "PutParameter"),
                                                ("dynamodb", "CreateTable")])
def test_a_key_value_tags_list_gets_ours_after_the_plans(service, operation):
    plan = {"Tags": [{"Key": "team", "Value": "web"}, {"Key": "coworker:step-id", "Value": "theirs"}]}
    assert with_run_tags(service, operation, plan, OURS)["Tags"] == plan["Tags"] + OURS_LIST[:2]


def test_a_tags_map_gets_ours_and_the_plan_wins_on_a_shared_key():
    tagged = with_run_tags("lambda", "CreateFunction", {"Tags": {"coworker:plan-id": "mine", "team": "x"}}, OURS)
    assert tagged["Tags"] == {"coworker:run-id": "run-1", "coworker:plan-id": "mine",
                              "coworker:step-id": "make_it", "team": "x"}


@pytest.mark.parametrize("service, operation, params", [
    ("ec2", "CreateTags", {"Resources": ["vpc-1"], "Tags": []}),          # tags what exists
    ("iam", "TagRole", {"RoleName": "r", "Tags": []}),
    ("iam", "UpdateRole", {"RoleName": "r"}),                               # not a create
    ("ssm", "PutParameter", {"Name": "/a", "Value": "b", "Overwrite": True}),  # SSM refuses Tags here
    ("s3", "CreateBucket", {"Bucket": "b"}),                                # no top-level tags member
    ("ec2", "AllocateAddress", {}),                                         # no resource type of that name
])
def test_calls_that_do_not_create_a_taggable_resource_are_sent_as_planned(service, operation, params):
    assert with_run_tags(service, operation, params, OURS) == params


def test_the_plans_view_leaves_out_our_tags_from_tag_lists_and_maps_and_nothing_else():
    answer = {
        "Role": {"RoleName": "app", "Tags": [{"Key": "team", "Value": "web"}] + OURS_LIST},  # IAM GetRole
        "SecurityGroups": [{"GroupId": "sg-1", "Tags": OURS_LIST}],  # EC2: a resource with only our tags
        "TagSet": [{"Key": "coworker:run-id", "Value": "run-1"}, {"Key": "env", "Value": "dev"}],  # S3
        "tags": [{"key": "coworker:plan-id", "value": "plan-1"}, {"key": "owner", "value": "ops"}],  # ECS casing
        "Function": {"Tags": dict(OURS, team="web")},  # a tag map
        "Stage": {"coworker:run-id": "kept: not a tag member"},
        "Contents": [{"Key": "coworker:run-id", "Size": 1}],  # an S3 object key is not a tag
    }
    seen = plan_view(answer)
    assert seen["Role"] == {"RoleName": "app", "Tags": [{"Key": "team", "Value": "web"}]}
    assert seen["SecurityGroups"] == [{"GroupId": "sg-1", "Tags": []}]
    assert seen["TagSet"] == [{"Key": "env", "Value": "dev"}]
    assert seen["tags"] == [{"key": "owner", "value": "ops"}]
    assert seen["Function"] == {"Tags": {"team": "web"}}
    assert seen["Stage"] == answer["Stage"] and seen["Contents"] == answer["Contents"]
    assert answer["Role"]["Tags"][1:] == OURS_LIST  # the answer itself is left as AWS gave it


def test_tags_of_reads_tag_lists_and_maps_but_not_other_key_value_lists():
    assert tags_of({"Role": {"Tags": OURS_LIST}}) == OURS
    assert tags_of({"ResourceTagMappingList": [{"ResourceARN": "arn:x", "Tags": OURS_LIST[:1]}]}) == {
        "coworker:run-id": "run-1"}
    assert tags_of({"Tags": {"team": "web"}}) == {"team": "web"}
    assert tags_of({"Contents": [{"Key": "a.txt"}], "Parameter": {"Name": "/x"}}) == {}
