"""Required tags judged on the end state (issue 23): a tag set replaced (S3 does not merge) or tags
removed later in the plan fail the required-tags rule, before anything is sent.

The class names its tags (``guardrails.required_tags``), so the rule is a FAIL. Each plan creates a
resource with every required tag and a later step takes one away; the control sends the same calls
straight to moto, which takes them and leaves the resource without the tag.
"""

from __future__ import annotations

import pytest

from perimeter_support import SANDBOX, Perimeter, assert_refused, step

pytestmark = pytest.mark.integration

REQUIRED = ["Owner", "CostCenter"]
TAGS = [{"Key": "Owner", "Value": "web-team"}, {"Key": "CostCenter", "Value": "cc-42"}]
BUCKET = "sandbox-tagged"
TOPIC = f"arn:aws:sns:us-east-1:{SANDBOX}:tagged"

# case -> (steps, the refusal's detail, control calls)
CASES = {
    "bucket-tag-set-replaced": (
        [step("make", "s3:CreateBucket", {"Bucket": BUCKET}),
         step("tag", "s3:PutBucketTagging", {"Bucket": BUCKET, "Tagging": {"TagSet": TAGS}}),
         step("retag", "s3:PutBucketTagging", {"Bucket": BUCKET, "Tagging": {"TagSet": TAGS[:1]}})],
        "make (missing CostCenter (removed by step retag))"),
    "bucket-tags-deleted": (
        [step("make", "s3:CreateBucket", {"Bucket": BUCKET}),
         step("tag", "s3:PutBucketTagging", {"Bucket": BUCKET, "Tagging": {"TagSet": TAGS}}),
         step("untag", "s3:DeleteBucketTagging", {"Bucket": BUCKET})],
        "make (missing Owner, CostCenter (removed by step untag))"),
    "ec2-tags-deleted": (
        [step("vpc", "ec2:CreateVpc", {"CidrBlock": "10.9.0.0/16", "TagSpecifications": [
            {"ResourceType": "vpc", "Tags": TAGS}]}, register={"id": "Vpc.VpcId"}),
         step("untag", "ec2:DeleteTags", {"Resources": ["${vpc.id}"], "Tags": [{"Key": "Owner"}]})],
        "vpc (missing Owner (removed by step untag))"),
    "parameter-tags-removed": (
        [step("param", "ssm:PutParameter", {"Name": "/app/mode", "Value": "on", "Type": "String", "Tags": TAGS}),
         step("untag", "ssm:RemoveTagsFromResource", {"ResourceType": "Parameter", "ResourceId": "/app/mode",
                                                      "TagKeys": ["CostCenter"]})],
        "param (missing CostCenter (removed by step untag))"),
    "topic-untagged": (
        [step("topic", "sns:CreateTopic", {"Name": "tagged", "Tags": TAGS}, register={"arn": "TopicArn"}),
         step("untag", "sns:UntagResource", {"ResourceArn": "${topic.arn}", "TagKeys": ["Owner", "CostCenter"]})],
        "topic (missing Owner, CostCenter (removed by step untag))"),
    "existing-topic-untagged": (
        [step("untag", "sns:UntagResource", {"ResourceArn": TOPIC, "TagKeys": ["Owner"]})],
        "untag (leaves removed Owner)"),
}


@pytest.fixture
def ws(aws_env, moto_server, tmp_path) -> Perimeter:
    workspace = Perimeter(aws_env, moto_server, tmp_path)
    workspace.set_class(guardrails={"required_tags": REQUIRED})
    return workspace


def _control(ws, steps):
    """Send the plan's calls straight to moto, in order, outputs filled in: moto takes every one."""
    outputs = {}
    for item in steps:
        params = {k: (outputs.get(v) if isinstance(v, str) and v in outputs else v) for k, v in item["params"].items()}
        if item["action"] == "ec2:DeleteTags":
            params["Resources"] = [outputs["${vpc.id}"]]
        answer = ws.control(item["action"], params)
        outputs.update({"${vpc.id}": answer.get("Vpc", {}).get("VpcId"), "${topic.arn}": answer.get("TopicArn")}
                       if item["id"] in ("vpc", "topic") else {})


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_required_tag_taken_away_later_in_the_plan_fails_the_guardrails(ws, case):
    steps, detail = CASES[case]
    result, calls = ws.execute(steps)
    assert_refused(ws, result, calls, "Guardrail policy refused the plan before the approval prompt",
                   "FAIL required-tags", detail)
    if case == "existing-topic-untagged":
        ws.control("sns:CreateTopic", {"Name": "tagged", "Tags": TAGS})
    _control(ws, steps)


def test_a_tag_given_back_later_passes(ws):
    steps = [step("make", "s3:CreateBucket", {"Bucket": BUCKET}),
             step("retag", "s3:PutBucketTagging", {"Bucket": BUCKET, "Tagging": {"TagSet": TAGS[:1]}}),
             step("tag", "s3:PutBucketTagging", {"Bucket": BUCKET, "Tagging": {"TagSet": TAGS}})]
    result, _calls = ws.execute(steps)
    assert result.returncode == 0
    assert ws.sandbox("s3").get_bucket_tagging(Bucket=BUCKET)["TagSet"] == TAGS
