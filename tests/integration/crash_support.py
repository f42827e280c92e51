"""What the crash tests share (test_crash.py, test_crash_s3.py, test_signal_trials.py, test_wave_crash.py): a
three-phase plan on a sandbox account, the sandbox with its playbook runs, killing a run's whole process tree,
reading the journal it left, and recovering by rollback or resume."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import read_holder
from crash_kill import (  # noqa: F401  (re-exported)  # pylint: disable=unused-import
    crash, process_tree, tear_last_line, wait_until, whole_events)
from fault_proxy import FaultProxy
from moto_harness import (
    REPO_ROOT, AwsEnv, account_snapshot, ansible_bin, latest_report_name, mutating_calls, output_of,
    require_local_endpoint, run_playbook)


TRIALS = int(os.environ.get("COWORKER_CRASH_TRIALS") or 2)
SEED = int(os.environ.get("COWORKER_CRASH_SEED") or time.strftime("%Y%m%d", time.gmtime()))

ACCOUNT = "271828182845"        # sandbox: the plan's target
OTHER_SANDBOX = "271828182846"  # sandbox too, but not the plan's account
PRODUCTION = "314159265358"
PROFILE = "sandbox-crash"
PLAN_ID = "crash-durable"
EXECUTE = REPO_ROOT / "playbooks" / "execute_nonprod.yml"
ROLLBACK = REPO_ROOT / "playbooks" / "rollback_run.yml"

ENVIRONMENTS = f"""\
environments:
  sandbox: {{account_ids: ["{ACCOUNT}", "{OTHER_SANDBOX}"], account_aliases: ["*-sandbox"], profiles: ["sandbox-*"]}}
  development: {{account_aliases: ["*-dev"], profiles: ["dev-*"], regions: [us-east-1, us-west-2]}}
  test: {{account_aliases: ["*-test", "*-qa"], profiles: ["test-*", "qa-*"]}}
  staging: {{account_aliases: ["*-staging", "*-preprod"], profiles: ["staging-*"]}}
  production: {{account_ids: ["{PRODUCTION}"], account_aliases: ["*-prod", "*-production"], profiles: ["prod-*"]}}
