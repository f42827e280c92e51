"""Global options in a YAML plan's ``command:`` (issue 26): a step's --region is where its call, its
validation and its rollback go, in the review, the journal and the account; the class's regions judge it."""

from __future__ import annotations

import pytest

from moto_harness import output_of
from workflow_support import step_statuses, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

WEST = "aws ssm put-parameter --name /wf/west --value w1 --type String --region us-west-2 --profile sandbox-wf"


def test_a_commands_region_carries_to_its_call_validation_and_rollback(workflow):
    west = {"id": "put_west", "command": WEST + " --output text --no-cli-pager",
            "validate": [{"command": "aws ssm get-parameter --name /wf/west --reg us-west-2 --query Parameter.Name"},
                         {"command": "aws ssm get-parameter --name /wf/west --region us-west-2 --query Parameter.Value"}],
            "rollback": {"command": "aws ssm delete-parameter --name /wf/west --region us-west-2"}}
    east = {"id": "put_c", "action": "ssm:PutParameter", "params": {"Name": "/wf/c", "Value": "v", "Type": "String"}}
    plan = workflow.write_plan("west", [("Config", [west, east])])
    workflow.block_put_c()  # put_c fails: the run rolls back put_west
    west_ssm = workflow.session.client("ssm", region_name="us-west-2")
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=rollback")
    assert result.returncode != 0
    out = unwrapped(output_of(result))
    # the review and the live line show the region and profile the call is made with (AWS marks PutParameter's
    # Value sensitive; a String parameter's value is shown, as `aws ssm get-parameter` would show it)
    assert "aws ssm put-parameter --name /wf/west --value w1 --type String --region us-west-2 --profile sandbox-wf" in out
    assert 'put_west --query Parameter.Name: "/wf/west"' in out  # a validation's --query: its displayed result
    assert 'put_west --query Parameter.Value: "<redacted: sensitive>"' in out  # never a secret
    run_id = workflow.only_run()
    journal = workflow.journal(run_id)
    sent = [e["cli"] for e in journal if e["event"] in ("call_started", "rollback_call_started")]
    assert sent[0].startswith("aws ssm put-parameter --name /wf/west") and "--region us-west-2" in sent[0]
    assert sent[-1] == "aws ssm delete-parameter --name /wf/west --region us-west-2 --profile sandbox-wf"
    assert step_statuses(workflow.report(run_id))["put_west"] == "rolled_back"
    assert west_ssm.describe_parameters()["Parameters"] == []
    assert workflow.parameter_values() == {"/wf/c": "keep"}  # the target's region: never had /wf/west
