# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per (account, region, plan id), whichever backend holds the lock.

The lock is created whole or not at all (a file linked into place, or an S3 object
written with ``If-None-Match: *``) and holds who, when, pid, host, run id, the
backend's principal and the end of its lease; it is replaced and removed only if it
is still the version read (``If-Match`` on S3). The same run reopened by a second
live process (a rollback while its resume waits at a prompt) is refused like any
other holder. A lock is stale, and taken over with a note saying so, when its
process is gone (same host, pid not alive) or, on a shared backend, when its lease
has ended. Its holder renews the lease while it lives: the ansible-playbook process that
took it keeps a heartbeat (plugin_utils/lock_keeper.py, every third of the lease, also
while a prompt waits) and its journal writers renew it too, so a lease of a minute frees
a dead job's lock within a minute. ``force_unlock=<run id>`` takes over a lock of that run
only when its holder cannot be alive: on this host its pid is gone, on another host its
lease has ended. A refused run is told what it can do and when, and force_unlock only
where it would be allowed.
"""

from __future__ import annotations

import calendar
import getpass
import json
import math
import os
import re
import socket
import time

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import utc_now

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class LockHeld(CoworkerError):
    """Another run holds the lock."""


def lock_key(account, region, plan_id):
    name = re.sub(r"[^A-Za-z0-9._-]", "_", "%s-%s-%s" % (account, region, plan_id))
    return "locks/%s.lock" % name


def _pid_alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError):
        return True
    return True


def parse_holder(data):
    if data is None:
        return None
    try:
        holder = json.loads(data.decode("utf-8"))
        if isinstance(holder, dict):
            return holder
    except (ValueError, UnicodeDecodeError):
        pass
    return {"run_id": "?", "pid": None, "host": "?", "note": "unreadable lock"}


def read_holder(backend, key):
    return parse_holder(backend.lock_read(key)[0])


def _seen_here(holder):
    """Whether the holder's process is alive, seen from this host; None when it is not on this host."""
    if holder and holder.get("host") == socket.gethostname() and holder.get("pid"):
        return _pid_alive(holder["pid"])
    return None


def _is_stale(backend, holder):
    """Its process is gone (seen from this host), or a shared backend's lease ended and its holder is not
    a process seen alive on this host (one waiting at a prompt longer than the lease keeps its lock)."""
    seen = _seen_here(holder)
    if seen is not None:  # a process of this host: stale exactly when it is gone, whatever its lease
        return not seen
    return bool(holder and backend.lease_takeover and _lease_expired(holder))


def _lease_end(seconds, now=None):
    """The lease's end, rounded up to the second: never shorter than ``seconds``."""
    return time.strftime(TIME_FORMAT, time.gmtime(math.ceil((now or time.time()) + seconds)))


def _lease_expired(holder, now=None):
    try:
        end = calendar.timegm(time.strptime(holder.get("lease_until") or "", TIME_FORMAT))
    except ValueError:
        return True  # a lock from before leases, or unreadable: force_unlock decides as it always did
    return (now or time.time()) >= end


def new_record(backend, run_id, pid, lease=None, journal_head=None):
    """The lock record of a holder; ``lease`` (seconds, the backend's by default) is the one it renews with."""
    lease = lease or backend.lease_seconds
    record = {"run_id": run_id, "pid": pid, "host": socket.gethostname(), "user": getpass.getuser(),
              "since": utc_now(), "lease_until": _lease_end(lease), "lease_seconds": lease}
    principal = backend.principal()
    if principal:
        record["principal"] = principal
    if journal_head:
        record["journal_head"] = journal_head
    return record


def _encode(record):
    return json.dumps(record, sort_keys=True).encode("utf-8")


def acquire(backend, key, run_id, pid, force_unlock=None, lease=None, journal_head=None):
    """Take the lock for ``run_id``; return a note when a lock was taken over, else None.

    ``journal_head`` is the head of the run's journal as this pass found it (run/integrity.py)."""
    record = new_record(backend, run_id, pid, lease, journal_head)
    for _attempt in range(3):
        if backend.lock_create(key, _encode(record)):
            return None
        data, version = backend.lock_read(key)
        if data is None:
            continue  # released in between: try again
        holder = parse_holder(data)
        if holder == record:
            return None  # our own write, whose answer was lost and retried
        forced = bool(force_unlock and holder.get("run_id") == force_unlock)
        stale = _is_stale(backend, holder)
        refusal = _force_refusal(backend, holder, key) if forced and not stale else None
        if refusal:
            raise LockHeld(refusal)
        if stale or forced:
            if not backend.lock_replace(key, _encode(record), version):
                continue  # someone else changed it first: look again
            return took_over_note(holder, "stale" if stale else "forcibly released")
        raise LockHeld(describe_holder(holder, backend.location(key), backend, key))
    raise LockHeld("could not take the lock %s" % backend.location(key))


def took_over_note(holder, how):
    lease = " (its lease ended at %s)" % holder.get("lease_until") if _lease_expired(holder) else ""
    return ("took over the %s lock of run %s (pid %s on %s%s, since %s)%s"
            % (how, holder.get("run_id"), holder.get("pid"), holder.get("host"),
               ", as %s" % holder["principal"] if holder.get("principal") else "", holder.get("since"), lease))


