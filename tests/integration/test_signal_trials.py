"""Ctrl-C and SIGTERM at random moments of a run: report.md and report.json list exactly the
steps the journal shows as done, and the step whose call was in flight as in flight.

Ctrl-C is SIGINT to the run's process group, as a terminal sends it; SIGTERM goes to the
same group, as a supervisor (systemd, a CI runner, AWX cancelling a job) sends it. The
moment is random within the batches of the three-phase plan of test_crash.py: from its first
call sent, a random fraction of the time the batches take.

COWORKER_SIGNAL_TRIALS sets the number of trials (default 2); COWORKER_CRASH_SEED the seed
(as in test_crash.py). Each trial prints a "SIGNAL-TRIAL" line (see it with -s).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import time
from pathlib import Path

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events, run_state
from moto_harness import descendants
from crash_support import PHASE_OF, SEED, Sandbox, full_run_seconds, moment, sandbox, wait_until

pytestmark = pytest.mark.integration
__all__ = ["full_run_seconds", "sandbox"]  # the fixtures, imported for pytest

TRIALS = int(os.environ.get("COWORKER_SIGNAL_TRIALS") or 2)
SIGNALS = (signal.SIGINT, signal.SIGTERM)
BATCHES_SHARE = 0.35  # of a full run, measured here: the rest is start-up, checks, prompts and the report
ROW = re.compile(r"^\| (\d+) \| (\w+) \| [^|]* \| (\w+) \|", re.M)


def journal_says(events: list[dict]) -> tuple[set[str], set[str]]:
    """(done, in flight) by the journal alone: a step is done once step_succeeded is written,
    and in flight while its call was sent (call_started) and the step has no outcome yet."""
    steps = run_state(events)["steps"]
    done = {sid for sid, entry in steps.items() if entry["status"] == "succeeded"}
    in_flight = {sid for sid, entry in steps.items() if entry["status"] == "started"}
    return done, in_flight


def report_says(sandbox: Sandbox, run_id: str) -> tuple[dict, dict]:
    """{step: status} from report.json and from report.md's step table."""
    folder = sandbox.state_dir / "runs" / run_id
    report = json.loads((folder / "report.json").read_text())
    table = {step_id: status for _index, step_id, status in ROW.findall((folder / "report.md").read_text())}
    return {s["id"]: s["status"] for s in report["steps"]}, table, report


@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda n: f"trial{n}")
def test_a_signal_at_a_random_moment_leaves_reports_that_match_the_journal(sandbox, full_run_seconds, trial):
    chance = random.Random(f"{SEED}/signal/{trial}")
    fraction, sig = chance.random(), SIGNALS[trial % 2]
    process = sandbox.start()
    # mid-batch: from the first call sent, a random moment in the time the batches take
    wait_until(lambda: any(e["event"] == "call_started" for e in sandbox.events()) or process.poll() is not None,
               "the first call is sent", timeout=120)
    time.sleep(fraction * BATCHES_SHARE * full_run_seconds)
    tree = [process.pid, *descendants(process.pid)]
    os.killpg(process.pid, sig)
    code = process.wait(timeout=120)
    # a worker runs in a session of its own (setsid): wait until it has written what it writes
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in tree), "the run's processes are gone")

    run_ids = sandbox.run_ids()
    events = read_events(sandbox.journal(run_ids[0])) if run_ids else []
    phase, last_event = moment(events)
    print(f"\nSIGNAL-TRIAL seed={SEED} trial={trial} signal={signal.Signals(sig).name} fraction={fraction:.3f} "
          f"delay={fraction * BATCHES_SHARE * full_run_seconds:.2f}s after the first call last_event={last_event} phase={phase!r} exit={code}")
    if not events:
        return  # stopped before the run was journaled: there is no report to check
    done, in_flight = journal_says(events)
    statuses, table, report = report_says(sandbox, run_ids[0])
    log = sandbox.log().read_text()[-4000:]
    assert {s for s, status in statuses.items() if status == "succeeded"} == done, (statuses, events[-5:], log)
    assert {s for s, status in table.items() if status == "succeeded"} == done, (table, log)
    assert {s for s, status in statuses.items() if status == "in_flight"} == in_flight, (statuses, events[-5:])
    assert {s for s, status in table.items() if status == "in_flight"} == in_flight, table
    assert report["steps_completed"] == len(done)
    untouched = set(PHASE_OF) - done - in_flight
    assert all(statuses[s] == "not_run" for s in untouched), statuses
    if last_event != "run_finished":
        assert report["status"] in ("aborted", "partial", "failed"), report["status"]