unknown_environment: staging
"""

# ------------------------------------------------------------------------------ the plan
# Every resource is named in the plan, so each rollback works without any step's outputs.

LOGS, DATA, ROLE = f"crash-logs-{ACCOUNT}", f"crash-data-{ACCOUNT}", "crash-app-reader"
TAGS = {LOGS: "logging", DATA: "analytics"}
PARAMETERS = {"/crash/app/db_host": "db.sandbox.internal", "/crash/app/log_level": "debug",
              "/crash/app/feature_x": "on", "/crash/app/reader_role": ROLE}
TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
         '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')


def step(step_id: str, action: str, params: dict, validate: str, expect: list, rollback: str) -> dict:
    """A step whose validate and rollback calls name the same resource as the step."""
    name = {key: value for key, value in params.items() if key in ("Bucket", "Name", "RoleName")}
    return {"id": step_id, "description": f"{action} {', '.join(name.values())}", "action": action, "params": params,
            "validate": {"action": validate, "params": dict(name), "expect": expect},
            "rollback": {"action": rollback, "params": dict(name)}}  # copies: no YAML aliases


def bucket(step_id: str, name: str) -> dict:
    return step(step_id, "s3:CreateBucket", {"Bucket": name}, "s3:HeadBucket", [], "s3:DeleteBucket")


def bucket_tags(step_id: str, name: str) -> dict:
    return step(step_id, "s3:PutBucketTagging",
                {"Bucket": name, "Tagging": {"TagSet": [{"Key": "team", "Value": TAGS[name]}]}},
                "s3:GetBucketTagging", [f"TagSet[?Key=='team'].Value | [0] == '{TAGS[name]}'"],
                "s3:DeleteBucketTagging")


def parameter(step_id: str, name: str) -> dict:
    return step(step_id, "ssm:PutParameter",
                {"Name": name, "Value": PARAMETERS[name], "Type": "String", "Overwrite": False},
                "ssm:GetParameter", [f"Parameter.Value == '{PARAMETERS[name]}'"], "ssm:DeleteParameter")


def role(step_id: str, name: str) -> dict:
    return step(step_id, "iam:CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": TRUST},
                "iam:GetRole", [f"Role.RoleName == '{name}'"], "iam:DeleteRole")


PHASES = [
    ("Storage", [bucket("create_logs_bucket", LOGS), bucket_tags("tag_logs_bucket", LOGS),
                 bucket("create_data_bucket", DATA), bucket_tags("tag_data_bucket", DATA)]),
    ("Configuration", [parameter("put_db_host", "/crash/app/db_host"),
                       parameter("put_log_level", "/crash/app/log_level"),
                       parameter("put_feature_x", "/crash/app/feature_x")]),
    ("Access", [role("create_reader_role", ROLE), parameter("put_reader_role", "/crash/app/reader_role")]),
]
PHASE_OF = {s["id"]: name for name, steps in PHASES for s in steps}


def plan_document() -> dict:
    return {
        "format": "coworker.aws/plan-v1", "id": PLAN_ID, "name": "Crash test: buckets, parameters, role",
        "created": "2026-11-23T10:00:00Z",
        "target": {"environment": "sandbox", "account_id": ACCOUNT, "region": "us-east-1", "profile": PROFILE},
        "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:01:00Z", "findings": []},
        "risk": "Low",
        "phases": [{"name": name, "steps": steps} for name, steps in PHASES],
    }


def applied(snapshot: dict) -> dict:
    """The part of an account snapshot the plan is about."""
    return {"buckets": {name: snapshot["s3_buckets"].get(name, {}).get("tags") for name in TAGS},
            "parameters": {name: snapshot["ssm_parameters"].get(name, {}).get("value") for name in PARAMETERS},
            "role": ROLE in snapshot["iam_roles"]}


PLAN_APPLIED = {"buckets": {LOGS: {"team": "logging"}, DATA: {"team": "analytics"}},
                "parameters": PARAMETERS, "role": True}


# ------------------------------------------------------------------------- the sandbox

class Sandbox:
    """The sandbox account on moto, the approved plan, a state dir, and the playbook runs."""

    def __init__(self, aws_env: AwsEnv, moto_server, workdir: Path):
        self.aws_env, self.moto, self.tmp = aws_env, moto_server, workdir
        self.endpoint_url, self.proxy = None, None  # the runs' endpoint: moto, or a FaultProxy in front
        self.state_dir = workdir / "state"
        self.environments = workdir / "environments.yml"
        self.environments.write_text(ENVIRONMENTS)
        aws_env.add_account_profile(PROFILE, ACCOUNT)
        document = plan_document()
        document["approval"] = approval_block(document, "tester@example.com")
        self.digest = document["approval"]["plan_sha256"]
        self.plan = workdir / "plans" / f"{PLAN_ID}.yml"
        self.plan.parent.mkdir(exist_ok=True)
        self.plan.write_text(yaml.safe_dump(document, sort_keys=False))

    def args(self, playbook: Path, *extra: str, approve: bool = True) -> list:
        return [playbook, "-e", f"state_dir={self.state_dir}", "-e", f"environments_file={self.environments}",
                *(["-e", f"approve={self.digest}"] if approve else []), *extra]

    def env(self) -> dict:
        return self.aws_env.env(profile=PROFILE, endpoint_url=self.endpoint_url)

    def execute(self) -> subprocess.CompletedProcess:
        return run_playbook(self.args(EXECUTE, "-e", f"plan={self.plan}"), self.env(), self.tmp)

    def resume(self, run: str = "last") -> subprocess.CompletedProcess:
        return run_playbook(self.args(EXECUTE, "-e", f"resume={run}"), self.env(), self.tmp)

    def rollback(self, run: str = "last") -> subprocess.CompletedProcess:
        return run_playbook(self.args(ROLLBACK, "-e", f"run={run}"), self.env(), self.tmp)

    def start(self) -> subprocess.Popen:
        """Execute the plan in the background, in a session (and process group) of its own."""
        env = self.env()
        require_local_endpoint(env)
        with open(self.log(), "w") as log:
            return subprocess.Popen([str(ansible_bin()), *map(str, self.args(EXECUTE, "-e", f"plan={self.plan}"))],
                                    env=env, cwd=str(self.tmp), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)

    def log(self) -> Path:
        return self.tmp / "background-run.log"

    def snapshot(self) -> dict:
        """What exists in the account the profile's keys belong to."""
        return account_snapshot(self.aws_env.boto3_session(PROFILE))

    # -- what runs left behind

    def run_ids(self) -> list[str]:
        """Runs whose journal holds an event (what run=last / resume=last can find)."""
        runs = self.state_dir / "runs"
        return sorted(p.name for p in runs.iterdir() if read_events(p / "journal.jsonl")) if runs.is_dir() else []

    def only_run(self) -> str:
        ids = self.run_ids()
        assert len(ids) == 1, ids
        return ids[0]

    def journal(self, run_id: str) -> Path:
        return self.state_dir / "runs" / run_id / "journal.jsonl"

    def events(self) -> list[dict]:
        """The events of the only run so far; none before its run_started is written."""
        ids = self.run_ids()
        assert len(ids) <= 1, ids
        return read_events(self.journal(ids[0])) if ids else []

    def report(self, run_id: str) -> dict:
        """report.json of the run's latest pass (a resume or rollback writes its own)."""
        name = latest_report_name(read_events(self.journal(run_id)))
        return json.loads((self.state_dir / "runs" / run_id / f"{name}.json").read_text())

    def report_md(self, run_id: str) -> Path:
        return self.state_dir / "runs" / run_id / f"{latest_report_name(read_events(self.journal(run_id)))}.md"

    def lock_holders(self) -> list[dict]:
        folder = self.state_dir / "locks"
        backend = LocalBackend(str(self.state_dir))
        return [read_holder(backend, "locks/" + path.name) for path in sorted(folder.iterdir())] if folder.is_dir() else []


