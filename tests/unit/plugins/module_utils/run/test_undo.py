"""The undo with a fake AWS: ownership before each rollback call, the sweep by tag, and the plan's view of tags."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import RunRecord

from test_step_runner import FakeAws, plan_step, runner

RUN = "run-1"
ARN = "arn:aws:ec2:us-east-1:123456789012:security-group/%s"
MAKE_SG = {
    "id": "make_sg", "action": "ec2:CreateSecurityGroup", "params": {"GroupName": "web", "Description": "d"},
    "register": {"group_id": "GroupId"},
    "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupIds": ["${make_sg.group_id}"]}},
    "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupId": "${make_sg.group_id}"}},
}
OUR_TAGS = [{"Key": "coworker:run-id", "Value": RUN}, {"Key": "coworker:step-id", "Value": "make_sg"}]


def tagged(*group_ids):
    """The Tagging API's answer: these groups carry this run's tags."""
    return {"ResourceTagMappingList": [{"ResourceARN": ARN % g, "Tags": OUR_TAGS} for g in group_ids]}


def journaled(step_runner, group_id):
    """The run's journal: the tagged create, and its answer naming ``group_id``."""
    step = plan_step(MAKE_SG)
    step_runner.record = RunRecord(RUN, [step], [
        {"event": "call_started", "step": "make_sg", "mutating": True,
         "params": {"GroupName": "web", "TagSpecifications": [{"ResourceType": "security-group", "Tags": OUR_TAGS}]}},
        {"event": "call_succeeded", "step": "make_sg", "mutating": True, "outputs": {"group_id": group_id}}])
    step_runner.context["make_sg"] = {"group_id": group_id}
    return step


def sent(aws, operation):
    return [params for op, params in aws.calls if op == operation]


def test_a_rollback_call_naming_a_group_without_the_run_tag_is_not_sent(tmp_path):
    aws = FakeAws({"GetResources": tagged("sg-own"), "DescribeTags": {"Tags": []}})
    step_runner, journal = runner(tmp_path, aws, run_id=RUN)
    record = step_runner.rollback(journaled(step_runner, "sg-bystander"))
    journal.close()
    assert sent(aws, "DeleteSecurityGroup") == []
    assert record["status"] == "rollback_failed" and record["calls"][0]["status"] == "left"
    assert record["calls"][0]["reason"].startswith("not made by this run: left (sg-bystander: this run tagged")
    refused = [e for e in read_events(str(tmp_path / "journal.jsonl")) if e["event"] == "undo_refused"]
    assert [e["step"] for e in refused] == ["make_sg"]


def test_the_run_tag_found_by_the_tagging_api_lets_the_call_go(tmp_path):
    aws = FakeAws({"GetResources": tagged("sg-own"), "DeleteSecurityGroup": {}})
    step_runner, _journal = runner(tmp_path, aws, run_id=RUN)
    record = step_runner.rollback(journaled(step_runner, "sg-own"))
    assert record["status"] == "rolled_back"
    assert sent(aws, "DeleteSecurityGroup") == [{"GroupId": "sg-own"}]
    assert sent(aws, "GetResources") == [{"TagFilters": [{"Key": "coworker:run-id", "Values": [RUN]}]}]


def test_the_tag_search_failing_falls_back_to_the_services_own_tag_read(tmp_path):
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
                         "GetResources")
    aws = FakeAws({"GetResources": denied, "DescribeTags": {"Tags": [
        {"Key": "coworker:run-id", "Value": RUN, "ResourceId": "sg-own"}]}, "DeleteSecurityGroup": {}})
    step_runner, _journal = runner(tmp_path, aws, run_id=RUN)
    assert step_runner.rollback(journaled(step_runner, "sg-own"))["status"] == "rolled_back"
    assert sent(aws, "DescribeTags") == [{"Filters": [{"Name": "resource-id", "Values": ["sg-own"]}]}]


