# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A per-account request budget shared by every run on this machine (``max_requests_per_second``).

Steps at the same time, and the targets of a wave (each a process of its own), multiply the
requests an account receives. The budget spaces the calls this collection makes to one account so
that, all runs of the machine together, they stay under the rate the user set: each call takes the
next free slot, ``1 / rate`` seconds after the one before, from a small file per account in the
machine's temporary directory, locked while the slot is taken (``fcntl.flock``; threads and
processes alike). botocore's own retries after throttling come on top, with its backoff.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import time

FOLDER = os.path.join(tempfile.gettempdir(), "coworker-aws-request-budget")


class RequestBudget:
    """``take()`` waits until this account may be sent the next request."""

    def __init__(self, account, rate, folder=None, clock=time.time, sleep=time.sleep):
        if not rate or rate <= 0:
            raise ValueError("a request budget needs a positive rate")
        folder = folder or FOLDER
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self.path = os.path.join(folder, re.sub(r"[^0-9A-Za-z_-]", "_", str(account)))
        self.gap, self.clock, self.sleep = 1.0 / rate, clock, sleep

    def take(self):
        """Reserve the next slot (now, or ``1 / rate`` after the last one reserved), wait for it, return it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
                last = float(text) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text) else 0.0
            except ValueError:
                last = 0.0
            now = self.clock()
            slot = max(now, last + self.gap)
            data = ("%.6f" % slot).encode("ascii")
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)  # closing releases the lock
        if slot > now:
            self.sleep(slot - now)
        return slot
