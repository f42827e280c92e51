"""The heartbeat renews each held lock every third of its lease, with the journal head it knows was written."""

from __future__ import annotations

import os
import time

from ansible_collections.coworker.aws.plugins.module_utils.run import heads, lock
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import Head
from ansible_collections.coworker.aws.plugins.module_utils.run.heartbeat import Heartbeat
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.s3 import StateBackendError

KEY, RUN = "locks/x.lock", "20261130T000000Z-p-aaaaaa"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def held(tmp_path, lease=60):
    backend = LocalBackend(str(tmp_path))
    backend.lease_seconds = lease
    lock.acquire(backend, KEY, RUN, os.getpid(), lease=lease)
    clock = Clock()
    beat = Heartbeat(clock)
    beat.hold(backend, KEY, RUN, os.getpid(), lease)
    return backend, beat, clock


def test_a_lock_is_renewed_every_third_of_its_lease_with_the_head_known_to_be_written(tmp_path):
    backend, beat, clock = held(tmp_path)
    assert beat.wait() == 20 and beat.due() == []
    first = lock.read_holder(backend, KEY)["lease_until"]
    written, in_flight = Head(4, "a" * 64), Head(5, "b" * 64)
    heads.remember(backend.journal_location(RUN), written, in_flight)  # the fifth event is being written
    clock.now += 20
    [(where, hold)] = beat.due()
    time.sleep(1.1)  # lease ends are whole seconds
    assert beat.beat(where, hold)
    renewed = lock.read_holder(backend, KEY)
    assert first < renewed["lease_until"] <= lock._lease_end(60)
    assert renewed["journal_head"] == written.as_dict()  # not the head of the write in flight
    assert beat.wait() == 20


def test_a_lock_that_is_no_longer_the_holder_s_is_dropped_and_a_failed_renewal_tried_again_soon(tmp_path, monkeypatch):
    backend, beat, clock = held(tmp_path, lease=12)
    clock.now += 4
    [(where, hold)] = beat.due()

    def unreachable(*_args, **_kwargs):
        raise StateBackendError("state backend: reading failed: connect timeout")
    monkeypatch.setattr(backend, "lock_read", unreachable)
    assert beat.beat(where, hold) and beat.wait() == 1.0  # again in a second, not in a third of the lease
    monkeypatch.undo()
    lock.release(backend, KEY, RUN)
    clock.now += 1
    [(where, hold)] = beat.due()
    assert not beat.beat(where, hold) and beat.wait() is None  # released: nothing left to renew