def test_the_sweep_removes_what_carries_the_run_tag_by_the_steps_rollback_calls(tmp_path):
    aws = FakeAws({"GetResources": tagged("sg-lost"), "DeleteSecurityGroup": {}})
    step_runner, journal = runner(tmp_path, aws, run_id=RUN)
    step = plan_step(MAKE_SG)
    swept = step_runner.sweep([step], {"make_sg"}, {"make_sg": {"status": "rollback_failed", "changed": True}})
    journal.close()
    assert sent(aws, "DeleteSecurityGroup") == [{"GroupId": "sg-lost"}]  # its id read from the ARN the tag found
    assert swept == [{"step": "make_sg", "resource": ARN % "sg-lost", "status": "removed", "reason": None,
                      "calls": [{"cli": swept[0]["calls"][0]["cli"], "status": "done", "retries": 0}]}]
    last = read_events(str(tmp_path / "journal.jsonl"))[-1]
    assert (last["event"], last["swept"]) == ("rollback_succeeded", ARN % "sg-lost")


def test_the_sweep_leaves_what_this_pass_already_sent_a_call_for_or_left_on_purpose(tmp_path):
    aws = FakeAws({"GetResources": tagged("sg-own")})
    step_runner, _journal = runner(tmp_path, aws, run_id=RUN)
    step_runner.undone.add("sg-own")  # its delete was sent (and failed): the rollback reported it
    assert step_runner.sweep([plan_step(MAKE_SG)], {"make_sg"}, {}) == []
    step_runner.undone.clear()
    step_runner.left_on_purpose.add("make_sg")  # drift: left as it is
    assert step_runner.sweep([plan_step(MAKE_SG)], {"make_sg"}, {}) == []
    assert sent(aws, "DeleteSecurityGroup") == []


def test_register_and_expect_see_the_answer_without_the_run_tags(tmp_path):
    role = {"id": "make_role", "action": "iam:CreateRole",
            "params": {"RoleName": "app", "AssumeRolePolicyDocument": "{}", "Tags": [{"Key": "team", "Value": "web"}]},
            "register": {"tags": "length(Role.Tags)"}, "expect": ["length(Role.Tags) == `1`"],
            "validate": {"action": "iam:GetRole", "params": {"RoleName": "app"},
                         "expect": ["length(Role.Tags) == `1`"]}}
    answer = {"Role": {"RoleName": "app", "Tags": [{"Key": "team", "Value": "web"}] + OUR_TAGS}}
    missing = ClientError({"Error": {"Code": "NoSuchEntity", "Message": "x"}}, "GetRole")
    aws = FakeAws({"CreateRole": answer, "GetRole": [missing, answer]})  # the describe before, then the validation
    step_runner, _journal = runner(tmp_path, aws, run_id=RUN)
    step_runner.plan_id = "p"
    result = step_runner.execute(plan_step(role))
    assert result["status"] == "succeeded", result["error"]
    assert result["outputs"] == {"tags": 1} and result["unexpected"] == []
    assert len(result["after"]["Role"]["Tags"]) == 3  # the journal and report keep the answer as AWS gave it


def test_a_tagged_resource_that_is_gone_is_no_bystander_its_undo_counts_as_already_gone(tmp_path):
    put = {"id": "put_a", "action": "ssm:PutParameter", "params": {"Name": "/a", "Value": "v", "Type": "String"},
           "validate": {"action": "ssm:GetParameter", "params": {"Name": "/a"}},
           "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": "/a"}}}
    gone = ClientError({"Error": {"Code": "ParameterNotFound", "Message": "x"}}, "GetParameter")
    aws = FakeAws({"GetResources": {"ResourceTagMappingList": []}, "GetParameter": gone, "DeleteParameter": gone})
    step_runner, _journal = runner(tmp_path, aws, run_id=RUN)
    step = plan_step(put)
    step_runner.record = RunRecord(RUN, [step], [{"event": "call_started", "step": "put_a", "mutating": True,
                                                  "params": {"Name": "/a", "Tags": OUR_TAGS}}])
    record = step_runner.rollback(step)
    assert (record["status"], record["calls"][0]["status"]) == ("rolled_back", "already_gone")
