"""A dry run sends no call that still needs another step's output, and predicts what a real run finds."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from ansible_collections.coworker.aws.plugins.module_utils.run.dry_run import certainly_fails, predict, waits_for
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from test_step_runner import TARGET, FakeAws, not_found, runner

CREATE_QUEUE = {"id": "create_queue", "action": "sqs:CreateQueue", "params": {"QueueName": "q"},
                "register": {"queue_url": "QueueUrl"},
                "validate": {"action": "sqs:GetQueueUrl", "params": {"QueueName": "q"}},
                "rollback": {"action": "sqs:DeleteQueue", "params": {"QueueUrl": "${create_queue.queue_url}"}}}
READ_QUEUE = {"id": "read_queue", "action": "sqs:GetQueueAttributes",
              "params": {"QueueUrl": "${create_queue.queue_url}", "AttributeNames": ["All"]},
              "validate": {"action": "sqs:GetQueueAttributes", "params": {"QueueUrl": "${create_queue.queue_url}"},
                           "expect": ["Attributes != null"]}}
CREATE_GROUP = {"id": "create_group", "action": "ec2:CreateSecurityGroup",
                "params": {"GroupName": "web", "Description": "web"},
                "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": ["web"]}},
                "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupName": "web"}}}


def plan_steps(*steps):
    doc = {"format": "coworker.aws/plan-v1", "id": "p", "name": "n", "created": "2026-11-24T00:00:00Z",
           "target": TARGET, "guardrail": {"status": "PASS"}, "phases": [{"name": "one", "steps": list(steps)}]}
    normalised = validate_document(doc, "plan.yml")["steps"]
    for number, step in enumerate(normalised, start=1):
        step["index"] = number
    return normalised


def test_a_read_that_needs_an_output_no_step_has_produced_is_shown_never_sent(tmp_path):
    aws = FakeAws({"GetQueueUrl": not_found("GetQueueUrl")})
    step_runner, journal = runner(tmp_path, aws, check_mode=True)
    create, read = plan_steps(CREATE_QUEUE, READ_QUEUE)
    planned = [step_runner.execute(create), step_runner.execute(read)]
    journal.close()
    assert [op for op, _params in aws.calls] == ["GetQueueUrl"]  # only create_queue's describe-before
    assert planned[1]["status"] == "planned" and planned[1]["waits_for"] == ["create_queue"]
    assert planned[1]["validation"]["calls"][0]["status"] == "planned"
    events = [e for e in read_events(journal.path) if e["event"] == "step_planned"]
    assert events[1]["waits_for"] == ["create_queue"] and "<create_queue.queue_url>" in events[1]["cli"]


def test_a_dry_run_predicts_a_conflict_with_what_already_exists(tmp_path):
    aws = FakeAws({"DescribeSecurityGroups": {"SecurityGroups": [{"GroupName": "web", "GroupId": "sg-1"}]}})
    step_runner, journal = runner(tmp_path, aws, check_mode=True)
    result = step_runner.execute(plan_steps(CREATE_GROUP)[0])
    journal.close()
    assert result["prediction"] == "already exists: the create would fail, or is already done"
    assert [op for op, _params in aws.calls] == ["DescribeSecurityGroups"]  # the create itself is never sent
    planned = [e for e in read_events(journal.path) if e["event"] == "step_planned"]
    assert planned[0]["would_fail"] is True


def test_waits_for_reads_params_and_expect_and_ignores_what_is_known():
    call = {"params": {"A": "${one.x}", "B": ["${target.region}"]}, "expect": ["Id == '${two.y}'"]}
    assert waits_for(call, {"target": {}, "run": {}}) == ["one", "two"]
    assert waits_for(call, {"target": {}, "run": {}, "one": {"x": 1}, "two": {"y": 2}}) == []


def test_predictions_by_operation_and_what_the_describe_found():
    assert predict("CreateBucket", "absent") == "would create"
    assert predict("CreateBucket", {"BucketRegion": "us-east-1"}).startswith("already exists")
    assert predict("DeleteParameter", "absent") == "already gone: nothing to remove"
    assert predict("DeleteParameter", {"Parameter": {}}) == "would remove it"
    assert predict("PutBucketTagging", {"TagSet": []}) == "would change it"
    assert predict("PutParameter", "absent") == "would create it"
    assert predict("ModifySubnetAttribute", "absent").startswith("not found now")
    assert predict("CreateVpc", None).startswith("cannot tell")
    assert predict("CreateVpc", {"error": "AccessDenied"}) == "cannot tell (describing the resource failed: AccessDenied)"
    assert certainly_fails(predict("CreateBucket", {"x": 1})) and not certainly_fails(predict("CreateBucket", "absent"))
    assert not certainly_fails(predict("ModifySubnetAttribute", "absent"))
