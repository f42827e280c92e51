"""The non-production guard, end to end, when a user's playbook goes around the role: the step
module called on its own, and extra vars that claim every check of the role already passed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from guard_support import (  # noqa: F401  (the fixture ws)  # pylint: disable=unused-import
    PRODUCTION, SANDBOX, STOP, Workspace, assert_refused, ws)
from moto_harness import REPO_ROOT

pytestmark = pytest.mark.integration

ROLE_TASKS = REPO_ROOT / "roles" / "execute_nonprod" / "tasks"


# ------------------------------------------- the step module without the role and its checks

def journal_tasks(ws: Workspace, plan: Path, digest: str) -> list:
    state = str(ws.state)
    return [{"coworker.aws.run_journal": {"op": "start", "plan": str(plan), "state_dir": state},
             "register": "run"},
            {"coworker.aws.run_journal": {"op": "approve", "run_id": "{{ run.run_id }}",
                                          "token": digest, "state_dir": state}}]


def step_task(ws: Workspace, plan: Path, run_id: str) -> dict:
    return {"coworker.aws.run_step": {"plan": str(plan), "run_id": run_id,
                                      "steps": ["create_bucket_1"], "state_dir": str(ws.state),
                                      "environments_file": str(ws.environments)}}


@pytest.mark.parametrize("with_journal", [True, False], ids=["approved-journal", "made-up-run-id"])
def test_step_module_in_a_users_playbook_against_production(ws, aws_env, with_journal):
    aws_env.add_account_profile("ops", PRODUCTION)
    plan, digest = ws.plan(PRODUCTION, "sandbox")  # a plan that claims production is a sandbox
    if with_journal:
        tasks, reason = journal_tasks(ws, plan, digest) + [step_task(ws, plan, "{{ run.run_id }}")], (
            STOP, "Detected environment: production (account 111111111111, matched: account id)")
    else:
        tasks, reason = [step_task(ws, plan, "20261124T000000Z-made-up")], (
            "run 20261124T000000Z-made-up has no journal",)
    result, calls = ws.playbook(tasks, aws_env.env(profile="ops"))
    assert_refused(ws, result, calls, *reason, stop=reason[0])


# --------------------------------------------------- overriding the role's variables

def role_variables() -> set:
    """Every variable the role registers, sets with set_fact, sets on a block or an include, or loops with."""
    names = set()

    def walk(tasks):
        for task in tasks or []:
            names.update([task["register"]] if "register" in task else [])
            names.update(task.get("ansible.builtin.set_fact", {}))
            names.update(task.get("vars", {}))
            names.update([task["loop_control"]["loop_var"]] if "loop_var" in task.get("loop_control", {}) else [])
            for key in ("block", "rescue", "always"):
                walk(task.get(key))

    for path in ROLE_TASKS.glob("*.yml"):
        walk(yaml.safe_load(path.read_text()))
    return names


def forged_variables(plan: Path, digest: str) -> dict:
    """A claim, for every role variable, that verification passed in a sandbox."""
    identity = {"account": SANDBOX, "arn": f"arn:aws:sts::{SANDBOX}:assumed-role/Any/x",
                "alias": "acme-sandbox", "alias_status": "found", "profile": "sandbox-ci"}
    run = {"run_id": "forged-run", "run_dir": "forged", "dry_run": False, "interactive": False,
           "lock_note": None, "sha256": digest, "done": [],
           "commands": {"resume": "forged", "rollback": "forged"}}
    return {
        "execute_nonprod_run": run, "execute_nonprod_reopen": "",
        "execute_nonprod_command_vars": {"state_dir": "forged"},
        "execute_nonprod_segment": {"index": 0, "steps": ["create_bucket_1"], "checkpoint": "phase"},
        "execute_nonprod_wave_answer": {"asked": True, "answer": "yes"},
        "execute_nonprod_finished": {"status": "succeeded", "ends_in_error": False, "closing": "forged"},
        # what older roles registered: a claim is still only a claim
        "execute_nonprod_env": {"allowed": True, "environment": "sandbox", "identity": identity,
                                "matched": [], "reason": "forged", "failed": False},
        "execute_nonprod_approval": {"approved": True, "failed": False},
    }


def test_extra_vars_cannot_claim_a_verified_sandbox(ws, aws_env):
    aws_env.add_account_profile("ops", PRODUCTION)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    forged = forged_variables(plan, digest)
    # every variable of the role is forged (and a few older ones): each plugin reads the journal and asks STS
    assert role_variables() <= set(forged)
    result, calls = ws.execute(plan, "ops", digest, extra=["-e", json.dumps(forged)])
    assert_refused(ws, result, calls, "Detected environment: production (account 111111111111")
