# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a run's journal is what the run wrote: checked before anything is done from it.

The journal's hash chain (run/chain.py) shows an event changed, removed, inserted or
reordered, unless every later hash was recomputed. What the chain cannot show by itself
(a journal rewritten whole with a fresh chain, a forged tail) is shown by the chain's head,
kept where the journal is not:

- in the memory of the process lineage that writes the run (run/heads.py): every task of a
  live run knows the head its journal must have, at no cost;
- in the run's head record ``runs/<id>/journal-head.json``, written before the first event,
  when a pass (a resume, a rollback) begins and when it ends; ``open`` says a pass began
  after that head, so events after it are that pass's (a pass killed before it ended);
  after a pass that ended, nothing may follow;
- in the lock record (``journal_head``: the heartbeat records the head it knows was written)
  and in every report (``journal_head``, and a line of report.md);
- on S3, in the object's versions: each write adds events to the version before it.

A reader without the head in memory (a resume or rollback, from any machine) checks them all.
A journal that fails is refused as tampered, naming the journal (the bucket and key on S3),
before any AWS call; the refusal never offers a new digest to use instead. A journal written
before the chain (no ``seq``/``prev``) and without a head record is accepted, unverified and
said so, only from local state; from the S3 backend, which others can write, it is refused.

Limit: whoever can rewrite the journal, its head record, the reports and the lock alike (and
delete the object's versions) can forge a run's history; the state bucket's policy decides who
can. See docs/security.md.
"""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.run import heads
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import (
    Head, JournalTampered, holds, refusal)
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import utc_now
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import lock_key, read_holder
from ansible_collections.coworker.aws.plugins.module_utils.run.passes import report_names


class JournalUnverifiable(CoworkerError):
    """A journal from before the hash chain, in shared state: nothing shows whether it was changed."""


def head_key(run_id):
    return "runs/%s/journal-head.json" % run_id


def record_head(backend, run_id, head, pass_open):
    """Keep the chain's head apart from the journal; ``pass_open``: a pass begins (or began) after it."""
    record = dict(head.as_dict(), run_id=run_id, open=bool(pass_open), written=utc_now())
    backend.put(head_key(run_id), json.dumps(record, sort_keys=True).encode("utf-8"))


def check(backend, run_id):
    """(events, head, note) of the run's journal, refused unless it is what the run wrote.

    JournalLost when it was deleted or cut short, JournalTampered when it was changed,
    JournalUnverifiable for a journal from before the chain in shared state; ``note`` says
    when a journal is used unverified."""
    backend.check_intact(run_id)
    events, head, legacy = backend.verified(run_id)
    where = backend.journal_location(run_id)
    if heads.known(where) is not None:
        heads.expect(where, head, run_id)
        return events, head, None
    record = _read_json(backend, head_key(run_id))
    note = None
    if record is None and legacy == len(events):
        note = _legacy(backend, where, run_id)
    else:
        problem = backend.rewritten(run_id, events) or _head_problem(backend, run_id, events, record)
        if problem:
            raise JournalTampered(refusal(where, run_id, problem))
    heads.remember(where, head)  # from now on this process lineage holds the journal to what it checked here
    return events, head, note


def _legacy(backend, where, run_id):
    if backend.kind != "local":
        raise JournalUnverifiable(
            "refused: the journal %s of run %s was written before journals were hash-chained, so nothing shows "
            "whether it was changed in the shared state since; it is not used to resume or roll back (no AWS call "
            "was made). Its report.md lists each step with its rollback command, to undo it by hand." % (where, run_id))
    return ("the journal %s of run %s was written before journals were hash-chained: it is used as written, "
            "unverified (local state only)" % (where, run_id))


def _head_problem(backend, run_id, events, record):
    """What the run's own records of its head say is wrong with these events, or None."""
    name = backend.location(head_key(run_id))
    if record is None:
        return "its head record %s is gone" % name
    recorded = Head.of(record)
    if recorded is None:
        return "its head record %s is not one the run wrote" % name
    for where, anchor in [(name, recorded)] + _other_records(backend, run_id, events):
        if not holds(events, anchor):
            return ("it no longer holds event #%d as the run recorded it (%s): events were changed or removed"
                    % (anchor.events - 1, where))
    if not record.get("open") and len(events) > recorded.events:
        return ("it has %d event(s) after event #%d, where the run's last pass ended (%s)"
                % (len(events) - recorded.events, recorded.events - 1, name))
    return None


def _other_records(backend, run_id, events):
    """[(where, head)] the lock (while this run holds it) and every report of the run recorded."""
    records = []
    started = events[0] if events and events[0].get("event") == "run_started" else {}
    if started.get("plan_id"):
        key = lock_key(started.get("account_id"), started.get("region"), started["plan_id"])
        holder = read_holder(backend, key) or {}
        if holder.get("run_id") == run_id and Head.of(holder.get("journal_head")):
            records.append((backend.location(key), Head.of(holder["journal_head"])))
    for name in report_names(events):
        key = "runs/%s/%s.json" % (run_id, name)
        recorded = Head.of((_read_json(backend, key) or {}).get("journal_head"))
        if recorded:
            records.append((backend.location(key), recorded))
    return records


def _read_json(backend, key):
    data = backend.get(key)
    if data is None:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}
