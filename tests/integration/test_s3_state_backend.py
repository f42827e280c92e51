"""Two machines, one S3 state backend: runs that outlive the machine that started them.

"Machine A" and "machine B" are two working directories, each with its own state_dir
(for the S3 backend only a cache) and nothing else in common but the backend bucket,
which lives in a tooling account distinct from the plan's sandbox account. A gives the
backend on the command line (-e state_backend=...), B through its environments file.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from moto_harness import ansible_bin, latest_report_name, output_of, run_playbook, spawn_playbook
from workflow_support import (
    ACCOUNT, ALL_FOUR, APPROVAL_WAITING, ENVIRONMENTS, EXECUTE, FAILURE_WAITING, PROFILE, ROLLBACK, expect,
    four_steps, kill_tree, unwrapped, workflow)
from test_workflow_interactive import approve_and_pass_checkpoint

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

TOOLING = "444455556666"
TOOLING_PROFILE = "tooling-state"
BUCKET = "coworker-state-444455556666"
RUNS_PLAYBOOK = EXECUTE.parent / "runs.yml"


class Machine:
    """A working directory of its own; the S3 backend is the only state it shares."""

    def __init__(self, workflow, name, backend, via_file):
        self.workflow = workflow
        self.root = workflow.tmp / name
        self.root.mkdir()
        self.state_dir = self.root / ".coworker"
        self.environments = self.root / "environments.yml"
        text = ENVIRONMENTS
        if via_file:
            text += "state_backend: %s\n" % json.dumps(backend)
        self.environments.write_text(text)
        self.backend_args = [] if via_file else ["-e", json.dumps({"state_backend": backend})]

    def args(self, playbook, *extra):
        return [playbook, "-e", f"environments_file={self.environments}", "-e", f"state_dir={self.state_dir}",
                "-e", f"aws_profile={PROFILE}", *self.backend_args, *extra]

    def run(self, playbook, *extra):
        return run_playbook(self.args(playbook, *extra), self.workflow.env(), self.root)

    def spawn(self, playbook, *extra):
        child = spawn_playbook(self.args(playbook, *extra), self.workflow.env(), self.root)
        self.workflow.children.append(child)
        return child

    def local_runs(self):
        runs = self.state_dir / "runs"
        return sorted(p.name for p in runs.iterdir()) if runs.exists() else []


@pytest.fixture
def shared(workflow):
    """(machine A, machine B, an S3 client of the tooling account)."""
    workflow.aws_env.add_account_profile(TOOLING_PROFILE, TOOLING)
    s3 = workflow.aws_env.boto3_session(TOOLING_PROFILE).client("s3")
    s3.create_bucket(Bucket=BUCKET)
    backend = {"type": "s3", "bucket": BUCKET, "prefix": "coworker", "region": "us-east-1",
               "profile": TOOLING_PROFILE, "account_id": TOOLING}
    return Machine(workflow, "machine-a", backend, via_file=False), Machine(workflow, "machine-b", backend, True), s3


def objects(s3, under=""):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="coworker/" + under)
    return sorted(item["Key"][len("coworker/"):] for page in pages for item in page.get("Contents", []))


def journal_of(s3, run_id):
    body = s3.get_object(Bucket=BUCKET, Key=f"coworker/runs/{run_id}/journal.jsonl")["Body"].read()
    return [json.loads(line) for line in body.splitlines()]


def report_of(s3, run_id, name=None):
    """The report of the run's latest pass (a resume or rollback writes its own, see run/passes.py)."""
    name = name or latest_report_name(journal_of(s3, run_id))
    return json.loads(s3.get_object(Bucket=BUCKET, Key=f"coworker/runs/{run_id}/{name}.json")["Body"].read())


def only_run(s3):
    runs = sorted({key.split("/")[1] for key in objects(s3, "runs/")})
    assert len(runs) == 1, runs
    return runs[0]


