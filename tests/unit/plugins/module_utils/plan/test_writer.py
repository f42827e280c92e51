# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a person's approval into the plan file, and refusing to approve what may not run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.writer import approve, with_approval

from plan_samples import EXAMPLES, approved, base_plan, independent_digest, write_json, write_text

HEADER = """\
# Dev logs bucket. Reviewed in CHANGE-42.
# Keep this comment: it is for the people who read the plan.
"""


def _params(path, **overrides):
    return dict({"plan": str(path), "plans_dir": None, "approved_by": "bob@example.com", "confirm": True,
                 "expires_in_days": None}, **overrides)


def _commented_plan(tmp_path, doc=None, name="plan.yml"):
    body = yaml.safe_dump(doc or base_plan(), sort_keys=False)
    body = body.replace("phases:\n", "# the phases run in order\nphases:\n", 1)
    body = body.replace("risk: Low\n", "risk: Low  # agreed with security\n", 1)
    return write_text(tmp_path, HEADER + body, name)


def test_approval_is_appended_and_the_rest_of_the_file_is_kept(tmp_path):
    path = _commented_plan(tmp_path)
    before = path.read_text()
    result = approve(_params(path))
    after = path.read_text()
    assert after.startswith(before)  # every comment, every line, byte for byte
    added = yaml.safe_load(after[len(before):])
    assert set(added) == {"approval"}
    assert added["approval"]["approved_by"] == "bob@example.com"
    assert added["approval"]["plan_sha256"] == independent_digest(yaml.safe_load(before)) == result["sha256"]
    assert result["changed"] is True and result["path"] == str(path)


def test_the_written_plan_verifies(tmp_path):
    path = _commented_plan(tmp_path)
    approve(_params(path))
    loaded = load_plan(str(path))
    assert loaded["plan"]["approval"]["approved_by"] == "bob@example.com"
    approved_at = datetime.fromisoformat(loaded["plan"]["approval"]["approved_at"])
    assert abs(datetime.now(timezone.utc) - approved_at) < timedelta(minutes=1)


def test_approved_at_stays_a_string_in_yaml(tmp_path):
    path = _commented_plan(tmp_path)
    approve(_params(path))
    approval = yaml.safe_load(path.read_text())["approval"]  # a timestamp-aware loader
    assert isinstance(approval["approved_at"], str)


def test_an_earlier_approval_is_replaced_not_duplicated(tmp_path):
    doc = approved(base_plan(), expires_at="2026-01-03T00:00:00Z")
    text = HEADER + yaml.safe_dump(doc, sort_keys=False)
    path = write_text(tmp_path, text)
    approve(_params(path, approved_by="carol@example.com"))
    after = path.read_text()
    assert after.count("approval:") == 1
    assert "alice@example.com" not in after and "expires_at" not in after
    assert after.startswith(text.split("approval:")[0])
    assert load_plan(str(path))["plan"]["approval"]["approved_by"] == "carol@example.com"


def test_approval_in_the_middle_of_the_file_is_moved_to_the_end(tmp_path):
    doc = approved(base_plan())
    phases = doc.pop("phases")
    text = yaml.safe_dump(doc, sort_keys=False) + yaml.safe_dump({"phases": phases}, sort_keys=False)
    path = write_text(tmp_path, text)
    approve(_params(path))
    after = path.read_text()
    assert after.count("approval:") == 1 and after.index("phases:") < after.index("approval:")
    load_plan(str(path))


def test_comment_after_an_earlier_approval_is_kept(tmp_path):
    doc = approved(base_plan())
    phases = doc.pop("phases")
    text = (yaml.safe_dump(doc, sort_keys=False) + "# KEEP: the phases below were reviewed twice\n"
            + yaml.safe_dump({"phases": phases}, sort_keys=False))
    path = write_text(tmp_path, text)
    approve(_params(path))
    assert "# KEEP: the phases below were reviewed twice" in path.read_text()


def test_expires_in_days(tmp_path):
    path = _commented_plan(tmp_path)
    result = approve(_params(path, expires_in_days=3))
    approval = load_plan(str(path))["plan"]["approval"]
    assert approval == result["approval"]
    assert datetime.fromisoformat(approval["expires_at"]) - datetime.fromisoformat(approval["approved_at"]) == \
        timedelta(days=3)


def test_json_plan(tmp_path):
    doc = base_plan()
    doc["objective"] = "Übersicht — 日本"
    path = write_json(tmp_path, doc)
    approve(_params(path))
    written = json.loads(path.read_text(encoding="utf-8"))
    assert {k: v for k, v in written.items() if k != "approval"} == doc
    assert written["approval"]["plan_sha256"] == independent_digest(doc)
    assert "Übersicht — 日本" in path.read_text(encoding="utf-8")  # not \\u-escaped
    assert load_plan(str(path))["plan"]["approval"]["approved_by"] == "bob@example.com"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_can_be_reapproved(tmp_path, path):
    copy = write_text(tmp_path, path.read_text(), path.name)
    approve(_params(copy))
    assert copy.read_text().startswith(path.read_text().split("\napproval:")[0])
    assert load_plan(str(copy))["sha256"] == independent_digest(yaml.safe_load(path.read_text()))


def _refused(path, **overrides):
    before = path.read_bytes()
    with pytest.raises(CoworkerError) as exc:
        approve(_params(path, **overrides))
    assert path.read_bytes() == before, "the plan file was changed"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "a temporary file was left behind"
    return str(exc.value)


def test_invalid_plan_is_not_approved(tmp_path):
    doc = base_plan()
    doc["target"]["environment"] = "production"
    message = _refused(_commented_plan(tmp_path, doc))
    assert message.startswith("cannot approve an invalid plan:\n")
    assert "%s: target.environment:" % (tmp_path / "plan.yml") in message


def test_unparsable_plan_is_not_approved(tmp_path):
    message = _refused(write_text(tmp_path, "name: a\nname: b\n"))
    assert "duplicate key 'name'" in message


def test_guardrail_fail_is_not_approved(tmp_path):
    doc = base_plan()
    doc["guardrail"] = {"status": "FAIL", "findings": [{"severity": "high", "message": "public bucket"}]}
    message = _refused(_commented_plan(tmp_path, doc))
    assert message == "%s: guardrail.status: FAIL — a plan that failed guardrail validation cannot be approved" % (
        tmp_path / "plan.yml")


def test_no_confirmation_no_approval(tmp_path):
    assert "confirm is false" in _refused(_commented_plan(tmp_path), confirm=False)


@pytest.mark.parametrize("who", ["", "   ", None])
def test_approver_must_be_named(tmp_path, who):
    assert "approved_by must name who approves" in _refused(_commented_plan(tmp_path), approved_by=who)


def test_check_mode_changes_nothing_but_shows_the_diff(tmp_path):
    path = _commented_plan(tmp_path)
    before = path.read_text()
    result = approve(_params(path), check_mode=True, diff=True)
    assert path.read_text() == before
    assert result["diff"]["before"] == before
    assert result["diff"]["after"].startswith(before) and "plan_sha256: %s" % result["sha256"] in \
        result["diff"]["after"]


def test_with_approval_handles_a_missing_final_newline():
    text = "format: coworker.aws/plan-v1\nid: x"
    expected = "format: coworker.aws/plan-v1\nid: x\napproval:\n  approved_by: a\n"
    assert with_approval(text, "p.yml", {"approved_by": "a"}) == expected
