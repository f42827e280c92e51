# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run journal: one JSON object a line, appended, flushed and fsynced.

The journal is the source of truth of a run. Every mutating call is written
as ``call_started`` before it is sent and as ``call_succeeded`` /
``call_failed`` right after, so a run that dies half-way still says what may
exist. A torn last line (a crash mid-write) is ignored when reading.
"""

from __future__ import annotations

import errno
import getpass
import json
import os
import re
import time
from datetime import datetime, timezone

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


_STATE_ERRORS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "user %s may not write there (permission denied)",
    errno.EPERM: "user %s may not write there (operation not permitted)",
}


def state_dir_problem(exc):
    """Words for an OSError on the state directory (journal, report, lock), or None for other errors."""
    reason = _STATE_ERRORS.get(getattr(exc, "errno", None))
    if reason is None:
        return None
    if "%s" in reason:
        reason = reason % getpass.getuser()
    where = exc.filename or "the state directory"
    return ("cannot write the run state at %s: %s [Errno %d]. Point state_dir at a writable directory "
            "(-e state_dir=...); the journal and report already written there say what the run did, and no "
            "further AWS call was made after this." % (where, reason, exc.errno))


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run_dir(state_dir, run_id):
    if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
        raise ValueError("invalid run id %r" % (run_id,))
    return os.path.join(state_dir, "runs", run_id)


def journal_path(state_dir, run_id):
    return os.path.join(run_dir(state_dir, run_id), "journal.jsonl")


class Journal:
    """Append-only writer; each event reaches the disk before ``append`` returns."""

    def __init__(self, path, run_id):
        self.path = path
        self.run_id = run_id
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._seal_torn_tail()

    def _seal_torn_tail(self):
        """A crash can leave a line without its newline; end it so the next event stands alone."""
        size = os.fstat(self._fd).st_size
        if size:
            with open(self.path, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    os.write(self._fd, b"\n")

    def append(self, event, **fields):
        record = {"ts": utc_now(), "run_id": self.run_id, "event": event}
        record.update(fields)
        line = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode("utf-8"))
        os.fsync(self._fd)
        return record

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_events(path):
    """Every whole event of a journal; a torn or garbled line is skipped, never fatal."""
    events = []
    try:
        with open(path, "rb") as handle:
            for raw in handle:
                try:
                    record = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    continue
                if isinstance(record, dict) and "event" in record:
                    events.append(record)
    except FileNotFoundError:
        return []
    return events


def find_run(state_dir, ref):
    """A run id, or ``last`` (the run started most recently), to an existing run id."""
    runs = os.path.join(state_dir, "runs")
    if ref != "last":
        if not os.path.isfile(journal_path(state_dir, ref)):
            raise ValueError("no run %r under %s" % (ref, runs))
        return ref
    try:
        names = [n for n in os.listdir(runs) if os.path.isfile(os.path.join(runs, n, "journal.jsonl"))]
    except OSError:
        names = []
    started = [(e[0]["ts"], n) for n in names for e in [read_events(journal_path(state_dir, n))[:1]] if e]
    if not started:
        raise ValueError("no runs under %s" % runs)
    return max(started)[1]


def done_steps(state):
    """Steps a resumed run must not run again."""
    return [sid for sid, entry in state["steps"].items() if entry["status"] in ("succeeded", "skipped")]


def steps_to_roll_back(state):
    """Steps that may have changed something and are not rolled back yet (sent but unanswered counts)."""
    return [sid for sid, entry in state["steps"].items()
            if entry["changed"] and entry["status"] not in ("rolled_back", "planned")]


def new_run_id(plan_id):
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return "%s-%s-%s" % (stamp, plan_id, os.urandom(3).hex())


def run_state(events):
    """Fold a journal into what a run knows: approval, outputs, step outcomes.

    ``steps`` maps a step id to ``{status, outputs, changed}`` where status is
    the latest of ``started`` (sent, outcome unknown), ``succeeded``,
    ``failed``, ``skipped``, ``planned``, ``rolled_back`` or ``rollback_failed``.
    """
    state = {"approved": set(), "steps": {}, "started": None, "finished": None, "environment": None,
             "accounts": set(), "resumed": None}
    for event in events:
        kind = event["event"]
        step_id = event.get("step")
        if kind == "run_started":
            state["started"] = event
        elif kind == "run_resumed":
            state["approved"] = set()  # a resumed run or a later rollback needs its own approval
            state["resumed"] = event
        elif kind == "run_finished":
            state["finished"] = event
        elif kind == "environment_verified":
            state["environment"] = event
        elif kind == "guard_passed":
            state["accounts"].add(event.get("account"))
        elif kind == "approved":
            state["approved"].add(event.get("sha256"))
        elif step_id and kind in _STEP_STATUS:
            entry = state["steps"].setdefault(step_id, {"status": None, "outputs": {}, "changed": False})
            if _STEP_STATUS[kind]:
                entry["status"] = _STEP_STATUS[kind]
            if event.get("outputs"):
                entry["outputs"] = event["outputs"]
            if kind in ("call_started", "call_succeeded") and event.get("mutating"):
                entry["changed"] = True  # sent: it may have changed something
            elif kind == "call_failed" and event.get("mutating"):
                # AWS answered with an error: this attempt changed nothing, but an earlier one may have
                entry["changed"] = entry.get("attempt_changed", False) or bool(event.get("changed"))
            if event.get("mutating") and (kind == "call_succeeded" or (kind == "call_failed" and event.get("changed"))):
                entry["attempt_changed"] = True  # made (or possibly made) by this run: a later failed attempt keeps it
            if kind in ("rollback_succeeded", "rollback_failed"):
                entry["rolled_back_at"] = event["ts"]
    return state


_STEP_STATUS = {
    "call_started": "started", "call_succeeded": None, "call_failed": None, "step_succeeded": "succeeded", "step_failed": "failed",
    "step_skipped": "skipped", "step_planned": "planned", "rollback_succeeded": "rolled_back",
    "rollback_failed": "rollback_failed",
}
