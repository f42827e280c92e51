"""Ctrl-C and SIGTERM with several calls in flight (issue 29): with max_concurrency=3 the answers of three
independent PutParameter steps are held by the fault proxy (moto has acted), the run is stopped, then the
answers are let go. What a person sees then is what one step at a time gives: a non-zero end, the three
steps in flight finished and journaled, nothing more started, report.json and report.md saying what the
journal says, the lock free for the next run, and the run resumed or rolled back to the account as it was.

COWORKER_PARALLEL_SIGNAL_TRIALS sets the number of trials of each signal and recovery; without it (CI) one
trial pairs SIGTERM with a rollback and Ctrl-C with a resume.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import read_holder
from crash_kill import process_tree, wait_until
from crash_support import ways_out
from moto_harness import output_of
from test_parallel_steps import events_of, three_calls_in_flight
from test_lock_heartbeat import BUCKET, Host, bucket, holder
from test_signal_trials import journal_says, report_says
from workflow_support import EXECUTE, expect, finish, sent_after_resume, step_statuses, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["bucket", "workflow"]  # the fixtures, imported for pytest

TRIALS = int(os.environ.get("COWORKER_PARALLEL_SIGNAL_TRIALS") or 1)
STOP_SIGNALS_IGNORED = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
IN_FLIGHT, NEXT = {"p0", "p1", "p2"}, ["p3", "p4", "p5"]


class CtrlC:
    """The terminal's interrupt character: SIGINT to its foreground process group (ansible-playbook, which
    passes it to its worker); the screen then shows the end ansible-playbook gives an interrupted play."""

    @staticmethod
    def send(child):
        child.sendintr()

    @staticmethod
    def shown(child, code, text):
        assert code == 99, text  # docs/running.md, "Exit codes": interrupted while steps ran
        assert "[ERROR]: User interrupted execution" in text, text


class Sigterm:
    """SIGTERM to ansible-playbook, as a supervisor (systemd, a CI runner, AWX) stops it: it passes it to its
    worker and dies of it, with no say on the screen (the report says what was done)."""

    @staticmethod
    def send(child):
        os.kill(child.pid, signal.SIGTERM)

    @staticmethod
    def shown(child, code, text):
        assert code is None and child.signalstatus == signal.SIGTERM, (code, child.signalstatus, text)


def stopping(pid: int) -> bool:
    """Whether the process has taken a stop signal: run_step ignores further ones while it records what was done."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # gone
    ignored = int(re.search(r"^SigIgn:\s*([0-9a-f]+)", status, re.M).group(1), 16)
    return ignored & STOP_SIGNALS_IGNORED == STOP_SIGNALS_IGNORED


def lock_holders(workflow) -> list[dict]:
    folder = workflow.state_dir / "locks"
    backend = LocalBackend(str(workflow.state_dir))
    return [read_holder(backend, "locks/" + path.name) for path in sorted(folder.iterdir())] if folder.is_dir() else []


def stop_and_release(child, stop, held):
    """Stop the run; the held answers go once its worker has taken the signal (nothing may start after it)."""
    tree = process_tree(child.pid)
    stop.send(child)
    wait_until(lambda: all(stopping(pid) for pid in tree[1:]), "the worker has taken the signal", timeout=30)
    if held:
        held.release()
    return tree


# each signal, and each recovery, once in CI; every pairing on demand (COWORKER_PARALLEL_SIGNAL_TRIALS set)
PAIRINGS = [(Sigterm, "rollback"), (CtrlC, "resume")] + (
    [(Sigterm, "resume"), (CtrlC, "rollback")] if os.environ.get("COWORKER_PARALLEL_SIGNAL_TRIALS") else [])


@pytest.mark.parametrize("stop,recovery", PAIRINGS,
                         ids=["%s-%s" % ("sigterm" if s is Sigterm else "ctrl_c", r) for s, r in PAIRINGS])