class HeldCall:
    """The first request of one operation waits inside the fault proxy, so a test can crash
    or interrupt the run while exactly that call is in flight. release() then sends it on to
    moto; unreleased, it never reaches AWS and is never answered."""

    def __init__(self, proxy: FaultProxy, service: str, operation: str):
        self.arrived, self._released = threading.Event(), threading.Event()
        take_fault = proxy.take_fault

        def holding_take_fault(svc: str, op: str):
            if (svc, op) == (service, operation) and not self.arrived.is_set():
                self.arrived.set()
                self._released.wait()  # no timeout: it must never reach a later test's moto
            return take_fault(svc, op)

        proxy.take_fault = holding_take_fault

    def wait(self, process: subprocess.Popen, log: Path) -> None:
        """Until the call is held; the run must still be alive then."""
        deadline = time.monotonic() + 120
        while not self.arrived.wait(0.05):
            assert process.poll() is None, "the run ended first:\n" + log.read_text()
            assert time.monotonic() < deadline, "the call was never made"

    def release(self) -> None:
        self._released.set()


def unwrapped(text: str) -> str:
    """Output with Ansible's line folding undone (every run of white space -> one space)."""
    return re.sub(r"\s+", " ", text)


def ways_out(run_id: str) -> list[str]:
    # The screen names the playbooks as they were run (here by absolute path) and adds the
    # non-default options; report.md keeps the short form. Both contain these.
    return [f"rollback_run.yml -e run={run_id}", f"execute_nonprod.yml -e resume={run_id}"]


def check(condition: bool, detail) -> None:
    assert condition, detail


def moment(events: list[dict]) -> tuple[str, str]:
    """(phase that was running, last event) when the run was killed, from its journal."""
    if not events:
        return "before the run", "-"
    last = events[-1]
    if last.get("step"):
        phase = PHASE_OF[last["step"]]
    elif last["event"] == "guard_passed":
        phase = PHASE_OF[last["steps"][0]]
    elif last["event"] == "checkpoint":
        phase = PHASES[int(last["segment"])][0]
    else:
        phase = "after the run" if last["event"] == "run_finished" else "setup"
    return phase, last["event"]


# ------------------------------------------------------------------------------ recovery

