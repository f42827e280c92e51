# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inlining the files a plan's commands read (file://) before approval, so the digest covers them."""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import parse_command
from ansible_collections.coworker.aws.plugins.module_utils.plan.inline import inline_plan_files
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.writer import approve

from plan_samples import base_plan, write_json, write_yaml

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}


def _plan_reading(tmp_path, command, rollback=None, writer=write_yaml):
    doc = base_plan()
    step = doc["phases"][0]["steps"][1]
    for key in ("action", "params"):
        step.pop(key)
    step["command"] = command
    if rollback:
        step["rollback"] = {"command": rollback}
    return writer(tmp_path, doc)


def _params(path, **overrides):
    return dict({"plan": str(path), "plans_dir": None, "approved_by": "bob@example.com", "confirm": True,
                 "expires_in_days": None, "inline_files": True}, **overrides)


def test_a_plan_that_reads_a_file_is_refused_with_the_way_to_inline_it(tmp_path):
    (tmp_path / "trust.json").write_text(json.dumps(POLICY))
    path = _plan_reading(tmp_path, "aws iam create-role --role-name app --assume-role-policy-document file://trust.json")
    with pytest.raises(PlanError, match="approve_plan with inline_files: true"):
        load_plan(str(path), verify=False)


def test_inline_then_approve_covers_the_content(tmp_path):
    (tmp_path / "trust.json").write_text(json.dumps(POLICY, indent=2))
    (tmp_path / "tags.txt").write_text("Key=team,Value=a b")
    path = _plan_reading(tmp_path, "aws iam create-role --role-name app --assume-role-policy-document "
                         "file://trust.json --tags file://tags.txt",
                         rollback="aws iam delete-role --role-name=file://trust.json")
    result = approve(_params(path))
    assert [item["field"] for item in result["inlined"]] == ["phases[0].steps[1].command"] * 2 + [
        "phases[0].steps[1].rollback.command"]
    document = yaml.safe_load(path.read_text())
    command = document["phases"][0]["steps"][1]["command"]
    assert "file://" not in command
    _service, _operation, params = parse_command(command)
    assert json.loads(params["AssumeRolePolicyDocument"]) == POLICY
    assert params["Tags"] == [{"Key": "team", "Value": "a b"}]
    loaded = load_plan(str(path))  # the approval verifies: the digest covers the inlined content
    assert loaded["sha256"] == result["sha256"]
    (tmp_path / "trust.json").write_text("{}")  # a later change of the file changes nothing
    assert load_plan(str(path))["sha256"] == result["sha256"]


def test_inline_only_without_confirm_and_json_plans(tmp_path):
    (tmp_path / "trust.json").write_text(json.dumps(POLICY))
    path = _plan_reading(tmp_path, "aws iam create-role --role-name app --assume-role-policy-document "
                         "file://trust.json", writer=write_json)
    result = approve(_params(path, confirm=False))
    assert result["changed"] is True and "approval" not in json.loads(path.read_text())
    assert "sha256" not in result
    again = approve(_params(path, confirm=False))
    assert again == dict(changed=False, path=str(path), inlined=[])


def test_check_mode_inlines_nothing(tmp_path):
    (tmp_path / "trust.json").write_text(json.dumps(POLICY))
    path = _plan_reading(tmp_path, "aws iam create-role --role-name app --assume-role-policy-document "
                         "file://trust.json")
    before = path.read_text()
    result = approve(_params(path), check_mode=True)
    assert result["changed"] is True and result["inlined"][0]["file"] == "trust.json"
    assert path.read_text() == before


@pytest.mark.parametrize("value, message", [
    ("file://../outside.json", "only files inside the plan's directory"),
    ("file:///etc/hostname", "only files inside the plan's directory"),
    ("file://missing.json", "cannot read"),
    ("fileb://key.bin", "is not UTF-8 text"),
])
def test_files_that_are_not_inlined(tmp_path, value, message):
    plans = tmp_path / "plans"
    plans.mkdir()
    (tmp_path / "outside.json").write_text("{}")
    (plans / "key.bin").write_bytes(b"\xff\xfe\x00")
    path = _plan_reading(plans, "aws iam create-role --role-name app --assume-role-policy-document " + value)
    before = path.read_text()
    with pytest.raises(PlanError) as info:
        inline_plan_files(before, str(path))
    assert info.value.problems[0][0] == "phases[0].steps[1].command" and message in info.value.problems[0][1]
    with pytest.raises(CoworkerError):
        approve(_params(path))
    assert path.read_text() == before


def test_content_starting_with_a_dash_keeps_its_option(tmp_path):
    (tmp_path / "value.txt").write_text("-1")
    path = _plan_reading(tmp_path, "aws ssm put-parameter --name /x --type String --value file://value.txt")
    text, inlined = inline_plan_files(path.read_text(), str(path))
    command = yaml.safe_load(text)["phases"][0]["steps"][1]["command"]
    assert inlined == [("phases[0].steps[1].command", "value.txt")]
    assert parse_command(command)[2]["Value"] == "-1"


def test_nothing_to_inline_leaves_the_text(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    text = path.read_text()
    assert inline_plan_files(text, str(path)) == (text, [])
