"""What the run_step tests share: a user's working directory (approved plans, an environments file, state) and
the user playbooks it writes, which start a run, approve it with the digest, run steps one task at a time and
finish the run (see test_run_step.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import DEFAULT_ACCOUNT_ID, REPO_ROOT, run_playbook


PROFILE = "sandbox-tester"
EXAMPLES = REPO_ROOT / "examples" / "plans"
BUCKET = f"dev-logs-{DEFAULT_ACCOUNT_ID}"
ENVIRONMENTS = """\
environments:
  sandbox: {account_ids: ["123456789012"], account_aliases: ["*-sandbox"], profiles: ["sandbox-*"]}
  development: {account_aliases: ["*-dev"], profiles: ["dev-*"], regions: [us-east-1, us-west-2]}
  test: {account_aliases: ["*-test", "*-qa"], profiles: ["test-*", "qa-*"]}
  staging: {account_aliases: ["*-staging", "*-preprod"], profiles: ["staging-*"]}
  production: {account_aliases: ["*-prod", "*-production"], profiles: ["prod-*"]}
unknown_environment: staging
"""
PLAN_HEADER = {  # of the small plans written by the tests themselves
    "format": "coworker.aws/plan-v1", "name": "Test plan", "created": "2026-11-23T10:00:00Z",
    "target": {"environment": "sandbox", "account_id": DEFAULT_ACCOUNT_ID, "region": "us-east-1"},
    "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:02:00Z", "findings": []},
}


# ------------------------------------------------------------------------------ helpers

class Workspace:
    """A user's working directory: approved plans, environments file, state, playbooks."""

    def __init__(self, aws_env, root: Path):
        self.aws_env = aws_env
        self.root = root
        self.plans = root / "plans"
        self.state = root / "state"
        self.environments = root / "environments.yml"
        self.plans.mkdir()
        self.environments.write_text(ENVIRONMENTS)
        aws_env.add_account_profile(PROFILE, DEFAULT_ACCOUNT_ID)
        self._playbooks = 0

    def approve(self, document: dict) -> tuple[Path, str]:
        """Write the plan with a fresh approval block; returns (path, digest)."""
        document = {k: v for k, v in document.items() if k != "approval"}
        document["approval"] = approval_block(document, "tester@example.com")
        path = self.plans / f"{document['id']}.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path, document["approval"]["plan_sha256"]

    def approve_example(self, name: str) -> tuple[Path, str]:
        return self.approve(yaml.safe_load((EXAMPLES / name).read_text()))

    def run(self, plan: Path, tasks: list, digest: str | None = None, run_id: str | None = None,
            finish: bool = True, profile: str = PROFILE, flags=(), env=None):
        """Run a user playbook: start and approve a run (or continue run_id), the tasks,
        then finish the run. Returns (completed process, {register name: task result});
        the results are saved even when a task fails."""
        self._playbooks += 1
        results_file = self.root / f"results-{self._playbooks}.json"
        playbook = self.root / f"playbook-{self._playbooks}.yml"
        play = self._play(plan, tasks, digest, run_id, finish, profile, results_file)
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        result = run_playbook([*flags, playbook], env or self.aws_env.env(profile=profile), self.root)
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        return result, results

    def _play(self, plan, tasks, digest, run_id, finish, profile, results_file) -> dict:
        journal = {"state_dir": str(self.state), "run_id": run_id or "{{ run.run_id }}"}
        start = [] if run_id else [
            {"name": "Start the run", "register": "run", "coworker.aws.run_journal": {
                "op": "start", "plan": str(plan), "profile": profile, "state_dir": str(self.state)}},
            {"name": "Approve the run", "coworker.aws.run_journal": {
                "op": "approve", "token": digest, **journal}}]
        names = ([] if run_id else ["run"]) + [t["register"] for t in tasks if "register" in t]
        keep = {"name": "Keep the results", "diff": False, "ansible.builtin.copy": {
            "dest": str(results_file),
            "content": "{{ {%s} | to_json }}" % ", ".join(f"'{n}': {n} | default(None)" for n in names)}}
        finish_task = {"name": "Finish the run", "coworker.aws.run_journal": {"op": "finish", **journal}}
        return {"name": "Run plan steps", "hosts": "localhost", "connection": "local",
                "gather_facts": False,
                "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                "module_defaults": {"coworker.aws.run_step": {
                    "plan": str(plan), "profile": profile, "environments_file": str(self.environments),
                    **journal},
                    # the approval records who signed, as the guard checks it for the plan's class
                    "coworker.aws.run_journal": {"environments_file": str(self.environments)}},
                "tasks": [{"block": start + tasks, "always": [finish_task] * finish + [keep]}]}

    def run_dir(self, run_id: str) -> Path:
        return self.state / "runs" / run_id

    def journal(self, run_id: str) -> list[dict]:
        return [json.loads(line) for line in
                (self.run_dir(run_id) / "journal.jsonl").read_text().splitlines()]

    def report(self, run_id: str) -> dict:
        return json.loads((self.run_dir(run_id) / "report.json").read_text())


def step_task(step_id: str, register: str | None = None, **args) -> dict:
    return {"name": f"Step {step_id}", "register": register or step_id,
            "coworker.aws.run_step": {"steps": [step_id], **args}}


def rollback_task(**args) -> dict:
    return {"name": "Roll back", "register": "rolled",
            "coworker.aws.run_step": {"mode": "rollback", **args}}


def step_ids(plan: Path) -> list[str]:
    document = yaml.safe_load(plan.read_text())
    return [step["id"] for phase in document["phases"] for step in phase["steps"]]


def small_plan(plan_id: str, steps: list[dict]) -> dict:
    return {**PLAN_HEADER, "id": plan_id, "phases": [{"name": "Only", "steps": steps}]}


@pytest.fixture
def workspace(aws_env, tmp_path) -> Workspace:
    return Workspace(aws_env, tmp_path)


@pytest.fixture
def sandbox(aws_env):
    """boto3 session on the sandbox account, for assertions."""
    return aws_env.boto3_session()