def crash_at_failure_prompt(workflow, machine, plan):
    """A runs the plan until put_c fails (/wf/c exists) and then dies (SIGKILL) at the "What now?" prompt."""
    child = machine.spawn(EXECUTE, "-e", f"plan={plan.path}")
    approve_and_pass_checkpoint(child)
    expect(child, FAILURE_WAITING)
    kill_tree(child)


def test_a_run_keeps_all_its_state_in_the_bucket_of_the_tooling_account(workflow, shared):
    machine_a, _machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    result = machine_a.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    assert result.returncode == 0, output_of(result)
    run_id = only_run(s3)
    assert objects(s3) == ["changelog.md", f"runs/{run_id}/approved-plan.yml", f"runs/{run_id}/journal-head.json",
                           f"runs/{run_id}/journal.jsonl", f"runs/{run_id}/report.json", f"runs/{run_id}/report.md"]
    assert report_of(s3, run_id)["status"] == "succeeded"
    assert run_id in s3.get_object(Bucket=BUCKET, Key="coworker/changelog.md")["Body"].read().decode()
    for key in objects(s3):
        assert s3.head_object(Bucket=BUCKET, Key="coworker/" + key)["ServerSideEncryption"] == "AES256"
    assert machine_a.local_runs() == []  # nothing of the run on the machine (its plan copy is a cache)
    assert f"s3://{BUCKET}/coworker/runs/{run_id}/report.md" in unwrapped(result.stdout)
    # the lock was released, and the target account holds no state object
    assert not [k for k in objects(s3) if k.startswith("locks/")]
    assert workflow.parameter_values() == ALL_FOUR


NO_VERSIONING = (f"state bucket {BUCKET} has no versioning: a deleted or overwritten journal cannot be restored; "
                 f"enable it with aws s3api put-bucket-versioning --bucket {BUCKET} --versioning-configuration "
                 f"""'{{"Status":"Enabled"}}' --expected-bucket-owner {TOOLING} --region us-east-1 """
                 f"--profile {TOOLING_PROFILE}")


def versioning_reads(calls):
    """The GetBucketVersioning requests of the state bucket, each checked to carry ExpectedBucketOwner."""
    reads = [c for c in calls if c.key == ("s3", "GetBucketVersioning") and BUCKET in c.url]
    assert all({k.lower(): v for k, v in c.headers.items()}.get("x-amz-expected-bucket-owner") == TOOLING
               for c in reads)
    return len(reads)


def test_a_run_on_an_unversioned_bucket_is_warned_and_on_a_versioned_one_is_not(workflow, shared):
    machine_a, machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    with workflow.moto.recording() as calls:
        stopped = machine_a.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}",
                                "-e", "on_failure=abort")
    assert stopped.returncode == 2, output_of(stopped)
    assert "[WARNING]: " + NO_VERSIONING in unwrapped(output_of(stopped))  # a warning: the run went on
    assert workflow.parameter_values() == {"/wf/a": "v1", "/wf/b": "v1", "/wf/c": "keep"}
    assert versioning_reads(calls) == 1  # once, when the run opened the backend to write
    listed = machine_b.run(RUNS_PLAYBOOK)  # reading and listing do not ask
    assert listed.returncode == 0 and "versioning" not in output_of(listed), output_of(listed)

    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    with workflow.moto.recording() as calls:
        rolled = machine_b.run(ROLLBACK, "-e", "run=last", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    assert "versioning" not in output_of(rolled)
    assert versioning_reads(calls) == 1
    assert workflow.parameter_values() == {"/wf/c": "keep"}

    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    again = machine_a.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}", "-e", "on_failure=abort")
    assert f"state bucket {BUCKET} has versioning suspended: a deleted or overwritten journal cannot be restored" \
        in unwrapped(output_of(again))


def test_a_second_run_of_the_plan_from_another_machine_is_refused_naming_the_holder(workflow, shared):
    machine_a, machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    child = machine_a.spawn(EXECUTE, "-e", f"plan={plan.path}")
    expect(child, APPROVAL_WAITING)  # A holds the lock while a person reads the plan
    run_a = only_run(s3)
    result = machine_b.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    kill_tree(child)

    text = unwrapped(output_of(result))
    assert result.returncode != 0
    assert (f"another run holds the lock s3://{BUCKET}/coworker/locks/{ACCOUNT}-us-east-1-wf.lock: run {run_a}"
            in text), text
    assert f"as arn:aws:sts::{TOOLING}:assumed-role/" in text and f"on {socket.gethostname()}" in text
    assert workflow.parameter_values() == {}
    assert only_run(s3) == run_a  # B started nothing


