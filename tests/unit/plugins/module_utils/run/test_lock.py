"""Locks: force_unlock never takes a lock from a holder that may be alive."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import lock
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LEASE_SECONDS, LocalBackend


def held_by(path, **holder):
    record = {"run_id": "run-a", "pid": os.getpid(), "host": socket.gethostname(), "user": "u",
              "since": "2026-11-30T00:00:00.000000Z", "lease_until": lock._lease_end(LEASE_SECONDS)}
    record.update(holder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_force_unlock_of_a_live_holder_on_this_host_is_refused_and_names_its_pid(tmp_path):
    path = tmp_path / "locks" / "x.lock"
    held_by(path)
    with pytest.raises(lock.LockHeld, match=r"force_unlock refused: run run-a still runs here \(pid %d " % os.getpid()):
        lock.acquire(LocalBackend(str(tmp_path)), "locks/x.lock", "run-b", 1, force_unlock="run-a")
    assert lock.read_holder(LocalBackend(str(tmp_path)), "locks/x.lock")["run_id"] == "run-a"


def test_force_unlock_of_a_dead_holder_on_this_host_takes_it_over(tmp_path):
    path = tmp_path / "locks" / "x.lock"
    pid = dead_pid()
    held_by(path, pid=pid)
    note = lock.acquire(LocalBackend(str(tmp_path)), "locks/x.lock", "run-b", 1, force_unlock="run-a")
    assert "took over the stale lock of run run-a (pid %d" % pid in note
    assert lock.read_holder(LocalBackend(str(tmp_path)), "locks/x.lock")["run_id"] == "run-b"


def test_on_another_host_the_lease_decides(tmp_path):
    path = tmp_path / "locks" / "x.lock"
    held_by(path, host="elsewhere.example", pid=1)
    with pytest.raises(lock.LockHeld, match="held from another host .elsewhere.example, pid 1. and its lease runs"):
        lock.acquire(LocalBackend(str(tmp_path)), "locks/x.lock", "run-b", 1, force_unlock="run-a")
    held_by(path, host="elsewhere.example", pid=1, lease_until=lock._lease_end(LEASE_SECONDS, time.time() - LEASE_SECONDS - 1))
    assert "forcibly released" in lock.acquire(LocalBackend(str(tmp_path)), "locks/x.lock", "run-b", 1, force_unlock="run-a")


def test_without_force_unlock_a_live_holder_keeps_its_lock(tmp_path):
    path = tmp_path / "locks" / "x.lock"
    held_by(path)
    with pytest.raises(lock.LockHeld, match="another run holds the lock"):
        lock.acquire(LocalBackend(str(tmp_path)), "locks/x.lock", "run-b", 1)
