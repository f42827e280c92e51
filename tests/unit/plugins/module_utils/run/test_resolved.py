"""Command lines with the values the journal already holds, and the resume header."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import resolved_lines, resume_line

DOC = {
    "format": "coworker.aws/plan-v1", "id": "tbl", "name": "Table", "created": "2026-11-23T10:00:00Z",
    "target": {"environment": "sandbox", "account_id": "123456789012", "region": "us-east-1"},
    "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:01:00Z", "findings": []},
    "phases": [{"name": "Data", "steps": [
        {"id": "create_table", "action": "dynamodb:CreateTable",
         "params": {"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]},
         "register": {"table_arn": "TableDescription.TableArn"},
         "rollback": {"action": "dynamodb:DeleteTable", "params": {"TableName": "t"}}},
        {"id": "tag_table", "action": "dynamodb:TagResource",
         "params": {"ResourceArn": "${create_table.table_arn}", "Tags": [{"Key": "run", "Value": "${run.id}"}]},
         "rollback": {"action": "dynamodb:UntagResource",
                      "params": {"ResourceArn": "${create_table.table_arn}", "TagKeys": ["run"]}}}]}],
}
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t"


def plan():
    steps = validate_document(DOC, "plan.yml")["steps"]
    for number, step in enumerate(steps, 1):
        step["index"] = number
    return {"target": DOC["target"], "steps": steps}


def test_an_output_in_the_journal_replaces_its_placeholder_and_the_rest_stays_a_placeholder():
    before = resolved_lines(plan(), "R1", run_state([]))
    assert "<create_table.table_arn>" in before["tag_table"]["cli"]
    events = [{"event": "step_succeeded", "step": "create_table", "outputs": {"table_arn": ARN}}]
    after = resolved_lines(plan(), "R1", run_state(events), profile="dev")
    assert "--resource-arn %s" % ARN in after["tag_table"]["cli"] and "<" not in after["tag_table"]["cli"]
    assert "Value=R1" in after["tag_table"]["cli"] or '"Value":"R1"' in after["tag_table"]["cli"]
    assert after["tag_table"]["rollback"] == [
        "aws dynamodb untag-resource --resource-arn %s --tag-keys run --region us-east-1 --profile dev" % ARN]


def test_resume_line_says_where_the_run_goes_on_and_what_is_done():
    steps = [{"id": "s%d" % i, "index": i} for i in range(1, 8)]
    assert resume_line("R1", steps, ["s1", "s2"]) == "Resuming run R1 at step 3 of 7 (s3); steps 1-2 done"
    assert resume_line("R1", steps, ["s1", "s2", "s4"]) == "Resuming run R1 at step 3 of 7 (s3); steps 1-2, 4 done"
    assert resume_line("R1", steps, []) == "Resuming run R1 at step 1 of 7 (s1); no step done yet"
    assert resume_line("R1", steps, [s["id"] for s in steps]) == (
        "Resuming run R1: all 7 steps are done; nothing is left to run")


def test_sent_is_the_call_as_the_journal_says_it_was_sent_with_its_run_tags():
    assert resolved_lines(plan(), "R1", run_state([]))["create_table"]["sent"] is None  # never sent
    sent = "aws dynamodb create-table --table-name t --tags Key=coworker:run-id,Value=R1 --region us-east-1"
    events = [{"event": "call_started", "step": "create_table", "cli": sent, "mutating": True}]
    lines = resolved_lines(plan(), "R1", run_state(events))
    assert lines["create_table"]["sent"] == sent and lines["create_table"]["cli"] != sent
    assert lines["tag_table"]["sent"] is None
