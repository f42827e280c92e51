"""The non-production guard, end to end: playbooks/execute_nonprod.yml (and verify_environment in a
user's own playbook) against credentials of accounts of every class, refused or allowed.

Every refusal must stop before the first call that could change anything: the moto
recorder shows no mutating call and no account holds a bucket afterwards. Accounts are
separate moto accounts reached by assume_role; the environments file lists them by class.
The other ways around the guard are in test_guard_during_run.py (credentials that change),
test_guard_bypass.py (the step module alone, forged variables) and test_guard_fail_closed.py.
"""

from __future__ import annotations

import json

import pytest

from guard_support import (  # noqa: F401  (the fixture ws)  # pylint: disable=unused-import
    ALIAS_ONLY, DEVELOPMENT, PRODUCTION, SANDBOX, SANDBOX_2, STAGING, STOP, TEST, UNCLASSIFIED,
    assert_refused, flat, journal, ws)
from moto_harness import mutating_calls, output_of

pytestmark = pytest.mark.integration


# --------------------------------------------------------------------- refusal matrix

# (profile, account, alias, plan target (account, environment), texts the refusal shows)
REFUSALS = {
    "production-account": ("ops", PRODUCTION, None, (SANDBOX, "sandbox"),
                           ["Detected environment: production (account 111111111111, matched: account id)",
                            "production is not a non-production class"]),
    "production-alias": ("ops", ALIAS_ONLY, "acme-prod", (ALIAS_ONLY, "sandbox"),
                         ["Detected environment: production (account 777777777777, matched: alias acme-prod)"]),
    "production-profile-on-sandbox": (
        "prod-admin", SANDBOX, None, (SANDBOX, "sandbox"),
        ["Detected environment: production (account 555555555555",
         "account id (sandbox), profile prod-admin (production)"]),
    "unclassified-account": ("ops", UNCLASSIFIED, None, (UNCLASSIFIED, "sandbox"),
                             ["Detected environment: staging (account 999999999999, no signal matched)",
                              "staging is not a non-production class"]),
    "staging-account": ("ops", STAGING, "acme-staging", (STAGING, "test"),
                        ["Detected environment: staging (account 222222222222, "
                         "matched: account id, alias acme-staging)"]),
    "plan-for-another-account": (
        "ops", SANDBOX_2, None, (SANDBOX, "sandbox"),
        ["the plan was approved for account 555555555555, but the credentials belong to "
         "account 666666666666"]),
    "plan-for-another-class": (
        "ops", SANDBOX, None, (SANDBOX, "development"),
        ["the plan was approved for development, but this account is sandbox"]),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_refused_before_any_change(ws, aws_env, case):
    profile, account, alias, (target_account, environment), reasons = case
    aws_env.add_account_profile(profile, account, alias=alias)
    plan, digest = ws.plan(target_account, environment)
    result, calls = ws.execute(plan, profile, digest)
    assert_refused(ws, result, calls, *reasons)
    report = json.loads((ws.only_run() / "report.json").read_text())
    assert report["status"] == "refused"


def test_region_not_allowed_for_the_class(ws, aws_env):
    aws_env.add_account_profile("dev-deployer", DEVELOPMENT, alias="acme-dev")
    plan, digest = ws.plan(DEVELOPMENT, "development", region="eu-west-1")
    result, calls = ws.execute(plan, "dev-deployer", digest)
    # refused from the plan and the environments file, before any AWS call
    assert_refused(ws, result, calls, "Region(s) eu-west-1 are not allowed for development")
    assert list(calls) == []


def test_dev_named_profile_assuming_a_production_role(ws, aws_env):
    aws_env.add_account_profile("ops-base", DEVELOPMENT)
    aws_env.add_role_profile("dev-deployer", source_profile="ops-base", account_id=PRODUCTION)
    plan, digest = ws.plan(DEVELOPMENT, "development")
    result, calls = ws.execute(plan, "dev-deployer", digest)
    assert_refused(ws, result, calls, "Detected environment: production (account 111111111111",
                   "account id (production), profile dev-deployer (development)")


def test_production_profile_from_the_environment_only(ws, aws_env):
    """AWS_PROFILE=prod-admin without -e aws_profile: the profile in use is still a signal."""
    aws_env.add_account_profile("prod-admin", SANDBOX)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    result, calls = ws.execute(plan, None, digest, env=aws_env.env(profile="prod-admin"))
    assert_refused(ws, result, calls, "profile prod-admin (production)")


@pytest.mark.parametrize("flag", [["--check"], ["-e", "dry_run=true"]], ids=["check", "dry_run"])
def test_dry_run_against_production_is_refused(ws, aws_env, flag):
    aws_env.add_account_profile("ops", PRODUCTION)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    result, calls = ws.execute(plan, "ops", digest, extra=flag)
    assert_refused(ws, result, calls, "Detected environment: production (account 111111111111")


# ---------------------------------------------------------------- allowed accounts

@pytest.mark.parametrize("environment, account, profile, alias", [
    ("sandbox", SANDBOX, "sandbox-ci", "acme-sandbox"),
    ("development", DEVELOPMENT, "dev-deployer", "acme-dev"),
    ("test", TEST, "qa-runner", "acme-qa"),
])
def test_non_production_accounts_execute(ws, aws_env, environment, account, profile, alias):
    aws_env.add_account_profile(profile, account, alias=alias)
    plan, digest = ws.plan(account, environment)
    result, calls = ws.execute(plan, profile, digest)
    out = flat(output_of(result))
    assert result.returncode == 0, output_of(result)
    arn = f"arn:aws:sts::{account}:assumed-role/Any/harness-{profile}"
    for text in (f"Account: {account} ({arn})", f"Alias: {alias}",
                 f"Environment: {environment} — matched: account id {account} ({environment}), "
                 f"alias {alias} ({environment}), profile {profile} ({environment})"):
        assert text in out, output_of(result)
    assert mutating_calls(calls) == [("s3", "CreateBucket")]
    assert ws.buckets() == {account: [f"guard-{account}-1"]}
    run = ws.only_run()
    [verified] = [e for e in journal(run) if e["event"] == "environment_verified"]
    assert {k: verified[k] for k in ("account", "arn", "alias", "environment")} == {
        "account": account, "arn": arn, "alias": alias, "environment": environment}
    assert {(m["signal"], m["environment"]) for m in verified["matched"]} == {
        ("account id", environment), ("alias", environment), ("profile", environment)}
    report = json.loads((run / "report.json").read_text())
    assert (report["status"], report["account_id"], report["environment"], report["executor_arn"]) == (
        "succeeded", account, environment, arn)


def test_verify_environment_can_report_instead_of_failing(ws, aws_env):
    aws_env.add_account_profile("ops", PRODUCTION)
    aws_env.add_account_profile("sandbox-ci", SANDBOX)
    out = ws.root / "verdicts.json"
    verify = {"environments_file": str(ws.environments), "fail_on_refusal": False}
    tasks = [{"coworker.aws.verify_environment": dict(verify, profile=profile), "register": name}
             for name, profile in (("prod", "ops"), ("sandbox", "sandbox-ci"))]
    tasks.append({"ansible.builtin.copy": {"dest": str(out),
                                           "content": "{{ {'prod': prod, 'sandbox': sandbox} | to_json }}"}})
    result, calls = ws.playbook(tasks, aws_env.env())
    assert result.returncode == 0, output_of(result)
    verdicts = json.loads(out.read_text())
    prod, sandbox = verdicts["prod"], verdicts["sandbox"]
    assert (prod["allowed"], prod["environment"], prod["identity"]["account"]) == (
        False, "production", PRODUCTION)
    assert STOP in prod["refusal"] and "account 111111111111" in prod["refusal"]
    assert (sandbox["allowed"], sandbox["environment"], sandbox["identity"]["account"]) == (
        True, "sandbox", SANDBOX)
    assert "refusal" not in sandbox
    assert mutating_calls(calls) == []
