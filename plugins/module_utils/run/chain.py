# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The journal's hash chain: every event names the hash of the event before it.

The canonical form of an event is its JSON with keys sorted, separators ``,`` and ``:``,
UTF-8 with non-ASCII left as is (the plan digest's form), taken of the event as a reader
parses it back, so it does not depend on how a line was spaced. An event's hash is the
SHA-256 (lowercase hex) of that form, its own ``seq`` and ``prev`` included. Event ``n``
(counted from 0 over the journal's whole events; a torn line is not an event) carries
``seq: n`` and ``prev``: the hash of event ``n - 1``, or ``GENESIS`` for the first.

Changing, removing, inserting or reordering an event breaks the chain at that event,
unless every later hash is recomputed; that is what the chain's head, kept apart from the
journal (the writer's memory, the head record, the lock, the reports: run/integrity.py),
is there to catch. A journal written before the chain has no ``seq``/``prev``: it is
``legacy`` (its events are counted, not verified), and once an event carries the chain
every later one must.
"""

from __future__ import annotations

import hashlib
import json
from collections import namedtuple

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError

GENESIS = "0" * 64


class JournalTampered(CoworkerError):
    """A journal is not what its run wrote: refused before any AWS call."""


def refusal(where, run_id, what):
    """The words of every tampering refusal: the object, the run, what is wrong, what it means."""
    return ("refused: the journal %s of run %s was tampered with: %s. It is not what the run wrote, so nothing "
            "in it is used: no AWS call was made. Find out who changed it (on S3 the object's versions and "
            "CloudTrail tell when and who); the run's report.md lists what the run did, step by step."
            % (where, run_id, what))


class Head(namedtuple("Head", "events sha256")):
    """How many events a journal holds and the hash of its last one (``GENESIS`` when it has none)."""

    __slots__ = ()

    def as_dict(self):
        return {"events": self.events, "sha256": self.sha256}

    @classmethod
    def of(cls, value):
        """A head from its recorded form ({events, sha256}); None when absent or malformed."""
        if not isinstance(value, dict):
            return None
        events, sha = value.get("events"), value.get("sha256")
        if isinstance(events, bool) or not isinstance(events, int) or events < 0 or not isinstance(sha, str):
            return None
        return cls(events, sha)


EMPTY = Head(0, GENESIS)


def canonical(event):
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def event_hash(event):
    return hashlib.sha256(canonical(event)).hexdigest()


def seal(record, head):
    """(the record as a reader will parse it, its journal line, the head after it) for the next event.

    The line is the record's canonical form itself; the record goes through JSON once first so
    that what is hashed is exactly what a reader gets back (``default=str`` values, integer keys)."""
    record = json.loads(json.dumps(dict(record, seq=head.events, prev=head.sha256), default=str, ensure_ascii=False))
    line = canonical(record)
    return record, line + b"\n", Head(head.events + 1, hashlib.sha256(line).hexdigest())


def _break(index, event, head):
    """Why event ``index`` does not continue the chain, or None when it does."""
    if event.get("seq") != index:
        return ("event #%d (%s) is recorded as event #%s: events before it were removed, inserted or reordered"
                % (index, event.get("event"), event.get("seq")))
    if event.get("prev") != head.sha256:
        return ("event #%d (%s) was not written after the event now before it: that event, or this one, was changed"
                % (index, event.get("event")))
    return None


def verify(events, where, run_id, start=(EMPTY, 0)):
    """(head, legacy) of a journal's events, or ``JournalTampered`` at the first event that breaks the chain.

    ``legacy`` counts the leading events written before the chain; ``start`` is (head, legacy)
    of events already verified, the list continuing after them."""
    head, legacy = start
    chained = legacy < head.events
    for index, event in enumerate(events, head.events):
        if not chained and "seq" not in event and "prev" not in event:
            legacy += 1
        else:
            chained = True
            problem = _break(index, event, head) if ("seq" in event or "prev" in event) else (
                "event #%d (%s) has no place in the chain (no seq and prev): it was not written by the run"
                % (index, event.get("event")))
            if problem is None and event.get("run_id") != run_id:
                problem = "event #%d (%s) belongs to run %s" % (index, event.get("event"), event.get("run_id"))
            if problem:
                raise JournalTampered(refusal(where, run_id, problem))
        head = Head(index + 1, event_hash(event))
    return head, legacy


def head_of(events):
    """The chain's head after these events, as a report or the lock records it; None for an unchained journal."""
    return Head(len(events), event_hash(events[-1])).as_dict() if events and "seq" in events[-1] else None


def holds(events, head):
    """Whether the events contain ``head``: exactly ``head.events`` of them or more, the last of those hashing to it."""
    if head.events == 0:
        return head.sha256 == GENESIS
    return len(events) >= head.events and event_hash(events[head.events - 1]) == head.sha256
