"""Locks: force_unlock never takes a lock from a holder that may be alive."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

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


class SharedBackend(LocalBackend):
    """A backend whose ended leases free locks (as the S3 backend's do), on files for the test."""

    lease_takeover = True
    lease_seconds = 60


def refusal(backend, holder_fields):
    held_by(Path(backend.path("locks/x.lock")), **holder_fields)
    with pytest.raises(lock.LockHeld) as refused:
        lock.acquire(backend, "locks/x.lock", "run-b", 1)
    return str(refused.value)


def test_the_lock_message_says_what_the_reader_can_do_and_when_and_offers_force_unlock_only_where_it_works(tmp_path):
    here = refusal(LocalBackend(str(tmp_path)), {})
    assert "Its process runs on this host: wait for it to finish, or stop it (pid %d)" % os.getpid() in here
    assert "force_unlock" not in here  # refused while the pid lives

    until = lock._lease_end(60)
    shared = refusal(SharedBackend(str(tmp_path / "s")), {"host": "elsewhere.example", "lease_until": until,
                                                          "lease_seconds": 60})
    assert ("renews the lease every 20 s while it lives: wait for it to finish. If it died, the lock is free once the "
            "lease ends (%s UTC at the latest) and the next run takes it over then" % until) in shared
    assert "force_unlock cannot free it sooner" in shared and "-e force_unlock" not in shared

    local = refusal(LocalBackend(str(tmp_path / "l")), {"host": "elsewhere.example"})
    assert "run again with -e force_unlock=run-a after its lease ends" in local
    ended = lock._lease_end(LEASE_SECONDS, time.time() - LEASE_SECONDS - 1)
    over = refusal(LocalBackend(str(tmp_path / "o")), {"host": "elsewhere.example", "lease_until": ended})
    assert over.endswith("Wait for it to finish, or if it is dead run again with -e force_unlock=run-a")
    with pytest.raises(lock.LockHeld, match="wait until the lease ends: then the lock is taken over without "
                                            "force_unlock"):
        lock.acquire(SharedBackend(str(tmp_path / "s")), "locks/x.lock", "run-b", 1, force_unlock="run-a")


def test_a_lease_is_never_shorter_than_asked_and_is_renewed_with_the_holder_s_own_length(tmp_path):
    now = time.time()
    assert lock._lease_end(3, now) >= time.strftime(lock.TIME_FORMAT, time.gmtime(now + 3))
    backend = SharedBackend(str(tmp_path))
    lock.acquire(backend, "locks/x.lock", "run-a", os.getpid(), lease=900)
    record = lock.read_holder(backend, "locks/x.lock")
    assert record["lease_seconds"] == 900
    lock.renew(backend, "locks/x.lock", "run-a", pid=os.getpid(), journal_head={"events": 3, "sha256": "ab"})
    renewed = lock.read_holder(backend, "locks/x.lock")
    assert renewed["lease_until"] >= lock._lease_end(899) and renewed["journal_head"] == {"events": 3, "sha256": "ab"}


def test_a_renewal_that_meets_another_renewal_by_the_same_holder_reads_again(tmp_path, monkeypatch):
    backend = SharedBackend(str(tmp_path))
    lock.acquire(backend, "locks/x.lock", "run-a", os.getpid())
    replace, raced = backend.lock_replace, []

    def heartbeat_first(key, data, version):
        if not raced:  # the heartbeat renews between this writer's read and its write
            raced.append(replace(key, data, version))
            return False
        return replace(key, data, version)
    monkeypatch.setattr(backend, "lock_replace", heartbeat_first)
    lock.renew(backend, "locks/x.lock", "run-a", pid=os.getpid())
    assert raced == [True] and lock.read_holder(backend, "locks/x.lock")["run_id"] == "run-a"
