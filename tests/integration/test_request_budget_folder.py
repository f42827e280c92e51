"""The request budget's folder is the user's own (max_requests_per_second): execute_nonprod.yml with a folder of
that name that others may write (pre-created under the temporary directory) is refused before any call, naming
the folder; with the user's own folder the run goes through."""

from __future__ import annotations

import os

import pytest

from moto_harness import mutating_calls, output_of, run_playbook
from workflow_support import put_param, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest


def run_with_budget(flow, plan, tmpdir):
    env = dict(flow.env(), TMPDIR=str(tmpdir))
    return run_playbook(flow.execute_args(plan, "-e", f"approve={plan.digest}", "-e", "max_requests_per_second=20"),
                        env, flow.tmp)


def test_a_budget_folder_others_may_write_is_refused_before_any_call(workflow, tmp_path):
    tmpdir = tmp_path / "shared-tmp"
    folder = tmpdir / f"coworker-aws-request-budget-{os.getuid()}"
    folder.mkdir(parents=True)
    os.chmod(folder, 0o777)  # made by someone else on the machine, for everyone
    plan = workflow.write_plan("budget-folder", [("Create", [put_param("p1", "/budget/p1")])])
    with workflow.moto.recording() as calls:
        result = run_with_budget(workflow, plan, tmpdir)
    out = unwrapped(output_of(result))
    assert result.returncode != 0, out
    assert f"{folder}: the request budget's folder may be written by its group or others (mode 0777" in out
    assert mutating_calls(calls) == [] and workflow.parameter_values() == {}
    assert os.listdir(folder) == []


def test_the_users_own_budget_folder_is_made_and_used(workflow, tmp_path):
    tmpdir = tmp_path / "own-tmp"
    tmpdir.mkdir()
    plan = workflow.write_plan("budget-own", [("Create", [put_param("p1", "/budget/p1")])])
    result = run_with_budget(workflow, plan, tmpdir)
    assert result.returncode == 0, output_of(result)
    assert workflow.parameter_values() == {"/budget/p1": "v1"}
    folder = tmpdir / f"coworker-aws-request-budget-{os.getuid()}"
    assert oct(folder.stat().st_mode & 0o777) == "0o700" and os.listdir(folder) == ["210987654321"]
