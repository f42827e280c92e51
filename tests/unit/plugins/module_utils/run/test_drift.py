"""Drift: a described state against the one the run left, the table a person reads, and the journal's passes."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import drift

AFTER = {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [], "Tags": [
    {"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]}]}


def test_the_same_state_in_another_order_is_no_drift():
    now = {"SecurityGroups": [{"Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}], "GroupId": "sg-1"}]}
    assert drift.compare(AFTER, now) == (drift.NONE, [])  # an empty list left out is no field either


def test_a_changed_field_is_drift_with_its_values():
    now = {"SecurityGroups": [dict(AFTER["SecurityGroups"][0], IpPermissions=[{"FromPort": 22}])]}
    state, changes = drift.compare(AFTER, now)
    assert state == drift.CHANGED
    assert changes == [("SecurityGroups[0].IpPermissions[0].FromPort", None, 22)]


@pytest.mark.parametrize("after, now, state", [
    (AFTER, "absent", drift.GONE), (AFTER, {"error": "AccessDenied"}, drift.UNKNOWN),
    (None, AFTER, drift.NOT_DESCRIBED), ("absent", AFTER, drift.NOT_DESCRIBED),
])
def test_gone_undescribable_and_unrecorded_resources(after, now, state):
    assert drift.compare(after, now)[0] == state


def row(state):
    return {"drift": state, "changes": []}


def test_only_changes_and_what_cannot_be_described_or_others_made_need_consent():
    assert not drift.needs_consent([row(drift.NONE), row(drift.GONE), row(drift.NOT_DESCRIBED), row(drift.LATER)])
    assert drift.needs_consent([row(drift.CHANGED)]) and drift.needs_consent([row(drift.UNKNOWN)])
    assert drift.needs_consent([row(drift.NONE)], [{"step": "b", "resource": "x", "what": "objects", "items": ["k"]}])


def test_the_table_has_the_four_columns_and_the_changed_fields():
    now = {"SecurityGroups": [dict(AFTER["SecurityGroups"][0], GroupName="theirs", IpPermissions=[{"FromPort": 22}])]}
    rows = [drift.drift_row("make_sg", "sg-1", AFTER, now), drift.drift_row("put_a", "/a", {"V": 1}, {"V": 1})]
    lines = drift.table_lines(rows, [{"step": "bucket", "resource": "logs", "what": "objects", "items": ["k1", "k2"]}])
    assert lines[1].split() == ["resource", "after", "the", "run", "now", "drift"]
    assert lines[2].split()[:2] == ["make_sg", "sg-1"] and "CHANGED (2 fields)" in lines[2]
    assert "GroupName=theirs" in lines[2]  # the group's wrapper is left out of the field's name
    assert lines[3].strip() == "IpPermissions[0].FromPort: null -> 22"
    assert lines[4].split() == ["put_a", "/a", "as", "described", "the", "same", "none"]
    assert lines[-1].strip() == "bucket logs: 2 objects: k1, k2"


def test_foreign_items_leave_out_what_the_run_made_or_named_and_the_resource_itself():
    answer = {"SecurityGroups": [
        {"GroupId": "sg-theirs"}, {"GroupId": "sg-self"}, {"GroupId": "sg-named"},
        {"GroupId": "sg-tagged", "Tags": [{"Key": "coworker:run-id", "Value": "run-1"}]}]}
    found = drift.foreign_items(answer, "SecurityGroups", "GroupId", None, "run-1", {"sg-named"}, "sg-self")
    assert found == ["sg-theirs"]


def test_the_interfaces_that_go_with_an_instance_of_the_run_are_the_runs_not_one_attached_to_stay():
    interfaces = {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-primary", "Attachment": {"InstanceId": "i-ours", "DeviceIndex": 0,
                                                             "DeleteOnTermination": False}},  # as moto says
        {"NetworkInterfaceId": "eni-second", "Attachment": {"InstanceId": "i-ours", "DeviceIndex": 1,
                                                            "DeleteOnTermination": True}},
        {"NetworkInterfaceId": "eni-added", "Attachment": {"InstanceId": "i-ours", "DeviceIndex": 1,
                                                           "DeleteOnTermination": False}},
        {"NetworkInterfaceId": "eni-theirs", "Attachment": {"InstanceId": "i-theirs", "DeviceIndex": 0}},
        {"NetworkInterfaceId": "eni-free"}]}
    lookups = {what: (items, ident, keep) for what, _op, _p, items, ident, keep
               in drift.dependent_lookups("ec2", "GroupId", "sg-1")}
    found = drift.foreign_items(interfaces, *lookups["network interfaces"], "run-1", {"i-ours"}, "sg-1")
    assert found == ["eni-added", "eni-theirs", "eni-free"]  # outlives the run's instance, or was never its


def test_live_instances_only_and_never_the_default_group():
    answer = {"Reservations": [{"Instances": [{"InstanceId": "i-1", "State": {"Name": "running"}},
                                              {"InstanceId": "i-2", "State": {"Name": "terminated"}}]}]}
    lookups = {what: (items, ident, keep) for what, _op, _p, items, ident, keep
               in drift.dependent_lookups("ec2", "VpcId", "vpc-1")}
    assert drift.foreign_items(answer, *lookups["instances"], "run-1", set(), "vpc-1") == ["i-1"]
    groups = {"SecurityGroups": [{"GroupId": "sg-d", "GroupName": "default"}, {"GroupId": "sg-x", "GroupName": "x"}]}
    assert drift.foreign_items(groups, *lookups["security groups"], "run-1", set(), "vpc-1") == ["sg-x"]
    assert drift.dependent_lookups("s3", "Key", "k") == []


def journal(*middle):
    return [{"event": "run_started"},
            {"event": "validation", "step": "make_role", "calls": [{"cli": "aws iam get-role --role-name r"}]},
            {"event": "step_succeeded", "step": "make_role", "after": {"Role": {"Tags": [1]}}},
            {"event": "validation", "step": "tag_role", "calls": [{"cli": "aws iam get-role --role-name r"}]},
            {"event": "step_succeeded", "step": "tag_role", "after": {"Role": {"Tags": [1, 2]}}},
            {"event": "run_finished"}, *middle]


def test_past_steps_their_states_and_the_latest_state_of_the_same_describe_call():
    past = drift.PastRun(journal({"event": "run_resumed", "purpose": "rollback"}))
    assert past.steps == {"make_role", "tag_role"}
    assert past.states_left("make_role", "aws iam get-role --role-name r") == [
        {"Role": {"Tags": [1]}}, {"Role": {"Tags": [1, 2]}}]  # its own, then the run's last word on it
    assert drift.PastRun(journal()).steps == set()  # the first pass has no earlier one


def test_a_typed_yes_after_the_table_accepts_it_a_token_does_not_and_rechecked_rows_stay_checked():
    table = {"event": "drift_checked", "rows": [{"step": "make_role", "drift": drift.LATER}]}
    typed = drift.PastRun(journal({"event": "run_resumed"}, table, {"event": "approved", "how": "prompt"}))
    token = drift.PastRun(journal({"event": "run_resumed"}, table, {"event": "approved", "how": "token"}))
    before = drift.PastRun(journal({"event": "run_resumed"}, {"event": "approved", "how": "prompt"}, table))
    assert typed.accepted and not token.accepted and not before.accepted
    assert typed.rechecked == {"make_role"} and typed.checked == {}


def test_the_rollback_is_held_to_what_this_passs_drift_table_found():
    table = {"event": "drift_checked", "rows": [{"step": "tag_role", "drift": drift.NONE, "changes": []}],
             "dependents": [{"step": "make_bucket", "resource": "b", "what": "objects", "items": ["k"]}]}
    past = drift.PastRun(journal({"event": "run_resumed"}, table))
    assert past.checked == {"tag_role": table["rows"][0]}
    assert past.dependents == {"make_bucket": table["dependents"]}
    earlier = drift.PastRun(journal(table, {"event": "run_resumed"}))  # a table of an earlier pass counts for nothing
    assert earlier.checked == {} and earlier.dependents == {}


def test_a_resource_back_as_one_state_the_run_left_is_unchanged():
    assert drift.unchanged_since([{"V": 1}, {"V": 2}], {"V": 1})
    assert not drift.unchanged_since([{"V": 1}], {"V": 3})
