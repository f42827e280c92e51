# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan_targets inventory plugin: one host per target of a verified plan, or a parse error naming the files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible_collections.coworker.aws.plugins.inventory.plan_targets import InventoryModule

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))
from plan_samples import approved, base_plan, write_yaml  # noqa: E402  pylint: disable=wrong-import-position

A, B = "111111111111", "222222222222"


def multi_plan():
    doc = base_plan()
    doc["target"] = {"environment": "sandbox", "region": "us-east-1"}
    doc["targets"] = [{"account_id": A}, {"account_id": B, "region": "eu-west-1"}, {"account_id": A, "region": "eu-west-1"}]
    return approved(doc)


def parse(source, **options):
    """What ansible-inventory does with ``source`` (its options as the file gives them)."""
    plugin = InventoryModule()
    options = dict({"plans_dir": None, "environments_file": None}, **options)
    plugin._read_config_data = lambda path: None  # pylint: disable=protected-access
    plugin.get_option = options.__getitem__
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(source))
    return inventory


@pytest.fixture(autouse=True)
def no_default_environments(monkeypatch, tmp_path):
    monkeypatch.setenv("COWORKER_AWS_ENVIRONMENTS", str(tmp_path / "none.yml"))


def test_one_local_host_per_target_named_by_its_key_with_the_plan_relative_to_the_inventory_file(tmp_path, monkeypatch):
    (tmp_path / "plans").mkdir()
    plan = write_yaml(tmp_path / "plans", multi_plan(), "baseline.yml")
    monkeypatch.chdir("/")  # the working directory does not matter
    inventory = parse(tmp_path / "plans" / "wave.coworker_targets.yml", plan="baseline.yml")
    keys = [A + "-us-east-1", B + "-eu-west-1", A + "-eu-west-1"]
    group = inventory.groups["coworker_wave_targets"]
    assert [h.name for h in group.get_hosts()] == keys
    for key in keys:
        host_vars = inventory.get_host(key).vars
        assert (host_vars["ansible_connection"], host_vars["coworker_wave_target"]) == ("local", key)
    assert group.vars["coworker_wave_plan_file"] == str(plan)
    assert len(group.vars["coworker_wave_plan_sha256"]) == 64


def test_a_plan_by_id_in_plans_dir_and_a_single_target_plan(tmp_path):
    write_yaml(tmp_path, approved(base_plan()), "one.yml")
    inventory = parse(tmp_path / "x.coworker_targets.yaml", plan=base_plan()["id"], plans_dir=".")
    assert [h.name for h in inventory.groups["coworker_wave_targets"].get_hosts()] == ["123456789012-us-east-1"]


@pytest.mark.parametrize("change, field", [
    (lambda doc: doc.update(name="edited after approval"), "approval.plan_sha256"),
    (lambda doc: doc.pop("approval"), "approval"),
    (lambda doc: doc["targets"][1].update(environment="production"), "targets[1].environment"),
])
def test_a_plan_that_does_not_verify_adds_no_host_and_names_the_inventory_file_the_plan_and_the_field(tmp_path, change, field):
    doc = multi_plan()
    change(doc)
    plan = write_yaml(tmp_path, doc)
    source = tmp_path / "wave.coworker_targets.yml"
    with pytest.raises(AnsibleParserError) as info:
        parse(source, plan="plan.yml")
    message = str(info.value)
    assert message.startswith("%s: the plan does not load or verify" % source)
    assert "%s: %s" % (plan, field) in message


def test_a_guardrail_fail_or_a_missing_plan_is_a_parse_error(tmp_path):
    doc = base_plan()
    doc["guardrail"] = {"status": "FAIL", "validated_at": "2026-11-23T10:01:00Z", "findings": [{"message": "no"}]}
    write_yaml(tmp_path, approved(doc))
    with pytest.raises(AnsibleParserError, match="guardrail.status"):
        parse(tmp_path / "a.coworker_targets.yml", plan="plan.yml")
    with pytest.raises(AnsibleParserError, match="no such file"):
        parse(tmp_path / "a.coworker_targets.yml", plan="missing.yml")


def test_only_files_named_for_the_plugin_are_its_sources(tmp_path):
    for name in ("wave.coworker_targets.yml", "wave.coworker_targets.yaml", "hosts.yml", "wave.coworker_targets.json"):
        (tmp_path / name).write_text("plugin: coworker.aws.plan_targets\n")
    plugin = InventoryModule()
    assert [n for n in sorted(p.name for p in tmp_path.iterdir()) if plugin.verify_file(str(tmp_path / n))] == [
        "wave.coworker_targets.yaml", "wave.coworker_targets.yml"]
    assert not plugin.verify_file(str(tmp_path / "absent.coworker_targets.yml"))
