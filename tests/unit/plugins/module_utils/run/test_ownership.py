"""Whose resource an undo would touch: the verdict, branch by branch, and what the journal says the run made."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import (
    RunRecord, journal_sources, judge, needs_tags)

RUN = "20260101T000000Z-p-000001"
OURS = [{"Key": "coworker:run-id", "Value": RUN}, {"Key": "coworker:step-id", "Value": "make_sg"}]
STEPS = [
    {"id": "make_sg", "call": {"service": "ec2", "operation": "CreateSecurityGroup"}},
    {"id": "put_a", "call": {"service": "ssm", "operation": "PutParameter"}},
    {"id": "put_old", "call": {"service": "ssm", "operation": "PutParameter"}},
    {"id": "tag_role", "call": {"service": "iam", "operation": "TagRole"}},
]


def events(group_id="sg-own"):
    return [
        {"event": "call_started", "step": "make_sg", "mutating": True,
         "params": {"GroupName": "web", "VpcId": "vpc-shared", "TagSpecifications": [
             {"ResourceType": "security-group", "Tags": OURS}]}},
        {"event": "call_succeeded", "step": "make_sg", "mutating": True, "outputs": {"group_id": group_id}},
        {"event": "call_started", "step": "put_a", "mutating": True,
         "params": {"Name": "/app/a", "Value": "<redacted: sensitive>", "Tags": OURS}},
        {"event": "call_started", "step": "put_old", "mutating": True,  # tag_resources=false in that pass
         "params": {"Name": "/app/old", "Overwrite": True}},
        {"event": "call_succeeded", "step": "put_old", "mutating": True, "outputs": {"version": "7"}},
        {"event": "call_started", "step": "tag_role", "mutating": True, "params": {"RoleName": "shared-role"}},
    ]


def test_the_record_knows_what_the_run_tagged_and_every_value_its_answers_returned():
    record = RunRecord(RUN, STEPS, events())
    assert record.tagged == {"web": "make_sg", "sg-own": "make_sg", "/app/a": "put_a"}  # not vpc-shared: a parent
    assert record.answered == {"sg-own", "7"}
    assert {"vpc-shared", "shared-role", "/app/old"} <= record.named


def test_a_journal_rewritten_to_a_bystander_makes_the_bystander_a_value_that_must_carry_the_run_tag():
    record = RunRecord(RUN, STEPS, events(group_id="sg-bystander"))
    assert needs_tags(record, "sg-bystander")
    refusal = judge(record, "sg-bystander", {"make_sg"}, tags={})
    assert refusal == ("sg-bystander: this run tagged what step make_sg made, and it does not carry "
                       "coworker:run-id=%s" % RUN)


def test_this_runs_tag_makes_it_ours_and_another_runs_tag_does_not():
    record = RunRecord(RUN, STEPS, events())
    assert judge(record, "sg-own", {"make_sg"}, tags={"coworker:run-id": RUN}) is None
    assert judge(record, "sg-own", {"make_sg"}, tags={"coworker:run-id": "other"}) == (
        "sg-own carries coworker:run-id=other, another run's")
    # a plan-named resource another run tagged is not ours either
    assert judge(record, "/app/old", set(), tags={"coworker:run-id": "other"}) is not None


def test_tags_that_could_not_be_read_refuse_what_the_run_tagged():
    record = RunRecord(RUN, STEPS, events())
    assert judge(record, "/app/a", set(), tags=None, unread="AccessDenied") == (
        "/app/a: this run tagged what step put_a made, and its tags could not be read (AccessDenied)")


def test_what_the_run_could_not_tag_is_ours_when_the_plan_names_it_or_its_answers_returned_it():
    record = RunRecord(RUN, STEPS, events())
    assert not needs_tags(record, "/app/old") and not needs_tags(record, "shared-role")
    assert judge(record, "shared-role", set(), tags=None) is None  # named by the approved plan itself
    assert judge(record, "7", {"put_old"}, tags=None) is None  # a value the run's journaled answer returned
    assert judge(record, "i-unknown", {"put_old"}, tags=None) == (
        "i-unknown is not a value this run's journaled answers returned")


def test_what_a_search_by_the_run_tag_found_is_ours():
    record = RunRecord(RUN, STEPS, events(group_id="sg-lost"))
    record.seen_ours.add("sg-twin")
    assert not needs_tags(record, "sg-twin") and judge(record, "sg-twin", {"make_sg"}, tags=None) is None


def test_the_journal_fills_a_member_only_through_a_step_reference():
    assert journal_sources({"GroupId": "${make_sg.group_id}"}, "GroupId") == {"make_sg"}
    assert journal_sources({"InstanceIds": ["${launch.id}", "i-fixed"]}, "InstanceIds") == {"launch"}
    assert journal_sources({"Name": "/app/${run.id}/${target.region}"}, "Name") == set()
    assert journal_sources({"Name": "/app/a"}, "Name") == set()
