# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the environments file: loading, classification, regions, describing signals, its path."""

from __future__ import annotations

import fnmatch
import os

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.guard import environments as envs
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    CLASSES, DEFAULT_PATH, ENV_VAR, EXECUTABLE, classify, describe_signals, load_environments,
    region_allowed, resolve_path)

from environments_support import FULL, write

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
ACCOUNTS = {"sandbox": "123456789012", "development": "333333333333", "test": "444444444444",
            "staging": "222222222222", "production": "111111111111"}
ALIASES = {"sandbox": "acme-sandbox", "development": "acme-dev", "test": "acme-qa",
           "staging": "acme-preprod", "production": "acme-production"}
PROFILES = {"sandbox": "sandbox-alice", "development": "dev-ops", "test": "qa-runner",
            "staging": "staging-admin", "production": "prod-admin"}
NOBODY = "999999999999"


@pytest.fixture(name="config")
def config_fixture(tmp_path):
    return load_environments(write(tmp_path, FULL))


# --- loading -----------------------------------------------------------------------------------

def test_load_normalises(tmp_path):
    path = write(tmp_path, FULL)
    config = load_environments(path)
    assert config["source"] == path
    assert config["unknown_environment"] == "staging"
    assert set(config["environments"]) == set(CLASSES)
    assert config["environments"]["development"] == {
        "account_ids": ["333333333333"], "account_aliases": ["*-dev"], "profiles": ["dev-*"],
        "regions": ["us-east-1", "us-west-2"], "source_regions": [], "allow_operations": [],
        "max_request_bytes": 1024 * 1024, "cross_account_grants": "allow"}


def test_missing_classes_have_no_signals_and_default_regions(tmp_path):
    config = load_environments(write(tmp_path, "environments:\n  production: {account_ids: ['111111111111']}\n"))
    assert config["unknown_environment"] == "staging"
    for cls in ("sandbox", "development", "test"):
        assert config["environments"][cls] == {"account_ids": [], "account_aliases": [], "profiles": [],
                                               "regions": ["*"], "source_regions": [], "allow_operations": [],
                                               "max_request_bytes": 1024 * 1024, "cross_account_grants": "allow"}
    for cls in ("staging", "production"):
        assert config["environments"][cls]["regions"] == []


def test_example_file_loads_and_demo_account_is_sandbox():
    config = load_environments(os.path.join(REPO, "examples", "environments.yml"))
    assert classify(config, "123456789012", None, None)["environment"] == "sandbox"
    for cls, account in ACCOUNTS.items():
        assert classify(config, account, None, None)["environment"] == cls


def test_constants():
    assert CLASSES == ("sandbox", "development", "test", "staging", "production")
    assert EXECUTABLE == frozenset({"sandbox", "development", "test"})


# --- classification ----------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES)
def test_classify_by_account_id(config, cls):
    result = classify(config, ACCOUNTS[cls], None, None)
    assert result["environment"] == cls
    assert result["executable"] is (cls in EXECUTABLE)
    assert result["matched"] == [{"signal": "account id", "value": ACCOUNTS[cls], "environment": cls,
                                  "pattern": ACCOUNTS[cls]}]
    assert result["reason"] == "matched: account id %s (%s)" % (ACCOUNTS[cls], cls)


@pytest.mark.parametrize("cls", CLASSES)
def test_classify_by_alias(config, cls):
    result = classify(config, NOBODY, ALIASES[cls], None)
    assert result["environment"] == cls
    assert result["executable"] is (cls in EXECUTABLE)
    assert [(m["signal"], m["value"], m["environment"]) for m in result["matched"]] == [
        ("alias", ALIASES[cls], cls)]
    assert fnmatch.fnmatchcase(ALIASES[cls], result["matched"][0]["pattern"])


@pytest.mark.parametrize("cls", CLASSES)
def test_classify_by_profile(config, cls):
    result = classify(config, NOBODY, None, PROFILES[cls])
    assert result["environment"] == cls
    assert result["executable"] is (cls in EXECUTABLE)
    assert [(m["signal"], m["value"], m["environment"]) for m in result["matched"]] == [
        ("profile", PROFILES[cls], cls)]


def test_prod_profile_on_sandbox_account_is_production(config):
    result = classify(config, ACCOUNTS["sandbox"], "acme-sandbox", "prod-admin")
    assert result["environment"] == "production"
    assert result["executable"] is False
    assert [m["environment"] for m in result["matched"]] == ["sandbox", "sandbox", "production"]
    assert result["reason"] == ("matched: account id 123456789012 (sandbox), alias acme-sandbox (sandbox), "
                                "profile prod-admin (production)")


def test_staging_alias_on_dev_account_is_staging(config):
    result = classify(config, ACCOUNTS["development"], "acme-staging", "dev-ops")
    assert result["environment"] == "staging"
    assert result["executable"] is False


@pytest.mark.parametrize("low, high", [(a, b) for i, a in enumerate(CLASSES) for b in CLASSES[i + 1:]])
def test_most_restrictive_wins_for_every_pair(config, low, high):
    assert classify(config, ACCOUNTS[low], None, PROFILES[high])["environment"] == high
    assert classify(config, ACCOUNTS[high], ALIASES[low], None)["environment"] == high


def test_prod_account_with_prod_alias_reason(config):
    result = classify(config, "111111111111", "acme-prod", None)
    assert result["reason"] == "matched: account id 111111111111 (production), alias acme-prod (production)"


def test_no_match_uses_unknown_environment(tmp_path):
    config = load_environments(write(tmp_path, FULL.replace("unknown_environment: staging",
                                                            "unknown_environment: production")))
    result = classify(config, NOBODY, "someone-else", "default-ish")
    assert result == {"environment": "production", "matched": [], "executable": False,
                      "reason": "no signal matched; unknown_environment is production"}


