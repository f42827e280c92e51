# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per (account, region, plan id).

The lock is a file created atomically holding who, when, pid, host and run
id; the same run reopened by a second live process (a rollback while its
resume waits at a prompt) is refused like any other holder. A lock whose
process is gone (same host, pid not alive) is stale and is taken over, and the
caller is told so. ``force_unlock=<run id>`` takes over a lock of that run
only when its holder cannot be alive: on this host its pid is gone, on another
host its lease (``lease_until``) has ended.
"""

from __future__ import annotations

import calendar
import errno
import getpass
import json
import os
import re
import socket
import time

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import utc_now
from ansible_collections.coworker.aws.plugins.module_utils.run.state_files import create_private, private_dir


# How long a lock taken on another host is respected by force_unlock: that host's processes
# cannot be checked from here, so after this a forced take-over is allowed.
LEASE_SECONDS = 12 * 3600


class LockHeld(CoworkerError):
    """Another run holds the lock."""


def lock_path(state_dir, account, region, plan_id):
    name = re.sub(r"[^A-Za-z0-9._-]", "_", "%s-%s-%s" % (account, region, plan_id))
    return os.path.join(state_dir, "locks", name + ".lock")


def _pid_alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError):
        return True
    return True


def read_holder(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"run_id": "?", "pid": None, "host": "?", "note": "unreadable lock file"}


def _is_stale(holder):
    return bool(holder and holder.get("host") == socket.gethostname() and holder.get("pid")
                and not _pid_alive(holder["pid"]))


def _write_exclusive(path, record):
    """Create the lock whole or not at all: write a private file, then link it into place.

    ``os.link`` fails if the lock exists, like O_EXCL, but a crash can never leave an
    empty lock file behind.
    """
    tmp = "%s.%d.%s.tmp" % (path, os.getpid(), os.urandom(4).hex())
    create_private(tmp, json.dumps(record, sort_keys=True).encode("utf-8"))
    try:
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


def acquire(path, run_id, pid, force_unlock=None):
    """Take the lock for ``run_id``; return a note when a lock was taken over, else None."""
    private_dir(os.path.dirname(path))
    record = {"run_id": run_id, "pid": pid, "host": socket.gethostname(), "user": getpass.getuser(),
              "since": utc_now(), "lease_until": _lease_end()}
    for _attempt in range(3):
        try:
            _write_exclusive(path, record)
            return None
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
        holder = read_holder(path)
        forced = bool(force_unlock and holder and holder.get("run_id") == force_unlock)
        if forced and not _is_stale(holder):
            _refuse_live_holder(holder, path)
        if _is_stale(holder) or forced:
            note = ("took over the %s lock of run %s (pid %s on %s, since %s)"
                    % ("stale" if _is_stale(holder) else "forcibly released", holder.get("run_id"),
                       holder.get("pid"), holder.get("host"), holder.get("since")))
            os.unlink(path)
            _write_exclusive(path, record)
            return note
        raise LockHeld(describe_holder(holder, path))
    raise LockHeld("could not take the lock %s" % path)


def _lease_end(now=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((now or time.time()) + LEASE_SECONDS))


def _lease_expired(holder, now=None):
    try:
        end = calendar.timegm(time.strptime(holder.get("lease_until") or "", "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return True  # a lock from before leases, or unreadable: force_unlock decides as it always did
    return (now or time.time()) >= end


def _refuse_live_holder(holder, path):
    """force_unlock never takes a lock from a run that may still be working.

    On this host the holder's pid tells; on another host nothing here can see its process,
    so its lease decides.
    """
    if holder.get("host") == socket.gethostname():
        if holder.get("pid") and _pid_alive(holder["pid"]):
            raise LockHeld("force_unlock refused: run %s still runs here (pid %s on %s is alive); stop that "
                           "process first, or let it finish. Lock: %s"
                           % (holder.get("run_id"), holder.get("pid"), holder.get("host"), path))
        return
    if not _lease_expired(holder):
        raise LockHeld("force_unlock refused: run %s is held from another host (%s, pid %s) and its lease runs "
                       "until %s; its process cannot be checked from here. Stop it there, or wait until the "
                       "lease ends. Lock: %s"
                       % (holder.get("run_id"), holder.get("host"), holder.get("pid"), holder.get("lease_until"), path))


def describe_holder(holder, path):
    holder = holder or {}
    return ("another run holds the lock %s: run %s by %s on %s (pid %s) since %s. Wait for it to finish, "
            "or if it is dead run again with -e force_unlock=%s"
            % (path, holder.get("run_id"), holder.get("user"), holder.get("host"), holder.get("pid"),
               holder.get("since"), holder.get("run_id")))


def release(path, run_id):
    holder = read_holder(path)
    if holder and holder.get("run_id") == run_id:
        os.unlink(path)
        return True
    return False
