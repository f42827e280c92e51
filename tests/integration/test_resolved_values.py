"""What the journal knows is shown as it is: the table's ARN that create_table registered
appears in the next checkpoint, in the failure's options (what a rollback would undo), in the
resume's plan and header, and in the rollback plan — never `<create_table.table_arn>` once
the value exists.
"""

from __future__ import annotations

import pytest

from moto_harness import spawn_playbook
from workflow_support import (
    ACCOUNT, APPROVAL_WAITING, CHECKPOINT_WAITING, FAILURE_WAITING, ROLLBACK, expect, finish, put_param, unwrapped,
    workflow)

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
    code, _transcript = finish(child)
    assert code == 0
    run_id = workflow.only_run()

    resumed = workflow.spawn(None, "-e", f"resume={run_id}")
    expect(resumed, APPROVAL_WAITING)
    shown = unwrapped(resumed.before)
    assert f"Resuming run {run_id} at step 3 of 3 (put_c); steps 1-2 done" in shown
    assert "[2/3] tag_table (done)" in shown and f"rollback: {UNTAG}" in shown and PLACEHOLDER not in shown
    resumed.sendline("no")
    assert finish(resumed)[0] == 0

    rollback = spawn_playbook([ROLLBACK, *workflow.common_args("-e", f"run={run_id}")], workflow.env(), workflow.tmp)
    workflow.children.append(rollback)
    expect(rollback, APPROVAL_WAITING)
    plan_shown = unwrapped(rollback.before[rollback.before.rindex("ROLLBACK PLAN"):])
    assert f"undo [2] tag_table' - ' {UNTAG}" in plan_shown and PLACEHOLDER not in plan_shown
    rollback.sendline("yes")
    code, transcript = finish(rollback)
    assert code == 0, transcript
    assert workflow.session.client("dynamodb").list_tables()["TableNames"] == []
