"""Shared pieces of the execute_nonprod workflow tests: a sandbox account with its
environments file and profile, small SSM plans, and ways to run the playbooks and read
what a run left behind (report.json, report.md, journal, change log).

Plans use SSM parameters because they are cheap in moto and easy to pre-create, which is
how a test makes a step fail (PutParameter with Overwrite false on an existing name).
"""

from __future__ import annotations

import json
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import (
    REPO_ROOT, AwsEnv, account_snapshot, ansible_bin, descendants, latest_report_name, run_playbook, spawn_playbook)

ACCOUNT = "210987654321"
PROFILE = "sandbox-wf"
EXECUTE = REPO_ROOT / "playbooks" / "execute_nonprod.yml"
ROLLBACK = REPO_ROOT / "playbooks" / "rollback_run.yml"
TIMEOUT = 30  # seconds for each pexpect expect()

APPROVAL_PROMPT = "Do you approve execution? (yes/no)"
# What the terminal shows when a pause is really waiting for input (the task banner above
# it repeats the prompt text, but without the colon).
APPROVAL_WAITING = APPROVAL_PROMPT + ":"
# Multi-line prompts end with a newline, so the colon comes on a line of its own.
CHECKPOINT_WAITING = re.compile(r"Continue\? \(yes/no\)\s*:")
FAILURE_WAITING = re.compile(r"Choose 1(, 2)?, 3 or 4\s*:")

ENVIRONMENTS = f"""\
environments:
  sandbox:
    {{account_ids: ["{ACCOUNT}"], account_aliases: ["*-sandbox"], profiles: ["sandbox-*"], regions: ["*"]}}
  development: {{account_aliases: ["*-dev"], profiles: ["dev-*"], regions: [us-east-1, us-west-2]}}
  test: {{account_aliases: ["*-test", "*-qa"], profiles: ["test-*", "qa-*"]}}
  staging: {{account_aliases: ["*-staging", "*-preprod"], profiles: ["staging-*"]}}
  production: {{account_aliases: ["*-prod", "*-production"], profiles: ["prod-*"]}}
unknown_environment: staging
"""


def put_param(step_id: str, name: str, value: str = "v1", **extra) -> dict:
    """A PutParameter step (no overwrite) with its validation and rollback."""
    return {
        "id": step_id, "description": f"Put {name}", "action": "ssm:PutParameter",
        "params": {"Name": name, "Value": value, "Type": "String", "Overwrite": False},
        "validate": {"action": "ssm:GetParameter", "params": {"Name": name},
                     "expect": [f"Parameter.Value == '{value}'"]},
        "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": name}},
        **extra,
    }


def delete_param(step_id: str, name: str) -> dict:
    """A destructive step without rollback."""
    return {"id": step_id, "description": f"Delete {name}", "action": "ssm:DeleteParameter",
            "params": {"Name": name}}


def four_steps(skippable_c: bool = False) -> list[tuple[str, list[dict]]]:
    """Two phases of two parameters each; pre-creating /wf/c makes put_c fail."""
    put_c = put_param("put_c", "/wf/c", **({"skippable": True} if skippable_c else {}))
    return [("Config", [put_param("put_a", "/wf/a"), put_param("put_b", "/wf/b")]),
            ("Access", [put_c, put_param("put_d", "/wf/d")])]


# What four_steps() leaves in the account when every step succeeds.
ALL_FOUR = {"/wf/a": "v1", "/wf/b": "v1", "/wf/c": "v1", "/wf/d": "v1"}


def plan_document(plan_id: str, phases: list[tuple[str, list[dict]]]) -> dict:
    return {
        "format": "coworker.aws/plan-v1", "id": plan_id, "name": "Workflow test plan",
        "created": "2026-11-23T10:00:00Z",
        "target": {"environment": "sandbox", "account_id": ACCOUNT, "region": "us-east-1",
                   "profile": PROFILE},
        "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:01:00Z", "findings": []},
        "risk": "Low",
        "phases": [{"name": name, "steps": steps} for name, steps in phases],
    }


@dataclass
class Plan:
    path: Path
    digest: str


