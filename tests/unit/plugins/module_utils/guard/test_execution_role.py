"""The execution role: environments-file validation and the session policy's conditions."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments
from ansible_collections.coworker.aws.plugins.module_utils.guard.execution_role import (
    global_services, session_policy)

ROLE = "arn:aws:iam::210987654321:role/coworker-executor"


def _load(tmp_path, entry):
    path = tmp_path / "environments.yml"
    path.write_text("environments:\n  %s\n" % entry)
    return load_environments(str(path))


def test_execution_role_is_read_for_a_non_production_class(tmp_path):
    config = _load(tmp_path, "sandbox: {account_ids: ['210987654321'], execution_role: '%s'}" % ROLE)
    assert config["environments"]["sandbox"]["execution_role"] == ROLE
    assert "execution_role" not in config["environments"]["test"]


@pytest.mark.parametrize("entry, message", [
    ("sandbox: {execution_role: 'arn:aws:iam::21098765432:role/x'}", "must be an IAM role ARN"),
    ("sandbox: {execution_role: 'arn:aws:iam::210987654321:user/x'}", "must be an IAM role ARN"),
    ("sandbox: {execution_role: ['%s']}" % ROLE, "must be an IAM role ARN"),
    ("production: {execution_role: '%s'}" % ROLE, "production cannot have one"),
])
def test_bad_execution_role_names_file_and_field(tmp_path, entry, message):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, entry)
    assert "execution_role" in str(error.value) and message in str(error.value)
    assert str(tmp_path / "environments.yml") in str(error.value)


def test_session_policy_denies_other_accounts_and_regions():
    policy = json.loads(session_policy("210987654321", ["us-east-1", "eu-*"]))
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["KeepRolePermissions"] == {"Sid": "KeepRolePermissions", "Effect": "Allow",
                                             "Action": "*", "Resource": "*"}
    account = by_sid["OnlyTheTargetAccount"]
    assert account["Effect"] == "Deny" and account["Action"] == "*"
    assert account["Condition"] == {"StringNotEqualsIfExists": {"aws:ResourceAccount": ["210987654321"]}}
    regions = by_sid["OnlyAllowedRegions"]
    assert regions["Effect"] == "Deny"
    assert regions["Condition"] == {"StringNotLike": {"aws:RequestedRegion": ["us-east-1", "eu-*"]}}
    # global services (botocore's endpoint data) are exempt from the region condition, regional ones are not
    assert "iam:*" in regions["NotAction"] and "organizations:*" in regions["NotAction"]
    assert "s3:*" not in regions["NotAction"] and "ec2:*" not in regions["NotAction"]


def test_session_policy_without_region_limit_and_within_the_size_limit():
    text = session_policy("210987654321", ["*"])
    assert "aws:RequestedRegion" not in text
    # AWS limits a packed session policy to 2,048 characters
    assert len(session_policy("210987654321", ["us-east-1", "us-west-2"])) < 2048
    assert "iam" in global_services() and "s3" not in global_services()