def test_a_run_killed_on_machine_a_is_rolled_back_from_machine_b(workflow, shared):
    machine_a, machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    before = workflow.snapshot()
    crash_at_failure_prompt(workflow, machine_a, plan)
    run_id = only_run(s3)
    assert set(workflow.parameter_values()) == {"/wf/a", "/wf/b", "/wf/c"}

    shown = machine_b.run(RUNS_PLAYBOOK)
    assert shown.returncode == 0, output_of(shown)
    assert f"{run_id}  aborted  wf  account {ACCOUNT} us-east-1" in shown.stdout

    result = machine_b.run(ROLLBACK, "-e", "run=last", "-e", f"approve={plan.digest}")
    assert result.returncode == 0, output_of(result)
    assert "took over the stale lock of run %s" % run_id in unwrapped(result.stdout)
    assert workflow.snapshot() == before  # /wf/a and /wf/b gone; the /wf/c that blocked put_c stays
    assert report_of(s3, run_id)["status"] == "rolled_back"
    assert latest_report_name(journal_of(s3, run_id)) == "report-rollback-1"
    assert report_of(s3, run_id, "report")["status"] == "aborted"  # what A's run said is never written over
    assert machine_b.local_runs() == []
    events = [e["event"] for e in journal_of(s3, run_id)]
    assert events.count("rollback_succeeded") == 2 and events[-1] == "run_finished"
    shown = machine_a.run(RUNS_PLAYBOOK, "-e", f"run={run_id}")  # the report, read from A again
    assert shown.returncode == 0 and f"# Run {run_id}: ROLLED BACK" in shown.stdout, output_of(shown)


def test_a_run_killed_on_machine_a_is_resumed_from_machine_b(workflow, shared):
    machine_a, machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    workflow.block_put_c()
    crash_at_failure_prompt(workflow, machine_a, plan)
    run_id = only_run(s3)
    workflow.unblock_put_c()
    plan.path.write_text(plan.path.read_text().replace("v1", "v2"))  # the user's file no longer matters

    result = machine_b.run(EXECUTE, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}")
    assert result.returncode == 0, output_of(result)
    assert workflow.parameter_values() == ALL_FOUR
    report = report_of(s3, run_id)
    assert report["status"] == "succeeded"
    sent = [e["step"] for e in journal_of(s3, run_id) if e["event"] == "call_started"]
    assert sent == ["put_a", "put_b", "put_c", "put_c", "put_d"]  # A's put_c failed; B ran only the rest
    assert not [k for k in objects(s3) if k.startswith("locks/")]


def test_a_stale_lock_is_taken_over_and_said_so(workflow, shared):
    _machine_a, machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    ended = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    holder = {"run_id": "20261130T000000Z-wf-dead00", "pid": 4242, "host": "laptop-that-died.example",
              "user": "alice", "since": "2026-11-30T00:00:00.000000Z", "lease_until": ended}
    s3.put_object(Bucket=BUCKET, Key=f"coworker/locks/{ACCOUNT}-us-east-1-wf.lock", Body=json.dumps(holder).encode())

    result = machine_b.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    assert result.returncode == 0, output_of(result)
    text = unwrapped(result.stdout)
    assert ("took over the stale lock of run 20261130T000000Z-wf-dead00 (pid 4242 on laptop-that-died.example, "
            f"since 2026-11-30T00:00:00.000000Z) (its lease ended at {ended})") in text, text
    run_id = only_run(s3)
    started = journal_of(s3, run_id)[0]
    assert "took over the stale lock" in started["lock_note"]
    assert workflow.parameter_values() == ALL_FOUR


