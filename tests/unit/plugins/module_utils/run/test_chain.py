"""The journal's hash chain: every way of editing a journal breaks it, and what a writer seals a reader verifies."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import heads
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import (
    EMPTY, GENESIS, Head, JournalTampered, canonical, event_hash, head_of, holds, seal, verify)
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import (
    Journal, encode_event, parse_events, read_events, verified_events)

RUN = "run-1"


def chained(*kinds, run_id=RUN):
    """Events as the writer seals them (and a reader parses them back)."""
    head, events = EMPTY, []
    for kind in kinds:
        record, line, head = seal({"ts": "t", "run_id": run_id, "event": kind}, head)
        assert json.loads(line) == record
        events.append(record)
    return events


def test_the_canonical_form_is_the_plan_digest_s_and_the_line_is_written_in_it():
    record, line, head = seal({"ts": "t", "run_id": RUN, "event": "note", "text": "é ü", "b": 1}, EMPTY)
    assert line == json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    assert "é ü".encode() in line  # non-ASCII as is
    assert (record["seq"], record["prev"]) == (0, GENESIS)
    assert head == Head(1, hashlib.sha256(line[:-1]).hexdigest()) == Head(1, event_hash(record))


def test_what_is_hashed_is_what_a_reader_parses_back_whatever_the_values():
    fields = {"when": datetime.datetime(2026, 11, 30), "ids": {10: "a", 9: "b"}, "ratio": 0.1}
    _record, line, head = encode_event(RUN, "note", fields, EMPTY)
    parsed = parse_events(line)
    assert verify(parsed, "j", RUN) == (head, 0)


def test_a_whole_chain_verifies_and_its_head_is_that_of_its_last_event():
    events = chained("run_started", "approved", "call_started", "call_succeeded")
    head, legacy = verify(events, "j", RUN)
    assert (head, legacy) == (Head(4, event_hash(events[-1])), 0)
    assert head_of(events) == head.as_dict() and holds(events, Head(2, event_hash(events[1])))
    assert not holds(events, Head(2, event_hash(events[2]))) and not holds(events, Head(5, head.sha256))


def edited(events):
    events = [dict(e) for e in events]
    events[1]["outputs"] = {"group_id": "sg-bystander"}
    return events


@pytest.mark.parametrize("edit, says", [
    (edited, "event #2 (call_started) was not written after the event now before it"),
    (lambda e: e[:1] + e[2:], "event #1 (call_started) is recorded as event #2: events before it were removed"),
    (lambda e: [e[0], e[2], e[1], e[3]], "event #1 (call_started) is recorded as event #2"),
    (lambda e: e[:2] + [{"ts": "t", "run_id": RUN, "event": "call_succeeded", "seq": 2, "prev": GENESIS}] + e[2:],
     "event #2 (call_succeeded) was not written after the event now before it"),
    (lambda e: e + [{"ts": "t", "run_id": RUN, "event": "step_succeeded"}],
     "event #4 (step_succeeded) has no place in the chain"),
    (lambda e: e[:3] + [dict(e[3], run_id="run-2")], "event #3 (call_succeeded) belongs to run run-2"),
])
def test_each_kind_of_edit_is_refused_as_tampered_naming_the_journal_and_the_event(edit, says):
    events = chained("run_started", "approved", "call_started", "call_succeeded")
    with pytest.raises(JournalTampered) as refused:
        verify(edit(events), "s3://bucket/runs/run-1/journal.jsonl", RUN)
    text = str(refused.value)
    assert text.startswith("refused: the journal s3://bucket/runs/run-1/journal.jsonl of run run-1 was tampered "
                           "with: " + says), text
    assert "no AWS call was made" in text


def test_a_journal_from_before_the_chain_is_legacy_and_may_only_be_continued_with_the_chain():
    old = [{"ts": "t", "run_id": RUN, "event": "run_started"}, {"ts": "t", "run_id": RUN, "event": "approved"}]
    assert verify(old, "j", RUN) == (Head(2, event_hash(old[-1])), 2)
    _record, line, _head = seal({"ts": "t", "run_id": RUN, "event": "run_resumed"}, Head(2, event_hash(old[-1])))
    continued = old + parse_events(line)
    assert verify(continued, "j", RUN)[1] == 2
    with pytest.raises(JournalTampered, match="has no place in the chain"):
        verify(continued + old[:1], "j", RUN)  # once chained, every later event is


def test_a_writer_continues_the_chain_across_opens_and_a_torn_last_line_stays_tolerated(tmp_path):
    path = str(tmp_path / "runs" / RUN / "journal.jsonl")
    with Journal(path, RUN, create=True) as journal:
        journal.append("run_started")
        journal.append("call_started", step="a")
    with open(path, "ab") as handle:
        handle.write(b'{"event": "call_succeeded", "step": "a", "outp')  # a crash mid-write
    assert [e["event"] for e in read_events(path)] == ["run_started", "call_started"]
    with Journal(path, RUN) as journal:
        journal.append("call_succeeded", step="a")
    events, head, legacy = verified_events(open(path, "rb").read(), path, RUN)
    assert [e["seq"] for e in events] == [0, 1, 2] and legacy == 0 and head.events == 3


def test_a_writer_refuses_a_journal_that_is_not_as_this_process_left_it(tmp_path):
    path = str(tmp_path / "runs" / RUN / "journal.jsonl")
    with Journal(path, RUN, create=True) as journal:
        journal.append("run_started")
        first = journal.head
        journal.append("approved")
    assert heads.known(path) == (journal.head,)
    data = open(path, "rb").read()
    forged = data + seal({"ts": "t", "run_id": RUN, "event": "note"}, journal.head)[1]  # a well-chained tail
    for name in (path, str(tmp_path / "journal-copies" / (RUN + ".jsonl"))):
        with open(name, "wb") as handle:
            handle.write(forged)
    with pytest.raises(JournalTampered, match="it has 1 event.s. after event #1, where this run left it"):
        Journal(path, RUN)
    heads.remember(path, first, journal.head)  # a write in flight: either head is as this process left it
    for name in (path, str(tmp_path / "journal-copies" / (RUN + ".jsonl"))):
        with open(name, "wb") as handle:
            handle.write(data.split(b"\n")[0] + b"\n")
    Journal(path, RUN).close()


def test_canonical_form_sorts_keys_and_has_no_spaces():
    assert canonical({"b": 1, "a": [1, {"d": 2, "c": "x"}]}) == b'{"a":[1,{"c":"x","d":2}],"b":1}'
