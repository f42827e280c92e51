# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Approval: who approved which digest, until when; and the guardrail verdict."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block, verify_approval
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan

from plan_samples import APPROVED_AT, approved, base_plan, independent_digest, write_text, write_yaml

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _verify(tmp_path, doc, now=NOW):
    return load_plan(str(write_yaml(tmp_path, doc)), now=now)


def _problems(tmp_path, doc, now=NOW):
    with pytest.raises(PlanError) as exc:
        _verify(tmp_path, doc, now)
    assert exc.value.source == str(tmp_path / "plan.yml")
    return exc.value.problems


def test_a_valid_approval_passes(tmp_path):
    loaded = _verify(tmp_path, approved(base_plan()))
    assert loaded["warnings"] == []
    assert loaded["plan"]["approval"]["approved_by"] == "alice@example.com"


def test_no_approval_block(tmp_path):
    assert _problems(tmp_path, base_plan()) == [
        ("approval", "the plan is not approved: no 'approval' block (approve it with playbooks/approve_plan.yml)")]


def test_approval_that_is_not_a_mapping(tmp_path):
    assert _problems(tmp_path, dict(base_plan(), approval="yes"))[0][0] == "approval"


@pytest.mark.parametrize("key", ["approved_by", "approved_at", "plan_sha256"])
@pytest.mark.parametrize("value", [..., "", "  ", 5])
def test_missing_approval_fields(tmp_path, key, value):
    doc = approved(base_plan())
    if value is ...:
        del doc["approval"][key]
    else:
        doc["approval"][key] = value
    assert ("approval.%s" % key, "required field is missing") in _problems(tmp_path, doc)


def test_unknown_approval_field(tmp_path):
    doc = approved(base_plan(), signature="trust me")
    assert _problems(tmp_path, doc) == [("approval.signature", "unknown field")]


def test_comment_is_allowed(tmp_path):
    _verify(tmp_path, approved(base_plan(), comment="looked fine"))


def test_edited_after_approval(tmp_path):
    path = write_yaml(tmp_path, approved(base_plan()))
    text = path.read_text()
    path.write_text(text.replace("Status: Enabled", "Status: Suspended"))  # one value, after approval
    with pytest.raises(PlanError) as exc:
        load_plan(str(path), now=NOW)
    (field, message), = exc.value.problems
    assert field == "approval.plan_sha256"
    recorded = approved(base_plan())["approval"]["plan_sha256"]
    assert message.startswith("the plan changed after approval: approved digest %s, plan digest now "
                              % recorded[:12])
    assert "have the plan approved again" in message


def test_comment_edits_do_not_invalidate_the_approval(tmp_path):
    path = write_yaml(tmp_path, approved(base_plan()))
    path.write_text("# reviewed by bob\n" + path.read_text().replace("\n", "   \n", 3))
    load_plan(str(path), now=NOW)


@pytest.mark.parametrize("digest, fragment", [
    ("ABC" * 21 + "D", "must be 64 lowercase hex characters"),
    ("abc", "must be 64 lowercase hex characters"),
])
def test_malformed_digest(tmp_path, digest, fragment):
    doc = approved(base_plan())
    doc["approval"]["plan_sha256"] = digest
    assert _problems(tmp_path, doc) == [("approval.plan_sha256", fragment)]


def test_uppercase_of_the_right_digest_is_still_refused(tmp_path):
    doc = approved(base_plan())
    doc["approval"]["plan_sha256"] = doc["approval"]["plan_sha256"].upper()
    assert _problems(tmp_path, doc)[0][0] == "approval.plan_sha256"


@pytest.mark.parametrize("expires_at, ok", [
    ("2026-03-01T12:00:01Z", True),
    ("2026-03-01T12:00:00Z", False),  # expiry is exclusive
    ("2026-02-28T00:00:00Z", False),
    ("2026-03-01T13:00:00+02:00", False),  # 11:00 UTC
    ("2026-03-01T12:30:00", True),  # naive means UTC
])
def test_expiry(tmp_path, expires_at, ok):
    doc = approved(base_plan(), expires_at=expires_at)
    if ok:
        _verify(tmp_path, doc)
    else:
        assert _problems(tmp_path, doc) == [("approval.expires_at", "the approval expired at %s" % expires_at)]


def test_expiry_that_is_not_a_time(tmp_path):
    doc = approved(base_plan(), expires_at="next week")
    assert _problems(tmp_path, doc) == [("approval.expires_at", "'next week' is not an ISO 8601 time")]


