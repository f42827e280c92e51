"""The approve_plan action, driven through its run(): ``reviewed_sha256`` binds the approval to the review."""

from __future__ import annotations

import yaml

from action_support import run_action
from plan_samples import base_plan, independent_digest, write_yaml

from ansible_collections.coworker.aws.plugins.action import approve_plan


def _approve(path, **extra):
    return run_action(approve_plan, dict(plan=str(path), approved_by="alice@example.com", confirm=True, **extra))


def test_the_reviewed_digest_approves_the_plan(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    reviewed = independent_digest(yaml.safe_load(path.read_text()))
    result = _approve(path, reviewed_sha256=reviewed)
    assert not result.get("failed"), result
    assert result["changed"] and result["sha256"] == reviewed
    assert yaml.safe_load(path.read_text())["approval"]["plan_sha256"] == reviewed


def test_a_plan_edited_since_the_review_fails_the_task_and_writes_nothing(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    reviewed = independent_digest(yaml.safe_load(path.read_text()))
    document = base_plan()
    document["phases"][0]["steps"][0]["params"]["Bucket"] = "attacker-bucket"
    write_yaml(tmp_path, document)
    edited = path.read_bytes()
    result = _approve(path, reviewed_sha256=reviewed)
    assert result["failed"] is True and not result.get("changed")
    assert result["msg"].startswith("%s changed since the review" % path)
    assert "run approve_plan again" in result["msg"]
    assert path.read_bytes() == edited
