"""Killing a run the way a crash does (SIGKILL to its whole process tree, which Ansible's workers escape by
starting sessions of their own), waiting for a moment of the run, and reading what the journal says then."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from moto_harness import descendants


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
