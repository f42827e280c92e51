"""run_step in a user's playbook in check mode and with --diff: nothing changed, every command shown, before
and after of a create and a delete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from moto_harness import REPO_ROOT, account_snapshot, mutating_calls, output_of, run_playbook
from run_step_support import (  # noqa: F401  (the fixtures sandbox and workspace)  # pylint: disable=unused-import
    BUCKET, PROFILE, sandbox, small_plan, step_task, workspace)

pytestmark = pytest.mark.integration


# ----------------------------------------------------------------- check and diff

def run_role(workspace, plan: Path, digest: str, *flags):
    """playbooks/execute_nonprod.yml, non-interactive, approved by token."""
    return run_playbook([REPO_ROOT / "playbooks" / "execute_nonprod.yml", *flags,
                         "-e", f"plan={plan}", "-e", f"approve={digest}",
                         "-e", f"environments_file={workspace.environments}",
                         "-e", f"aws_profile={PROFILE}", "-e", f"state_dir={workspace.state}"],
                        workspace.aws_env.env(profile=PROFILE), workspace.root)


def displayed(stdout: str) -> str:
    """Ansible's YAML output folds long strings over lines and doubles single quotes:
    undo both, so a line of the display can be matched as the user reads it."""
    return re.sub(r"\s*\n\s*", " ", stdout).replace("''", "'")


def tags_option(option: str, name: str, application: str, resource_type: str | None = None) -> str:
    """The CLI option an example's ownership tags render as (the plan's own order; no run tags)."""
    tags = ",".join('{"Key":"%s","Value":"%s"}' % pair for pair in (
        ("Name", name), ("Environment", "sandbox"), ("Owner", "platform-team"), ("CostCenter", "CC-1042"),
        ("Application", application), ("CreatedBy", "coworker.aws")))
    value = '{"ResourceType":"%s","Tags":[%s]}' % (resource_type, tags) if resource_type else tags
    return "%s '[%s]'" % (option, value)


CHECK_MODE_LINES = {
    "s3-dev-logs.yml": [
        f"aws s3api create-bucket --bucket {BUCKET} --region us-east-1 --profile {PROFILE}",
        f"aws s3api put-public-access-block --bucket {BUCKET} --public-access-block-configuration "
        f"'{{\"BlockPublicAcls\":true,\"IgnorePublicAcls\":true,\"BlockPublicPolicy\":true,"
        f"\"RestrictPublicBuckets\":true}}' --region us-east-1 --profile {PROFILE}",
        f"aws s3api get-public-access-block --bucket {BUCKET} --region us-east-1 --profile {PROFILE} -> planned",
        f"aws s3api put-bucket-versioning --bucket {BUCKET} --versioning-configuration "
        f"'{{\"Status\":\"Enabled\"}}' --region us-east-1 --profile {PROFILE}",
        f"aws s3api head-bucket --bucket {BUCKET} --region us-east-1 --profile {PROFILE} -> planned",
    ],
    "vpc-dev-network.yml": [
        f"aws ec2 create-subnet --vpc-id '<create_vpc.vpc_id>' --cidr-block 10.20.1.0/24 "
        f"--availability-zone us-east-1a "
        f"{tags_option('--tag-specifications', 'dev-web-private-a', 'dev-web', 'subnet')} "
        f"--region us-east-1 --profile {PROFILE}",
        f"aws ec2 create-security-group --group-name dev-web-https --description "
        f"'HTTPS from the VPC' --vpc-id '<create_vpc.vpc_id>' "
        f"{tags_option('--tag-specifications', 'dev-web-https', 'dev-web', 'security-group')} "
        f"--region us-east-1 --profile {PROFILE}",
        f"aws ec2 describe-security-groups --group-ids '<create_security_group.group_id>' "
        f"--region us-east-1 --profile {PROFILE} -> planned",
    ],
    "ssm-iam-app-config.yml": [
        f"aws ssm put-parameter --name /sandbox/app/db_host --value db.sandbox.internal "
        f"--type String --no-overwrite {tags_option('--tags', 'app-db-host', 'sandbox-app')} "
        f"--region us-east-1 --profile {PROFILE}",
        f"aws ssm put-parameter --name /sandbox/app/log_level --value debug --type String "
        f"--no-overwrite {tags_option('--tags', 'app-log-level', 'sandbox-app')} --region us-east-1 --profile {PROFILE}",
        f"aws iam get-role --role-name sandbox-app-config-reader --region us-east-1 "
        f"--profile {PROFILE} -> planned",
    ],
}


@pytest.mark.parametrize("example", sorted(CHECK_MODE_LINES))
def test_check_mode_changes_nothing_and_shows_the_commands(workspace, sandbox, moto_server,
                                                           example):
    plan, digest = workspace.approve_example(example)
    before = account_snapshot(sandbox)

    with moto_server.recording() as calls:
        # the plan's own lines: tags a run adds are shown and tested in test_lost_answers.py
        result = run_role(workspace, plan, digest, "--check", "-e", "tag_resources=false")

    assert result.returncode == 0, output_of(result)
    assert mutating_calls(calls) == []
    assert calls, "the recorder saw no call at all: it did not record"
    assert account_snapshot(sandbox) == before
    shown = displayed(result.stdout)
    for line in CHECK_MODE_LINES[example]:
        assert line in shown, line
    # our own example passes our own default guardrails: "Loading plan" lists no WARN, only passes
    loading = shown[shown.index("LOADING PLAN"):shown.index("Digest:")]
    assert "Policies: 5 rules passed" in re.sub(" +", " ", loading), loading
    assert "WARN required-tags" not in shown and "WARN s3-" not in shown
    [run_dir] = (workspace.state / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    assert (report["status"], report["dry_run"]) == ("dry_run", True)
    assert {s["status"] for s in report["steps"]} == {"planned"}
    assert not (workspace.state / "changelog.md").exists()


OLD_PARAMETER = "/sandbox/app/old"


def delete_old_parameter(validate: dict) -> dict:
    return {"id": "delete_old", "action": "ssm:DeleteParameter", "params": {"Name": OLD_PARAMETER},
            "validate": validate,
            "rollback": {"action": "ssm:PutParameter",
                         "params": {"Name": OLD_PARAMETER, "Value": "legacy", "Type": "String"}}}


def diff_of(stdout: str, step_id: str) -> str:
    """The diff Ansible displayed for one step (empty when it showed none)."""
    match = re.search(rf"^--- before: {step_id} \(before\)\n\+\+\+ after: {step_id} \(after\)\n"
                      rf"(.*?)(?=^(?:changed|ok|fatal): \[)", stdout, re.M | re.S)
    return match.group(1) if match else ""


def test_diff_shows_before_and_after_of_a_create_and_a_delete(workspace, sandbox):
    sandbox.client("ssm").put_parameter(Name=OLD_PARAMETER, Value="legacy", Type="String")
    plan, digest = workspace.approve(small_plan("replace-parameter", [
        {"id": "put_new", "action": "ssm:PutParameter",
         "params": {"Name": "/sandbox/app/new", "Value": "fresh", "Type": "String"},
         "validate": {"action": "ssm:GetParameter", "params": {"Name": "/sandbox/app/new"}},
         "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": "/sandbox/app/new"}}},
        delete_old_parameter({"action": "ssm:DescribeParameters",
                              "params": {"ParameterFilters": [{"Key": "Name",
                                                               "Values": [OLD_PARAMETER]}]},
                              "expect": ["length(Parameters) == `0`"]}),
    ]))

    result, results = workspace.run(plan, [step_task("put_new"), step_task("delete_old")],
                                    digest, flags=["--diff"])

    assert result.returncode == 0, output_of(result)
    created = diff_of(result.stdout, "put_new")
    assert re.search(r"^-absent$", created, re.M), result.stdout
    assert re.search(r"^\+ +Name: /sandbox/app/new$", created, re.M)
    # SSM marks every parameter value sensitive in its model: the diff shows it redacted
    assert re.search(r"^\+ +Value: '?<redacted: sensitive>'?$", created, re.M)
    deleted = diff_of(result.stdout, "delete_old")
    assert re.search(rf"^- +Name: {OLD_PARAMETER}$", deleted, re.M), result.stdout
    assert re.search(r"^\+ +Parameters: \[\]$", deleted, re.M)
    assert set(account_snapshot(sandbox)["ssm_parameters"]) == {"/sandbox/app/new"}


def test_delete_step_validated_by_reading_the_resource_succeeds_and_shows_absent(
        workspace, sandbox):
    sandbox.client("ssm").put_parameter(Name=OLD_PARAMETER, Value="legacy", Type="String")
    plan, digest = workspace.approve(small_plan("delete-parameter", [delete_old_parameter(
        {"action": "ssm:GetParameter", "params": {"Name": OLD_PARAMETER}})]))

    result, results = workspace.run(plan, [step_task("delete_old")], digest, flags=["--diff"])

    assert account_snapshot(sandbox)["ssm_parameters"] == {}  # the delete itself worked
    [outcome] = results["delete_old"]["results"]
    assert (outcome["before"]["Parameter"]["Value"], outcome["after"]) == ("<redacted: sensitive>", "absent")
    assert (outcome["status"], outcome["validation"]["status"]) == ("succeeded", "passed")
    assert result.returncode == 0, output_of(result)
    deleted = diff_of(result.stdout, "delete_old")
    assert re.search(r"^- +Value: '?<redacted: sensitive>'?$", deleted, re.M) and re.search(r"^\+absent$", deleted, re.M)