@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda n: f"trial{n}")
def test_stopped_with_three_calls_in_flight_they_end_journaled_and_the_run_resumes_or_rolls_back(
        workflow, fault_proxy, trial, stop, recovery):
    before = workflow.parameter_values()
    plan, child, held = three_calls_in_flight(workflow, fault_proxy, f"sig{trial}")
    run_id = workflow.only_run()
    tree = stop_and_release(child, stop, held)
    code, out = finish(child)
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in tree), "the run's processes are gone")
    text = unwrapped(out)
    stop.shown(child, code, text)
    assert "Traceback" not in text, text
    assert all(command in text[:text.index("TASK [coworker.aws.execute_nonprod : Run the plan]")]
               for command in ways_out(run_id)), text  # printed at the start

    events = workflow.journal(run_id)
    assert set(events_of(events, "call_started")) == IN_FLIGHT  # one call each, nothing started after
    assert len(events_of(events, "call_started")) == len([e for e in events if e["event"] == "call_started"])
    assert journal_says(events) == (IN_FLIGHT, set())  # the calls in flight finished and were journaled
    statuses, table, report = report_says(workflow, run_id)
    assert statuses == table == {**dict.fromkeys(IN_FLIGHT, "succeeded"), **dict.fromkeys(NEXT, "not_run")}
    assert report["status"] == "aborted" and report["steps_completed"] == 3, report
    report_md = unwrapped(workflow.report_md(run_id))
    assert report_md.startswith(f"# Run {run_id}: ABORTED")
    assert all(command in report_md for command in ways_out(run_id)), report_md
    assert {name: "v1" for name in map("/sig{}/{}".format, [trial] * 3, sorted(IN_FLIGHT))} == {
        name: value for name, value in workflow.parameter_values().items() if name not in before}
    # the lock names ansible-playbook, which is gone: the next run of this host takes it over at once, and says so
    left = [(h["run_id"], h["pid"]) for h in lock_holders(workflow)]
    assert left in ([], [(run_id, child.pid)])
    took_over = f"took over the stale lock of run {run_id} (pid {child.pid} " if left else ""

    if recovery == "resume":
        resumed = workflow.run(None, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}",
                               "-e", "max_concurrency=3")
        assert resumed.returncode == 0, output_of(resumed)
        assert took_over in unwrapped(resumed.stdout), output_of(resumed)
        took_over = ""
        assert sorted(sent_after_resume(workflow.journal(run_id))) == NEXT  # only the steps not run
        assert set(step_statuses(workflow.report(run_id)).values()) == {"succeeded"}
        assert len(workflow.parameter_values()) == len(before) + 6
    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    assert took_over in unwrapped(rolled.stdout), output_of(rolled)
    assert workflow.parameter_values() == before
    assert workflow.report(run_id)["status"] == "rolled_back"
    assert lock_holders(workflow) == []  # given back at the end


def test_ctrl_c_keeps_the_shared_lock_until_the_calls_in_flight_are_journaled(workflow, fault_proxy, bucket):
    """The S3 backend's lock, renewed by ansible-playbook: after Ctrl-C it ends (exit 99) once its worker has
    journaled the steps in flight, and gives the lock back only then, never while another machine could take
    it and find the journal still being written."""
    here = Host(workflow, "machine-a", 30)
    plan, child, held = three_calls_in_flight(workflow, fault_proxy, "wf", spawn=lambda plan, *extra: here.spawn(
        EXECUTE, "-e", f"plan={plan.path}", *extra))
    stop_and_release(child, CtrlC, None)
    expect(child, "User interrupted execution")  # ansible-playbook is ending: its exit handlers run now
    time.sleep(2)  # a lock given back too soon is gone by now
    assert holder(bucket)["pid"] == child.pid  # still the job's: its worker is still in flight
    held.release()
    code, out = finish(child)
    assert code == 99, out
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET, Prefix="coworker/locks/")  # given back
    assert len(workflow.parameter_values()) == 3  # the three in flight, nothing after them
