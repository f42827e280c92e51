"""The approval is for the plan the person reviewed: playbooks/approve_plan.yml on a terminal, the plan file
edited by someone else while the question "Approve this plan as ...? (yes/no)" waits.

The writing task passes the digest the review showed (reviewed_sha256); the file's digest no longer matches,
so the yes approves nothing: the playbook fails naming the file, the file carries no approval, and
execute_nonprod.yml refuses it even with the reviewed digest as its token.
"""

from __future__ import annotations

import re

import pytest
import yaml

from moto_harness import REPO_ROOT, mutating_calls, output_of, spawn_playbook
from workflow_support import ACCOUNT, expect, finish, plan_document, put_param, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

APPROVE = REPO_ROOT / "playbooks" / "approve_plan.yml"
QUESTION = "Approve this plan as alice@example.com? (yes/no):"


def unapproved_plan(flow):
    document = plan_document("review-bound", [("Config", [put_param("put_a", "/review/a")])])
    path = flow.tmp / "plans" / "review-bound.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def review_until_the_question(flow, path):
    """approve_plan.yml on a terminal, stopped at its question; the digest the review showed."""
    child = spawn_playbook([APPROVE, "-e", f"plan={path}", "-e", "approved_by=alice@example.com",
                            *flow.common_args()], flow.env(), flow.tmp)
    flow.children.append(child)
    expect(child, QUESTION)
    review = unwrapped(child.logfile_read.getvalue())
    assert "/review/a" in review  # what the person read
    return child, re.search(r"Digest to approve: ([0-9a-f]{64})", review).group(1)


def test_a_plan_edited_while_the_question_waits_is_not_approved(workflow):
    path = unapproved_plan(workflow)
    child, reviewed = review_until_the_question(workflow, path)
    # another process rewrites the plan: same step, another parameter, the person never saw it
    document = yaml.safe_load(path.read_text())
    document["phases"][0]["steps"][0]["params"]["Name"] = "/attacker/a"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    edited = path.read_bytes()
    child.sendline("yes")
    code, transcript = finish(child)
    out = unwrapped(transcript)
    assert code != 0, transcript
    assert f"{path} changed since the review" in out, transcript
    assert f"the review showed digest {reviewed}" in out and "run approve_plan again" in out
    assert "Approved " not in out  # the closing line of an approval is not printed
    assert path.read_bytes() == edited and "approval" not in yaml.safe_load(edited)

    with workflow.moto.recording() as calls:
        result = workflow.run(None, "-e", f"plan={path}", "-e", f"approve={reviewed}")
    assert result.returncode != 0, output_of(result)
    assert "approval: the plan is not approved: no 'approval' block" in unwrapped(output_of(result)), output_of(result)
    assert mutating_calls(calls) == []
    assert workflow.parameter_values() == {}


def test_the_plan_as_reviewed_is_approved_with_the_digest_shown(workflow):
    path = unapproved_plan(workflow)
    child, reviewed = review_until_the_question(workflow, path)
    child.sendline("yes")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert f"with digest {reviewed}" in unwrapped(transcript)
    assert yaml.safe_load(path.read_text())["approval"]["plan_sha256"] == reviewed
    result = workflow.run(None, "-e", f"plan={path}", "-e", f"approve={reviewed}")
    assert result.returncode == 0, output_of(result)
    assert workflow.parameter_values() == {"/review/a": "v1"}
    assert ACCOUNT in output_of(result)
