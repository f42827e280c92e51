"""The one list of settings that decide safety covers every variable the playbooks and the role read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.guard.operator_settings import (
    COLLECTION_INVENTORY_VARIABLES, OPTIONS, SETTINGS, inventory_may_define, refusal_text, setting_of)

REPO = Path(__file__).resolve().parents[5]
# read by a playbook but decides nothing: how many runs playbooks/runs.yml lists
NOT_SETTINGS = {"limit"}


def variables_read(path):
    """Names a playbook or task file reads with ``| default(...)`` or tests with ``is defined`` (not attributes)."""
    text = path.read_text()
    return set(re.findall(r"(?<![.\w])([a-z_][a-z0-9_]*) \| default\(", text)) | \
        set(re.findall(r"(?<![.\w])([a-z_][a-z0-9_]*) is (?:not )?defined", text))


FILES = sorted((REPO / "playbooks").glob("*.yml")) + sorted((REPO / "roles" / "execute_nonprod" / "tasks").glob("*.yml"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_variable_a_playbook_reads_is_a_listed_setting(path):
    unlisted = sorted(name for name in variables_read(path) - NOT_SETTINGS if setting_of(name) is None)
    assert unlisted == [], "%s reads %s: add them to operator_settings.SETTINGS (or NOT_SETTINGS, with why)" % (
        path.name, unlisted)


def test_every_role_option_is_a_setting():
    specs = yaml.safe_load((REPO / "roles" / "execute_nonprod" / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert options and all(setting_of(name) for name in options)


def test_names_and_options():
    names = [name for setting in SETTINGS for name in setting.names]
    assert len(names) == len(set(names))  # each name decides one thing
    assert setting_of("environments_file").decides.startswith("which accounts are sandbox")
    assert setting_of("execute_nonprod_anything_new") is not None and setting_of("coworker_wave_x") is not None
    assert setting_of("team") is None and setting_of("ansible_connection") is None
    assert all(setting_of(variable) for variable in OPTIONS.values())
    # the collection's own inventory variables are all of its own prefix, and nothing else is exempt
    assert all(name.startswith("coworker_wave_") for name in COLLECTION_INVENTORY_VARIABLES)
    assert not inventory_may_define("environments_file") and inventory_may_define("coworker_wave_token")


def test_the_refusal_names_each_variable_its_file_and_what_it_decides():
    text = refusal_text([{"name": "approve", "where": "/p/group_vars/all.yml", "scope": "group all",
                          "setting": "approve"}])
    assert "never from an inventory, group_vars or host_vars; nothing was changed" in text
    assert "  approve is set in /p/group_vars/all.yml (group all); it decides the approval token" in text


def test_the_documentation_lists_every_name():
    documented = (REPO / "docs" / "security.md").read_text()
    assert [name for setting in SETTINGS for name in setting.names if "`%s`" % name not in documented] == []
