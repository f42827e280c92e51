"""What the journal knows is shown as it is: the table's ARN that create_table registered
appears in the next checkpoint, in the failure's options (what a rollback would undo), in the
resume's plan and header, and in the rollback plan — never `<create_table.table_arn>` once
the value exists.
"""

from __future__ import annotations

import pytest

from moto_harness import output_of, spawn_playbook
from workflow_support import (
    ACCOUNT, APPROVAL_WAITING, CHECKPOINT_WAITING, FAILURE_WAITING, PROFILE, ROLLBACK, expect, finish, put_param,
    unwrapped, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/wf-orders"
PLACEHOLDER = "<create_table.table_arn>"
CREATE_TABLE = {
    "id": "create_table", "description": "Orders table", "action": "dynamodb:CreateTable",
    "params": {"TableName": "wf-orders", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]},
    "register": {"table_arn": "TableDescription.TableArn"},
    "validate": {"action": "dynamodb:DescribeTable", "params": {"TableName": "wf-orders"}},
    "rollback": {"action": "dynamodb:DeleteTable", "params": {"TableName": "wf-orders"}}}
TAG_TABLE = {
    "id": "tag_table", "description": "Tag the table", "action": "dynamodb:TagResource",
    "params": {"ResourceArn": "${create_table.table_arn}", "Tags": [{"Key": "team", "Value": "orders"}]},
    "validate": {"action": "dynamodb:ListTagsOfResource", "params": {"ResourceArn": "${create_table.table_arn}"}},
    "rollback": {"action": "dynamodb:UntagResource",
                 "params": {"ResourceArn": "${create_table.table_arn}", "TagKeys": ["team"]}}}
UNTAG = f"aws dynamodb untag-resource --resource-arn {ARN} --tag-keys team"


def test_checkpoint_failure_options_resume_and_rollback_show_the_registered_value(workflow):
    plan = workflow.write_plan("tbl", [("Data", [CREATE_TABLE]), ("Tags", [TAG_TABLE, put_param("put_c", "/wf/c")])])
    workflow.block_put_c()

    child = workflow.spawn(plan)
    expect(child, APPROVAL_WAITING)
    assert PLACEHOLDER in unwrapped(child.before)  # before the run nothing holds the value yet
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)
    checkpoint = child.before[child.before.rindex("CHECKPOINT"):]
    assert f"tag_table: aws dynamodb tag-resource --resource-arn {ARN} " in checkpoint, checkpoint
    assert PLACEHOLDER not in checkpoint
    child.sendline("yes")
    expect(child, FAILURE_WAITING)
    options = child.before[child.before.rindex("What now?"):]
    assert f"undo tag_table: {UNTAG}" in options, options
    assert "undo create_table: aws dynamodb delete-table --table-name wf-orders" in options
    assert options.index("undo tag_table") < options.index("undo create_table") and PLACEHOLDER not in options
    child.sendline("4")
    code, transcript = finish(child)
    assert code == 2, transcript  # paused part-way
    run_id = workflow.only_run()
    # what the paused run left is listed with what undoes it, as it would be sent (never the forward command)
    undo_tag = f"{UNTAG} --region us-east-1 --profile {PROFILE}"
    undo_table = f"aws dynamodb delete-table --table-name wf-orders --region us-east-1 --profile {PROFILE}"
    cleanup = workflow.report_md(run_id).split("Needs manual clean-up:")[1].split("## Next steps")[0]
    assert f"- tag_table: may have changed the account and was not rolled back; undo it with `{undo_tag}`" in cleanup
    assert f"- create_table: may have changed the account and was not rolled back; undo it with `{undo_table}`" \
        in cleanup
    assert "tag-resource" not in cleanup.replace("untag-resource", "") and "create-table" not in cleanup
    assert cleanup.index("- tag_table") < cleanup.index("- create_table") and PLACEHOLDER not in cleanup
    assert workflow.report(run_id)["rollback"]["undo"] == [{"step": "tag_table", "calls": [undo_tag]},
                                                           {"step": "create_table", "calls": [undo_table]}]
    assert f"Report: {workflow.state_dir}/runs/{run_id}/report.md" in transcript  # where the report is, on screen

    resumed = workflow.spawn(None, "-e", f"resume={run_id}")
    expect(resumed, APPROVAL_WAITING)
    shown = unwrapped(resumed.before)
    assert f"Resuming run {run_id} at step 3 of 3 (put_c); steps 1-2 done" in shown
    assert "[2/3] tag_table (done)" in shown and f"rollback: {UNTAG}" in shown and PLACEHOLDER not in shown
    resumed.sendline("no")
    assert finish(resumed)[0] == 2  # not approved: the resume changed nothing

    rollback = spawn_playbook([ROLLBACK, *workflow.common_args("-e", f"run={run_id}")], workflow.env(), workflow.tmp)
    workflow.children.append(rollback)
    expect(rollback, APPROVAL_WAITING)
    plan_shown = unwrapped(rollback.before[rollback.before.rindex("ROLLBACK PLAN"):])
    assert f"undo [2] tag_table {UNTAG}" in plan_shown and PLACEHOLDER not in plan_shown
    rollback.sendline("yes")
    code, transcript = finish(rollback)
    assert code == 0, transcript
    assert workflow.session.client("dynamodb").list_tables()["TableNames"] == []


def test_a_step_without_rollback_calls_is_left_to_clean_up_by_hand_with_its_own_command(workflow):
    put_a = put_param("put_a", "/wf/a")
    del put_a["rollback"]
    plan = workflow.write_plan("wf", [("Config", [put_a, put_param("put_b", "/wf/b")]),
                                      ("Access", [put_param("put_c", "/wf/c")])])
    workflow.block_put_c()
    stopped = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort")
    assert stopped.returncode == 2, output_of(stopped)
    run_id = workflow.only_run()
    report = workflow.report(run_id)
    assert report["status"] == "failed"
    assert (report["approval"]["signature"], report["approval"]["signers"]) == ("unsigned", [])  # no signatures
    put_a_cli = next(s["cli"] for s in report["steps"] if s["id"] == "put_a")
    assert put_a_cli.startswith("aws ssm put-parameter --name /wf/a ")
    assert report["rollback"]["undo"] == [
        {"step": "put_b", "calls": [f"aws ssm delete-parameter --name /wf/b --region us-east-1 --profile {PROFILE}"]},
        {"step": "put_a", "calls": [], "by_hand": put_a_cli}]
    cleanup = workflow.report_md(run_id).split("Needs manual clean-up:")[1]
    assert f"- put_a: no rollback calls: clean up by hand what `{put_a_cli}` made" in cleanup

    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 2, output_of(rolled)  # a rollback that leaves manual clean-up
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/c": "keep"}
    # on screen the rollback says the same as the report: the command as it was sent, run tags included
    assert "coworker:run-id" in put_a_cli and run_id in put_a_cli
    shown = unwrapped(output_of(rolled)).replace("''", "'")  # Ansible's YAML output doubles single quotes
    assert "[Rollback of step 1 of 3] put_a — NO_ROLLBACK" in shown
    assert f"  put_a: no rollback calls: clean up by hand what `{put_a_cli}` made" in output_of(rolled)
    assert f"(no rollback calls: needs manual clean-up) {put_a_cli}" in shown  # the rollback plan
    after = workflow.report(run_id)
    assert after["status"] == "partial"
    assert after["rollback"]["undo"] == [{"step": "put_a", "calls": [], "by_hand": put_a_cli}]
    assert after["rollback"]["manual_cleanup"] == [f"put_a: no rollback calls: clean up by hand what `{put_a_cli}` made"]