class Workflow:
    """One sandbox account on the test's moto, its state dir, and the playbook runs."""

    def __init__(self, aws_env: AwsEnv, moto_server, tmp_path: Path):
        self.aws_env = aws_env
        self.moto = moto_server
        self.tmp = tmp_path
        self.state_dir = tmp_path / "state"
        self.environments = tmp_path / "environments.yml"
        self.environments.write_text(ENVIRONMENTS)
        aws_env.add_account_profile(PROFILE, ACCOUNT)
        self.session = aws_env.boto3_session(PROFILE)
        self.ssm = self.session.client("ssm")
        self.children = []

    # -- plans

    def write_plan(self, plan_id: str, phases: list[tuple[str, list[dict]]]) -> Plan:
        document = plan_document(plan_id, phases)
        document["approval"] = approval_block(document, "tester@example.com")
        path = self.tmp / "plans" / f"{plan_id}.yml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return Plan(path, document["approval"]["plan_sha256"])

    # -- runs

    def common_args(self, *extra) -> list[str]:
        return ["-e", f"environments_file={self.environments}", "-e", f"state_dir={self.state_dir}",
                "-e", f"aws_profile={PROFILE}", *extra]

    def execute_args(self, plan: Plan | None, *extra) -> list[str]:
        plan_arg = ["-e", f"plan={plan.path}"] if plan else []
        return [EXECUTE, *plan_arg, *self.common_args(*extra)]

    def env(self) -> dict:
        return self.aws_env.env(profile=PROFILE)

    def run(self, plan: Plan | None, *extra):
        """execute_nonprod.yml without a terminal (stdin is /dev/null)."""
        return run_playbook(self.execute_args(plan, *extra), self.env(), self.tmp)

    def run_rollback(self, *extra):
        return run_playbook([ROLLBACK, *self.common_args(*extra)], self.env(), self.tmp)

    def run_other(self, playbook: Path, *extra):
        """Any playbook, with the same account settings as extra vars."""
        return run_playbook([playbook, *self.common_args(*extra)], self.env(), self.tmp)

    def block_put_c(self) -> None:
        """Pre-create /wf/c (not part of any plan) so that put_c fails."""
        self.ssm.put_parameter(Name="/wf/c", Value="keep", Type="String")

    def unblock_put_c(self) -> None:
        self.ssm.delete_parameter(Name="/wf/c")

    def spawn(self, plan: Plan | None, *extra):
        """execute_nonprod.yml on a real terminal (pexpect)."""
        child = spawn_playbook(self.execute_args(plan, *extra), self.env(), self.tmp)
        self.children.append(child)
        return child

    def stop_children(self) -> None:
        """Kill what a failed test left waiting at a prompt (see kill_tree)."""
        for child in self.children:
            if child.isalive():
                kill_tree(child)

    # -- what a run left behind

    def run_ids(self) -> list[str]:
        runs = self.state_dir / "runs"
        return sorted(p.name for p in runs.iterdir()) if runs.exists() else []

    def only_run(self) -> str:
        ids = self.run_ids()
        assert len(ids) == 1, ids
        return ids[0]

    def report_name(self, run_id: str) -> str:
        """The latest pass's report; a run whose journal a test deleted has only its first one."""
        if not (self.state_dir / "runs" / run_id / "journal.jsonl").exists():
            return "report"
        return latest_report_name(self.journal(run_id))

    def report(self, run_id: str, name: str | None = None) -> dict:
        """report.json of the run's latest pass (or the one named)."""
        name = name or self.report_name(run_id)
        return json.loads((self.state_dir / "runs" / run_id / f"{name}.json").read_text())

    def report_md(self, run_id: str, name: str | None = None) -> str:
        name = name or self.report_name(run_id)
        return (self.state_dir / "runs" / run_id / f"{name}.md").read_text()

    def journal(self, run_id: str) -> list[dict]:
        path = self.state_dir / "runs" / run_id / "journal.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def changelog(self) -> str:
        path = self.state_dir / "changelog.md"
        return path.read_text() if path.exists() else ""

    def snapshot(self) -> dict:
        return account_snapshot(self.session)

    def parameter_values(self) -> dict[str, str]:
        return {name: p["value"] for name, p in self.snapshot()["ssm_parameters"].items()}


def bare_env(flow: Workflow) -> dict:
    """No repo ansible.cfg: an empty .cfg, the collection found through the environment only,
    and the venv's ansible-playbook first on PATH so printed commands run as printed."""
    empty = flow.tmp / "empty.cfg"
    empty.write_text("")
    env = flow.env()
    env.update(ANSIBLE_CONFIG=str(empty), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"),
               PATH=f"{ansible_bin().parent}{os.pathsep}{env.get('PATH', '')}")
    return env


def run_throttled(workflow: Workflow, fault_proxy, plan: Plan, services, rate: float, seed: int):
    """Run a plan to its end (max_attempts=12, on_failure=abort) with that share of every request of these
    services throttled; (result, report, the retries the report counts)."""
    workflow.env = lambda: workflow.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)
    for service in services:  # every request of the service: describes, calls, validations
        fault_proxy.add_fault(service, "*", "throttle", rate=rate, seed=seed)
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "max_attempts=12", "-e", "on_failure=abort")
    report = workflow.report(workflow.only_run())
    return result, report, sum(row["retries"] for row in report["steps"])


