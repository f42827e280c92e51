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

import os
import random
import signal
import time
from pathlib import Path

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from crash_support import (  # noqa: F401  (the fixtures full_run_seconds, held_sandbox and sandbox)  # pylint: disable=unused-import
    ACCOUNT, EXECUTE, OTHER_SANDBOX, PLAN_APPLIED, PRODUCTION, PROFILE, RECOVER, SEED, TRIALS, Diagnosis, HeldCall,
    Sandbox, applied, check, crash, expect_stale_lock_note, full_run_seconds, held_sandbox, moment, process_tree,
    sandbox, tear_last_line, unwrapped, wait_until, ways_out, whole_events)
from moto_harness import mutating_calls, output_of, spawn_playbook

pytestmark = pytest.mark.integration


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

    started = shown[:shown.index("Run the plan")]  # printed at Load, before the Run task that was interrupted
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
