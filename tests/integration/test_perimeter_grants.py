"""Sharing and grants (issue 23): public sharing is refused in any sharing member; every grant to another
account, in any member, is listed at approval, in the dry run and in the report, gets a checkpoint, may be
refused by its class, and at execution must be the one the approval listed.

Attack cases end as every perimeter refusal does (non-zero exit, no changing request in any account,
production unchanged), and their control sends the same request straight to moto as the sandbox identity.
"""

from __future__ import annotations

import pytest

from moto_harness import call_keys, output_of
from perimeter_support import (
    PRODUCTION, SANDBOX, TOOLING, Perimeter, assert_refused, changing_calls, flat, policy, step)

pytestmark = pytest.mark.integration

SNAPSHOT = "snap-0123456789abcdef0"
DOC_CONTENT = '{"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "x", ' \
              '"inputs": {"runCommand": ["id"]}}]}'
ALL_USERS = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'
ZIP = b"PK\x05\x06" + b"\x00" * 18


def _snapshot(ws):
    ec2 = ws.sandbox("ec2")
    volume = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")["VolumeId"]
    return ec2.create_snapshot(VolumeId=volume)["SnapshotId"]


def _document(ws):
    ws.sandbox("ssm").create_document(Name="runbook", Content=DOC_CONTENT, DocumentType="Command")
    return "runbook"


def _bucket(ws):
    ws.sandbox("s3").create_bucket(Bucket="sandbox-share")
    return "sandbox-share"


def _function(ws):
    role = ws.sandbox("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    ws.sandbox("lambda").create_function(FunctionName="worker", Runtime="python3.12", Role=role, Handler="h.h",
                                         Code={"ZipFile": ZIP})
    return "worker"


def _key(ws):
    return ws.sandbox("kms").create_key()["KeyMetadata"]["KeyId"]


def _topic(ws):
    return ws.sandbox("sns").create_topic(Name="alerts")["TopicArn"]


# case -> (action, params with {name} for the resource the control makes, the resource maker, the refusal's text)
PUBLIC = {
    "snapshot-public-by-group-member": (
        "ec2:ModifySnapshotAttribute", {"SnapshotId": "{name}", "Attribute": "createVolumePermission",
                                        "OperationType": "add", "GroupNames": ["all"]}, _snapshot,
        "step attack, GroupNames[0]: GroupNames 'all' shares the resource with every AWS account"),
    "document-shared-with-all": (
        "ssm:ModifyDocumentPermission", {"Name": "{name}", "PermissionType": "Share", "AccountIdsToAdd": ["all"]},
        _document, "step attack, AccountIdsToAdd[0]: AccountIdsToAdd 'all' shares the resource with every AWS account"),
    "bucket-canned-acl-public-read": (
        "s3:PutBucketAcl", {"Bucket": "{name}", "ACL": "public-read"}, _bucket,
        "step attack, ACL: the canned ACL 'public-read' lets every AWS account (or everyone) in"),
    "bucket-acl-grant-to-all-users": (
        "s3:PutBucketAcl", {"Bucket": "{name}", "GrantRead": ALL_USERS}, _bucket,
        "step attack, GrantRead: the grantee acs.amazonaws.com/groups/global/AllUsers is every AWS account"),
    "function-invocable-by-anyone": (
        "lambda:AddPermission", {"FunctionName": "{name}", "StatementId": "any", "Action": "lambda:InvokeFunction",
                                 "Principal": "*"}, _function,
        "step attack, Principal: Principal '*' shares the resource with every AWS account"),
}
# grants to the production account, refused by a class that says cross_account_grants: refuse
GRANTS = {
    "function-permission-for-another-account": (
        "lambda:AddPermission", {"FunctionName": "{name}", "StatementId": "prod", "Action": "lambda:InvokeFunction",
                                 "Principal": PRODUCTION}, _function, "step attack, Principal: grants"),
    "resource-share-with-another-account": (
        "ram:CreateResourceShare", {"name": "share", "principals": [PRODUCTION]}, None,
        "step attack, principals[0]: grants"),
    "snapshot-shared-with-another-account": (
        "ec2:ModifySnapshotAttribute", {"SnapshotId": "{name}", "Attribute": "createVolumePermission",
                                        "OperationType": "add", "UserIds": [PRODUCTION]}, _snapshot,
        "step attack, UserIds[0]: grants"),
    "key-grant-to-another-account": (
        "kms:CreateGrant", {"KeyId": "{name}", "GranteePrincipal": f"arn:aws:iam::{PRODUCTION}:root",
                            "Operations": ["Decrypt"]}, _key,
        f"step attack, GranteePrincipal: grants arn:aws:iam::{PRODUCTION}:root access"),
    "topic-permission-for-another-account": (
        "sns:AddPermission", {"TopicArn": "{name}", "Label": "prod", "AWSAccountId": [PRODUCTION],
                              "ActionName": ["Publish"]}, _topic, "step attack, AWSAccountId[0]: grants"),
    "trust-policy-of-another-account": (
        "iam:CreateRole", {"RoleName": "hop", "AssumeRolePolicyDocument": policy(
            {"Effect": "Allow", "Principal": {"AWS": PRODUCTION}, "Action": "sts:AssumeRole"})}, None,
        "step attack, AssumeRolePolicyDocument#/Statement/0/Principal/AWS: grants"),
}


@pytest.fixture
def ws(aws_env, moto_server, tmp_path) -> Perimeter:
    return Perimeter(aws_env, moto_server, tmp_path)


