"""plan/step_order.py: which steps of a phase depend on each other, and the schedule the review shows."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import dependencies, rounds, schedule_lines

from run_samples import plan_steps

SG = {"id": "sg", "action": "ec2:CreateSecurityGroup", "params": {"GroupName": "web", "Description": "d"},
      "register": {"gid": "GroupId"}}
INSTANCE = {"id": "inst", "action": "ec2:RunInstances",
            "params": {"ImageId": "ami-12345678", "MinCount": 1, "MaxCount": 1, "SecurityGroupIds": ["${sg.gid}"]}}
BUCKET = {"id": "bucket", "action": "s3:CreateBucket", "params": {"Bucket": "logs-1"}}


def param(step_id, name, **extra):
    return dict({"id": step_id, "action": "ssm:PutParameter", "params": {"Name": name, "Value": "v", "Type": "String"}},
                **extra)


def test_the_deployment_the_planner_expects_sg_then_instance_and_the_bucket_beside_them():
    steps = plan_steps([SG, INSTANCE, BUCKET])
    graph = dependencies(steps)
    assert graph == {"sg": [], "inst": ["sg"], "bucket": []}
    assert rounds(steps, graph, 4) == [{"phase": "one", "steps": ["sg", "bucket"]}, {"phase": "one", "steps": ["inst"]}]
    assert schedule_lines(steps, graph, 4) == ["Steps that run at the same time (max_concurrency 4):",
                                               "  one: sg, bucket"]


@pytest.mark.parametrize("later", [
    # the same bucket by name in an identifying member
    {"id": "later", "action": "s3:PutBucketVersioning",
     "params": {"Bucket": "logs-1", "VersioningConfiguration": {"Status": "Enabled"}}},
    # the bucket inside a text of a member that does not identify anything
    {"id": "later", "action": "cloudformation:CreateStack",
     "params": {"StackName": "s", "TemplateURL": "https://logs-1.s3.amazonaws.com/t.yml"}},
    {"id": "later", "action": "glue:CreateJob",
     "params": {"Name": "j", "Role": "r", "Command": {"Name": "glueetl", "ScriptLocation": "s3://logs-1/job.py"}}},
    # its ARN
    {"id": "later", "action": "sns:CreateTopic", "params": {"Name": "t", "Attributes": {
        "Policy": '{"Statement": [{"Resource": "arn:aws:s3:::logs-1"}]}'}}},
])
def test_a_resource_named_by_both_steps_makes_them_dependent_whatever_the_member(later):
    graph = dependencies(plan_steps([BUCKET, later]))
    assert graph["later"] == ["bucket"]


def test_a_role_created_by_name_and_used_by_its_arn():
    role = {"id": "role", "action": "iam:CreateRole", "params": {"RoleName": "fn-role", "AssumeRolePolicyDocument": "{}"}}
    function = {"id": "fn", "action": "lambda:CreateFunction", "params": {
        "FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/fn-role", "Code": {"ZipFile": "eA=="},
        "Runtime": "python3.12", "Handler": "h"}}
    assert dependencies(plan_steps([role, function]))["fn"] == ["role"]


def test_the_rollback_and_validate_calls_count_too():
    first = param("first", "/a")
    second = param("second", "/b", rollback={"action": "ssm:DeleteParameter", "params": {"Name": "/a"}})
    assert dependencies(plan_steps([first, second]))["second"] == ["first"]
    third = param("third", "/c", validate={"action": "ssm:GetParameter", "params": {"Name": "/a"}})
    assert dependencies(plan_steps([first, third]))["third"] == ["first"]


def test_independent_steps_and_after():
    steps = plan_steps([param("a", "/a"), param("b", "/b"), param("c", "/c", after=["a"])])
    graph = dependencies(steps)
    assert graph == {"a": [], "b": [], "c": ["a"]}
    assert [r["steps"] for r in rounds(steps, graph, 2)] == [["a", "b"], ["c"]]
    assert [r["steps"] for r in rounds(steps, graph, 1)] == [["a"], ["b"], ["c"]]
    assert schedule_lines(steps, graph, 1) == []  # one at a time: nothing to show


def test_phases_are_barriers():
    doc_steps = plan_steps([param("a", "/a"), param("b", "/b")])
    doc_steps[1]["phase_index"], doc_steps[1]["phase"] = 1, "two"
    graph = dependencies(doc_steps)
    assert graph == {"a": [], "b": []}
    assert [r["steps"] for r in rounds(doc_steps, graph, 4)] == [["a"], ["b"]]


def test_a_limit_caps_each_round_in_plan_order():
    steps = plan_steps([param("p%d" % i, "/p%d" % i) for i in range(12)])
    assert [len(r["steps"]) for r in rounds(steps, dependencies(steps), 4)] == [4, 4, 4]


@pytest.mark.parametrize("after, message", [
    (["b"], "'b' is not an earlier step of this plan"),
    (["a", "nope"], "'nope' is not an earlier step of this plan"),
    (["c"], "a step does not wait for itself"),
    (["Bad-Id"], "must be a step id"),
])
def test_after_names_earlier_steps_only(after, message):
    with pytest.raises(PlanError) as raised:
        plan_steps([param("a", "/a"), param("c", "/c", after=after), param("b", "/b")])
    assert "phases[0].steps[1].after" in str(raised.value) and message in str(raised.value)
