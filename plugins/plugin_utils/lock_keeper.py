# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock heartbeat and the journal heads, kept by the ansible-playbook process itself.

Action plugins run in workers that ansible-playbook forks for each task and that end with
it; the lock names ansible-playbook's pid, and only that process lives as long as the run
(also while a ``pause`` waits for a person). So the renewing happens there: ansible-playbook
imports this module when it loads the collection's action plugins (the strategy does, before
forking a task's worker), which opens a pipe and registers fork hooks. A worker sends what the
controller must keep through the pipe, one JSON line a message (shorter than PIPE_BUF, so
messages of workers running at once never interleave):

- ``hold``/``drop``: start or stop the heartbeat of a lock it took or released
  (module_utils/run/heartbeat.py, on a daemon thread: it dies with the process, so a killed
  job stops renewing and its lease runs out; a process that ends otherwise, after Ctrl-C or
  a failed task, gives back the locks it still holds);
- ``head``: the journal heads it wrote (module_utils/run/heads.py), which the controller keeps
  for the next workers it forks: every task of a live run knows what its journal must be.

Before each fork the controller reads what is waiting in the pipe (so the new worker knows the
latest heads) and waits for a renewal in flight to end (a fork never copies a half-done
request's locks into the worker). Where the collection was not loaded by the controller (no
pipe to it from this worker), nothing is sent: ``available()`` is False, the lock is taken
with a long lease instead (``lease_for``), and journals are checked against what the run
recorded elsewhere (module_utils/run/integrity.py).
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import select
import threading
import time

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.run import heads
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import Head
from ansible_collections.coworker.aws.plugins.module_utils.run.heartbeat import Heartbeat
from ansible_collections.coworker.aws.plugins.module_utils.run.together import leave_signals_to_the_main_thread

# the lease a lock is taken with when no heartbeat can renew it (as long as before heartbeats)
LEASE_WITHOUT_HEARTBEAT = 900
FORK_WAIT = 15  # seconds a fork waits at most for a renewal in flight (its client times out sooner)

_OWNER = os.getpid()
_READ, _WRITE = os.pipe()
os.set_blocking(_READ, False)


class _Keeper:
    """The controller's side: the pipe's unread bytes, the heartbeat and the thread that runs it."""

    def __init__(self):
        self.lock = threading.Lock()  # the buffer, the heartbeat's holds, the known heads
        self.beating = threading.Lock()  # a renewal in flight
        self.buffer = b""
        self.heartbeat = Heartbeat()
        self.thread = None
        self.waited = False


_KEEPER = _Keeper()


def available():
    """Whether this process is a worker of the process that keeps the heartbeat."""
    return os.getppid() == _OWNER


def lease_for(backend):
    """The lease to take a lock with: the backend's when a heartbeat renews it, else a long one."""
    if available() or not backend.lease_takeover:
        return backend.lease_seconds
    return max(backend.lease_seconds, LEASE_WITHOUT_HEARTBEAT)


def _send(message):
    data = json.dumps(message, sort_keys=True).encode("utf-8") + b"\n"
    if len(data) > select.PIPE_BUF:  # longer ones from workers running at once could interleave
        raise CoworkerError("the state location is too long to be passed to ansible-playbook in one message "
                            "(%d bytes, at most %d): use a shorter state_dir or prefix" % (len(data), select.PIPE_BUF))
    try:
        os.write(_WRITE, data)
    except BrokenPipeError:
        pass  # the controller is gone: there is nobody left to tell


def hold(backend, key, run_id):
    """Ask the controller to renew this lock (a backend whose leases free locks) until ``drop``; False if it cannot."""
    if not backend.lease_takeover or not available():
        return False
    _send({"op": "hold", "config": backend.config, "state_dir": backend.state_dir, "key": key, "run_id": run_id,
           "pid": os.getppid(), "lease": lease_for(backend)})
    return True


def drop(backend, key):
    if backend.lease_takeover and available():
        _send({"op": "drop", "where": backend.location(key)})


def _tell_head(location, acceptable):
    if available():
        _send({"op": "head", "location": location, "heads": [list(head) for head in acceptable]})


heads.listen(_tell_head)


# --- the controller's side ------------------------------------------------------------------------

def _drain():
    """Act on every whole message waiting in the pipe (called with the keeper's lock held)."""
    while True:
        try:
            chunk = os.read(_READ, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        _KEEPER.buffer += chunk
    *lines, _KEEPER.buffer = _KEEPER.buffer.split(b"\n")
    for line in lines:
        try:
            _act(json.loads(line.decode("utf-8")))
        except (ValueError, KeyError, TypeError):
            continue  # not a message of ours: nothing to keep


def _act(message):
    if message["op"] == "head":
        heads.learn(message["location"], [Head(*head) for head in message["heads"]])
    elif message["op"] == "hold":
        from ansible_collections.coworker.aws.plugins.module_utils.run.backend.s3 import S3Backend
        backend = S3Backend(message["config"], message["state_dir"], quick=True)
        _KEEPER.heartbeat.hold(backend, message["key"], message["run_id"], message["pid"], message["lease"])
    elif message["op"] == "drop":
        _KEEPER.heartbeat.drop(message["where"])


def _keep():
    """The thread: read the pipe as messages come, renew what is due (Ctrl-C is the main thread's)."""
    leave_signals_to_the_main_thread()
    while True:
        try:
            select.select([_READ], [], [], _KEEPER.heartbeat.wait())
            with _KEEPER.lock:
                _drain()
                due = _KEEPER.heartbeat.due()
            with _KEEPER.beating:
                for where, held in due:
                    _KEEPER.heartbeat.beat(where, held)
        except Exception:  # pylint: disable=broad-except
            # the heartbeat must outlive any one failure; a lock it fails to keep is found lost by the run itself
            time.sleep(1)


def _before_fork():
    if os.getpid() != _OWNER:
        return
    if _KEEPER.thread is None:
        _KEEPER.thread = threading.Thread(target=_keep, name="coworker-lock-keeper", daemon=True)
        _KEEPER.thread.start()
    _KEEPER.waited = _KEEPER.beating.acquire(timeout=FORK_WAIT)
    _KEEPER.lock.acquire()
    _drain()


def _after_fork_in_parent():
    if os.getpid() != _OWNER:
        return
    _KEEPER.lock.release()
    if _KEEPER.waited:
        _KEEPER.beating.release()


def _after_fork_in_child():
    global _KEEPER  # pylint: disable=global-statement
    if os.getppid() == _OWNER:  # a worker: it keeps the heads it inherited, and renews nothing itself
        _KEEPER = _Keeper()


def _at_exit():
    """ansible-playbook ends (also after Ctrl-C): once its workers are gone, the locks its runs still hold are
    given back instead of running out. A worker stopped by Ctrl-C first lets the steps in flight finish and
    journals them (several at once, with max_concurrency): until it ends the heartbeat keeps the lock, so no
    other run takes it while the journal is still written. Killed (SIGKILL, SIGTERM), it gets no say: the
    leases run out."""
    if os.getpid() != _OWNER:
        return
    for worker in multiprocessing.active_children():
        if not worker.daemon:
            worker.join()  # what multiprocessing's own exit handler does next (it was registered first: runs last)
    waited = _KEEPER.beating.acquire(timeout=FORK_WAIT)
    try:
        with _KEEPER.lock:
            _drain()
        _KEEPER.heartbeat.release_all()
    finally:
        if waited:
            _KEEPER.beating.release()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
