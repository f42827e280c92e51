# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the guard's decisions, with fake STS/IAM clients and identity dicts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import (
    ADVICE, STOP, check_execution, establish_identity, plan_regions)

PROD, STAGING, DEV, TEST, SANDBOX, OTHER = (
    "111111111111", "222222222222", "333333333333", "444444444444", "555555555555", "999999999999")


def entry(accounts=(), aliases=(), profiles=(), regions=("*",)):
    return {"account_ids": list(accounts), "account_aliases": list(aliases),
            "profiles": list(profiles), "regions": list(regions)}


CONFIG = {
    "environments": {
        "sandbox": entry([SANDBOX], ["*-sandbox"], ["sandbox-*"]),
        "development": entry([DEV], ["*-dev"], ["dev-*"], ["us-east-1", "us-west-2"]),
        "test": entry([TEST], ["*-qa"], ["qa-*"]),
        "staging": entry([STAGING], ["*-staging"], ["staging-*"], []),
        "production": entry([PROD], ["*-prod"], ["prod-*"], []),
    },
    "unknown_environment": "staging",
}


def identity(account, alias=None, profile=None):
    return {"account": account, "arn": "arn:aws:sts::%s:assumed-role/R/s" % account,
            "user_id": "AROA:s", "alias": alias, "profile": profile, "alias_status": "none"}


def target(account, environment):
    return {"account_id": account, "environment": environment, "region": "us-east-1"}


def refusal(ident, tgt, regions=("us-east-1",)):
    with pytest.raises(GuardRefusal) as info:
        check_execution(CONFIG, ident, tgt, list(regions))
    text = str(info.value)
    assert text.startswith(STOP) and text.endswith(ADVICE)
    return text


@pytest.mark.parametrize("ident, tgt, expected", [
    (identity(PROD), target(PROD, "sandbox"),
     "Detected environment: production (account 111111111111, matched: account id). "
     "Refused: production is not a non-production class."),
    (identity(OTHER, alias="acme-prod"), target(OTHER, "sandbox"),
     "Detected environment: production (account 999999999999, matched: alias acme-prod)."),
    (identity(SANDBOX, profile="prod-admin"), target(SANDBOX, "sandbox"),
     "Detected environment: production (account 555555555555, matched: account id (sandbox), "
     "profile prod-admin (production))."),
    (identity(PROD, profile="dev-deployer"), target(DEV, "development"),
     "matched: account id (production), profile dev-deployer (development))."),
    (identity(OTHER), target(OTHER, "sandbox"),
     "Detected environment: staging (account 999999999999, no signal matched). "
     "Refused: staging is not a non-production class."),
    (identity(STAGING, alias="acme-staging"), target(STAGING, "test"),
     "Detected environment: staging (account 222222222222, matched: account id, alias acme-staging)."),
    (identity(SANDBOX), target(SANDBOX, "development"),
     "Refused: the plan was approved for development, but this account is sandbox."),
    (identity(DEV), target("666666666666", "development"),
     "Refused: the plan was approved for account 666666666666, but the credentials belong to "
     "account 333333333333."),
], ids=["prod-account", "prod-alias", "prod-profile-on-sandbox", "dev-profile-prod-account",
        "unclassified", "staging", "other-class", "other-account"])
def test_refusals_name_the_class_the_account_and_the_signals(ident, tgt, expected):
    assert expected in refusal(ident, tgt)


def test_region_outside_the_class_is_refused():
    text = refusal(identity(DEV, alias="acme-dev"), target(DEV, "development"),
                   ["us-east-1", "eu-west-1", "ap-south-1"])
    assert "Refused: region(s) ap-south-1, eu-west-1 are not allowed for development." in text


@pytest.mark.parametrize("ident, tgt, regions", [
    (identity(SANDBOX, alias="acme-sandbox", profile="sandbox-ci"), target(SANDBOX, "sandbox"),
     ["eu-central-1", "us-east-1"]),
    (identity(DEV, profile="dev-deployer"), target(DEV, "development"), ["us-west-2"]),
    (identity(TEST, alias="acme-qa"), target(TEST, "test"), ["us-east-1"]),
])
def test_matching_non_production_identity_passes(ident, tgt, regions):
    classification = check_execution(CONFIG, ident, tgt, regions)
    assert classification["environment"] == tgt["environment"]
    assert classification["executable"] is True
    assert {m["environment"] for m in classification["matched"]} == {tgt["environment"]}


# --------------------------------------------------------------- establish_identity

class FakeClient:
    def __init__(self, answer):
        self.answer = answer

    def _reply(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    get_caller_identity = list_account_aliases = _reply


class FakeAws:
    """Stands in for AwsContext: a profile name and one client per service."""

    def __init__(self, sts, iam, profile="sandbox-ci"):
        self.profile = profile
        self.clients = {"sts": FakeClient(sts), "iam": FakeClient(iam)}

    def client(self, service):
        return self.clients[service]


CALLER = {"Account": SANDBOX, "Arn": "arn:aws:sts::555555555555:assumed-role/R/s", "UserId": "AROA:s"}


def client_error(code, operation):
    return ClientError({"Error": {"Code": code, "Message": "%s says no" % code}}, operation)


def test_identity_comes_from_sts_and_iam():
    ident = establish_identity(FakeAws(CALLER, {"AccountAliases": ["acme-sandbox"]}))
    assert ident == {"account": SANDBOX, "arn": CALLER["Arn"], "user_id": "AROA:s",
                     "profile": "sandbox-ci", "alias": "acme-sandbox", "alias_status": "found"}


def test_the_source_identity_of_a_role_the_executor_assumed_is_part_of_the_identity():
    aws = FakeAws(CALLER, {"AccountAliases": []})
    aws.source_identity = "alice@example.com"
    assert establish_identity(aws)["source_identity"] == "alice@example.com"


def test_no_alias_is_not_an_error():
    ident = establish_identity(FakeAws(CALLER, {"AccountAliases": []}))
    assert (ident["alias"], ident["alias_status"]) == (None, "none")


def test_alias_that_cannot_be_read_is_reported_not_guessed():
    ident = establish_identity(FakeAws(CALLER, client_error("AccessDenied", "ListAccountAliases")))
    assert ident["alias"] is None
    assert ident["alias_status"] == "unknown: AccessDenied: AccessDenied says no"


@pytest.mark.parametrize("error, shown", [
    (client_error("ExpiredToken", "GetCallerIdentity"), "ExpiredToken: ExpiredToken says no"),
])
def test_sts_failure_refuses(error, shown):
    with pytest.raises(GuardRefusal) as info:
        establish_identity(FakeAws(error, {"AccountAliases": []}))
    text = str(info.value)
    assert text.startswith(STOP)
    assert "sts:GetCallerIdentity: %s" % shown in text
    assert "nothing was changed" in text


def test_an_unreachable_endpoint_is_reported_as_such_not_as_a_production_refusal():
    with pytest.raises(GuardRefusal) as info:
        establish_identity(FakeAws(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), {"AccountAliases": []}))
    text = str(info.value)
    assert text.startswith("STOPPING: could not reach AWS endpoint http://127.0.0.1:9 (Could not connect")
    assert "non-production only" not in text and "nothing was changed" in text


def test_plan_regions_cover_main_validate_and_rollback_calls():
    def call(region):
        return {"region": region}

    steps = [{"call": call("us-east-1"), "validate": [call("eu-west-1")], "rollback": [call("us-west-2")]},
             {"call": None, "validate": [], "rollback": [call("us-east-1")]}]
    assert plan_regions(steps) == ["eu-west-1", "us-east-1", "us-west-2"]
