"""The S3 state backend against an in-process moto server: owner check, SSE and
ExpectedBucketOwner on every request, conditional-write locks with leases, the journal."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.run import listing, lock
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import wave_report
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import open_backend, validate
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.s3 import S3Backend, StateBackendError
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import JournalLost
from ansible_collections.coworker.aws.plugins.module_utils.run.report import write_report

OWNER = "123456789012"  # moto's account for unknown keys (the endpoint and s3 fixtures: conftest.py)
BUCKET = "coworker-state-tooling"


def config(**extra):
    return validate(dict({"type": "s3", "bucket": BUCKET, "prefix": "team/a", "region": "us-east-1",
                          "account_id": OWNER}, **extra))


def recorded(backend):
    """Every S3 request's parameters, as botocore is about to send them."""
    seen = []
    backend.client.meta.events.register("provide-client-params.s3.*",
                                        lambda params, model, **kw: seen.append((model.name, dict(params))))
    return seen


@pytest.mark.parametrize("value, field", [
    ({"type": "s4"}, "state_backend.type"),
    ({"type": "s3", "region": "us-east-1", "account_id": OWNER}, "state_backend.bucket"),
    ({"type": "s3", "bucket": "b", "region": "us-east-1", "account_id": "12"}, "state_backend.account_id"),
    ({"type": "s3", "bucket": "b", "region": "us-east-1", "account_id": OWNER, "aws_secret_access_key": "x"},
     "state_backend.aws_secret_access_key"),
    ({"type": "s3", "bucket": "b", "region": "us-east-1", "account_id": OWNER, "prefix": "a/../b"},
     "state_backend.prefix"),
    ({"type": "s3", "bucket": "b", "region": "us-east-1", "account_id": OWNER, "sse": "none"}, "state_backend.sse"),
    ("s3://bucket", "state_backend"),
])
def test_a_bad_configuration_is_refused_naming_the_field(value, field):
    with pytest.raises(ConfigError, match="the state_backend option: %s: " % field.replace(".", r"\.")):
        validate(value)


def test_no_option_and_no_file_means_local(tmp_path):
    backend = open_backend(str(tmp_path), None, str(tmp_path / "missing.yml"))
    assert backend.kind == "local" and backend.state_dir == str(tmp_path)


def test_the_environments_file_names_the_backend(tmp_path):
    path = tmp_path / "environments.yml"
    path.write_text("environments: {sandbox: {account_ids: ['%s']}}\nstate_backend: {type: s3, bucket: %s, "
                    "region: us-east-1, account_id: '%s', lock_lease_seconds: 0}\n" % (OWNER, BUCKET, OWNER))
    with pytest.raises(ConfigError, match=r"environments.yml: state_backend\.lock_lease_seconds"):
        open_backend(str(tmp_path), None, str(path))
    path.write_text(path.read_text().replace("lock_lease_seconds: 0", "prefix: x"))
    backend = open_backend(str(tmp_path), None, str(path))
    assert isinstance(backend, S3Backend) and backend.location("runs") == "s3://%s/x/runs" % BUCKET