class Diagnosis:
    """What a failed recovery shows: the journal up to the kill and what moto holds."""

    def __init__(self, sandbox: Sandbox, events: list[dict], before: dict):
        self.sandbox, self.events, self.before = sandbox, events, before
        self.after_crash = applied(sandbox.snapshot())

    def __call__(self, result: subprocess.CompletedProcess) -> str:
        now = self.sandbox.snapshot()
        tail = [{k: e[k] for k in ("ts", "event", "step", "cli") if e.get(k)} for e in self.events[-6:]]
        return "\n".join(["journal before the kill (last events):", *map(json.dumps, tail),
                          f"plan resources after the kill: {self.after_crash}",
                          f"plan resources now: {applied(now)}",
                          f"account differs from before the run: {now != self.before}",
                          "output of the recovery:", output_of(result)[-6000:]])


def roll_back_after_crash(sandbox: Sandbox, events: list[dict], why: Diagnosis):
    """rollback_run.yml -e run=last: the account must be exactly as before the run."""
    with sandbox.moto.recording() as calls:
        result = sandbox.rollback()
    if not events:  # killed before run_started: there is no run, and nothing was changed
        assert result.returncode != 0, why(result)
        assert "no runs under" in unwrapped(output_of(result)), why(result)
        assert mutating_calls(calls) == [], why(result)
        assert sandbox.snapshot() == why.before, why(result)
        return None
    assert result.returncode == 0, why(result)
    assert sandbox.report(sandbox.only_run())["status"] == "rolled_back", why(result)
    assert sandbox.snapshot() == why.before, why(result)
    return result


def resume_after_crash(sandbox: Sandbox, events: list[dict], why: Diagnosis):
    """execute_nonprod.yml -e resume=last (the plan afresh when no run was journaled): the
    plan completes with every step validated; then rollback_run.yml cleans up."""
    result = sandbox.resume() if events else sandbox.execute()
    assert result.returncode == 0, why(result)
    report = sandbox.report(sandbox.only_run())
    assert report["status"] == "succeeded", why(result)
    assert {s["id"]: s["validation"] for s in report["steps"]} == dict.fromkeys(PHASE_OF, "passed"), why(result)
    assert applied(sandbox.snapshot()) == PLAN_APPLIED, why(result)
    cleanup = sandbox.rollback()
    assert cleanup.returncode == 0, why(cleanup)
    assert sandbox.snapshot() == why.before, why(cleanup)
    return result


RECOVER = {"rollback": roll_back_after_crash, "resume": resume_after_crash}


def expect_stale_lock_note(request, result: subprocess.CompletedProcess, holder: dict, run_ids: list[str]):
    """The recovery took the killed run's lock over and said so."""
    lock_lines = [line for line in output_of(result).splitlines() if "lock" in line]
    check(f"took over the stale lock of run {holder['run_id']} (pid {holder['pid']}" in unwrapped(output_of(result)),
          f"lock left by the killed run: {holder}; output: {lock_lines}")


# ------------------------------------------------------------------------------ fixtures

@pytest.fixture
def sandbox(aws_env, clean_moto, tmp_path) -> Sandbox:
    return Sandbox(aws_env, clean_moto, tmp_path)


def time_full_run(sandbox_class, moto_server, tmp_path_factory, label: str) -> float:
    """How long one uninterrupted run of the plan takes here, from start to exit (moto reset around it)."""
    moto_server.reset()
    workdir = tmp_path_factory.mktemp(label.lower())
    sandbox = sandbox_class(AwsEnv(moto_server.url, workdir), moto_server, workdir)
    started = time.monotonic()
    process = sandbox.start()
    assert process.wait(timeout=300) == 0, sandbox.log().read_text()
    seconds = time.monotonic() - started
    assert applied(sandbox.snapshot()) == PLAN_APPLIED
    moto_server.reset()
    print(f"\n{label} seconds={seconds:.2f} seed={SEED}")
    return seconds


@pytest.fixture(scope="module")
def full_run_seconds(moto_server, tmp_path_factory) -> float:
    return time_full_run(Sandbox, moto_server, tmp_path_factory, "CRASH-FULL-RUN")


@pytest.fixture
def held_sandbox(sandbox, fault_proxy) -> Sandbox:
    """The sandbox with every call of the runs going through the fault proxy."""
    sandbox.endpoint_url = fault_proxy.url
    sandbox.proxy = fault_proxy
    return sandbox