def renew(backend, key, run_id, keep_fraction=None, pid=None, journal_head=None):
    """Push the lease of our lock further (unless ``keep_fraction`` of the holder's lease is left); LockHeld
    when the run holds it no more (taken over after its lease ended, or removed). With ``pid`` (the
    ansible-playbook process that took the lock), a lock another pass of the same run took over (a resume
    or rollback on another machine, after this one's lease ended) is not ours either. ``journal_head`` is
    recorded with the lease. The heartbeat and a journal writer of the same holder may renew at the same
    moment: a lock changed in between is read again, and still ours, renewed from there."""
    for _attempt in range(3):
        data, version = backend.lock_read(key)
        holder = parse_holder(data)
        _check_ours(backend, key, run_id, holder, pid)
        lease = holder.get("lease_seconds") or backend.lease_seconds
        if keep_fraction is not None and not _lease_expired(holder, time.time() + lease * keep_fraction):
            return
        record = dict(holder, lease_until=_lease_end(lease))
        if journal_head:
            record["journal_head"] = journal_head
        if backend.lock_replace(key, _encode(record), version):
            return
    raise LockHeld("the lock %s kept changing while run %s renewed it; stopped before the next AWS call"
                   % (backend.location(key), run_id))


def _check_ours(backend, key, run_id, holder, pid):
    if holder is None or holder.get("run_id") != run_id:
        raise LockHeld("run %s no longer holds its lock (%s): %s; stopped before the next AWS call"
                       % (run_id, backend.location(key), "nobody holds it" if holder is None
                          else "run %s took it over" % holder.get("run_id")))
    if pid is not None and (holder.get("pid") != pid or holder.get("host") != socket.gethostname()):
        raise LockHeld("another pass of run %s took its lock over (%s: pid %s on %s since %s, after this pass's "
                       "lease ended); this pass stopped before the next AWS call"
                       % (run_id, backend.location(key), holder.get("pid"), holder.get("host"), holder.get("since")))


def _force_refusal(backend, holder, key):
    """Why force_unlock may not take this holder's lock now (None: it may): it may still be working.

    On this host the holder's pid tells; on another host nothing here can see its process,
    so its lease decides.
    """
    if holder.get("host") == socket.gethostname():
        if holder.get("pid") and _pid_alive(holder["pid"]):
            return ("force_unlock refused: run %s still runs here (pid %s on %s is alive); stop that "
                    "process first, or let it finish. Lock: %s"
                    % (holder.get("run_id"), holder.get("pid"), holder.get("host"), backend.location(key)))
        return None
    if _lease_expired(holder):
        return None
    after = ("then the lock is taken over without force_unlock" if backend.lease_takeover
             else "then force_unlock is allowed")
    return ("force_unlock refused: run %s is held from another host (%s, pid %s) and its lease runs until %s; its "
            "process cannot be checked from here. Stop it there, or wait until the lease ends: %s. Lock: %s"
            % (holder.get("run_id"), holder.get("host"), holder.get("pid"), holder.get("lease_until"), after,
               backend.location(key)))


def describe_holder(holder, where, backend, key):
    """Who holds the lock, and what the reader can do about it and when (force_unlock only where it would work)."""
    holder = holder or {}
    principal = " as %s" % holder["principal"] if holder.get("principal") else ""
    text = ("another run holds the lock %s: run %s by %s%s on %s (pid %s) since %s, lease until %s. "
            % (where, holder.get("run_id"), holder.get("user"), principal, holder.get("host"), holder.get("pid"),
               holder.get("since"), holder.get("lease_until")))
    return text + _what_to_do(holder, backend, key)


def _what_to_do(holder, backend, key):
    if holder.get("host") == socket.gethostname():
        return ("Its process runs on this host: wait for it to finish, or stop it (pid %s); once it is gone the "
                "lock is taken over by the next run, and said so." % holder.get("pid"))
    if backend.lease_takeover:
        every = holder.get("lease_seconds")
        return ("Its process, on another host, renews the lease%s while it lives: wait for it to finish. If it "
                "died, the lock is free once the lease ends (%s UTC at the latest) and the next run takes it over "
                "then, and says so; force_unlock cannot free it sooner."
                % (" every %d s" % (every // 3) if isinstance(every, int) and every >= 3 else "",
                   holder.get("lease_until")))
    if _force_refusal(backend, holder, key):
        return ("Its process, on another host, cannot be checked from here: wait for it to finish. If it died, "
                "run again with -e force_unlock=%s after its lease ends (%s UTC)."
                % (holder.get("run_id"), holder.get("lease_until")))
    return "Wait for it to finish, or if it is dead run again with -e force_unlock=%s" % holder.get("run_id")


def release(backend, key, run_id, pid=None):
    """Remove the run's lock (with ``pid``: only while that process of this host holds it)."""
    data, version = backend.lock_read(key)
    holder = parse_holder(data)
    if not holder or holder.get("run_id") != run_id:
        return False
    if pid is not None and (holder.get("pid") != pid or holder.get("host") != socket.gethostname()):
        return False
    return backend.lock_delete(key, version)
