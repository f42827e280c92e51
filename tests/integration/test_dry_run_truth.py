"""`--check` tells the truth: no request that still holds a placeholder is sent, a step that
needs an earlier step's output says so, and a create of what already exists is predicted to
fail — in the live lines, report.md and report.json. Nothing is changed.

The plan: put_a creates /wf/a and registers its version; read_a reads "/wf/a:<version>" (it
needs put_a's output, which a dry run never has); make_group creates a security group that a
person already created by hand.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest

from moto_harness import mutating_calls
from workflow_support import put_param, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

READ_A = {"id": "read_a", "description": "Read the version put_a wrote", "action": "ssm:GetParameter",
          "params": {"Name": "/wf/a:${put_a.version}"},
          "validate": {"action": "ssm:GetParameter", "params": {"Name": "/wf/a:${put_a.version}"},
                       "expect": ["Parameter.Value == 'v1'"]}}
MAKE_GROUP = {"id": "make_group", "description": "The web group", "action": "ec2:CreateSecurityGroup",
              "params": {"GroupName": "wf-web", "Description": "web"},
              "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": ["wf-web"]}},
              "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupName": "wf-web"}}}


def recap_changed(stdout: str) -> int:
    match = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", stdout)
    assert match, stdout
    return int(match.group(1))


def test_check_sends_no_placeholder_and_predicts_the_conflict(workflow):
    put_a = put_param("put_a", "/wf/a", register={"version": "Version"})
    plan = workflow.write_plan("dry", [("Config", [put_a, READ_A, MAKE_GROUP])])
    workflow.session.client("ec2").create_security_group(GroupName="wf-web", Description="made by hand")
    before = workflow.snapshot()

    with workflow.moto.recording() as calls:
        ran = workflow.run(plan, "--check")

    # a create of what already exists certainly fails: the dry run says so and exits non-zero
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert recap_changed(ran.stdout) == 0
    assert "a real run would fail at: make_group" in unwrapped(ran.stdout)
    assert mutating_calls(calls) == [] and workflow.snapshot() == before
    sent = [unquote_plus(call.url + call.body.decode("utf-8", "replace")) for call in calls]
    assert sent and not [text for text in sent if "<put_a." in text], "a placeholder reached AWS"
    assert "[Step 2 of 3] read_a" in ran.stdout
    assert "would run after put_a (needs its output; not sent)" in ran.stdout
    assert "already exists: the create would fail, or is already done" in ran.stdout

    run_id = workflow.only_run()
    report = workflow.report(run_id)
    assert report["status"] == "dry_run" and report["would_fail"] == ["make_group"]
    rows = {s["id"]: s for s in report["steps"]}
    assert rows["read_a"]["waits_for"] == ["put_a"] and rows["put_a"]["prediction"] == "would create it"
    markdown = workflow.report_md(run_id)
    assert "A real run would fail at: make_group." in markdown
    assert "- read_a: would run after put_a (needs its output)" in markdown


def test_dry_run_warn_only_exits_0_and_a_dry_run_never_counts_as_changed(workflow):
    plan = workflow.write_plan("dry", [("Config", [put_param("put_a", "/wf/a"), MAKE_GROUP])])
    workflow.session.client("ec2").create_security_group(GroupName="wf-web", Description="made by hand")
    before = workflow.snapshot()

    ran = workflow.run(plan, "--check", "-e", "dry_run_warn_only=true")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert recap_changed(ran.stdout) == 0 and workflow.snapshot() == before
    assert "a real run would fail at: make_group" in unwrapped(ran.stdout)
    assert workflow.report(workflow.only_run())["would_fail"] == ["make_group"]

    workflow.session.client("ec2").delete_security_group(GroupName="wf-web")
    clean = workflow.run(plan, "-e", "dry_run=true")  # nothing certain to fail: exit 0, still changed=0
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert recap_changed(clean.stdout) == 0
    assert "would fail" not in clean.stdout


NO_OVERWRITE = {"id": "put_c", "action": "ssm:PutParameter", "params": {"Name": "/wf/c", "Value": "v1", "Type": "String"},
                "validate": {"action": "ssm:GetParameter", "params": {"Name": "/wf/c"}},
                "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": "/wf/c"}}}
ATTACH = {"id": "attach", "action": "iam:AttachRolePolicy",
          "params": {"RoleName": "wf-nobody", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
          "validate": {"action": "iam:ListAttachedRolePolicies", "params": {"RoleName": "wf-nobody"}},
          "rollback": {"action": "iam:DetachRolePolicy",
                       "params": {"RoleName": "wf-nobody", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}
SUBNET = {"id": "subnet", "action": "ec2:CreateSubnet", "params": {"VpcId": "vpc-0badc0de", "CidrBlock": "10.9.1.0/24"},
          "register": {"subnet_id": "Subnet.SubnetId"},
          "validate": {"action": "ec2:DescribeSubnets", "params": {"SubnetIds": ["${subnet.subnet_id}"]}},
          "rollback": {"action": "ec2:DeleteSubnet", "params": {"SubnetId": "${subnet.subnet_id}"}}}


def test_check_predicts_each_certain_failure_and_the_real_run_fails_where_it_said(workflow):
    """The reported case (PutParameter without Overwrite on an existing parameter), a change of a role that
    does not exist, and a create in a VPC that does not exist: exit 2, each named; nothing changed."""
    workflow.block_put_c()
    plan = workflow.write_plan("dry", [("Config", [put_param("put_a", "/wf/a"), NO_OVERWRITE]),
                                       ("Network", [ATTACH, SUBNET])])
    before = workflow.snapshot()

    with workflow.moto.recording() as calls:
        ran = workflow.run(plan, "--check")

    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert mutating_calls(calls) == [] and workflow.snapshot() == before
    report = workflow.report(workflow.only_run())
    assert report["would_fail"] == ["put_c", "attach", "subnet"]
    predicted = {s["id"]: s.get("prediction") for s in report["steps"]}
    assert predicted == {
        "put_a": "would create it",
        "put_c": "already exists and the request does not set Overwrite: true: the call would fail with "
                 "ParameterAlreadyExists",
        "attach": "not found, and no earlier step of the plan makes it: the call would fail",
        "subnet": "VpcId vpc-0badc0de does not exist (InvalidVpcID.NotFound): the create would fail"}
    assert "a real run would fail at: put_c, attach, subnet" in unwrapped(ran.stdout)

    real = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert real.returncode != 0
    failed = [e for e in workflow.journal(workflow.run_ids()[-1]) if e["event"] == "step_failed"]
    assert failed[0]["step"] == "put_c" and failed[0]["error"]["code"] == "ParameterAlreadyExists"