def test_no_match_defaults_to_staging_when_key_absent(tmp_path):
    config = load_environments(write(tmp_path, FULL.replace("unknown_environment: staging", "")))
    assert config["unknown_environment"] == "staging"
    result = classify(config, NOBODY, None, None)
    assert result["environment"] == "staging"
    assert result["executable"] is False
    assert result["reason"] == "no signal matched; unknown_environment is staging"


def test_unknown_environment_may_be_executable(tmp_path):
    config = load_environments(write(tmp_path, FULL.replace("unknown_environment: staging",
                                                            "unknown_environment: sandbox")))
    assert classify(config, NOBODY, None, None)["executable"] is True


def test_none_alias_and_profile_give_no_signal(tmp_path):
    # Patterns "*" would match any string, so a None that leaked through as text would show up.
    config = load_environments(write(tmp_path, """
        environments:
          production: {account_aliases: ["*"], profiles: ["*"]}
          sandbox: {account_ids: ["123456789012"]}
        """))
    result = classify(config, "123456789012", None, None)
    assert result["environment"] == "sandbox"
    assert [m["signal"] for m in result["matched"]] == ["account id"]
    assert classify(config, "123456789012", "x", None)["environment"] == "production"
    assert classify(config, "123456789012", None, "x")["environment"] == "production"


def test_account_id_matches_exactly_not_as_pattern(tmp_path):
    config = load_environments(write(tmp_path, "environments:\n  sandbox: {account_ids: ['123456789012']}\n"))
    assert classify(config, "123456789012", None, None)["environment"] == "sandbox"
    assert classify(config, "1234567890123", None, None)["matched"] == []
    assert classify(config, "023456789012", None, None)["matched"] == []


def test_patterns_are_case_sensitive(config):
    assert classify(config, NOBODY, "ACME-PROD", None)["matched"] == []
    assert classify(config, NOBODY, None, "Prod-admin")["matched"] == []
    assert classify(config, NOBODY, "acme-prod", None)["environment"] == "production"


def test_signal_matching_two_classes_counts_for_both(tmp_path):
    config = load_environments(write(tmp_path, """
        environments:
          sandbox: {profiles: ["team-*"]}
          staging: {profiles: ["*-shared"]}
        """))
    result = classify(config, NOBODY, None, "team-shared")
    assert result["environment"] == "staging"
    assert [(m["environment"], m["pattern"]) for m in result["matched"]] == [
        ("sandbox", "team-*"), ("staging", "*-shared")]


# --- regions -----------------------------------------------------------------------------------

def test_region_rules(config):
    assert region_allowed(config, "sandbox", "ap-southeast-2")
    assert region_allowed(config, "development", "us-west-2")
    assert not region_allowed(config, "development", "eu-west-1")
    assert region_allowed(config, "test", "eu-central-1")
    assert not region_allowed(config, "test", "us-east-1")
    assert not region_allowed(config, "sandbox", "")


def test_regions_never_allowed_for_staging_and_production(tmp_path):
    config = load_environments(write(tmp_path, """
        environments:
          staging: {regions: ["*"]}
          production: {regions: ["*"]}
        """))
    for cls in ("staging", "production"):
        assert not region_allowed(config, cls, "us-east-1")
    assert not region_allowed(config, "nonsense", "us-east-1")


def test_absent_regions_allow_all_for_executable_classes(tmp_path):
    config = load_environments(write(tmp_path, "environments:\n  development: {profiles: ['dev-*']}\n"))
    assert region_allowed(config, "development", "eu-north-1")
    assert region_allowed(config, "test", "sa-east-1")


def test_empty_regions_allow_none(tmp_path):
    config = load_environments(write(tmp_path, "environments:\n  sandbox: {regions: []}\n"))
    assert not region_allowed(config, "sandbox", "us-east-1")


# --- describe_signals --------------------------------------------------------------------------

def test_describe_signals_single_class(config):
    matched = classify(config, "111111111111", "acme-prod", None)["matched"]
    text = describe_signals(matched)
    assert text == "matched: account id, alias acme-prod"
    sentence = ("STOPPING: this collection executes in non-production only. Detected environment: production "
                "(account 111111111111, %s)." % text)
    assert sentence.endswith("(account 111111111111, matched: account id, alias acme-prod).")


def test_describe_signals_mixed_classes_names_each(config):
    matched = classify(config, ACCOUNTS["sandbox"], None, "prod-admin")["matched"]
    assert describe_signals(matched) == "matched: account id (sandbox), profile prod-admin (production)"


def test_describe_signals_empty():
    assert describe_signals([]) == ""


# --- resolve_path ------------------------------------------------------------------------------

def test_resolve_path_explicit_wins(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "/from/env.yml")
    assert resolve_path("/explicit.yml") == "/explicit.yml"


def test_resolve_path_env_var_next(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "/from/env.yml")
    assert resolve_path(None) == "/from/env.yml"
    assert resolve_path("") == "/from/env.yml"


def test_resolve_path_default_and_expanduser(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert DEFAULT_PATH == "~/.config/coworker-aws/environments.yml"
    assert resolve_path(None) == str(tmp_path / ".config" / "coworker-aws" / "environments.yml")
    assert resolve_path("~/mine.yml") == str(tmp_path / "mine.yml")
    monkeypatch.setenv(ENV_VAR, "~/env.yml")
    assert resolve_path(None) == str(tmp_path / "env.yml")


def test_module_has_no_ansible_imports():
    with open(envs.__file__, encoding="utf-8") as handle:
        source = handle.read()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all("ansible.module_utils" not in line and not line.startswith(("import ansible", "from ansible "))
               for line in imports)