@pytest.mark.parametrize("approved_at, ok", [
    ("2026-03-01T12:04:59Z", True),  # clock skew of up to five minutes is tolerated
    ("2026-03-01T12:05:01Z", False),
    ("2099-01-01T00:00:00Z", False),
])
def test_approved_in_the_future(tmp_path, approved_at, ok):
    doc = approved(base_plan(), approved_at=approved_at)
    if ok:
        _verify(tmp_path, doc)
    else:
        assert _problems(tmp_path, doc) == [("approval.approved_at", "approval time %s is in the future" % approved_at)]


def test_approved_at_that_is_not_a_time(tmp_path):
    doc = approved(base_plan(), approved_at="yesterday")
    assert _problems(tmp_path, doc) == [("approval.approved_at", "'yesterday' is not an ISO 8601 time")]


def _guardrail(status, findings):
    doc = base_plan()
    doc["guardrail"] = {"status": status, "validated_at": "2026-01-01T00:00:00Z", "findings": findings}
    return doc


def test_guardrail_fail_is_refused_even_when_approved(tmp_path):
    doc = approved(_guardrail("FAIL", [{"severity": "high", "message": "bucket is public"},
                                       {"severity": "high", "message": "no encryption"}]))
    assert _problems(tmp_path, doc) == [("guardrail.status", "guardrail validation FAILED (bucket is public; "
                                                             "no encryption): the plan may not run")]


def test_guardrail_fail_without_findings(tmp_path):
    doc = approved(_guardrail("FAIL", []))
    assert "no findings listed" in _problems(tmp_path, doc)[0][1]


def test_every_approval_problem_is_reported_together(tmp_path):
    doc = approved(_guardrail("FAIL", [{"severity": "high", "message": "x"}]), expires_at="2026-01-01T00:00:00Z")
    doc["name"] = "edited"
    fields = [field for field, _message in _problems(tmp_path, doc)]
    assert fields == ["approval.plan_sha256", "approval.expires_at", "guardrail.status"]


def test_guardrail_warn_returns_the_findings_as_warnings(tmp_path):
    doc = approved(_guardrail("WARN", [{"severity": "low", "message": "ingress on 443 from the VPC"},
                                       {"message": "no owner tag"}]))
    assert _verify(tmp_path, doc)["warnings"] == ["guardrail WARN: low: ingress on 443 from the VPC",
                                                  "guardrail WARN: warning: no owner tag"]


def test_guardrail_warn_without_findings_still_warns(tmp_path):
    assert _verify(tmp_path, approved(_guardrail("WARN", [])))["warnings"] == ["guardrail WARN (no findings listed)"]


def test_verify_false_skips_the_approval_only(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    assert load_plan(str(path), verify=False, now=NOW)["warnings"] == []
    bad = base_plan()
    bad["target"]["environment"] = "production"
    with pytest.raises(PlanError):
        load_plan(str(write_yaml(tmp_path, bad, "bad.yml")), verify=False, now=NOW)


def test_verify_approval_directly():
    doc = approved(base_plan())
    plan = {"guardrail": {"status": "PASS", "findings": []}}
    assert verify_approval(doc, plan, independent_digest(doc), "src", now=NOW) == []
    with pytest.raises(PlanError) as exc:
        verify_approval(doc, plan, "0" * 64, "src", now=NOW)
    assert str(exc.value).startswith("src: approval.plan_sha256: the plan changed after approval")


def test_unquoted_approved_at_in_yaml_is_still_read(tmp_path):
    doc = approved(base_plan())
    text = write_yaml(tmp_path, doc).read_text().replace("'%s'" % APPROVED_AT, APPROVED_AT)
    assert "approved_at: %s\n" % APPROVED_AT in text
    load_plan(str(write_text(tmp_path, text, "unquoted.yml")), now=NOW)


def test_approval_block():
    doc = base_plan()
    when = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
    assert approval_block(doc, "bob@example.com", now=when) == {
        "approved_by": "bob@example.com", "approved_at": "2026-05-06T07:08:09Z", "plan_sha256": independent_digest(doc)}
    block = approval_block(doc, "bob@example.com", now=when, expires_in_days=7)
    assert block["expires_at"] == "2026-05-13T07:08:09Z"
    assert datetime.fromisoformat(block["expires_at"]) - datetime.fromisoformat(block["approved_at"]) == \
        timedelta(days=7)
