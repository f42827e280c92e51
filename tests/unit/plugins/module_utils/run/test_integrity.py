"""A run's journal against every record of its head (run/integrity.py), on the local backend."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import heads, integrity
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import EMPTY, Head, JournalTampered, seal
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import JournalLost, copy_path, parse_events
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import acquire, lock_key

RUN = "20261130T000000Z-p-aaaaaa"


def start(backend, run_id=RUN):
    """What run_journal op=start does: the head record first, then the journal."""
    integrity.record_head(backend, run_id, EMPTY, pass_open=True)
    with backend.journal(run_id, create=True) as journal:
        journal.append("run_started", plan_id="p", account_id="210987654321", region="us-east-1")
        journal.append("call_succeeded", step="a", outputs={"id": "mine"})
    return journal.head


def finish(backend, run_id=RUN):
    with backend.journal(run_id) as journal:
        journal.append("run_finished", status="succeeded")
    integrity.record_head(backend, run_id, journal.head, pass_open=False)
    return journal.head


@pytest.fixture
def backend(tmp_path):
    return LocalBackend(str(tmp_path))


@pytest.fixture
def forget(monkeypatch):
    """From now on, a reader that did not write the run (another process, another machine): no head in memory."""
    return lambda: monkeypatch.setattr(heads, "_KNOWN", {})


def rewrite(backend, run_id, events):
    """What an editor who knows the format does: a fresh chain, written to the journal and its copy."""
    head, data = EMPTY, b""
    for event in events:
        _record, line, head = seal({k: v for k, v in event.items() if k not in ("seq", "prev")}, head)
        data += line
    for path in (backend.journal_location(run_id), copy_path(backend.journal_location(run_id))):
        with open(path, "wb") as handle:
            handle.write(data)
    return head


def refused(backend, says):
    with pytest.raises(JournalTampered) as caught:
        integrity.check(backend, RUN)
    assert says in str(caught.value), str(caught.value)
    assert str(caught.value).startswith("refused: the journal %s of run %s was tampered with:"
                                        % (backend.journal_location(RUN), RUN))


def test_the_writing_process_checks_from_memory_and_a_reader_from_the_records(backend, monkeypatch):
    head = start(backend)
    assert integrity.check(backend, RUN)[1:] == (head, None)
    finish(backend)
    monkeypatch.setattr(heads, "_KNOWN", {})
    events, _head, note = integrity.check(backend, RUN)
    assert [e["event"] for e in events] == ["run_started", "call_succeeded", "run_finished"] and note is None


def test_a_forged_tail_after_a_pass_that_ended_is_refused(backend, forget):
    start(backend)
    end = finish(backend)
    forget()
    events = backend.events(RUN)
    rewrite(backend, RUN, events + [{"ts": "t", "run_id": RUN, "event": "step_succeeded", "step": "a",
                                     "outputs": {"id": "bystander"}}])
    refused(backend, "it has 1 event(s) after event #%d, where the run's last pass ended" % (end.events - 1))


def test_events_after_the_head_of_a_pass_that_never_ended_are_that_pass_s(backend, forget):
    start(backend)  # killed: its head record says a pass is open after event -1
    forget()
    assert integrity.check(backend, RUN)[2] is None


def test_a_rewritten_chain_does_not_hold_the_head_the_run_recorded(backend, forget):
    start(backend)
    end = finish(backend)
    forget()
    events = backend.events(RUN)
    events[1]["outputs"] = {"id": "bystander"}
    rewrite(backend, RUN, events)
    refused(backend, "it no longer holds event #%d as the run recorded it (%s)"
            % (end.events - 1, backend.location(integrity.head_key(RUN))))


def test_the_lock_and_the_reports_are_records_of_the_head_too(backend, forget):
    start(backend)
    forget()
    head = backend.verified(RUN)[1]
    acquire(backend, lock_key("210987654321", "us-east-1", "p"), RUN, os.getpid(), journal_head=head.as_dict())
    events = backend.events(RUN)
    events[1]["outputs"] = {"id": "bystander"}
    rewrite(backend, RUN, events)  # the head record (open, after event -1) holds any journal: the lock does not
    refused(backend, "it no longer holds event #1 as the run recorded it (%s)"
            % backend.location("locks/210987654321-us-east-1-p.lock"))
    os.unlink(backend.path("locks/210987654321-us-east-1-p.lock"))
    backend.put("runs/%s/report.json" % RUN, json.dumps({"journal_head": head.as_dict()}).encode())
    refused(backend, "(%s)" % backend.location("runs/%s/report.json" % RUN))


def test_a_missing_or_unreadable_head_record_is_refused(backend, forget):
    start(backend)
    forget()
    backend.put(integrity.head_key(RUN), b"not json")
    refused(backend, "its head record %s is not one the run wrote" % backend.location(integrity.head_key(RUN)))
    os.unlink(backend.path(integrity.head_key(RUN)))
    refused(backend, "its head record %s is gone" % backend.location(integrity.head_key(RUN)))


def test_a_journal_edited_without_its_copy_is_caught_by_the_copy(backend, forget):
    start(backend)
    finish(backend)
    forget()
    path = backend.journal_location(RUN)
    data = open(path, "rb").read()
    with open(path, "wb") as handle:  # same length, same chain length: only the copy tells
        handle.write(data.replace(b'"mine"', b'"evil"'))
    with pytest.raises(JournalTampered, match="was not written after the event now before it"):
        integrity.check(backend, RUN)
    with open(path, "wb") as handle:
        handle.write(data[:data.index(b"\n") + 1])  # cut short: restored from the copy, not refused
    with pytest.raises(JournalLost):
        integrity.check(backend, RUN)
    assert "restored from its copy" in backend.restore(RUN)
    assert open(path, "rb").read() == data


def test_a_legacy_journal_is_used_unverified_from_local_state_and_said_so(backend, forget):
    lines = [json.dumps({"ts": "t", "run_id": RUN, "event": kind}).encode() + b"\n" for kind in ("run_started", "note")]
    backend.put("runs/%s/journal.jsonl" % RUN, b"".join(lines))
    forget()
    events, head, note = integrity.check(backend, RUN)
    assert len(events) == 2 and head.events == 2
    assert note == ("the journal %s of run %s was written before journals were hash-chained: it is used as written, "
                    "unverified (local state only)" % (backend.journal_location(RUN), RUN))


def test_a_journal_stripped_of_its_chain_is_not_taken_for_a_legacy_one(backend, forget):
    start(backend)
    finish(backend)
    forget()
    path = backend.journal_location(RUN)
    stripped = b"".join(json.dumps({k: v for k, v in e.items() if k not in ("seq", "prev")}).encode() + b"\n"
                        for e in parse_events(open(path, "rb").read()))
    for name in (path, copy_path(path)):
        with open(name, "wb") as handle:
            handle.write(stripped)
    refused(backend, "as the run recorded it")


def test_a_copy_left_an_event_short_or_torn_by_a_crash_catches_up_when_the_journal_is_opened(backend):
    start(backend)
    path = backend.journal_location(RUN)
    data = open(path, "rb").read()
    first = data[:data.index(b"\n") + 1]
    with open(copy_path(path), "wb") as handle:
        handle.write(first + data[len(first):len(first) + 20])  # one event short, then a torn line
    finish(backend)
    assert open(copy_path(path), "rb").read() == open(path, "rb").read()
    assert Head.of(json.loads(backend.get(integrity.head_key(RUN)))) == backend.verified(RUN)[1]


def test_once_checked_the_journal_is_held_to_what_was_checked(backend, forget):
    start(backend)
    forget()
    integrity.check(backend, RUN)  # a resume's or rollback's first look, before it takes the lock
    events = backend.events(RUN)
    rewrite(backend, RUN, events + [{"ts": "t", "run_id": RUN, "event": "step_succeeded", "step": "a"}])
    with pytest.raises(JournalTampered, match="it has 1 event.s. after event #1, where this run left it"):
        backend.journal(RUN)  # changed in between: the pass's first write refuses it
