"""Content fetched by reference (issue 23): a template, code or script an API reads from S3 must be an
object of a bucket the target account owns, pinned by SHA-256 when the plan is approved
(playbooks/approve_plan.yml writes the plan's ``fetched`` list), and unchanged when the call is sent.
"""

from __future__ import annotations

import pytest
import yaml

from moto_harness import call_keys, output_of
from perimeter_support import PROD_BUCKET, SANDBOX, Perimeter, assert_refused, flat, step

pytestmark = pytest.mark.integration

TEMPLATE = b"Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
CHANGED = b"Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
OWN_BUCKET = "sandbox-templates"
ZIP = b"PK\x05\x06" + b"\x00" * 18


@pytest.fixture
def ws(aws_env, moto_server, tmp_path) -> Perimeter:
    workspace = Perimeter(aws_env, moto_server, tmp_path)
    workspace.sandbox("s3").create_bucket(Bucket=OWN_BUCKET)
    workspace.sandbox("s3").put_object(Bucket=OWN_BUCKET, Key="stack.yml", Body=TEMPLATE)
    return workspace


def _stack(url):
    return [step("stack", "cloudformation:CreateStack", {"StackName": "app", "TemplateURL": url})]


def _approved(ws, steps):
    """Write the plan and approve it with the playbook (which pins what it fetches); its path and digest."""
    path, _digest = ws.plan(steps, approve=False)
    approved = ws.approve(path)
    assert approved.returncode == 0, output_of(approved)
    document = yaml.safe_load(path.read_text())
    for pinned in document["fetched"]:  # the review showed what the approval pins
        assert (f"- step {pinned['step']}, {pinned['field']}: {pinned['object']} sha256 {pinned['sha256']}"
                in flat(output_of(approved)))
    return path, document["approval"]["plan_sha256"], document


def test_a_template_in_a_bucket_of_another_account_is_refused_unpinned_or_pinned(ws):
    ws.put_prod_object("stack.yml", TEMPLATE)
    url = f"https://{PROD_BUCKET}.s3.amazonaws.com/stack.yml"
    result, calls = ws.execute(_stack(url))
    # not pinned, and not the target's: the bucket is judged first (before the approval prompt)
    assert_refused(ws, result, calls, f"step stack, TemplateURL: bucket '{PROD_BUCKET}' is not owned by the "
                                      f"target account {SANDBOX}")
    path, digest, _document = _approved(ws, _stack(url))  # the approval pins it: the bucket still is not ours
    result, calls = ws.run(path, digest)
    assert_refused(ws, result, calls, f"step stack, TemplateURL: bucket '{PROD_BUCKET}' is not owned by the "
                                      f"target account {SANDBOX}")
    ws.control("cloudformation:CreateStack", {"StackName": "app", "TemplateURL": url})  # moto runs it


def test_code_from_a_bucket_of_another_account_is_refused(ws):
    ws.put_prod_object("code.zip", ZIP)
    role = ws.sandbox("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    params = {"FunctionName": "worker", "Runtime": "python3.12", "Role": role, "Handler": "h.h",
              "Code": {"S3Bucket": PROD_BUCKET, "S3Key": "code.zip"}}
    path, digest, document = _approved(ws, [step("function", "lambda:CreateFunction", params)])
    assert [(f["field"], f["object"]) for f in document["fetched"]] == [
        ("params.Code.S3Bucket", f"s3://{PROD_BUCKET}/code.zip")]
    result, calls = ws.run(path, digest)
    assert_refused(ws, result, calls, f"step function, Code.S3Bucket: bucket '{PROD_BUCKET}' is not owned")
    ws.control("lambda:CreateFunction", params)


def test_an_attachment_from_outside_aws_is_refused(ws):
    params = {"Name": "runbook", "DocumentType": "Command", "Attachments": [
        {"Key": "SourceUrl", "Values": ["https://example.com/payload.sh"]}],
        "Content": '{"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "x", '
                   '"inputs": {"runCommand": ["id"]}}]}'}
    result, calls = ws.execute([step("document", "ssm:CreateDocument", params)])
    assert_refused(ws, result, calls, "step document, Attachments[0].Values[0]: 'https://example.com/payload.sh': "
                                      "content an API fetches by reference must be one S3 object in a bucket of the "
                                      "target account (a URL outside AWS)")
    ws.control("ssm:CreateDocument", params)


def test_a_pinned_template_that_changed_after_approval_is_refused_and_an_unchanged_one_runs(ws):
    url = f"https://s3.amazonaws.com/{OWN_BUCKET}/stack.yml"
    path, digest, document = _approved(ws, _stack(url))
    assert [f["object"] for f in document["fetched"]] == [f"s3://{OWN_BUCKET}/stack.yml"]
    ws.sandbox("s3").put_object(Bucket=OWN_BUCKET, Key="stack.yml", Body=CHANGED)
    for extra in (("--check",), ()):
        result, calls = ws.run(path, digest, extra=extra)
        assert_refused(ws, result, calls, f"step stack, TemplateURL: s3://{OWN_BUCKET}/stack.yml changed after "
                                          "approval (SHA-256 now")
        assert ("s3", "GetObject") in call_keys(calls)
    ws.sandbox("s3").put_object(Bucket=OWN_BUCKET, Key="stack.yml", Body=TEMPLATE)
    result, calls = ws.run(path, digest)
    assert result.returncode == 0, output_of(result)
    assert ("cloudformation", "CreateStack") in call_keys(calls)
    ws.control("cloudformation:CreateStack", {"StackName": "changed", "TemplateURL": url})