def test_every_request_names_the_owner_and_every_object_is_encrypted(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    seen = recorded(backend)
    backend.put("changelog.md", b"a")
    backend.append("changelog.md", b"b")
    backend.create("runs/r1/approved-plan.yml", b"plan")
    assert backend.get("changelog.md") == b"ab" and backend.list("runs") == ["r1"]
    assert lock.acquire(backend, "locks/x.lock", "r1", 1) is None
    assert lock.release(backend, "locks/x.lock", "r1")
    names = {name for name, _params in seen}
    assert {"PutObject", "GetObject", "ListObjectsV2", "DeleteObject"} <= names
    assert all(params.get("ExpectedBucketOwner") == OWNER for _name, params in seen)
    assert all(params.get("ServerSideEncryption") == "AES256" for name, params in seen if name == "PutObject")
    head = s3.head_object(Bucket=BUCKET, Key="team/a/changelog.md")
    assert head["ServerSideEncryption"] == "AES256"


def test_versioning_is_read_once_with_the_owner_and_anything_but_enabled_is_warned(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    seen = recorded(backend)
    assert backend.versioning_warning() == (
        "state bucket %s has no versioning: a deleted or overwritten journal cannot be restored; enable it with "
        "aws s3api put-bucket-versioning --bucket %s --versioning-configuration '{\"Status\":\"Enabled\"}' "
        "--expected-bucket-owner %s --region us-east-1" % (BUCKET, BUCKET, OWNER))
    assert seen == [("GetBucketVersioning", {"Bucket": BUCKET, "ExpectedBucketOwner": OWNER})]
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    assert backend.versioning_warning().startswith("state bucket %s has versioning suspended: " % BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    assert backend.versioning_warning() is None
    assert open_backend(str(tmp_path)).versioning_warning() is None  # local: it keeps its own journal copies


def test_a_versioning_read_that_is_refused_is_a_warning_not_a_stop(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    denied = {"Error": {"Code": "AccessDenied", "Message": "no s3:GetBucketVersioning"},
              "ResponseMetadata": {"HTTPStatusCode": 403}}
    backend.client.meta.events.register("before-call.s3.GetBucketVersioning", lambda **kw: (
        AWSResponse("https://s3", 403, {}, None), denied))
    warning = backend.versioning_warning()
    assert warning.startswith("cannot tell whether state bucket %s keeps versions (" % BUCKET), warning
    assert "AccessDenied" in warning and "cannot be restored" in warning


def test_a_bucket_the_account_does_not_own_is_refused_before_any_object(s3, tmp_path, endpoint):
    creds = boto3.client("sts", endpoint_url=endpoint).assume_role(
        RoleArn="arn:aws:iam::111111111111:role/Other", RoleSessionName="t1")["Credentials"]
    other = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    other.create_bucket(Bucket="someone-elses-state")
    backend = S3Backend(config(bucket="someone-elses-state"), str(tmp_path))
    with pytest.raises(StateBackendError, match="bucket someone-elses-state is not a bucket of account %s" % OWNER):
        backend.put("changelog.md", b"x")
    assert other.list_objects_v2(Bucket="someone-elses-state").get("KeyCount") == 0


def test_a_second_run_is_refused_naming_the_holder_and_its_principal(s3, tmp_path):
    first, second = S3Backend(config(), str(tmp_path / "a")), S3Backend(config(), str(tmp_path / "b"))
    assert lock.acquire(first, "locks/x.lock", "run-a", 1) is None
    with pytest.raises(lock.LockHeld, match=r"run run-a by \S+ as arn:aws:sts::%s:user/moto on %s" % (
            OWNER, socket.gethostname())):
        lock.acquire(second, "locks/x.lock", "run-b", 2)
    holder = json.loads(s3.get_object(Bucket=BUCKET, Key="team/a/locks/x.lock")["Body"].read())
    assert holder["run_id"] == "run-a" and holder["principal"] == "arn:aws:sts::%s:user/moto" % OWNER


def test_a_lock_whose_lease_ended_is_taken_over_and_said_so(s3, tmp_path):
    backend = S3Backend(config(lock_lease_seconds=1), str(tmp_path))
    dead = {"run_id": "run-a", "pid": 1, "host": "elsewhere.example", "user": "u", "since": "2026-01-01T00:00:00Z",
            "lease_until": lock._lease_end(1, time.time() - 10)}
    s3.put_object(Bucket=BUCKET, Key="team/a/locks/x.lock", Body=json.dumps(dead).encode())
    note = lock.acquire(backend, "locks/x.lock", "run-b", 2)
    assert "took over the stale lock of run run-a (pid 1 on elsewhere.example" in note
    assert "its lease ended at %s" % dead["lease_until"] in note
    # the old holder, should it wake up, finds its lock gone and stops
    with pytest.raises(lock.LockHeld, match="run run-a no longer holds its lock .*run run-b took it over"):
        lock.renew(backend, "locks/x.lock", "run-a")


def test_a_live_lease_is_not_taken_over(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    alive = {"run_id": "run-a", "pid": 1, "host": "elsewhere.example", "user": "u", "since": "2026-01-01T00:00:00Z",
             "lease_until": lock._lease_end(600)}
    s3.put_object(Bucket=BUCKET, Key="team/a/locks/x.lock", Body=json.dumps(alive).encode())
    with pytest.raises(lock.LockHeld, match="another run holds the lock s3://%s/team/a/locks/x.lock" % BUCKET):
        lock.acquire(backend, "locks/x.lock", "run-b", 2)
    with pytest.raises(lock.LockHeld, match="force_unlock refused: run run-a is held from another host"):
        lock.acquire(backend, "locks/x.lock", "run-b", 2, force_unlock="run-a")


def started_event(run_id="20261130T000000Z-p-aaaaaa"):
    return dict(plan_id="p", account_id="210987654321", region="us-east-1", dry_run=False)


def start_run(backend, run_id):
    """A run as run_journal op=start leaves it: its lock taken by this ansible-playbook (our parent) and its
    journal begun; the lock's key."""
    key = lock.lock_key("210987654321", "us-east-1", "p")
    lock.acquire(backend, key, run_id, os.getppid())
    with backend.journal(run_id, create=True) as journal:
        journal.append("run_started", **started_event())
    return key


def test_a_process_alive_on_this_host_keeps_its_lock_past_its_lease(s3, tmp_path):
    """A run waiting at a prompt longer than the lease is alive: a second pass on the same machine may not take
    its lock; once its process is gone, it may."""
    backend = S3Backend(config(lock_lease_seconds=1), str(tmp_path))
    waiting = {"run_id": "run-a", "pid": os.getpid(), "host": socket.gethostname(), "user": "u",
               "since": "2026-01-01T00:00:00Z", "lease_until": lock._lease_end(1, time.time() - 10)}
    s3.put_object(Bucket=BUCKET, Key="team/a/locks/x.lock", Body=json.dumps(waiting).encode())
    with pytest.raises(lock.LockHeld, match="another run holds the lock"):
        lock.acquire(backend, "locks/x.lock", "run-b", 2)
    dead = dict(waiting, pid=_exited_pid())
    s3.put_object(Bucket=BUCKET, Key="team/a/locks/x.lock", Body=json.dumps(dead).encode())
    assert "took over the stale lock of run run-a" in lock.acquire(backend, "locks/x.lock", "run-b", 2)


def _exited_pid():
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_pass_whose_lock_another_pass_of_the_same_run_took_over_stops(s3, tmp_path):
    """Machine A's pass waited past its lease; machine B resumed the same run and took the lock: when A goes on,
    its next journal write finds the lock is not its own (same run id, other process) and stops."""
    backend = S3Backend(config(), str(tmp_path))
    run_id = "20261130T000000Z-p-dddddd"
    key = start_run(backend, run_id)
    holder = lock.read_holder(backend, key)
    assert (holder["pid"], holder["host"]) == (os.getppid(), socket.gethostname())
    other_pass = dict(holder, pid=4242, host="machine-b.example", since="2026-11-30T10:00:00Z")
    s3.put_object(Bucket=BUCKET, Key="team/a/" + key, Body=json.dumps(other_pass).encode())
    with pytest.raises(lock.LockHeld, match="another pass of run %s took its lock over .*pid 4242 on "
                       "machine-b.example" % run_id):
        backend.journal(run_id)
    assert lock.read_holder(backend, key) == other_pass  # left as the other pass holds it


def test_renewal_pushes_the_lease_with_if_match(s3, tmp_path):
    backend = S3Backend(config(lock_lease_seconds=30), str(tmp_path))
    lock.acquire(backend, "locks/x.lock", "run-a", 1)
    before = lock.read_holder(backend, "locks/x.lock")["lease_until"]
    time.sleep(1.1)
    lock.renew(backend, "locks/x.lock", "run-a")
    assert lock.read_holder(backend, "locks/x.lock")["lease_until"] > before
    data, version = backend.lock_read("locks/x.lock")
    s3.put_object(Bucket=BUCKET, Key="team/a/locks/x.lock", Body=data)  # changed under us: the ETag we hold is old
    assert not backend.lock_replace("locks/x.lock", b"{}", '"0000"')
    assert not backend.lock_delete("locks/x.lock", '"0000"')
    assert backend.lock_delete("locks/x.lock", backend.lock_read("locks/x.lock")[1])


def test_the_journal_is_in_s3_when_append_returns(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    run_id = "20261130T000000Z-p-aaaaaa"
    lock.acquire(backend, lock.lock_key("210987654321", "us-east-1", "p"), run_id, os.getppid())
    with backend.journal(run_id, create=True) as journal:
        journal.append("run_started", **started_event())
        journal.append("call_started", step="s1", mutating=True)
        stored = s3.get_object(Bucket=BUCKET, Key="team/a/runs/%s/journal.jsonl" % run_id)["Body"].read()
        assert [json.loads(line)["event"] for line in stored.splitlines()] == ["run_started", "call_started"]
    assert [e["event"] for e in backend.events(run_id)] == ["run_started", "call_started"]
    assert backend.find_run("last") == run_id and backend.run_ids() == [run_id]
    with pytest.raises(JournalLost, match="already has a journal"):
        backend.journal(run_id, create=True)


def test_a_journal_changed_under_its_writer_stops_it(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    run_id = "20261130T000000Z-p-bbbbbb"
    start_run(backend, run_id)
    writer = backend.journal(run_id)
    other = S3Backend(config(), str(tmp_path / "b")).journal(run_id)
    other.append("note", text="another writer")
    with pytest.raises(JournalLost, match="changed under this run"):
        writer.append("call_started", step="s1")
    s3.delete_object(Bucket=BUCKET, Key="team/a/runs/%s/journal.jsonl" % run_id)
    with pytest.raises(JournalLost, match="is gone"):
        backend.journal(run_id)


def test_a_writer_whose_lock_was_taken_over_stops(s3, tmp_path):
    backend = S3Backend(config(lock_lease_seconds=3), str(tmp_path))
    run_id = "20261130T000000Z-p-cccccc"
    key = start_run(backend, run_id)
    s3.put_object(Bucket=BUCKET, Key="team/a/" + key, Body=json.dumps({"run_id": "someone-else"}).encode())
    with pytest.raises(lock.LockHeld, match="no longer holds its lock"):
        backend.journal(run_id)


PASS_PLAN = {"plan": {"id": "p", "name": "n", "created": "2026-11-30T00:00:00Z", "guardrail": {"status": "PASS"},
                      "target": {"environment": "sandbox", "region": "us-east-1"},
                      "steps": [{"id": "put_a", "phase": "one", "index": 1,
                                 "call": {"service": "ssm", "operation": "PutParameter"}}]},
             "path": "plan.yml", "sha256": "0" * 64}


def test_each_pass_writes_its_own_report_in_the_bucket_and_list_shows_the_latest(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    run_id = "20261130T000000Z-p-dddddd"
    first = [{"ts": "2026-11-30T00:00:00.000000Z", "event": "run_started", **started_event()}]
    s3.put_object(Bucket=BUCKET, Key="team/a/runs/%s/journal.jsonl" % run_id,
                  Body=b"".join(json.dumps(e).encode() + b"\n" for e in first))
    write_report(backend, run_id, PASS_PLAN, first, outcome="paused")
    original = s3.get_object(Bucket=BUCKET, Key="team/a/runs/%s/report.json" % run_id)["Body"].read()
    resumed = first + [{"ts": "2026-11-30T00:01:00.000000Z", "event": "run_resumed", "purpose": "rollback"}]
    s3.put_object(Bucket=BUCKET, Key="team/a/runs/%s/journal.jsonl" % run_id,
                  Body=b"".join(json.dumps(e).encode() + b"\n" for e in resumed))
    report, markdown = write_report(backend, run_id, PASS_PLAN, resumed)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="team/a/runs/%s/" % run_id)["Contents"]}
    assert {"team/a/runs/%s/%s" % (run_id, n) for n in ("report-rollback-1.json", "report-rollback-1.md")} <= keys
    assert s3.get_object(Bucket=BUCKET, Key="team/a/runs/%s/report.json" % run_id)["Body"].read() == original
    assert report["written_by"] == "rollback 1"
    run = listing.list_runs(backend, 5)[0][0]
    assert run["report"] == "s3://%s/team/a/runs/%s/report-rollback-1.md" % (BUCKET, run_id)
    assert listing.show_run(backend, run_id)[2] == markdown


def test_a_wave_report_reads_and_writes_the_bucket(s3, tmp_path):
    backend = S3Backend(config(), str(tmp_path))
    targets = [{"key": key, "account_id": "210987654321", "region": "us-east-1", "environment": "sandbox"}
               for key in ("done", "going", "later")]
    loaded = {"plan": {"id": "p", "targets": targets}, "path": "plan.yml", "sha256": "0" * 64}
    done = {"status": "succeeded", "steps_completed": 1, "steps_total": 1}
    backend.put("runs/w1-done/report.json", json.dumps(done).encode())
    s3.put_object(Bucket=BUCKET, Key="team/a/runs/w1-done/journal.jsonl",  # a run without a journal never started
                  Body=json.dumps({"ts": "2026-11-30T00:00:00.000000Z", "event": "run_started"}).encode() + b"\n")
    s3.put_object(Bucket=BUCKET, Key="team/a/runs/w1-going/journal.jsonl",
                  Body=json.dumps({"ts": "2026-11-30T00:00:00.000000Z", "event": "run_started"}).encode() + b"\n")
    report = wave_report(backend, "w1", loaded)
    assert [(r["target"], r["status"]) for r in report["rows"]] == [
        ("done", "succeeded"), ("going", "running"), ("later", "not_started")]
    assert report["rows"][0]["report"] == "s3://%s/team/a/runs/w1-done/report.json" % BUCKET
    assert report["report_dir"] == "s3://%s/team/a/waves/w1" % BUCKET
    stored = json.loads(s3.get_object(Bucket=BUCKET, Key="team/a/waves/w1/report.json")["Body"].read())
    assert stored["rollup"]["progress"] == "targets: 1 done, 1 running, 0 failed, 1 waiting"
    assert b"| 2 | going | sandbox | running |" in s3.get_object(Bucket=BUCKET, Key="team/a/waves/w1/report.md")["Body"].read()
    assert not (tmp_path / "waves").exists()  # nothing of the wave is left on this machine
