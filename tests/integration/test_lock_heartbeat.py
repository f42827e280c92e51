"""Short S3 lock leases kept alive by ansible-playbook's heartbeat.

The lease of a lock on the S3 backend is short (60 s by default, a few seconds here) and the
ansible-playbook process that holds it renews it every third of it, on a thread of its own,
for as long as it lives: also while a prompt waits for a person, when no task runs. So a live
job keeps its lock however long it waits, a job killed on one machine frees its lock for the
others within a lease, and one stopped by Ctrl-C gives it back as it ends.

"Another host" is simulated by the host name a process reports (``socket.gethostname``): a
sitecustomize on PYTHONPATH makes a second ansible-playbook believe it runs on
``build-host-2.example``, or a dead job's lock record is given that host name, as if it had
been taken there. Nothing else differs: both use the same bucket.
"""

from __future__ import annotations

import calendar
import json
import os
import signal
import time

import pytest

from moto_harness import output_of, run_playbook
from test_s3_state_backend import BUCKET, TOOLING, TOOLING_PROFILE, Machine, only_run
from workflow_support import (
    ACCOUNT, ALL_FOUR, APPROVAL_WAITING, CHECKPOINT_WAITING, EXECUTE, ctrl_c_at_the_prompt, expect, finish,
    four_steps, kill_tree, unwrapped, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

OTHER_HOST = "build-host-2.example"
LOCK = f"coworker/locks/{ACCOUNT}-us-east-1-wf.lock"


@pytest.fixture
def bucket(workflow):
    workflow.aws_env.add_account_profile(TOOLING_PROFILE, TOOLING)
    s3 = workflow.aws_env.boto3_session(TOOLING_PROFILE).client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


class Host(Machine):
    """A machine sharing the bucket, with a lock lease of ``lease`` seconds; ``host``: the name it reports."""

    def __init__(self, workflow, name, lease, host=None):
        backend = {"type": "s3", "bucket": BUCKET, "prefix": "coworker", "region": "us-east-1",
                   "profile": TOOLING_PROFILE, "account_id": TOOLING, "lock_lease_seconds": lease}
        super().__init__(workflow, name, backend, via_file=False)
        self.env = workflow.env()
        if host:
            site = self.root / "site"
            site.mkdir()
            (site / "sitecustomize.py").write_text(f"import socket\nsocket.gethostname = lambda: {host!r}\n")
            self.env["PYTHONPATH"] = str(site)

    def run(self, playbook, *extra):
        return run_playbook(self.args(playbook, *extra), self.env, self.root)


def holder(s3):
    return json.loads(s3.get_object(Bucket=BUCKET, Key=LOCK)["Body"].read())


def lease_end(record):
    return calendar.timegm(time.strptime(record["lease_until"], "%Y-%m-%dT%H:%M:%SZ"))


def test_a_job_waiting_at_a_prompt_longer_than_its_lease_keeps_its_lock(workflow, bucket):
    lease = 6
    here, elsewhere = Host(workflow, "machine-a", lease), Host(workflow, "machine-b", lease, OTHER_HOST)
    plan = workflow.write_plan("wf", four_steps())
    child = here.spawn(EXECUTE, "-e", f"plan={plan.path}")
    expect(child, APPROVAL_WAITING)  # no task runs now: only the heartbeat renews the lease
    first = holder(bucket)
    seen = []
    for _beat in range(5):  # 15 s: two and a half leases
        time.sleep(3)
        seen.append(lease_end(holder(bucket)))
    assert seen == sorted(seen) and seen[-1] >= lease_end(first) + 9, (first, seen)
    assert all(end > time.time() for end in seen[-1:])

    refused = elsewhere.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    text = unwrapped(output_of(refused))
    assert refused.returncode != 0
    run_id = only_run(bucket)
    assert f"another run holds the lock s3://{BUCKET}/{LOCK}: run {run_id}" in text, text
    assert "renews the lease every 2 s while it lives" in text and "force_unlock cannot free it sooner" in text
    assert "-e force_unlock=" not in text  # it would be refused: not offered
    assert holder(bucket)["pid"] == child.pid  # still the waiting job's

    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)
    child.sendline("yes")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert workflow.parameter_values() == ALL_FOUR
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET, Prefix="coworker/locks/")  # released


def test_a_killed_job_s_lock_on_another_host_is_taken_over_within_two_leases(workflow, bucket):
    lease = 15
    here = Host(workflow, "machine-a", lease)
    plan = workflow.write_plan("wf", four_steps())
    child = here.spawn(EXECUTE, "-e", f"plan={plan.path}")
    expect(child, APPROVAL_WAITING)
    dead_run = only_run(bucket)
    kill_tree(child)
    killed = time.time()
    record = dict(holder(bucket), host=OTHER_HOST)  # as if the job had run on another machine
    bucket.put_object(Bucket=BUCKET, Key=LOCK, Body=json.dumps(record).encode())
    assert lease_end(record) <= killed + lease + 1  # the heartbeat kept it one lease ahead, no more

    early = here.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    text = unwrapped(output_of(early))
    if time.time() < lease_end(record):  # (a very slow machine may reach the lock after the lease ended)
        assert early.returncode != 0
        assert (f"If it died, the lock is free once the lease ends ({record['lease_until']} UTC at the latest) "
                "and the next run takes it over then") in text, text
        assert "-e force_unlock=" not in text
        time.sleep(max(0.0, lease_end(record) - time.time()))
        taken = here.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    else:
        taken = early
    assert taken.returncode == 0, output_of(taken)
    assert f"took over the stale lock of run {dead_run} (pid {record['pid']} on {OTHER_HOST}" in unwrapped(taken.stdout)
    new_run = max(key["Key"].split("/")[2] for key in bucket.list_objects_v2(
        Bucket=BUCKET, Prefix="coworker/runs/")["Contents"])
    started = json.loads(bucket.get_object(Bucket=BUCKET, Key=f"coworker/runs/{new_run}/journal.jsonl")[
        "Body"].read().split(b"\n", 1)[0])
    took_at = calendar.timegm(time.strptime(started["ts"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert took_at - killed <= 2 * lease, (killed, started["ts"])
    assert workflow.parameter_values() == ALL_FOUR


def test_ctrl_c_at_a_prompt_gives_the_lock_back_and_sigterm_leaves_it_to_run_out_within_a_lease(workflow, bucket):
    lease = 30
    here, elsewhere = Host(workflow, "machine-a", lease), Host(workflow, "machine-b", lease, OTHER_HOST)
    plan = workflow.write_plan("wf", four_steps())
    child = here.spawn(EXECUTE, "-e", f"plan={plan.path}")
    expect(child, APPROVAL_WAITING)
    ctrl_c_at_the_prompt(child)  # Ctrl-C, then "A" to abort, as the pause offers
    child.send("A")
    code, transcript = finish(child)
    assert code != 0, transcript
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET, Prefix="coworker/locks/")  # given back
    assert workflow.parameter_values() == {}

    child = here.spawn(EXECUTE, "-e", f"plan={plan.path}")
    expect(child, APPROVAL_WAITING)
    os.killpg(child.pid, signal.SIGTERM)  # as a supervisor stops a job: the process gets no say
    child.close(force=True)
    stopped = time.time()
    left = holder(bucket)
    assert left["pid"] == child.pid and lease_end(left) <= stopped + lease + 1  # runs out within one lease
    refused = elsewhere.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    assert refused.returncode != 0 and "the next run takes it over then" in unwrapped(output_of(refused))