def step_statuses(report: dict) -> dict[str, str]:
    return {step["id"]: step["status"] for step in report["steps"]}


def sent_steps(journal: list[dict]) -> list[str]:
    """The steps whose main call was sent, in order (one entry per attempt)."""
    return [event["step"] for event in journal if event["event"] == "call_started"]


def sent_after_resume(journal: list[dict]) -> list[str]:
    resumed = max(i for i, event in enumerate(journal) if event["event"] == "run_resumed")
    return sent_steps(journal[resumed:])


def assert_no_task_dump(transcript: str) -> None:
    """A run that succeeded shows no task failure and no retry noise."""
    for noise in ("[ERROR]", "Origin:", "FAILED!", "FAILED - RETRYING", "fatal:"):
        assert noise not in transcript, f"{noise!r} in:\n{transcript}"


INTERRUPT_FOLLOW_UP = "Press 'C' to continue the play or 'A' to abort"


def ctrl_c_at_the_prompt(child, tries: int = 3) -> None:
    """Ctrl-C at a question that is waiting, until Ansible's follow-up ("Press 'C' ... or 'A' ...") shows.

    The controller prints the question before Display.prompt_until reads the terminal (ansible.builtin.pause
    has the same window): a Ctrl-C inside that window is not seen, and a person simply presses it again.
    """
    for attempt in range(tries):
        child.send("\x03")
        try:
            child.expect_exact(INTERRUPT_FOLLOW_UP, timeout=5 if attempt < tries - 1 else TIMEOUT)
            return
        except pexpect.TIMEOUT:
            if attempt == tries - 1:
                raise


def assert_closing_line(code: int, transcript: str, closing: str, task: str = "Closing line") -> None:
    """Every end but success: exit code 2 and one task failure (``task``), whose message is the run's one
    closing line (it starts with ``closing``); no retry noise, no JSON escapes."""
    assert code == 2, transcript
    assert transcript.count("fatal:") == 1 and transcript.count("[ERROR]") == 1, transcript
    assert "FAILED - RETRYING" not in transcript and "\\n" not in transcript, transcript
    failure = unwrapped(transcript[transcript.rindex("TASK ["):])
    assert failure.startswith(f"TASK [coworker.aws.execute_nonprod : {task}]"), failure
    assert f"[ERROR]: Task failed: Action failed: {closing}" in failure, failure


def closing_commands(transcript: str) -> tuple[str, str]:
    """(resume, rollback): the commands of the closing line a run that stopped part-way failed with."""
    match = re.search(r"\[ERROR\]: Task failed: Action failed: .*? — resume: (ansible-playbook .+?) — roll back: "
                      r"(ansible-playbook .+?) Origin:", unwrapped(transcript))
    assert match, f"no closing line with commands in:\n{transcript}"
    return match.group(1), match.group(2)


def unwrapped(text: str) -> str:
    """Output with Ansible's YAML line folding undone (every run of white space -> one space)."""
    return re.sub(r"\s+", " ", text)


def expect(child, pattern, timeout: float = TIMEOUT) -> int:
    """Wait for literal text (or a compiled regex); show the whole transcript on failure."""
    try:
        if isinstance(pattern, str):
            return child.expect_exact(pattern, timeout=timeout)
        return child.expect(pattern, timeout=timeout)
    except (pexpect.TIMEOUT, pexpect.EOF) as error:
        raise AssertionError(f"did not see {pattern!r}; transcript:\n"
                             f"{child.logfile_read.getvalue()}") from error


def kill_tree(child) -> None:
    """SIGKILL a spawned ansible-playbook and every process it forked, then reap it.

    Ansible's workers start sessions of their own (setsid), so neither the terminal nor a
    process-group kill reaches them: a worker left behind would wait at its prompt
    forever. Reaping matters too: until then the dead pid is a zombie and looks alive.
    """
    for pid in [*descendants(child.pid), child.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    child.close(force=True)


def finish(child) -> tuple[int, str]:
    """Wait for a spawned playbook to end; its exit status and whole transcript."""
    expect(child, pexpect.EOF, timeout=60)
    child.close()
    return child.exitstatus, child.logfile_read.getvalue()


@pytest.fixture
def workflow(aws_env, clean_moto, tmp_path) -> Workflow:
    flow = Workflow(aws_env, clean_moto, tmp_path)
    yield flow
    flow.stop_children()
