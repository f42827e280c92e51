# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credentials of one target: its profile's own, or its role_arn assumed from them (moto in-process)."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from ansible_collections.coworker.aws.plugins.module_utils.aws import session as aws_session
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard import target_session
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import STOP
from ansible_collections.coworker.aws.plugins.module_utils.guard.target_session import (
    SESSION_NAME_LIMIT, session_name, target_context)

ROLE = "arn:aws:iam::300000000001:role/Deployer"


def target(role_arn=None, region="eu-west-1"):
    return {"key": "300000000001-%s" % region, "account_id": "300000000001", "region": region,
            "environment": "sandbox", "role_arn": role_arn}


def test_a_session_name_is_a_valid_sts_name_of_at_most_64_characters():
    assert session_name("w1-300000000001-us-east-1") == "coworker-w1-300000000001-us-east-1"
    assert session_name(None) == "coworker-verify"
    long_name = session_name("20261130T065000Z-" + "x" * 80 + ":y")
    assert len(long_name) == SESSION_NAME_LIMIT and ":" not in long_name


def test_without_a_role_the_target_calls_with_the_profiles_own_credentials(fake_aws):
    aws = target_context(target(), None)
    assert aws.assumed_role is None and aws.region == "eu-west-1"
    assert aws.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_with_a_role_every_call_is_made_in_the_targets_own_account_as_that_role(fake_aws):
    aws = target_context(target(ROLE), None, run_id="w1-300000000001-eu-west-1")
    assert aws.assumed_role == ROLE
    identity = aws.client("sts").get_caller_identity()
    assert identity["Account"] == "300000000001"
    assert identity["Arn"] == "arn:aws:sts::300000000001:assumed-role/Deployer/coworker-w1-300000000001-eu-west-1"
    aws.client("ssm").put_parameter(Name="/where", Value="target", Type="String")
    assert aws.client("ssm").get_parameter(Name="/where")["Parameter"]["Value"] == "target"
    base = target_context(target(), None)  # the base credentials' account does not see it
    assert base.client("ssm").describe_parameters()["Parameters"] == []


def test_a_role_that_cannot_be_assumed_refuses_the_target_and_says_with_what(fake_aws, monkeypatch):
    stubbed = []

    class DeniedContext(aws_session.AwsContext):
        def client(self, service, region=None):
            client = super().client(service, region)
            if service == "sts" and not stubbed:
                stubber = Stubber(client)
                stubber.add_client_error("assume_role", "AccessDenied", "not authorized to perform: sts:AssumeRole",
                                         403)
                stubber.activate()
                stubbed.append(stubber)
            return client

    monkeypatch.setattr(target_session, "AwsContext", DeniedContext)
    with pytest.raises(GuardRefusal) as refused:
        target_context(target(ROLE), None, run_id="w1")
    text = str(refused.value)
    assert text.startswith(STOP)
    assert "The role %s of target 300000000001-eu-west-1 could not be assumed with the default credentials" % ROLE in text
    assert "AccessDenied" in text and text.endswith("nothing was changed.")
    stubbed[0].assert_no_pending_responses()
