"""The rules for an ambiguous outcome: which errors may hide a change, and adopting from a describe."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import outcome


@pytest.mark.parametrize("code, before, retries, ambiguous", [
    ("ConnectionClosedError", {"x": 1}, 0, True),
    ("ReadTimeoutError", None, 0, True),
    ("EndpointConnectionError", None, 0, True),
    ("InvalidGroup.Duplicate", "absent", 0, True),      # our describe had just found nothing
    ("EntityAlreadyExists", None, 2, True),             # botocore retried our own request
    ("EntityAlreadyExists", {"Role": {}}, 0, False),    # it was there before: a real conflict
    ("AccessDenied", "absent", 3, False),
    ("NoCredentialsError", None, 0, False),             # never sent
    ("ParamValidationError", None, 0, False),
])
def test_what_may_have_changed_the_account(code, before, retries, ambiguous):
    assert outcome.is_ambiguous({"code": code, "retries": retries}, before) is ambiguous


@pytest.mark.parametrize("register, body, outputs", [
    ({"group_id": "GroupId"}, {"SecurityGroups": [{"GroupId": "sg-1"}]}, {"group_id": "sg-1"}),
    ({"arn": "Role.Arn"}, {"Role": {"Arn": "arn:r"}}, {"arn": "arn:r"}),
    ({"version": "Version"}, {"Parameter": {"Version": 3}}, {"version": 3}),
    ({"vpc_id": "Vpc.VpcId"}, {"Vpcs": [{"VpcId": "vpc-1"}]}, {"vpc_id": "vpc-1"}),
    ({"id": "Instances[0].InstanceId"}, {"Reservations": [{"Instances": [{"InstanceId": "i-1"}]}]}, {"id": "i-1"}),
])
def test_outputs_are_read_from_the_describe_answer(register, body, outputs):
    assert outcome.outputs_from_describe(register, body) == (outputs, [])


def test_an_output_the_describe_does_not_hold_is_named_missing():
    assert outcome.outputs_from_describe({"location": "Location"}, {"BucketRegion": "us-east-1"}) == (
        {"location": None}, ["location"])


def test_another_runs_tag_is_recognised_and_ours_or_none_is_not():
    def tagged(run):
        return {"Role": {"Tags": [{"Key": "coworker:run-id", "Value": run}]}}
    assert outcome.other_runs_tag(tagged("run-2"), "run-1") == "run-2"
    assert outcome.other_runs_tag(tagged("run-1"), "run-1") is None
    assert outcome.other_runs_tag({"Role": {}}, "run-1") is None


def test_a_tag_search_is_conclusive_only_when_the_request_carried_our_tag():
    sent = {"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "coworker:run-id", "Value": "r"}]}]}
    assert outcome.carries_run_tag(sent, "r") and not outcome.carries_run_tag(sent, "other")
    assert not outcome.carries_run_tag({"CidrBlock": "10.0.0.0/16"}, "r")
    assert outcome.listed_nothing({"Vpcs": []}) and not outcome.listed_nothing({"Vpcs": [{"VpcId": "v"}]})


def test_a_twin_is_told_from_the_steps_own_resource_by_an_output_only_it_holds():
    ours, twin = {"VpcId": "vpc-1", "State": "available"}, {"VpcId": "vpc-2", "State": "available"}
    assert outcome.twins([ours, twin], {"vpc_id": "vpc-1", "state": "pending"}) == [twin]
    assert outcome.twins([twin, ours], {"vpc_id": "vpc-1"}) == [twin]


def test_when_the_outputs_do_not_tell_which_is_ours_nothing_is_a_twin():
    first, second = {"VpcId": "vpc-1", "State": "available"}, {"VpcId": "vpc-2", "State": "available"}
    assert outcome.twins([first, second], {"state": "available"}) is None  # shared by both
    assert outcome.twins([first, second], {}) is None