def _filled(params, name):
    return {k: (v.replace("{name}", name) if isinstance(v, str) else v) for k, v in params.items()}


def _attack_then_control(ws, action, params, make, texts):
    result, calls = ws.execute([step("attack", action, _filled(params, "placeholder-0123456789abcdef0"))])
    assert_refused(ws, result, calls, "REFUSED by the perimeter", *texts)
    name = make(ws) if make else ""
    ws.control(action, _filled(params, name))  # the control: moto takes the very request


@pytest.mark.parametrize("case", sorted(PUBLIC))
def test_sharing_with_every_account_is_refused_in_any_sharing_member(ws, case):
    action, params, make, text = PUBLIC[case]
    _attack_then_control(ws, action, params, make, [text])


@pytest.mark.parametrize("case", sorted(GRANTS))
def test_a_class_that_refuses_grants_refuses_them_in_any_member(ws, case):
    ws.set_class(cross_account_grants="refuse")
    action, params, make, text = GRANTS[case]
    _attack_then_control(ws, action, params, make, [text, "this class refuses grants to other accounts "
                                                          "(cross_account_grants: refuse)"])


def test_a_document_shared_with_an_account_then_with_all_is_refused_before_the_first_share(ws):
    name = _document(ws)
    steps = [step("share", "ssm:ModifyDocumentPermission", {"Name": name, "PermissionType": "Share",
                                                            "AccountIdsToAdd": [PRODUCTION]}),
             step("publish", "ssm:ModifyDocumentPermission", {"Name": name, "PermissionType": "Share",
                                                              "AccountIdsToAdd": ["all"]})]
    result, calls = ws.execute(steps)
    assert_refused(ws, result, calls, "step publish, AccountIdsToAdd[0]: AccountIdsToAdd 'all' shares")
    assert ws.sandbox("ssm").describe_document_permission(Name=name, PermissionType="Share")["AccountIds"] == []
    ws.control("ssm:ModifyDocumentPermission", steps[1]["params"])


def test_a_grant_is_listed_at_approval_in_the_dry_run_and_in_the_report_and_gets_a_checkpoint(ws):
    name = _function(ws)
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TOOLING}:root"},
                    "Action": "sts:AssumeRole"})
    steps = [step("deploy_role", "iam:CreateRole", {"RoleName": "deployer", "AssumeRolePolicyDocument": trust},
                  rollback={"action": "iam:DeleteRole", "params": {"RoleName": "deployer"}}),
             step("let_in", "lambda:AddPermission", {"FunctionName": name, "StatementId": "tooling",
                                                     "Action": "lambda:InvokeFunction", "Principal": TOOLING})]
    header = f"Cross-account grants (principals outside account {SANDBOX} that this plan lets in"
    lines = [f"- step deploy_role, params.AssumeRolePolicyDocument#/Statement/0/Principal/AWS: Allow "
             f"arn:aws:iam::{TOOLING}:root", f"- step let_in, params.Principal: Allow {TOOLING}"]
    path, digest = ws.plan(steps)
    dry, _calls = ws.run(path, digest, extra=("-e", "dry_run=true"), empty_cfg=False)
    assert dry.returncode == 0, output_of(dry)
    assert header in flat(output_of(dry)) and all(line in flat(output_of(dry)) for line in lines)
    result, calls = ws.run(path, digest, empty_cfg=False)
    out = flat(output_of(result))
    assert result.returncode == 0, output_of(result)
    assert header in out and all(line in out for line in lines)
    assert "[1/2] deploy_role (DESTRUCTIVE)" in out and "[2/2] let_in (DESTRUCTIVE)" in out
    reports = sorted((ws.state / "runs").glob("*/report.md"))
    assert len(reports) == 2  # the dry run's and the run's
    for report in reports:
        assert "## Cross-account grants" in report.read_text() and lines[1] in flat(report.read_text())
    assert ("lambda", "AddPermission") in call_keys(calls)


def test_a_grant_whose_principal_is_known_only_at_run_time_is_refused_before_it_is_sent(ws):
    """A tag value is free text (a 12-digit number there names nothing); read back, it must not become a grant."""
    name = _function(ws)
    steps = [step("note", "ssm:PutParameter", {"Name": "/grant/who", "Value": "x", "Type": "String",
                                               "Tags": [{"Key": "Owner", "Value": PRODUCTION}]},
                  rollback={"action": "ssm:DeleteParameter", "params": {"Name": "/grant/who"}}),
             step("read", "ssm:ListTagsForResource", {"ResourceType": "Parameter", "ResourceId": "/grant/who"},
                  register={"who": "TagList[?Key=='Owner'].Value | [0]"}),
             step("grant", "lambda:AddPermission", {
                 "FunctionName": name, "StatementId": "who", "Action": "lambda:InvokeFunction",
                 "Principal": "${read.who}"})]
    result, calls = ws.execute(steps)
    out = flat(output_of(result))
    assert "- step grant, params.Principal: Allow <read.who> (known only at run time" in out
    assert result.returncode != 0, out
    assert (f"step grant, Principal: grants {PRODUCTION} access, which the approval did not list for step grant"
            in out)
    assert ("lambda", "AddPermission") not in call_keys(calls)
    assert [c for c in changing_calls(calls) if c[0] == "lambda"] == []
    lam = ws.sandbox("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name)  # no statement was added
    ws.control("lambda:AddPermission", dict(steps[2]["params"], Principal=PRODUCTION))
