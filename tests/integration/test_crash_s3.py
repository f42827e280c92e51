"""The crash trials of test_crash.py on the S3 state backend, recovered from another machine.

The run starts on "machine A" (its own working state_dir) with its journal, lock and
reports in a bucket of a tooling account; it is SIGKILLed at a random moment; "machine
B" (another state_dir, nothing in common with A but the bucket) rolls it back to the
account as it was before the run, or resumes it to completion (then rolls it back).
COWORKER_CRASH_TRIALS and COWORKER_CRASH_SEED work as in test_crash.py. There is no torn
line to test here: S3 stores an object whole or not at all.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.journal import parse_events
from moto_harness import latest_report_name
from crash_support import (
    EXECUTE, RECOVER, ROLLBACK, SEED, TRIALS, Diagnosis, Sandbox, crash, expect_stale_lock_note, moment, time_full_run)

pytestmark = pytest.mark.integration

TOOLING, TOOLING_PROFILE = "444455556666", "tooling-crash"
BUCKET = "coworker-crash-state-444455556666"


class S3Sandbox(Sandbox):
    """The crash sandbox with its state in S3: A runs, B recovers."""

    def __init__(self, aws_env, moto_server, workdir):
        super().__init__(aws_env, moto_server, workdir)
        aws_env.add_account_profile(TOOLING_PROFILE, TOOLING)
        self.s3 = aws_env.boto3_session(TOOLING_PROFILE).client("s3")
        self.s3.create_bucket(Bucket=BUCKET)
        self.backend = {"type": "s3", "bucket": BUCKET, "prefix": "crash", "region": "us-east-1",
                        "profile": TOOLING_PROFILE, "account_id": TOOLING}

    def args(self, playbook, *extra, approve=True):
        machine = "machine-a" if "-e" in extra and any(str(e).startswith("plan=") for e in extra) else "machine-b"
        self.state_dir = self.tmp / machine
        return [*super().args(playbook, *extra, approve=approve), "-e", json.dumps({"state_backend": self.backend})]

    def _get(self, key):
        try:
            return self.s3.get_object(Bucket=BUCKET, Key="crash/" + key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None

    def run_ids(self):
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="crash/runs/")
        names = {item["Key"].split("/")[2] for page in pages for item in page.get("Contents", [])}
        return sorted(n for n in names if parse_events(self._get(f"runs/{n}/journal.jsonl")))

    def s3_events(self, run_id):
        return parse_events(self._get(f"runs/{run_id}/journal.jsonl"))

    def report(self, run_id):
        """report.json of the run's latest pass (a resume or rollback writes its own)."""
        return json.loads(self._get(f"runs/{run_id}/{latest_report_name(self.s3_events(run_id))}.json"))

    def lock_holders(self):
        answer = self.s3.list_objects_v2(Bucket=BUCKET, Prefix="crash/locks/")
        return [json.loads(self._get(item["Key"][len("crash/"):])) for item in answer.get("Contents", [])]

    def machine_runs(self):
        """Run folders on the machines' own disks (with an S3 backend: none)."""
        return [p for machine in ("machine-a", "machine-b") for p in (self.tmp / machine / "runs").glob("*")]


@pytest.fixture
def s3_sandbox(aws_env, clean_moto, tmp_path):
    return S3Sandbox(aws_env, clean_moto, tmp_path)


@pytest.fixture(scope="module")
def full_s3_run_seconds(moto_server, tmp_path_factory):
    return time_full_run(S3Sandbox, moto_server, tmp_path_factory, "CRASH-S3-FULL-RUN")


@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda n: f"trial{n}")
def test_a_run_killed_on_one_machine_is_recovered_from_another_through_s3(s3_sandbox, full_s3_run_seconds, trial,
                                                                          request):
    sandbox = s3_sandbox
    fraction = random.Random(f"s3/{SEED}/{trial}").random()
    recovery = ("rollback", "resume")[trial % 2]
    before = sandbox.snapshot()

    process = sandbox.start()
    time.sleep(fraction * full_s3_run_seconds)
    crash(process.pid)
    process.wait(timeout=60)

    run_ids = sandbox.run_ids()
    events = sandbox.s3_events(run_ids[0]) if run_ids else []
    phase, last_event = moment(events)
    holders = sandbox.lock_holders()
    print(f"\nCRASH-S3-TRIAL seed={SEED} trial={trial} fraction={fraction:.3f} "
          f"delay={fraction * full_s3_run_seconds:.2f}s full_run={full_s3_run_seconds:.2f}s "
          f"last_event={last_event} phase={phase!r} recovery={recovery} stale_lock={bool(holders)}")

    recovered = RECOVER[recovery](sandbox, events, Diagnosis(sandbox, events, before))

    if recovered is not None and holders:
        assert sandbox.lock_holders() == []
        expect_stale_lock_note(request, recovered, holders[0], run_ids)
    assert sandbox.machine_runs() == []  # nothing of the run was kept on either machine


__all__ = ["EXECUTE", "ROLLBACK"]
