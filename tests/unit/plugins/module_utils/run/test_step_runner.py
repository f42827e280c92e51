"""StepRunner with a fake AWS context: the order of calls, tokens, journaling and check mode."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import RunRecord

from run_samples import FakeAws, not_found, plan_step, runner

RUN_INSTANCES = {
    "id": "launch", "action": "ec2:RunInstances",
    "params": {"ImageId": "ami-12345678", "MinCount": 1, "MaxCount": 1},
    "register": {"instance_id": "Instances[0].InstanceId"},
    "validate": {"action": "ec2:DescribeInstances", "params": {"InstanceIds": ["${launch.instance_id}"]}},
    "rollback": {"action": "ec2:TerminateInstances", "params": {"InstanceIds": ["${launch.instance_id}"]}},
}


def test_client_token_is_the_same_on_every_attempt_of_a_step_and_differs_between_runs(tmp_path):
    answers = {"RunInstances": {"Instances": [{"InstanceId": "i-1"}]}, "DescribeInstances": {"Reservations": []}}
    first, second, other_run = FakeAws(answers), FakeAws(answers), FakeAws(answers)
    runner(tmp_path, first)[0].execute(plan_step(RUN_INSTANCES))
    runner(tmp_path, second)[0].execute(plan_step(RUN_INSTANCES))
    (tmp_path / "run-2").mkdir()  # a journal of its own: one journal is one run's chain
    runner(tmp_path / "run-2", other_run, run_id="run-2")[0].execute(plan_step(RUN_INSTANCES))
    tokens = [dict(aws.calls)["RunInstances"]["ClientToken"] for aws in (first, second, other_run)]
    assert tokens[0] == tokens[1] != tokens[2]


def test_a_mutating_call_is_journaled_before_it_is_sent_and_after_it_returns(tmp_path):
    aws = FakeAws({"RunInstances": {"Instances": [{"InstanceId": "i-1"}]}, "DescribeInstances": {"Reservations": []}})
    step_runner, journal = runner(tmp_path, aws)
    result = step_runner.execute(plan_step(RUN_INSTANCES))
    journal.close()
    kinds = [e["event"] for e in read_events(str(tmp_path / "journal.jsonl"))]
    assert kinds == ["call_started", "call_succeeded", "validation", "step_succeeded"]
    assert [op for op, _params in aws.calls] == ["RunInstances", "DescribeInstances"]
    assert result["status"] == "succeeded" and result["outputs"] == {"instance_id": "i-1"}
    assert result["before"] == "absent"  # named by its own output: it cannot exist before
    assert json.loads(json.dumps(result)) == result  # JSON-safe for Ansible


def test_check_mode_makes_no_mutating_call_and_shows_placeholders(tmp_path):
    aws = FakeAws({})
    result = runner(tmp_path, aws, check_mode=True)[0].execute(plan_step(RUN_INSTANCES))
    assert aws.calls == []
    assert result["status"] == "planned" and result["changed"] is True
    assert "<launch.instance_id>" in result["validation"]["calls"][0]["cli"]


def test_a_register_that_finds_nothing_is_unexpected_output(tmp_path):
    aws = FakeAws({"RunInstances": {"Instances": []}, "DescribeInstances": {"Reservations": []}})
    result = runner(tmp_path, aws)[0].execute(plan_step(RUN_INSTANCES))
    assert result["unexpected"] == ["register instance_id: 'Instances[0].InstanceId' found nothing"]


@pytest.mark.parametrize("answer, status", [({}, "done"), (not_found("TerminateInstances"), "already_gone")])
def test_rollback_counts_an_already_gone_resource_as_done(tmp_path, answer, status):
    aws = FakeAws({"TerminateInstances": answer})
    step_runner, _aws = runner(tmp_path, aws)
    step_runner.context["launch"] = {"instance_id": "i-1"}
    step_runner.record = RunRecord("run-1", [plan_step(RUN_INSTANCES)], [  # the journal answered i-1 (untagged)
        {"event": "call_succeeded", "step": "launch", "outputs": {"instance_id": "i-1"}, "mutating": True}])
    record = step_runner.rollback(plan_step(RUN_INSTANCES))
    assert record["status"] == "rolled_back"
    assert record["calls"][0]["status"] == status
    assert aws.calls == [("TerminateInstances", {"InstanceIds": ["i-1"]})]


SECURITY_GROUP = {
    "id": "make_sg", "action": "ec2:CreateSecurityGroup", "params": {"GroupName": "web", "Description": "d"},
    "register": {"group_id": "GroupId"},
    "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": ["web"]}},
    "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupId": "${make_sg.group_id}"}},
}
DUPLICATE = ClientError({"Error": {"Code": "InvalidGroup.Duplicate", "Message": "exists"},
                         "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": 1}}, "CreateSecurityGroup")
LOST = ConnectionClosedError(endpoint_url="http://127.0.0.1:1")
FOUND = {"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web"}]}


def events(tmp_path):
    return read_events(str(tmp_path / "journal.jsonl"))


@pytest.mark.parametrize("answer", [DUPLICATE, LOST], ids=["duplicate-on-retry", "connection-closed"])
def test_a_lost_answer_is_resolved_by_describing_and_the_resource_adopted(tmp_path, answer):
    aws = FakeAws({"CreateSecurityGroup": answer, "DescribeSecurityGroups": [not_found("D"), FOUND, FOUND, FOUND]})
    step_runner, journal = runner(tmp_path, aws)
    result = step_runner.execute(plan_step(SECURITY_GROUP))
    journal.close()
    failed = [e for e in events(tmp_path) if e["event"] == "call_failed"]
    assert [(e["changed"], e["ambiguous"], e["resolved"], e["outputs"]) for e in failed] == [
        (True, True, "adopted", {"group_id": "sg-1"})]
    assert (result["status"], result["changed"], result["outputs"]) == ("succeeded", True, {"group_id": "sg-1"})
    assert step_runner.context["make_sg"] == {"group_id": "sg-1"}  # the rollback can name it


def test_a_lost_answer_whose_resource_cannot_be_described_counts_as_possibly_created(tmp_path):
    unreachable = ConnectionClosedError(endpoint_url="http://127.0.0.1:1")
    aws = FakeAws({"CreateSecurityGroup": LOST, "DescribeSecurityGroups": [not_found("D"), unreachable]})
    step_runner, journal = runner(tmp_path, aws)
    result = step_runner.execute(plan_step(SECURITY_GROUP))
    journal.close()
    assert (result["status"], result["changed"], result["error"]["kind"]) == ("failed", True, "ambiguous")
    assert result["error"]["text"].startswith("OUTCOME UNKNOWN: ec2:CreateSecurityGroup failed with ConnectionClosedError")
    assert [e["resolved"] for e in events(tmp_path) if e["event"] == "call_failed"] == ["unknown"]


def test_a_duplicate_of_what_existed_before_the_call_is_a_conflict_that_changed_nothing(tmp_path):
    existed = ClientError({"Error": {"Code": "InvalidGroup.Duplicate", "Message": "exists"},
                           "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": 0}}, "CreateSecurityGroup")
    aws = FakeAws({"CreateSecurityGroup": existed, "DescribeSecurityGroups": FOUND})
    step_runner, journal = runner(tmp_path, aws)
    result = step_runner.execute(plan_step(SECURITY_GROUP))
    journal.close()
    assert (result["status"], result["changed"], result["error"]["kind"]) == ("failed", False, "conflict")
    assert [op for op, _params in aws.calls] == ["DescribeSecurityGroups", "CreateSecurityGroup"]  # no adoption


def test_a_duplicate_tagged_by_another_run_is_left_alone(tmp_path):
    theirs = {"SecurityGroups": [{"GroupId": "sg-9", "Tags": [{"Key": "coworker:run-id", "Value": "run-0"}]}]}
    aws = FakeAws({"CreateSecurityGroup": DUPLICATE, "DescribeSecurityGroups": [not_found("D"), theirs]})
    step_runner, journal = runner(tmp_path, aws)
    result = step_runner.execute(plan_step(SECURITY_GROUP))
    journal.close()
    assert (result["status"], result["changed"]) == ("failed", False)
    assert "created by run run-0" in result["error"]["text"]


def test_a_lost_run_instances_answer_is_found_by_the_run_tags(tmp_path):
    reservation = {"Reservations": [{"Instances": [{"InstanceId": "i-7"}]}]}
    aws = FakeAws({"RunInstances": LOST, "DescribeInstances": [reservation] * 3})  # find, twins, validate
    step_runner, journal = runner(tmp_path, aws)
    step_runner.plan_id = "p"
    result = step_runner.execute(plan_step(RUN_INSTANCES))
    journal.close()
    sent = dict(aws.calls)
    assert sent["RunInstances"]["TagSpecifications"][0]["ResourceType"] == "instance"
    assert aws.calls[1] == ("DescribeInstances", {"Filters": [
        {"Name": "tag:coworker:run-id", "Values": ["run-1"]}, {"Name": "tag:coworker:step-id", "Values": ["launch"]}]})
    assert (result["status"], result["outputs"]) == ("succeeded", {"instance_id": "i-7"})


def test_read_retries_are_counted_for_the_step(tmp_path):
    class Retrying(FakeAws):
        def call(self, service, operation, params, region=None):
            response = super().call(service, operation, params, region)
            response["ResponseMetadata"]["RetryAttempts"] = 2 if operation.startswith("Describe") else 1
            return response
    aws = Retrying({"CreateSecurityGroup": {"GroupId": "sg-1"}, "DescribeSecurityGroups": [not_found("D"), FOUND]})
    step_runner, journal = runner(tmp_path, aws)
    result = step_runner.execute(plan_step(SECURITY_GROUP))
    journal.close()
    done = [e for e in events(tmp_path) if e["event"] == "step_succeeded"][0]
    assert (result["retries"], result["read_retries"], done["retries"], done["read_retries"]) == (1, 2, 1, 2)


def test_a_removal_whose_answer_is_lost_is_decided_by_its_validation(tmp_path):
    delete = {"id": "drop_sg", "action": "ec2:DeleteSecurityGroup", "params": {"GroupName": "web"},
              "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": ["web"]},
                           "expect": ["length(SecurityGroups) == `0`"]}}
    for after, status in ((not_found("D"), "succeeded"), (FOUND, "failed")):
        aws = FakeAws({"DeleteSecurityGroup": LOST, "DescribeSecurityGroups": [FOUND, after, after]})
        result = runner(tmp_path, aws)[0].execute(plan_step(delete))
        assert (result["status"], result["changed"]) == (status, True)
