"""Durable runs: a run that dies at any moment can be rolled back or resumed.

A crash (a lost laptop, a dead terminal) is simulated by SIGKILL to the run's whole
process tree at a random moment of a three-phase plan; then the run is either rolled back
(the account must equal its snapshot from before the run) or resumed (the plan must
complete, every step validated, and is then rolled back). A call in flight at the crash,
Ctrl-C, a second process on the same run, and resume/rollback with an edited plan,
another account or production are tested deterministically.

COWORKER_CRASH_TRIALS sets the number of random trials (default 2), COWORKER_CRASH_SEED
the seed (default: today's UTC date as YYYYMMDD, so that pytest-xdist workers agree).
Each trial prints a "CRASH-TRIAL" line (see it with -s): seed, kill moment, the journal's
last event before the kill, the phase that was running, the recovery. To replay a trial
use the same seed and -k trial<N>; the kill moment is a fraction of a full run measured on
this machine, so elsewhere the same fraction lands in the same part of the run only roughly.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
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
from fault_proxy import FaultProxy
from moto_harness import (
    REPO_ROOT, AwsEnv, account_snapshot, ansible_bin, descendants, latest_report_name, mutating_calls, output_of,
    require_local_endpoint, run_playbook, spawn_playbook)

pytestmark = pytest.mark.integration

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


# ------------------------------------------------------------------------------ killing

def process_tree(root: int) -> list[int]:
    """root and every live process below it."""
    return [root] + descendants(root)


def crash(pid: int) -> None:
    """SIGKILL the run's process group and every process below it at once, as a crash does.

    os.killpg alone is not a crash: ansible-core's WorkerProcess calls os.setsid(), so the
    worker running a step lives in a session of its own, survives its parent and goes on
    calling AWS (test_killing_the_playbooks_process_group_stops_its_worker). The tree is
    frozen first (SIGSTOP until no new process appears) so that nothing forks meanwhile.
    """
    stopped: set[int] = set()
    while new := set(process_tree(pid)) - stopped:
        for each in new:
            _signal(each, signal.SIGSTOP)
        stopped |= new
    _signal(-pid, signal.SIGKILL)  # the process group: os.killpg(pid, SIGKILL)
    for each in stopped:
        _signal(each, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def whole_events(path: Path) -> list[dict]:
    """The journal after a crash: every complete line is an event and read_events returns
    exactly those; a torn last line (no newline) is left out."""
    *complete, _torn = path.read_bytes().split(b"\n")
    events = read_events(path)
    assert events == [json.loads(line) for line in complete], path.read_text()
    return events


def tear_last_line(path: Path) -> None:
    """Append half of the last event without its newline: what a crash mid-write leaves."""
    last = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    with open(path, "ab") as handle:
        handle.write(last[: len(last) // 2])


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


# --------------------------------------------------------------------------- crash trials

@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda n: f"trial{n}")
def test_a_run_killed_at_a_random_moment_is_rolled_back_or_resumed(sandbox, full_run_seconds, trial, request):
    fraction = random.Random(f"{SEED}/{trial}").random()
    recovery = ("rollback", "resume")[trial % 2]
    torn = trial % 3 == 2  # every third trial also finds a torn last line in the journal
    before = sandbox.snapshot()

    process = sandbox.start()
    time.sleep(fraction * full_run_seconds)
    crash(process.pid)
    process.wait(timeout=60)

    run_ids = sandbox.run_ids()
    events = whole_events(sandbox.journal(run_ids[0])) if run_ids else []
    phase, last_event = moment(events)
    holders = sandbox.lock_holders()
    print(f"\nCRASH-TRIAL seed={SEED} trial={trial} fraction={fraction:.3f} "
          f"delay={fraction * full_run_seconds:.2f}s full_run={full_run_seconds:.2f}s "
          f"last_event={last_event} phase={phase!r} recovery={recovery} torn={torn and bool(events)} "
          f"stale_lock={bool(holders)}")
    if torn and events:
        tear_last_line(sandbox.journal(run_ids[0]))
        assert whole_events(sandbox.journal(run_ids[0])) == events

    recovered = RECOVER[recovery](sandbox, events, Diagnosis(sandbox, events, before))

    if recovered is not None and holders:
        assert sandbox.lock_holders() == []
        expect_stale_lock_note(request, recovered, holders[0], run_ids)


@pytest.mark.parametrize("recovery", ["rollback", "resume"])
def test_a_run_killed_while_aws_applies_a_call_whose_answer_is_lost_is_recovered(held_sandbox, recovery):
    sandbox = held_sandbox
    before = sandbox.snapshot()
    held = HeldCall(sandbox.proxy, "ssm", "PutParameter")  # put_db_host, first of its phase
    process = sandbox.start()
    held.wait(process, sandbox.log())
    crash(process.pid)
    process.wait(timeout=60)
    held.release()  # AWS applies the call; nobody is left to hear the answer
    wait_until(lambda: applied(sandbox.snapshot())["parameters"]["/crash/app/db_host"], "db_host exists")

    events = whole_events(sandbox.journal(sandbox.only_run()))
    assert (events[-1]["event"], events[-1]["step"]) == ("call_started", "put_db_host")
    RECOVER[recovery](sandbox, events, Diagnosis(sandbox, events, before))


# ---------------------------------------------------- what resume and rollback refuse

def crash_after_storage(sandbox: Sandbox) -> str:
    """Run the plan, crash it once its first phase is done; returns the run id."""
    process = sandbox.start()
    wait_until(lambda: any(e["event"] == "step_succeeded" and e["step"] == "tag_data_bucket"
                           for e in sandbox.events()) or process.poll() is not None, "Storage is done")
    crash(process.pid)
    assert process.wait(timeout=60) != 0
    return sandbox.only_run()


def test_resume_refuses_another_account(sandbox):
    crash_after_storage(sandbox)
    crashed = sandbox.snapshot()
    sandbox.aws_env.rewrite_profile(PROFILE, OTHER_SANDBOX)  # the plan still targets ACCOUNT
    seen_by_profile = sandbox.snapshot()

    with sandbox.moto.recording() as calls:
        refused = sandbox.resume()

    assert refused.returncode != 0
    assert (f"Refused: the plan was approved for account {ACCOUNT}, but the credentials belong to account "
            f"{OTHER_SANDBOX}") in unwrapped(output_of(refused))
    assert mutating_calls(calls) == []
    assert sandbox.snapshot() == seen_by_profile
    sandbox.aws_env.rewrite_profile(PROFILE, ACCOUNT)
    assert sandbox.snapshot() == crashed


def test_resume_after_the_plan_file_was_edited_runs_the_approved_copy(sandbox):
    run_id = crash_after_storage(sandbox)
    sandbox.plan.write_text(sandbox.plan.read_text().replace("Crash test:", "Crash test (edited):"))

    resumed = sandbox.resume()

    assert resumed.returncode == 0, output_of(resumed)
    report = sandbox.report(run_id)
    assert report["status"] == "succeeded" and "(edited)" not in report["plan"]["name"]
    assert applied(sandbox.snapshot()) == PLAN_APPLIED


def test_rollback_run_refuses_production_and_the_run_stays_recoverable(sandbox):
    before = sandbox.snapshot()
    run_id = crash_after_storage(sandbox)
    crashed = sandbox.snapshot()
    sandbox.aws_env.rewrite_profile(PROFILE, PRODUCTION)

    with sandbox.moto.recording() as calls:
        refused = sandbox.rollback()

    assert refused.returncode != 0
    assert (f"STOPPING: this collection executes in non-production only. Detected environment: production "
            f"(account {PRODUCTION}") in unwrapped(output_of(refused))
    assert mutating_calls(calls) == []
    assert sandbox.snapshot() == before  # the production account is untouched
    sandbox.aws_env.rewrite_profile(PROFILE, ACCOUNT)
    assert sandbox.snapshot() == crashed
    rolled_back = sandbox.rollback(run_id)  # with the sandbox keys again
    assert rolled_back.returncode == 0, output_of(rolled_back)
    assert sandbox.snapshot() == before


# ------------------------------------------------------------------------------- Ctrl-C

def interrupt_during(sandbox: Sandbox, service: str, operation: str) -> tuple[str, str, list[dict]]:
    """Ctrl-C (SIGINT to the run's process group, as the terminal sends it) while the first
    service:operation call is in flight; returns the run id, the output and the journal."""
    held = HeldCall(sandbox.proxy, service, operation)
    process = sandbox.start()
    held.wait(process, sandbox.log())
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) != 0
    run_id = sandbox.only_run()
    return run_id, unwrapped(sandbox.log().read_text()), read_events(sandbox.journal(run_id))


def test_ctrl_c_leaves_a_report_that_names_rollback_and_resume(held_sandbox):
    run_id, shown, _events = interrupt_during(held_sandbox, "ssm", "PutParameter")  # put_db_host

    started = shown[:shown.index("Run put_db_host")]  # printed before the interrupt
    assert all(command in started for command in ways_out(run_id)), started
    report = held_sandbox.report_md(run_id).read_text()
    assert f"# Run {run_id}: ABORTED" in report
    assert all(command in unwrapped(report) for command in ways_out(run_id)), report
    assert "its last known state" in report
    for step_id in ("create_logs_bucket", "tag_logs_bucket", "create_data_bucket", "tag_data_bucket"):
        assert f"| {step_id} | Storage | succeeded | passed |" in report


@pytest.mark.parametrize("service, operation, step_id", [
    ("s3", "CreateBucket", "create_logs_bucket"), ("ssm", "PutParameter", "put_db_host"),
], ids=["first-phase", "later-phase"])
def test_after_ctrl_c_the_report_shows_the_call_in_flight(held_sandbox, service, operation, step_id):
    run_id, _shown, events = interrupt_during(held_sandbox, service, operation)
    assert (events[-1]["event"], events[-1]["step"]) == ("call_started", step_id)

    report_md = held_sandbox.report_md(run_id)
    check(report_md.exists(), sorted(p.name for p in report_md.parent.iterdir()))
    assert all(command in unwrapped(report_md.read_text()) for command in ways_out(run_id))
    statuses = {s["id"]: s["status"] for s in held_sandbox.report(run_id)["steps"]}
    check(statuses[step_id] != "not_run", statuses)


# ------------------------------------------------------------- one run at a time, really

def test_killing_the_playbooks_process_group_stops_its_worker(held_sandbox):
    sandbox = held_sandbox
    held = HeldCall(sandbox.proxy, "s3", "CreateBucket")  # create_logs_bucket, first of its batch
    process = sandbox.start()
    held.wait(process, sandbox.log())
    tree = process_tree(process.pid)
    with sandbox.moto.recording() as calls:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        seen = len(sandbox.events())
        held.release()
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in tree), "the tree is gone")

    started_after_kill = [e["step"] for e in sandbox.events()[seen:] if e["event"] == "call_started"]
    check(started_after_kill == [], f"the orphaned worker started {started_after_kill}")
    # Only the call that was in flight at the kill (held, then released) may reach AWS.
    check(mutating_calls(calls) == [("s3", "CreateBucket")], mutating_calls(calls))


def test_a_run_cannot_be_rolled_back_while_its_resume_is_alive(sandbox):
    run_id = crash_after_storage(sandbox)
    crashed = sandbox.snapshot()
    # A person resumes the run and has not answered the approval prompt yet: it holds the lock.
    resuming = spawn_playbook(sandbox.args(EXECUTE, "-e", "resume=last", approve=False), sandbox.env(),
                              sandbox.tmp)
    try:
        resuming.expect_exact("Do you approve execution? (yes/no):", timeout=120)
        assert [(h["run_id"], h["pid"]) for h in sandbox.lock_holders()] == [(run_id, resuming.pid)]
        with sandbox.moto.recording() as calls:
            second = sandbox.rollback(run_id)
    finally:
        crash(resuming.pid)
        resuming.close(force=True)

    check(second.returncode != 0 and "another run holds the lock" in unwrapped(output_of(second)),
          f"a second process rolled back run {run_id}: {mutating_calls(calls)}")
    assert mutating_calls(calls) == []
    assert sandbox.snapshot() == crashed
