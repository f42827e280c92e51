# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The journal on the S3 backend: one object per run, replaced whole on every event.

``runs/<id>/journal.jsonl`` is written with ``If-Match`` on the ETag of the version this
writer wrote last (``If-None-Match: *`` for the first event). S3 answers a PUT only once
the object is stored, so ``call_started`` is durable before the call is sent and its
outcome after it; an object is stored whole or not at all, so there is no torn line. A
writer that finds the journal changed under it (another writer, a deletion) stops with
``JournalLost``. Each event carries its place in the hash chain (run/chain.py); a journal
whose chain is broken, or whose head is not the one this process lineage left it with, is
refused when opened (``JournalTampered``). When it opens, and then every third of a lease
of writing, the writer also checks that its run still holds the lock and renews the lease
if less than two thirds of it are left (the ansible-playbook process's heartbeat renews it
in between: plugin_utils/lock_keeper.py). Why one object rather than one per event: see
``benchmarks/s3_journal_layout.py`` and docs/state-backend.md.
"""

from __future__ import annotations

import os
import time

from ansible_collections.coworker.aws.plugins.module_utils.run import heads
from ansible_collections.coworker.aws.plugins.module_utils.run import journal as journals

# a lease is pushed further when less than this share of it is left
RENEW_FRACTION = 2 / 3


class S3Journal:
    """Appends events to ``runs/<id>/journal.jsonl``; each is stored in S3 before ``append`` returns."""

    def __init__(self, backend, run_id, create=False):
        self.backend, self.run_id = backend, run_id
        self.key = backend._journal_key(run_id)  # pylint: disable=protected-access
        self.body, self.version = backend.get_versioned(self.key)
        if create and self.body is not None:
            raise journals.JournalLost("run %s already has a journal (%s): start a new run"
                                       % (run_id, backend.journal_location(run_id)))
        if not create and self.body is None:
            raise journals.JournalLost("the journal %s of run %s is gone; stopped before the next AWS call"
                                       % (backend.journal_location(run_id), run_id))
        self.body = self.body or b""
        self.location = backend.journal_location(run_id)
        _events, self.head, _legacy = journals.verified_events(self.body, self.location, run_id)
        heads.expect(self.location, self.head, run_id)
        self._renewed = 0.0
        self._renew_lease()

    def _renew_lease(self):
        """Push the run's lock lease further while the run works (it is its holder's sign of life)."""
        from ansible_collections.coworker.aws.plugins.module_utils.run.lock import lock_key, renew
        started = next(iter(journals.parse_events(self.body[:65536].split(b"\n", 1)[0])), None)
        if not started or started.get("event") != "run_started" or started.get("dry_run"):
            return
        if time.time() - self._renewed < self.backend.lease_seconds * (1 - RENEW_FRACTION):
            return
        if self._finished():
            return
        # os.getppid(): the ansible-playbook process whose worker took the lock (run_journal op=start/open)
        renew(self.backend, lock_key(started["account_id"], started["region"], started["plan_id"]), self.run_id,
              keep_fraction=RENEW_FRACTION, pid=os.getppid(),
              journal_head=self.head.as_dict())
        self._renewed = time.time()

    def _finished(self):
        """A finished or released run holds no lock (until a resume or rollback reopens it)."""
        last = None
        for event in journals.parse_events(self.body):
            if event["event"] in ("run_finished", "run_released", "run_resumed", "run_started"):
                last = event["event"]
        return last in ("run_finished", "run_released")

    def append(self, event, **fields):
        record, line, head = journals.encode_event(self.run_id, event, fields, self.head)
        body = self.body + line
        heads.remember(self.location, self.head, head)  # a crash mid-write leaves either
        version = self.backend.put_if(self.key, body, self.version)
        if version is None:
            current, version = self.backend.get_versioned(self.key)
            if current != body:  # not our own write answered late: someone else wrote, or it was deleted
                raise journals.JournalLost(
                    "the journal %s of run %s changed under this run (another writer, or it was deleted); stopped "
                    "before the next AWS call" % (self.location, self.run_id))
        self.body, self.version, self.head = body, version, head
        heads.remember(self.location, head)
        if event not in ("run_finished", "run_released"):
            self._renew_lease()
        return record

    def commit(self):
        """Nothing to do: S3 answers each event's PUT only once it is stored."""

    def close(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
