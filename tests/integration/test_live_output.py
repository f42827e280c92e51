"""Step lines appear as each step ends, not when its batch ends — with our ansible.cfg and
with none (ANSIBLE_CONFIG pointing at an empty .cfg, as a user who installed the collection
has it).

put_b's validation never holds and retries twice with a 3-second delay, so the batch
(put_a, put_b) lasts at least 6 seconds after put_a ended: put_a's line, then a progress
line for each validation retry, must be on the terminal while put_b is still running.
"""

from __future__ import annotations

import time

import pytest

from moto_harness import REPO_ROOT, spawn_playbook
from workflow_support import expect, finish, put_param, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest


def slow_plan(flow):
    slow_b = put_param("put_b", "/wf/b")
    slow_b["validate"].update(expect=["Parameter.Value == 'never'"], retries=2, delay=3)
    return flow.write_plan("live", [("Config", [put_param("put_a", "/wf/a"), slow_b])])


def config_env(flow, tmp_path, own_config: bool) -> dict:
    env = flow.env()
    if not own_config:
        empty = tmp_path / "empty.cfg"
        empty.write_text("")
        env.update(ANSIBLE_CONFIG=str(empty), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"))
    return env


@pytest.mark.parametrize("own_config", [True, False], ids=["repo-cfg", "empty-cfg"])
def test_each_step_line_shows_while_the_batch_still_runs(workflow, tmp_path, own_config):
    plan = slow_plan(workflow)
    child = spawn_playbook(workflow.execute_args(plan, "-e", f"approve={plan.digest[:12]}",
                                                 "-e", "on_failure=rollback"),
                           config_env(workflow, tmp_path, own_config), workflow.tmp)
    workflow.children.append(child)

    expect(child, "[Step 1 of 2] put_a \u2014 aws ssm put-parameter", timeout=120)
    expect(child, "SUCCEEDED in ")
    seen_a = time.monotonic()
    expect(child, "... put_b: validation attempt 1 of 3: expect did not hold; trying again in 3 s")
    expect(child, "... put_b: validation attempt 2 of 3")
    expect(child, "[Step 2 of 2] put_b \u2014 aws ssm put-parameter")
    seen_b = time.monotonic()
    expect(child, "FAILED in ")
    status, transcript = finish(child)

    assert seen_b - seen_a >= 5, "put_a's line came only when the batch ended"
    assert status != 0
    # the live line is the one place a step's outcome is printed during the batch
    assert transcript.count("[Step 1 of 2] put_a") == 1, transcript
