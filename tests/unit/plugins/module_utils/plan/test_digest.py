# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan digest, recomputed here from the contract's own words."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import canonical_json, plan_digest, token_matches
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import read_document

from plan_samples import EXAMPLES, approved, base_plan, write_json, write_text, write_yaml


def contract_digest(path):
    """plan-format.md: SHA-256 of the canonical JSON of the plan without its top-level ``approval``."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)  # the examples quote their timestamps, so they stay strings
    document.pop("approval", None)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_there_are_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_digest_matches_the_contract_and_the_approval(path):
    expected = contract_digest(path)
    assert plan_digest(read_document(str(path))) == expected
    with open(path, encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["approval"]["plan_sha256"] == expected


def test_canonical_json_is_compact_sorted_and_without_approval():
    doc = {"b": 1, "a": {"d": [1, "x"], "c": None}, "approval": {"plan_sha256": "0" * 64}}
    assert canonical_json(doc) == '{"a":{"c":null,"d":[1,"x"]},"b":1}'


def test_non_ascii_is_left_as_is():
    doc = dict(base_plan(), objective="Journal des déploiements — 日本")
    assert "déploiements — 日本" in canonical_json(doc)
    assert plan_digest(doc) == hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()
    escaped = json.dumps(doc, sort_keys=True, separators=(",", ":"))  # ensure_ascii=True would differ
    assert plan_digest(doc) != hashlib.sha256(escaped.encode()).hexdigest()


def test_key_order_comments_and_layout_do_not_change_the_digest(tmp_path):
    doc = approved(base_plan())
    block = write_yaml(tmp_path, doc, "block.yml")
    flow_text = "# a comment\n" + yaml.safe_dump(dict(reversed(list(doc.items()))), default_flow_style=True)
    flow = write_text(tmp_path, flow_text, "flow.yml")
    as_json = write_json(tmp_path, doc)
    digests = {plan_digest(read_document(str(p))) for p in (block, flow, as_json)}
    assert digests == {doc["approval"]["plan_sha256"]}


def test_approval_does_not_count_but_everything_else_does():
    doc = base_plan()
    before = plan_digest(doc)
    assert plan_digest(dict(doc, approval={"approved_by": "someone else"})) == before
    edits = [("name", "Other"), ("created", "2026-01-01T00:00:01Z"), ("risk", "High")]
    for key, value in edits:
        assert plan_digest(dict(doc, **{key: value})) != before, key
    changed = base_plan()
    changed["phases"][0]["steps"][1]["params"]["VersioningConfiguration"]["Status"] = "Suspended"
    assert plan_digest(changed) != before
    typed = base_plan()
    typed["phases"][0]["steps"][0]["params"]["Bucket"] = 5
    retyped = base_plan()
    retyped["phases"][0]["steps"][0]["params"]["Bucket"] = "5"
    assert plan_digest(typed) != plan_digest(retyped)  # 5 and "5" are different plans


def test_digest_is_lowercase_hex():
    digest = plan_digest(base_plan())
    assert len(digest) == 64 and digest == digest.lower() and int(digest, 16) >= 0


@pytest.mark.parametrize("token, expected", [
    ("FULL", True), ("FULL12", True), ("FULL11", False), ("UPPER", True), ("  FULL12  ", True),
    ("WRONG", False), ("", False), (None, False), (123456789012, False),
])
def test_approval_tokens(token, expected):
    digest = plan_digest(base_plan())
    other = plan_digest(dict(base_plan(), name="other"))
    token = {"FULL": digest, "FULL12": digest[:12], "FULL11": digest[:11], "UPPER": digest[:16].upper(),
             "  FULL12  ": "  %s  " % digest[:12], "WRONG": other[:12]}.get(token, token)
    assert token_matches(token, digest) is expected
