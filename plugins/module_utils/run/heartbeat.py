# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The heartbeat of the locks a process holds: each renewed every third of its lease.

Kept by the ansible-playbook process that took the lock (plugin_utils/lock_keeper.py runs
it on a thread), so the lease is renewed while the run lives, also while a prompt waits,
and stops with that process: a job killed on one machine frees its lock for the others
within one lease. Each renewal records the journal's head this process knows was written
(run/heads.py) in the lock. A lock that is no longer this holder's (released, taken over)
is dropped; a renewal that fails (the backend did not answer) is tried again sooner, while
the lease still has room.
"""

from __future__ import annotations

import time

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.run import heads
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import LockHeld, release, renew


def confirmed_head(location):
    """The newest head this process lineage knows was written to the journal at ``location`` (a dict), or None.

    While a write is in flight both the head before and after it are known; only the first is sure."""
    known = heads.known(location)
    return known[0].as_dict() if known else None


class Heartbeat:
    """Locks to renew: ``hold`` one, ``drop`` it, ``due`` says which need a beat now, ``beat`` renews one."""

    def __init__(self, clock=time.monotonic):
        self.holds = {}
        self.clock = clock

    def hold(self, backend, key, run_id, pid, lease=None):
        every = (lease or backend.lease_seconds) / 3.0
        self.holds[backend.location(key)] = {"backend": backend, "key": key, "run_id": run_id, "pid": pid,
                                             "every": every, "due": self.clock() + every,
                                             "journal": backend.journal_location(run_id)}

    def drop(self, where):
        self.holds.pop(where, None)

    def wait(self):
        """Seconds until the next beat is due (0 when one is), or None when nothing is held."""
        if not self.holds:
            return None
        return max(0.0, min(hold["due"] for hold in self.holds.values()) - self.clock())

    def due(self):
        now = self.clock()
        return [(where, hold) for where, hold in self.holds.items() if hold["due"] <= now]

    def release_all(self):
        """The holding process ends: give back every lock still held (a run stopped by Ctrl-C, a failed play).
        Only a lock still held by this process is removed; what cannot be reached now runs out with its lease."""
        for where, hold in list(self.holds.items()):
            self.drop(where)
            try:
                release(hold["backend"], hold["key"], hold["run_id"], pid=hold["pid"])
            except (CoworkerError, OSError):
                pass

    def beat(self, where, hold):
        """Renew one lock; True when it is still held."""
        try:
            renew(hold["backend"], hold["key"], hold["run_id"], pid=hold["pid"],
                  journal_head=confirmed_head(hold["journal"]))
        except LockHeld:
            self.drop(where)  # released, or taken over: not ours to renew any more
            return False
        except (CoworkerError, OSError):
            hold["due"] = self.clock() + max(1.0, hold["every"] / 4)  # unanswered: again soon, the lease has room
            return True
        hold["due"] = self.clock() + hold["every"]
        return True
