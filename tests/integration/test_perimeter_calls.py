"""Every call of a step, not only its main call (issue 23): validate, wait and rollback calls go through
the same perimeter and the same guardrail policies, before the approval prompt and again before sending.
"""

from __future__ import annotations

import pytest

from moto_harness import call_keys, output_of
from perimeter_support import (
    PROD_BUCKET, PRODUCTION, SANDBOX, Perimeter, assert_refused, flat, policy, step)

pytestmark = pytest.mark.integration

SSH_FROM_ANYWHERE = {"GroupName": "web", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
ADMIN = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})


@pytest.fixture
def ws(aws_env, moto_server, tmp_path) -> Perimeter:
    return Perimeter(aws_env, moto_server, tmp_path)


def test_a_rollback_that_opens_ssh_to_the_world_is_refused_by_the_guardrails(ws):
    steps = [step("group", "ec2:CreateSecurityGroup", {"GroupName": "web", "Description": "web"},
                  rollback={"action": "ec2:AuthorizeSecurityGroupIngress", "params": SSH_FROM_ANYWHERE})]
    result, calls = ws.execute(steps)
    assert_refused(ws, result, calls, "Guardrail policy refused the plan before the approval prompt",
                   "FAIL no-open-ingress", "steps: group (rollback[0]: tcp 22-22 from 0.0.0.0/0)")
    ws.control("ec2:CreateSecurityGroup", {"GroupName": "web", "Description": "web"})
    ws.control("ec2:AuthorizeSecurityGroupIngress", SSH_FROM_ANYWHERE)


def test_a_rollback_that_grants_administrator_access_is_refused_by_the_guardrails(ws):
    grant = {"RoleName": "app", "PolicyName": "undo", "PolicyDocument": ADMIN}
    steps = [step("role", "iam:CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": "{}"},
                  rollback={"action": "iam:PutRolePolicy", "params": grant})]
    result, calls = ws.execute(steps)
    assert_refused(ws, result, calls, "FAIL iam-no-admin-wildcard",
                   "steps: role (rollback[0]: PolicyDocument Statement[0])")
    ws.control("iam:CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": "{}"})
    ws.control("iam:PutRolePolicy", grant)


@pytest.mark.parametrize("kind, call, label", [
    ("rollback", {"action": "sns:DeleteTopic"}, "rollback[0]"),          # moto deletes production's topic
    ("validate", {"action": "sns:GetTopicAttributes"}, "validate[0]"),    # moto reads production's topic
])
def test_a_rollback_or_validate_call_on_another_account_is_refused(ws, kind, call, label):
    topic = ws.prod.client("sns", region_name="us-east-1").create_topic(Name="alerts")["TopicArn"]
    steps = [step("topic", "sns:CreateTopic", {"Name": "alerts"}, **{kind: dict(call, params={"TopicArn": topic})})]
    result, calls = ws.execute(steps)
    assert_refused(ws, result, calls, f"step topic {label}, TopicArn: ARN '{topic}' names account {PRODUCTION}")
    ws.control(call["action"], {"TopicArn": topic})  # the control: moto acts on production for the sandbox
    topics = ws.prod.client("sns", region_name="us-east-1").list_topics()["Topics"]
    assert topics == ([] if kind == "rollback" else [{"TopicArn": topic}])


def test_a_waiter_on_a_bucket_of_another_account_is_refused_before_the_approval_prompt(ws):
    steps = [step("bucket", "s3:CreateBucket", {"Bucket": "sandbox-wait"},
                  wait={"waiter": "bucket_exists", "params": {"Bucket": PROD_BUCKET}})]
    result, calls = ws.execute(steps)
    assert_refused(ws, result, calls, f"step bucket wait, Bucket: bucket '{PROD_BUCKET}' is not owned by the "
                                      f"target account {SANDBOX}")
    assert ("s3", "CreateBucket") not in call_keys(calls)
    ws.control("s3:HeadBucket", {"Bucket": PROD_BUCKET})


def test_a_rollback_whose_value_is_known_only_at_run_time_is_judged_again_before_it_is_sent(ws):
    """The CIDR is the new role's description, an output of the step itself: only the rollback can judge it."""
    ws.sandbox("ec2").create_security_group(GroupName="web", Description="web")
    open_ssh = {"GroupName": "web", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                      "IpRanges": [{"CidrIp": "${role.cidr}"}]}]}
    steps = [step("role", "iam:CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": "{}",
                                             "Description": "0.0.0.0/0"},
                  register={"cidr": "Role.Description"},
                  rollback={"action": "ec2:AuthorizeSecurityGroupIngress", "params": open_ssh}),
             step("fail", "ssm:DeleteParameter", {"Name": "/net/missing"})]
    result, calls = ws.execute(steps)
    out = flat(output_of(result))
    assert result.returncode != 0, out
    # before the prompt the CIDR was not known
    assert "cannot tell yet no-open-ingress" in out and "steps: role (rollback[0])" in out, output_of(result)
    assert "Guardrail policy refused the plan before rolling back role" in out, output_of(result)
    assert "FAIL no-open-ingress" in out and "role (rollback[0]: tcp 22-22 from 0.0.0.0/0)" in out
    assert ("ec2", "AuthorizeSecurityGroupIngress") not in call_keys(calls)
    groups = ws.sandbox("ec2").describe_security_groups(GroupNames=["web"])["SecurityGroups"]
    assert groups[0]["IpPermissions"] == []
    assert ws.prod_state()["objects"] == ["ledger.csv"]
    ws.control("ec2:AuthorizeSecurityGroupIngress", dict(SSH_FROM_ANYWHERE, GroupName="web"))
