# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the environments file failing closed: every unreadable, malformed or contradictory file
is refused with its path and the field at fault, never guessed at."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    ENV_VAR, classify, load_environments)
from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError

from environments_support import FULL, config_error, write


# --- fail closed -------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.yml")
    with pytest.raises(ConfigError) as info:
        load_environments(path)
    message = str(info.value)
    assert message.startswith(path + ": ")
    assert "environments file not found" in message
    assert "examples/environments.yml" in message and "environments_file" in message and ENV_VAR in message


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_environments(str(tmp_path))  # a directory
    assert str(info.value).startswith(str(tmp_path) + ": cannot read")


def test_not_utf8(tmp_path):
    path = tmp_path / "environments.yml"
    path.write_bytes(b"environments: {sandbox: {profiles: ['\xff']}}\n")
    with pytest.raises(ConfigError) as info:
        load_environments(str(path))
    assert str(info.value).startswith(str(path) + ": cannot read")


def test_bad_yaml_reports_line_and_column(tmp_path):
    path, message = config_error(tmp_path, "environments:\n  sandbox: {profiles: [a, b}\n")
    assert message.startswith(path + ": invalid YAML at line 2, column ")


def test_duplicate_key_refused(tmp_path):
    path, message = config_error(tmp_path, """
        environments:
          sandbox: {profiles: ["x-*"]}
          sandbox: {profiles: ["y-*"]}
        """)
    assert message.startswith(path + ": invalid YAML at line 4, column 3")
    assert "duplicate key 'sandbox'" in message


def test_non_string_key_refused(tmp_path):
    path, message = config_error(tmp_path, "environments:\n  1: {}\n")
    assert message.startswith(path + ": invalid YAML at line 2")
    assert "not a string" in message


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just a string\n"])
def test_top_level_not_a_mapping(tmp_path, text):
    path, message = config_error(tmp_path, text)
    assert message.startswith(path + ": ")
    assert "top level must be a mapping" in message


def test_unknown_top_level_key(tmp_path):
    path, message = config_error(tmp_path, FULL + "unknown_enviroment: sandbox\n")
    assert message.startswith(path + ": unknown_enviroment: unknown key")


def test_missing_environments(tmp_path):
    path, message = config_error(tmp_path, "unknown_environment: staging\n")
    assert message.startswith(path + ": environments: missing")


@pytest.mark.parametrize("value", ["[]", "null", "prod"])
def test_environments_not_a_mapping(tmp_path, value):
    path, message = config_error(tmp_path, "environments: %s\n" % value)
    assert message.startswith(path + ": environments: must be a mapping")


def test_unknown_class(tmp_path):
    path, message = config_error(tmp_path, "environments:\n  prod: {account_ids: ['111111111111']}\n")
    assert message.startswith(path + ": environments.prod: unknown environment class")
    assert "production" in message


def test_class_not_a_mapping(tmp_path):
    path, message = config_error(tmp_path, "environments:\n  sandbox: ['*-sandbox']\n")
    assert message.startswith(path + ": environments.sandbox: must be a mapping")


def test_unknown_key_in_class(tmp_path):
    path, message = config_error(tmp_path, "environments:\n  production: {account_alias: ['*-prod']}\n")
    assert message.startswith(path + ": environments.production.account_alias: unknown key")


@pytest.mark.parametrize("key", ["account_ids", "account_aliases", "profiles", "regions"])
@pytest.mark.parametrize("value", ["'*-prod'", "null", "{a: b}"])
def test_value_not_a_list(tmp_path, key, value):
    path, message = config_error(tmp_path, "environments:\n  test: {%s: %s}\n" % (key, value))
    assert message.startswith(path + ": environments.test.%s: must be a list of strings" % key)


@pytest.mark.parametrize("key", ["account_aliases", "profiles", "regions"])
@pytest.mark.parametrize("item", ["7", "true", "''", "[x]", "null"])
def test_list_item_not_a_string(tmp_path, key, item):
    path, message = config_error(tmp_path, "environments:\n  test: {%s: [ok, %s]}\n" % (key, item))
    assert message.startswith(path + ": environments.test.%s[1]: must be a non-empty string" % key)


def test_account_id_int_must_be_quoted(tmp_path):
    path, message = config_error(tmp_path, "environments:\n  production: {account_ids: [111111111111]}\n")
    assert message.startswith(path + ": environments.production.account_ids[0]: ")
    assert "must be quoted" in message


def test_account_id_octal_looking_int_refused(tmp_path):
    # Unquoted, YAML 1.1 reads 012345670123 as the octal number 1402433619: refused, never guessed.
    path, message = config_error(tmp_path, "environments:\n  sandbox: {account_ids: [012345670123]}\n")
    assert message.startswith(path + ": environments.sandbox.account_ids[0]: ")
    assert "must be quoted" in message


@pytest.mark.parametrize("bad", ["'12345678901'", "'1234567890123'", "'12345678901a'", "' 123456789012'",
                                 "'1234-5678-9012'", '"123456789012\\n"'])
def test_account_id_not_twelve_digits(tmp_path, bad):
    path, message = config_error(tmp_path, "environments:\n  staging: {account_ids: ['222222222222', %s]}\n"
                                 % bad)
    assert message.startswith(path + ": environments.staging.account_ids[1]: ")
    assert "12-digit" in message


def test_leading_zero_quoted_account_id_accepted(tmp_path):
    config = load_environments(write(tmp_path, "environments:\n  sandbox: {account_ids: ['012345678901']}\n"))
    assert classify(config, "012345678901", None, None)["environment"] == "sandbox"


def test_same_account_in_two_classes(tmp_path):
    path, message = config_error(tmp_path, """
        environments:
          sandbox: {account_ids: ["111111111111"]}
          production: {account_ids: ["111111111111"]}
        """)
    assert message.startswith(path + ": environments.production.account_ids: ")
    assert "111111111111" in message and "sandbox" in message


def test_same_account_twice_in_one_class_is_fine(tmp_path):
    config = load_environments(write(tmp_path, "environments:\n  test: {account_ids: ['444444444444', "
                                               "'444444444444']}\n"))
    assert config["environments"]["test"]["account_ids"] == ["444444444444"]


@pytest.mark.parametrize("value", ["prod", "null", "Production", "[staging]"])
def test_unknown_environment_invalid(tmp_path, value):
    path, message = config_error(tmp_path, "environments: {}\nunknown_environment: %s\n" % value)
    assert message.startswith(path + ": unknown_environment: ")
    assert "is not one of" in message


def test_null_class_has_no_signals(tmp_path):
    config = load_environments(write(tmp_path, "environments:\n  production:\n"))
    assert config["environments"]["production"]["account_ids"] == []