def test_a_live_lease_from_another_host_is_respected(workflow, shared):
    _machine_a, machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    holder = {"run_id": "20261130T000000Z-wf-alive0", "pid": 4242, "host": "ci-runner-7.example",
              "user": "ci", "since": "2026-11-30T00:00:00.000000Z", "lease_until": until,
              "principal": "arn:aws:sts::444455556666:assumed-role/ci/runner-7"}
    s3.put_object(Bucket=BUCKET, Key=f"coworker/locks/{ACCOUNT}-us-east-1-wf.lock", Body=json.dumps(holder).encode())
    result = machine_b.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}",
                           "-e", "force_unlock=20261130T000000Z-wf-alive0")
    text = unwrapped(output_of(result))
    assert result.returncode != 0
    assert "force_unlock refused: run 20261130T000000Z-wf-alive0 is held from another host (ci-runner-7.example" in text
    assert workflow.parameter_values() == {} and objects(s3, "runs/") == []


def test_a_backend_bucket_of_another_account_is_refused_before_anything_is_written(workflow, shared):
    _machine_a, _machine_b, _s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    target_s3 = workflow.session.client("s3")
    target_s3.create_bucket(Bucket="state-in-the-target-account")  # not the tooling account's bucket
    wrong = {"type": "s3", "bucket": "state-in-the-target-account", "region": "us-east-1",
             "profile": TOOLING_PROFILE, "account_id": TOOLING}
    machine_c = Machine(workflow, "machine-c", wrong, via_file=False)
    result = machine_c.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    text = unwrapped(output_of(result))
    assert result.returncode != 0
    assert (f"state backend refused: bucket state-in-the-target-account is not a bucket of account {TOOLING} "
            f"(ListBuckets as arn:aws:sts::{TOOLING}:assumed-role/") in text, text
    assert target_s3.list_objects_v2(Bucket="state-in-the-target-account").get("KeyCount") == 0
    assert workflow.parameter_values() == {}


def test_an_ansible_runner_job_can_be_rolled_back_after_its_private_data_dir_is_gone(workflow, shared):
    """As AWX runs a job: a private data dir with env/extravars, deleted after the job."""
    _machine_a, machine_b, s3 = shared
    plan = workflow.write_plan("wf", four_steps())
    job = workflow.tmp / "awx-job-17"
    (job / "project").mkdir(parents=True)
    (job / "env").mkdir()
    (job / "project" / "execute.yml").write_text("- name: Execute\n  ansible.builtin.import_playbook: "
                                                 "coworker.aws.execute_nonprod\n")
    backend = {"type": "s3", "bucket": BUCKET, "prefix": "coworker", "region": "us-east-1",
               "profile": TOOLING_PROFILE, "account_id": TOOLING}
    (job / "env" / "extravars").write_text(json.dumps({
        "plan": str(plan.path), "approve": plan.digest[:12], "environments_file": str(machine_b.environments),
        "aws_profile": PROFILE, "state_backend": backend}))
    runner = ansible_bin("ansible-runner")
    env = dict(workflow.env(), PATH="%s:%s" % (runner.parent, os.environ.get("PATH", "")))  # as in an EE
    done = subprocess.run([str(runner), "run", str(job), "-p", "execute.yml"], env=env, cwd=workflow.tmp,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    assert (job / "project" / ".coworker").exists()  # the job's local state_dir: only the cache
    assert not (job / "project" / ".coworker" / "runs").exists()
    assert workflow.parameter_values() == ALL_FOUR
    shutil.rmtree(job)  # the execution environment is thrown away with everything in it

    result = machine_b.run(ROLLBACK, "-e", "run=last", "-e", f"approve={plan.digest}")
    assert result.returncode == 0, output_of(result)
    run_id = only_run(s3)
    assert report_of(s3, run_id)["status"] == "rolled_back"
    assert workflow.parameter_values() == {}
    changelog = s3.get_object(Bucket=BUCKET, Key="coworker/changelog.md")["Body"].read().decode()
    assert changelog.count(f"- Run: {run_id}") == 2  # the job's entry and the rollback's
