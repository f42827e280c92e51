"""A plan whose aws CLI command reads a file (file://): refused as written, runnable once
approve_plan.yml -e inline_files=true has written the file's content into the plan.

The content is then part of the approved plan: changing the file afterwards changes nothing
that runs, and the digest the person approved covers exactly what is sent.
"""

from __future__ import annotations

import pytest
import yaml

from moto_harness import REPO_ROOT, mutating_calls, output_of
from workflow_support import plan_document, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

APPROVE = REPO_ROOT / "playbooks" / "approve_plan.yml"
COMMAND = "aws ssm put-parameter --name /wf/inline --type String --value file://value.txt"


def _plan_reading_a_file(workflow):
    plans = workflow.tmp / "plans"
    plans.mkdir(exist_ok=True)
    (plans / "value.txt").write_text("from-the-file")
    step = {"id": "put_inline", "description": "Put a value read from a file", "command": COMMAND,
            "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": "/wf/inline"}}}
    path = plans / "inline.yml"
    path.write_text(yaml.safe_dump(plan_document("inline", [("Config", [step])]), sort_keys=False))
    return path


def test_a_command_reading_a_file_is_refused_until_inlined_then_runs_what_was_approved(workflow):
    path = _plan_reading_a_file(workflow)
    with workflow.moto.recording() as calls:
        refused = workflow.run_other(APPROVE, "-e", f"plan={path}", "-e", "confirm=yes")
    assert refused.returncode != 0
    assert "the CLI would read the value from a file or URL" in unwrapped(output_of(refused))
    assert "inline_files: true" in unwrapped(output_of(refused))
    assert "approval" not in yaml.safe_load(path.read_text())
    assert mutating_calls(calls) == []

    approved = workflow.run_other(APPROVE, "-e", f"plan={path}", "-e", "confirm=yes", "-e", "inline_files=true")
    assert approved.returncode == 0, output_of(approved)
    document = yaml.safe_load(path.read_text())
    assert document["phases"][0]["steps"][0]["command"] == COMMAND.replace("file://value.txt", "from-the-file")
    digest = document["approval"]["plan_sha256"]

    (path.parent / "value.txt").write_text("changed-after-approval")
    executed = workflow.run(type("Plan", (), {"path": path})(), "-e", f"approve={digest}")
    assert executed.returncode == 0, output_of(executed)
    assert workflow.parameter_values() == {"/wf/inline": "from-the-file"}
