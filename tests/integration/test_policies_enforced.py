"""Guardrail policies at execution, end to end: real ansible-playbook on moto.

The plan's own ``guardrail.status: PASS`` is not taken on trust: the class's rules are
evaluated before the approval prompt (a FAIL refuses with nothing sent) and again before
each batch, when values produced by earlier steps are known.
"""

from __future__ import annotations

import json

import pytest
import yaml

from moto_harness import REPO_ROOT, mutating_calls, output_of, spawn_playbook
from workflow_support import (
    APPROVAL_WAITING, ENVIRONMENTS, Plan, expect, finish, plan_document, put_param, unwrapped, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

APPROVE = REPO_ROOT / "playbooks" / "approve_plan.yml"
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["*"], "Resource": "*"}})


def with_guardrails(flow, guardrails: dict) -> None:
    """The workflow's environments file, with ``guardrails`` for the sandbox class."""
    document = yaml.safe_load(ENVIRONMENTS)
    document["environments"]["sandbox"]["guardrails"] = guardrails
    flow.environments.write_text(yaml.safe_dump(document))


def risky_phases():
    return [("Everything", [
        {"id": "create_bucket", "action": "s3:CreateBucket", "params": {"Bucket": "policy-test-bucket"}},
        {"id": "create_sg", "action": "ec2:CreateSecurityGroup",
         "params": {"GroupName": "policy-test", "Description": "test"}, "register": {"group_id": "GroupId"}},
        {"id": "open_ssh", "action": "ec2:AuthorizeSecurityGroupIngress",
         "params": {"GroupId": "${create_sg.group_id}", "IpPermissions": [
             {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}},
    ])]


def test_plan_claiming_pass_is_refused_before_the_prompt_naming_rules_and_steps(workflow):
    with_guardrails(workflow, {"required_tags": ["Owner", "CostCenter"], "severity": {"s3-bucket-encryption": "FAIL"}})
    plan = workflow.write_plan("claims-pass", risky_phases())
    before = workflow.snapshot()
    with workflow.moto.recording() as calls:
        child = workflow.spawn(plan)
        status, transcript = finish(child)
    assert status != 0, transcript
    assert APPROVAL_WAITING not in transcript
    text = " ".join(transcript.split())
    assert "Guardrail policy refused the plan before the approval prompt" in text
    assert "FAIL s3-bucket-encryption" in text and "steps: create_bucket" in text
    assert "FAIL no-open-ingress" in text and "open_ssh (tcp 22-22 from 0.0.0.0/0)" in text
    assert "FAIL required-tags" in text and "create_sg (missing Owner, CostCenter)" in text
    assert mutating_calls(calls) == []
    assert workflow.snapshot() == before
    assert workflow.report(workflow.only_run())["status"] == "refused"


def test_user_rule_from_configuration_refuses_and_warn_rules_print_and_continue(workflow):
    rule = {"id": "no-debug-parameters", "severity": "FAIL", "applies_to": ["ssm:PutParameter"],
            "description": "no parameter under /debug/", "require": "!starts_with(params.Name, '/debug/')"}
    with_guardrails(workflow, {"rules": [rule]})
    refused = workflow.write_plan("user-rule", [("P", [put_param("put_debug", "/debug/x")])])
    result = workflow.run(refused, "-e", f"approve={refused.digest}")
    assert result.returncode != 0
    assert "FAIL no-debug-parameters: no parameter under /debug/ — steps: put_debug" in output_of(result)
    assert "/debug/x" not in workflow.parameter_values()

    allowed = workflow.write_plan("warn-only", [("P", [put_param("put_a", "/wf/a")])])
    result = workflow.run(allowed, "-e", f"approve={allowed.digest}")
    assert result.returncode == 0, output_of(result)
    assert "WARN required-tags" in output_of(result) and "put_a (missing Name" in output_of(result)
    assert workflow.parameter_values()["/wf/a"] == "v1"


def test_batch_recheck_refuses_a_value_known_only_after_an_earlier_step(workflow):
    workflow.ssm.put_parameter(Name="/wf/policy", Value="v", Description=ADMIN, Type="String")
    phases = [("Read", [{"id": "read_doc", "action": "ssm:DescribeParameters",
                         "params": {"ParameterFilters": [{"Key": "Name", "Values": ["/wf/policy"]}]},
                         "register": {"text": "Parameters[0].Description"}}]),
              ("Grant", [{"id": "make_policy", "action": "iam:CreatePolicy",
                          "params": {"PolicyName": "from-parameter", "PolicyDocument": "${read_doc.text}"}}])]
    plan = workflow.write_plan("late-value", phases)
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}")
    out = " ".join(output_of(result).split())
    assert result.returncode != 0, out
    assert "cannot tell yet iam-no-admin-wildcard" in out
    assert "FAIL iam-no-admin-wildcard" in out and "make_policy (PolicyDocument Statement[0])" in out
    assert mutating_calls(calls) == []
    assert workflow.session.client("iam").list_policies(Scope="Local")["Policies"] == []
    assert workflow.report(workflow.only_run())["status"] == "refused"


def test_the_approver_sees_the_values_and_the_policy_results_before_each_question(workflow):
    """approve_plan's review and the execution plan show the WARN rules with their steps, and a String
    parameter's value, before the question; "Loading plan" does not repeat them."""
    path = workflow.tmp / "plans" / "review.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(plan_document("review", [("P", [put_param("put_a", "/wf/a", value="db.internal")])]),
                    sort_keys=False))
    approving = spawn_playbook([APPROVE, "-e", f"plan={path}", "-e", "approved_by=alice@example.com",
                                "-e", f"environments_file={workflow.environments}"], workflow.env(), workflow.tmp)
    workflow.children.append(approving)
    expect(approving, "Approve this plan as alice@example.com? (yes/no):")
    review = unwrapped(approving.logfile_read.getvalue())
    approving.sendline("yes")
    assert finish(approving)[0] == 0
    assert "Policies: WARN required-tags:" in review and "— steps: put_a (missing Name" in review
    assert "--value db.internal --type String" in review

    child = workflow.spawn(Plan(path, yaml.safe_load(path.read_text())["approval"]["plan_sha256"]))
    expect(child, APPROVAL_WAITING)
    shown = unwrapped(child.logfile_read.getvalue())
    child.sendline("no")
    finish(child)
    execution_plan = shown[shown.index("EXECUTION PLAN"):]
    assert "Policies: WARN required-tags:" in execution_plan and "put_a (missing Name" in execution_plan
    assert "--value db.internal --type String" in execution_plan
    assert shown.count("WARN required-tags") == 1, shown  # not in "Loading plan" too
    assert workflow.parameter_values() == {}
