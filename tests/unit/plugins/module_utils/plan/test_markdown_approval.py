# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Markdown plan is approved as the plan made from it, and runs only as long as it is unchanged."""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import file_sha256, find_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.writer import approve

from plan_samples import REPO

BUCKET = REPO / "tests" / "data" / "markdown" / "bucket.md"


def params(markdown, plans_dir, **overrides):
    return dict({"plan": str(markdown), "plans_dir": str(plans_dir), "approved_by": "bob@example.com",
                 "confirm": True, "expires_in_days": None, "account_id": None}, **overrides)


@pytest.fixture
def markdown(tmp_path):
    copy = tmp_path / "bucket.md"
    shutil.copy(BUCKET, copy)
    return copy


def test_converted_for_review_then_approved_then_found_by_the_markdown(tmp_path, markdown):
    plans = tmp_path / "plans"
    review = approve(params(markdown, plans, confirm=False))
    sha = file_sha256(str(markdown))
    assert review == {"changed": True, "converted": True, "inlined": [],
                      "path": str(plans / ("bucket-%s.yml" % sha[:12]))}
    text = (plans / ("bucket-%s.yml" % sha[:12])).read_text()
    assert text.startswith("# Made by coworker.aws approve_plan from bucket.md (sha256 %s)." % sha)
    with pytest.raises(PlanError, match="the plan is not approved"):
        load_plan(str(markdown), str(plans))  # converted, not approved: it cannot run
    written = approve(params(markdown, plans))
    assert written["path"] == review["path"] and written["sha256"] == load_plan(review["path"])["sha256"]
    loaded = load_plan(str(markdown), str(plans))
    assert loaded["path"] == review["path"] and loaded["plan"]["markdown"] == {"file": "bucket.md", "sha256": sha}
    # a second review of the same Markdown finds that plan: a second approver signs the same digest
    again = approve(params(markdown, plans, confirm=False))
    assert again == {"changed": False, "converted": False, "inlined": [], "path": review["path"]}


def test_a_markdown_changed_since_approval_is_refused_and_says_why(tmp_path, markdown):
    plans = tmp_path / "plans"
    first, approved_sha = approve(params(markdown, plans)), file_sha256(str(markdown))
    markdown.write_text(markdown.read_text().replace("Status=Enabled", "Status=Suspended"))
    with pytest.raises(PlanError) as caught:
        find_plan(str(markdown), str(plans))
    text = str(caught.value)
    assert text.startswith("%s: plan: no plan in %s was approved from this Markdown as it is now" % (markdown, plans))
    assert "it was never approved, or it changed since (%s was made from it when its sha256 was %s)" % (
        first["path"], approved_sha[:12]) in text
    assert "ansible-playbook playbooks/approve_plan.yml -e plan=%s" % markdown in text


def test_a_markdown_never_approved_is_refused(tmp_path, markdown):
    with pytest.raises(PlanError, match="it was never approved, or it changed since. Review and approve it"):
        find_plan(str(markdown), str(tmp_path))
    with pytest.raises(PlanError, match="set plans_dir"):
        find_plan(str(markdown), None)


def test_no_means_nothing_is_left_behind(tmp_path, markdown):
    plans = tmp_path / "plans"
    review = approve(params(markdown, plans, confirm=False))
    with pytest.raises(CoworkerError, match="made from the Markdown for this review, was removed"):
        approve(params(review["path"], plans, confirm=False))
    assert list(plans.iterdir()) == []


def test_an_approved_plan_is_never_removed_by_a_no(tmp_path, markdown):
    plans = tmp_path / "plans"
    written = approve(params(markdown, plans))
    with pytest.raises(CoworkerError, match="the plan file was not changed"):
        approve(params(written["path"], plans, confirm=False))
    assert load_plan(str(markdown), str(plans))["path"] == written["path"]


def test_a_refused_markdown_writes_nothing(tmp_path, markdown):
    plans = tmp_path / "plans"
    markdown.write_text(markdown.read_text().replace("--bucket coworker-md-logs-210987654321 \\\n  --profile",
                                                     "--bucket {bucket-name} \\\n  --profile"))
    with pytest.raises(PlanError, match="unresolved placeholder {bucket-name}"):
        approve(params(markdown, plans))
    assert not plans.exists()


def test_the_account_given_must_be_the_plans(tmp_path, markdown):
    plans = tmp_path / "plans"
    approve(params(markdown, plans, confirm=False))
    with pytest.raises(CoworkerError, match="was made from this Markdown for account 210987654321, not 123456789012"):
        approve(params(markdown, plans, account_id="123456789012"))


def test_check_mode_converts_without_writing(tmp_path, markdown):
    plans = tmp_path / "plans"
    result = approve(params(markdown, plans), check_mode=True)
    assert result["changed"] is True and result["converted"] is True and not plans.exists()


def test_inline_files_is_for_yaml_plans(tmp_path, markdown):
    with pytest.raises(CoworkerError, match="a Markdown plan's commands must carry their values themselves"):
        approve(params(markdown, tmp_path, inline_files=True))
