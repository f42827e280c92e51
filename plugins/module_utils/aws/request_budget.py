# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A per-account request budget shared by every run of this OS user on this machine (``max_requests_per_second``).

Steps at the same time, and the targets of a wave (each a process of its own), multiply the
requests an account receives. The budget spaces the calls this collection makes to one account so
that, all runs of this user on the machine together, they stay under the rate the user set: each call takes the
next free slot, ``1 / rate`` seconds after the one before, from a small file per account in the
user's folder under the temporary directory, locked while the slot is taken (``fcntl.flock``;
threads and processes alike). botocore's own retries after throttling come on top, with its backoff.

The folder is per OS user, ``<tmp>/coworker-aws-request-budget-<uid>``, created with mode 0700: the
runs of one user share a budget; another user on the machine has a folder of their own. A folder
of that name that is not a directory of this user (another user created it first, or it is a
symbolic link) or that its group or others may write (they could rewrite the slot files, or plant a
link) is refused with an error naming it, before any call is made. There is no fallback to another
folder: runs that did not share one file per account would no longer share the budget. Remove the
folder, or set ``TMPDIR`` to a directory of your own.
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
import tempfile
import time

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError


def user_folder():
    """This OS user's budget folder: ``<tmp>/coworker-aws-request-budget-<uid>``."""
    return os.path.join(tempfile.gettempdir(), "coworker-aws-request-budget-%d" % os.getuid())


def private_folder(folder):
    """Create ``folder`` (mode 0700) or check the one there: a directory of this user that nobody else may write.

    ConfigError naming the folder otherwise (not a directory or a symbolic link, another owner, group- or
    other-writable): slot files others can write are no budget, and a link could send our writes elsewhere.
    """
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError as exc:
        raise ConfigError(folder, "", "cannot create the request budget's folder: %s" % (exc.strerror or exc)) from None
    fix = "remove it, or set TMPDIR to a directory of your own; refused before the calls it would space out"
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(folder, "", "the request budget's folder is not a directory (a symbolic link?): %s" % fix)
    if info.st_uid != os.getuid():
        raise ConfigError(folder, "", "the request budget's folder belongs to uid %d, not to you (uid %d): %s"
                          % (info.st_uid, os.getuid(), fix))
    if info.st_mode & 0o022:
        raise ConfigError(folder, "", "the request budget's folder may be written by its group or others (mode "
                          "%04o, 0700 expected): %s" % (stat.S_IMODE(info.st_mode), fix))
    return folder


class RequestBudget:
    """``take()`` waits until this account may be sent the next request."""

    def __init__(self, account, rate, folder=None, clock=time.time, sleep=time.sleep):
        if not rate or rate <= 0:
            raise ValueError("a request budget needs a positive rate")
        folder = private_folder(folder or user_folder())
        self.path = os.path.join(folder, re.sub(r"[^0-9A-Za-z_-]", "_", str(account)))
        self.gap, self.clock, self.sleep = 1.0 / rate, clock, sleep

    def take(self):
        """Reserve the next slot (now, or ``1 / rate`` after the last one reserved), wait for it, return it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
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
