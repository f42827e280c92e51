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
