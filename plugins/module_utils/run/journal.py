# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run journal: one JSON object a line, appended, flushed and fsynced.

The journal is the source of truth of a run. Every mutating call is written
as ``call_started`` before it is sent and as ``call_succeeded`` /
``call_failed`` right after, so a run that dies half-way still says what may
exist. A torn last line (a crash mid-write) is ignored when reading. Every event
carries its place in the journal's hash chain (``seq``, ``prev``: run/chain.py); a
line is written in the chain's canonical form, and a journal whose chain is broken
is refused when read (``verified_events``).
"""

from __future__ import annotations

import errno
import getpass
import json
import os
import re
import time
from datetime import datetime, timezone

from ansible_collections.coworker.aws.plugins.module_utils.run import heads
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import (
    JournalTampered, holds, refusal, seal, verify)
from ansible_collections.coworker.aws.plugins.module_utils.run.state_files import (
    open_private, private_dir, write_private)
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, RunError

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
        raise RunError("invalid run id %r" % (run_id,))
    return os.path.join(state_dir, "runs", run_id)


def journal_path(state_dir, run_id):
    return os.path.join(run_dir(state_dir, run_id), "journal.jsonl")


class JournalLost(CoworkerError):
    """The journal was deleted or truncated under a run."""


def copy_path(path):
    """The journal's second record, ``<state_dir>/journal-copies/<run id>.jsonl`` (outside the run folder).

    None for a journal outside a state dir's ``runs/<run id>/`` layout (nothing to name its copy after).
    """
    folder = os.path.dirname(path)
    runs = os.path.dirname(folder)
    if os.path.basename(runs) != "runs":
        return None
    return os.path.join(os.path.dirname(runs), "journal-copies", os.path.basename(folder) + ".jsonl")


def _size(path):
    if path is None:
        return None
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


def check_intact(path):
    """Refuse a journal that is missing or shorter than its copy: events were lost."""
    copy, size = copy_path(path), _size(path)
    copied = _size(copy)
    if copied and (size is None or size < copied):
        raise JournalLost("the journal %s was %s while run %s went on (its copy %s holds %d bytes, the journal %s); "
                          "stopped before the next AWS call. The copy has every event: resuming or rolling back "
                          "the run (resume=, rollback_run.yml run=) restores the journal from it."
                          % (path, "deleted" if size is None else "truncated", os.path.basename(os.path.dirname(path)),
                             copy, copied, "is gone" if size is None else "%d" % size))


def restore_from_copy(path, run_id):
    """Put the copy back as the journal when the journal lost events; return a note, or None.

    Only a journal cut short (or deleted) is restored: its events must be the copy's first ones.
    A journal that differs from its copy is not overwritten: reading it refuses it as tampered."""
    try:
        check_intact(path)
        return None
    except JournalLost:
        pass
    copy = copy_path(path)
    with open(copy, "rb") as source:
        data = source.read()
    copied, _head, _legacy = verified_events(data, copy, run_id)
    kept = read_events(path)
    if copied[:len(kept)] != kept:
        differs = next((i for i, (a, b) in enumerate(zip(kept, copied)) if a != b), min(len(kept), len(copied)))
        raise JournalTampered(refusal(path, run_id, "it is shorter than its copy %s and differs from it at event #%d"
                                      % (copy, differs)))
    private_dir(os.path.dirname(path), levels=2)
    write_private(path, data)
    return "the journal %s had lost events and was restored from its copy %s" % (path, copy)


def _open_append(path):
    """A private (0600, never through a symlink) file opened for appending events."""
    return open_private(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)


# Written ahead: these events are on the disk (journal and copy fsynced) before the request they announce is sent.
WRITE_AHEAD = ("call_started", "rollback_call_started")


class Journal:
    """Append-only writer: each event is written (journal and copy) before ``append`` returns, and reaches the
    disk at the next commit point (group commit).

    Commit points: an event of ``WRITE_AHEAD`` (before a request that can change something), ``commit()``
    (before a question is asked) and ``close()`` (before the task returns). An event written is in the page
    cache, so it survives the process being killed; a power loss can lose the events after the last commit
    point, which is the same as a crash just before them (the lost-answer checks of a resume handle that).

    An existing run's journal is checked when opened and before every event: deleted or
    cut short under the run, it raises JournalLost instead of starting a fresh history
    (``create=True`` only for a new run); its chain broken, or its head not the one this
    process lineage left it with (run/heads.py), it raises JournalTampered.
    """

    def __init__(self, path, run_id, create=False):
        self.path = path
        self.run_id = run_id
        if not create:
            check_intact(path)
        private_dir(os.path.dirname(path), levels=2)  # runs/<run_id>
        self._fd = _open_append(path)
        copy = copy_path(path)
        if copy:
            private_dir(os.path.dirname(copy))  # journal-copies/
        self._copy = _open_append(copy) if copy else None
        _seal_torn_tail(self._fd)
        data = _read_fd(self._fd)
        events, self.head, _legacy = verified_events(data, path, run_id)
        heads.expect(path, self.head, run_id)
        if copy:
            self._catch_up_copy(data, events)
        self._stat = os.fstat(self._fd)
        self._unsynced = False

    def _catch_up_copy(self, data, events):
        """A crash between the journal's write and the copy's leaves the copy an event short (or torn):
        it becomes the journal's bytes again, provided its events are the journal's first ones."""
        copy = copy_path(self.path)
        held = _read_fd(self._copy)
        if held == data:
            return
        copied, head, _legacy = verified_events(held, copy, self.run_id)
        if not holds(events, head):
            raise JournalTampered(refusal(self.path, self.run_id, "it differs from its copy %s within the copy's "
                                          "%d events" % (copy, len(copied))))
        os.ftruncate(self._copy, 0)
        os.write(self._copy, data)
        os.fsync(self._copy)

    def _check_still_there(self):
        """The file at our path is still the one we append to, and no shorter than we left it."""
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        if now is None or now.st_ino != self._stat.st_ino or now.st_size < self._stat.st_size:
            raise JournalLost("the journal %s was %s during run %s; stopped before the next AWS call. Its copy %s "
                              "has every event: resuming or rolling back the run restores the journal from it."
                              % (self.path, "deleted or replaced" if now is None or now.st_ino != self._stat.st_ino
                                 else "truncated", self.run_id, copy_path(self.path)))

    def append(self, event, **fields):
        self._check_still_there()
        record, line, head = encode_event(self.run_id, event, fields, self.head)
        heads.remember(self.path, self.head, head)  # a crash mid-write leaves either
        for fd in (self._fd, self._copy):
            if fd is not None:
                os.write(fd, line)
        self._unsynced = True
        if event in WRITE_AHEAD:
            self.commit()
        self._stat = os.fstat(self._fd)
        self.head = head
        heads.remember(self.path, head)
        return record

    def commit(self):
        """Every event written so far reaches the disk (journal and copy)."""
        if not getattr(self, "_unsynced", False):
            return
        for fd in (self._fd, self._copy):
            if fd is not None:
                os.fsync(fd)
        self._unsynced = False

    def close(self):
        if getattr(self, "_fd", None) is not None:
            self.commit()
        for name in ("_fd", "_copy"):
            if getattr(self, name, None) is not None:
                os.close(getattr(self, name))
                setattr(self, name, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def encode_event(run_id, event, fields, head):
    """(record, bytes of its journal line, the chain's head after it): the one format every backend writes."""
    record = dict(fields)
    record.update(ts=utc_now(), run_id=run_id, event=event)  # never taken from the fields
    return seal(record, head)


def _read_fd(fd):
    size = os.fstat(fd).st_size
    return os.pread(fd, size, 0) if size else b""


def _seal_torn_tail(fd):
    """A crash can leave a line without its newline; end it so the next event stands alone."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        os.write(fd, b"\n")


_VERIFIED = {}  # location -> (bytes verified, their head, legacy count, event count), in this process


def verified_events(data, location, run_id):
    """(events, head, legacy) of a journal's bytes, its chain checked (run/chain.py; JournalTampered if broken).

    What this process verified before is not hashed again: only the events appended since."""
    data = data or b""
    events = parse_events(data)
    seen = _VERIFIED.get(location)
    if seen and data.startswith(seen[0]) and len(events) >= seen[3]:
        head, legacy = verify(events[seen[3]:], location, run_id, (seen[1], seen[2]))
    else:
        head, legacy = verify(events, location, run_id)
    if data.endswith(b"\n"):  # whole lines only: a torn last line may still become a whole event
        _VERIFIED[location] = (data, head, legacy, len(events))
    return events, head, legacy


def read_events(path):
    """Every whole event of a journal; a torn or garbled line is skipped, never fatal."""
    try:
        with open(path, "rb") as handle:
            return parse_events(handle.read())
    except FileNotFoundError:
        return []


def parse_events(data):
    """The whole events in a journal's bytes; a torn or garbled line is skipped."""
    events = []
    for raw in (data or b"").split(b"\n"):
        try:
            record = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and "event" in record:
            events.append(record)
    return events


def find_run(state_dir, ref):
    """A run id, or ``last`` (the run started most recently), to an existing run id."""
    runs = os.path.join(state_dir, "runs")
    if ref != "last":
        path = journal_path(state_dir, ref)
        if not os.path.isfile(path) and not os.path.isfile(copy_path(path)):
            raise RunError("no run %r under %s" % (ref, runs))
        return ref
    copies = os.path.join(state_dir, "journal-copies")
    names = set(_listdir(runs)) | {n[:-len(".jsonl")] for n in _listdir(copies) if n.endswith(".jsonl")}
    started = [(e[0]["ts"], n) for n in names if RUN_ID_RE.match(n) for e in [_first_events(state_dir, n)] if e]
    if not started:
        raise RunError("no runs under %s" % runs)
    return max(started)[1]


def _first_events(state_dir, run_id):
    """A run's first event, from its journal or, when that was lost, from its copy."""
    path = journal_path(state_dir, run_id)
    return read_events(path)[:1] or read_events(copy_path(path))[:1]


def _listdir(folder):
    try:
        return os.listdir(folder)
    except OSError:
        return []


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

    ``steps`` maps a step id to ``{status, outputs, changed[, cli]}`` (``cli``: the call as last sent) where status is
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
            if kind == "call_started" and event.get("cli"):
                entry["cli"] = event["cli"]  # the call as sent: with the run tags and tokens the plan does not show
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
