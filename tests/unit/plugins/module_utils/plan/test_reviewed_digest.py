# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""approve_plan's ``reviewed_sha256``: the approval is for the plan the person read, or nothing is written.

The attacker edits the plan file after the review was shown and before the person's yes (another process, a
shared folder), or while the approval is being written; each time the file must stay as the attacker left it,
without an approval, and the error must name the file and say how to go on.
"""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.guard.pin_fetched import approve_with_pins
from ansible_collections.coworker.aws.plugins.module_utils.plan import writer
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan

from plan_samples import base_plan, independent_digest, write_yaml


def _params(path, **overrides):
    return dict({"plan": str(path), "plans_dir": None, "approved_by": "bob@example.com", "confirm": True,
                 "expires_in_days": None}, **overrides)


def _reviewed(path):
    """What the review showed: plan_info's sha256 (load_plan without approval)."""
    return load_plan(str(path), verify=False)["sha256"]


def _edit(path, bucket="attacker-bucket"):
    document = yaml.safe_load(path.read_text())
    document["phases"][0]["steps"][0]["params"]["Bucket"] = bucket
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path.read_bytes()


def test_the_plan_as_reviewed_is_approved_for_that_digest(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    reviewed = _reviewed(path)
    assert reviewed == independent_digest(yaml.safe_load(path.read_text()))  # the digest the approval is over
    result = approve_with_pins(_params(path, reviewed_sha256=reviewed.upper() + "\n"))  # as a person copies it
    assert result["sha256"] == reviewed and result["approval"]["plan_sha256"] == reviewed
    assert load_plan(str(path))["plan"]["approval"]["approved_by"] == "bob@example.com"  # and it verifies


def test_a_plan_edited_after_the_review_is_refused_and_left_unapproved(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    reviewed = _reviewed(path)
    edited = _edit(path)
    with pytest.raises(CoworkerError) as refused:
        approve_with_pins(_params(path, reviewed_sha256=reviewed))
    message = str(refused.value)
    assert message.startswith("%s changed since the review: it now has digest %s" % (path, _reviewed(path)))
    assert "the review showed digest %s" % reviewed in message
    assert "not approved, nothing was written; run approve_plan again" in message
    assert path.read_bytes() == edited and "approval" not in yaml.safe_load(edited)


def test_an_edit_that_keeps_an_old_approval_is_not_approved_again(tmp_path):
    """The attacker copies in an approval of the reviewed digest beside their edit: still refused, file untouched."""
    path = write_yaml(tmp_path, base_plan())
    reviewed = _reviewed(path)
    document = yaml.safe_load(_edit(path))
    document["approval"] = {"approved_by": "bob@example.com", "approved_at": "2026-01-02T03:04:05Z",
                            "plan_sha256": reviewed}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    before = path.read_bytes()
    with pytest.raises(CoworkerError, match="changed since the review"):
        approve_with_pins(_params(path, reviewed_sha256=reviewed))
    assert path.read_bytes() == before


def test_an_edit_while_the_approval_is_written_is_refused(tmp_path, monkeypatch):
    """The file changes after it was validated and before the approval is added to its text."""
    path = write_yaml(tmp_path, base_plan())
    reviewed = _reviewed(path)
    real_load = writer.load_plan
    edited = []

    def load_then_edit(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        edited.append(_edit(path))
        return loaded

    monkeypatch.setattr(writer, "load_plan", load_then_edit)
    with pytest.raises(CoworkerError, match="changed while it was being approved: not approved, nothing was written"):
        approve_with_pins(_params(path, reviewed_sha256=reviewed))
    assert path.read_bytes() == edited[0]


@pytest.mark.parametrize("given", ["", "abc", "g" * 64])
def test_a_digest_that_is_not_one_is_refused(tmp_path, given):
    path = write_yaml(tmp_path, base_plan())
    reviewed = _reviewed(path)
    before = path.read_bytes()
    with pytest.raises(CoworkerError, match="reviewed_sha256: give the whole digest"):
        approve_with_pins(_params(path, reviewed_sha256=given or reviewed[:12]))  # a 12-hex prefix is not enough
    assert path.read_bytes() == before


def test_inlining_after_the_review_is_refused_before_the_file_is_written(tmp_path):
    doc = base_plan()
    step = doc["phases"][0]["steps"][1]
    step.pop("action"), step.pop("params")
    step["command"] = "aws iam create-role --role-name app --assume-role-policy-document file://trust.json"
    (tmp_path / "trust.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    path = write_yaml(tmp_path, doc)
    before = path.read_bytes()
    reviewed = independent_digest(yaml.safe_load(before))  # the file as shown, before any inlining
    with pytest.raises(CoworkerError, match="still reads files .* inlining would write into it after the review"):
        writer.approve(_params(path, inline_files=True, reviewed_sha256=reviewed))
    assert path.read_bytes() == before
    with pytest.raises(CoworkerError, match="file://trust.json"):  # the module: a plan that reads files is refused
        approve_with_pins(_params(path, inline_files=True, reviewed_sha256=reviewed))
    assert path.read_bytes() == before


def test_without_a_reviewed_digest_the_file_as_it_is_is_approved(tmp_path):
    """A user's own task that gives none keeps working (the option is documented as what to pass)."""
    path = write_yaml(tmp_path, base_plan())
    _edit(path)
    result = approve_with_pins(_params(path))
    assert result["sha256"] == _reviewed(path)


def test_a_no_answer_with_a_reviewed_digest_writes_nothing(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    before = path.read_bytes()
    with pytest.raises(CoworkerError, match="not approved: confirm is false"):
        approve_with_pins(_params(path, confirm=False, reviewed_sha256=_reviewed(path)))
    assert path.read_bytes() == before
