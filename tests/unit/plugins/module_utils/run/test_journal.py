# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run journal: appended and read back, a torn last line survived, folded into what a
run knows (approval, outputs, step outcomes, what to roll back), runs found by id or last."""

from __future__ import annotations

import errno
import json
import os
import stat

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import (
    Journal, JournalLost, check_intact, copy_path, done_steps, find_run, journal_path, read_events, restore_from_copy,
    run_dir, run_state, state_dir_problem, steps_to_roll_back)

RUN = "20261124T000000Z-demo-abc123"


def write_journal(state_dir, run_id, events):
    """Append events as the executor does: (name, fields) pairs."""
    with Journal(journal_path(str(state_dir), run_id), run_id) as journal:
        return [journal.append(name, **fields) for name, fields in events]


def test_append_writes_one_json_object_a_line_and_reads_back(tmp_path):
    records = write_journal(tmp_path, RUN, [("run_started", {"sha256": "ab" * 32}),
                                            ("note", {"text": "Grüße — ✓"})])
    path = journal_path(str(tmp_path), RUN)

    raw = open(path, encoding="utf-8").read().splitlines()
    assert [json.loads(line) for line in raw] == records == read_events(path)
    assert "Grüße — ✓" in raw[1]  # non-ASCII kept as is
    assert [(r["run_id"], r["event"]) for r in records] == [(RUN, "run_started"), (RUN, "note")]
    assert all(r["ts"].endswith("Z") for r in records)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path == os.path.join(str(tmp_path), "runs", RUN, "journal.jsonl")


def test_reopened_journal_appends_after_what_is_there(tmp_path):
    write_journal(tmp_path, RUN, [("run_started", {})])
    write_journal(tmp_path, RUN, [("approved", {"sha256": "x"})])
    assert [e["event"] for e in read_events(journal_path(str(tmp_path), RUN))] == ["run_started", "approved"]


def test_missing_journal_reads_as_empty(tmp_path):
    assert read_events(str(tmp_path / "nothing.jsonl")) == []


def test_torn_last_line_is_ignored_and_sealed_before_the_next_event(tmp_path):
    write_journal(tmp_path, RUN, [("run_started", {}), ("call_started", {"step": "a", "mutating": True})])
    path = journal_path(str(tmp_path), RUN)
    with open(path, "ab") as handle:  # a crash in the middle of writing an event
        handle.write(b'{"event": "call_succeeded", "step": "a", "outp')

    assert [e["event"] for e in read_events(path)] == ["run_started", "call_started"]

    write_journal(tmp_path, RUN, [("run_resumed", {})])
    assert [e["event"] for e in read_events(path)] == ["run_started", "call_started", "run_resumed"]
    assert open(path, "rb").read().count(b"\n") == 4  # the torn line got its own newline


def test_garbage_lines_are_skipped_never_fatal(tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b'{"event": "run_started"}\n\xff\xfe not utf-8\n[1, 2]\n{"no_event": 1}\n'
                     b'not json\n{"event": "approved"}\n')
    assert [e["event"] for e in read_events(str(path))] == ["run_started", "approved"]


@pytest.mark.parametrize("run_id", ["", "../escape", "a/b", ".hidden", None, "x" * 202])
def test_run_dir_refuses_ids_that_are_not_plain_names(tmp_path, run_id):
    with pytest.raises(RunError, match="invalid run id"):
        run_dir(str(tmp_path), run_id)


def event(name, **fields):
    return {"event": name, "ts": "2026-11-24T00:00:00.000000Z", **fields}


def started(step, mutating=True):
    return event("call_started", step=step, mutating=mutating)


# A run that touched every kind of step: a succeeded, b failed with an AWS error (nothing
# changed), c sent and never answered, d read-only, e skipped, f planned (check mode),
# g created then rolled back, h created and its rollback failed.
RUN_EVENTS = [
    event("run_started", sha256="d1"),
    event("environment_verified", account="123456789012"),
    event("approved", sha256="d1"),
    event("guard_passed", account="123456789012"),
    started("a"), event("call_succeeded", step="a", mutating=True, outputs={"vpc_id": "vpc-1"}),
    event("validation", step="a", status="passed"),
    event("step_succeeded", step="a", outputs={"vpc_id": "vpc-1"}),
    started("b"), event("call_failed", step="b", mutating=True, changed=False),
    event("step_failed", step="b"),
    started("c"),
    started("d", mutating=False), event("call_succeeded", step="d", mutating=False),
    event("step_succeeded", step="d"),
    event("step_skipped", step="e"),
    event("step_planned", step="f"),
    started("g"), event("call_succeeded", step="g", mutating=True), event("step_succeeded", step="g"),
    event("rollback_succeeded", step="g", ts="2026-11-24T00:05:00.000000Z"),
    started("h"), event("call_succeeded", step="h", mutating=True), event("step_succeeded", step="h"),
    event("rollback_failed", step="h"),
]


def test_run_state_folds_the_journal_into_step_outcomes():
    state = run_state(RUN_EVENTS)

    assert {sid: (s["status"], s["changed"]) for sid, s in state["steps"].items()} == {
        "a": ("succeeded", True), "b": ("failed", False), "c": ("started", True),
        "d": ("succeeded", False), "e": ("skipped", False), "f": ("planned", False),
        "g": ("rolled_back", True), "h": ("rollback_failed", True)}
    assert state["steps"]["a"]["outputs"] == {"vpc_id": "vpc-1"}
    assert state["steps"]["g"]["rolled_back_at"] == "2026-11-24T00:05:00.000000Z"
    assert state["approved"] == {"d1"} and state["accounts"] == {"123456789012"}
    assert state["started"]["sha256"] == "d1" and state["environment"]["account"] == "123456789012"
    assert state["finished"] is None


def test_steps_to_roll_back_are_those_that_may_have_changed_something():
    state = run_state(RUN_EVENTS)
    # a succeeded, c was sent but never answered, h's rollback failed; in plan order
    assert steps_to_roll_back(state) == ["a", "c", "h"]
    assert done_steps(state) == ["a", "d", "e"]


def test_an_earlier_attempt_that_made_the_resource_is_kept_for_rollback():
    """The executor marks AlreadyExists after its own earlier attempt as changed=True."""
    events = [started("a"), event("call_succeeded", step="a", mutating=True), event("step_succeeded", step="a"),
              started("a"), event("call_failed", step="a", mutating=True, changed=True),
              event("step_failed", step="a")]
    state = run_state(events)
    assert (state["steps"]["a"]["status"], steps_to_roll_back(state)) == ("failed", ["a"])


def test_a_failed_retry_does_not_forget_what_the_first_attempt_created():
    """Created, validation failed, the retry met a 500: the resource must still be undone."""
    events = [started("a"), event("call_succeeded", step="a", mutating=True),
              event("validation", step="a", status="failed"), event("step_failed", step="a"),
              started("a"), event("call_failed", step="a", mutating=True, changed=False),
              event("step_failed", step="a")]
    assert steps_to_roll_back(run_state(events)) == ["a"]


def test_a_resumed_run_needs_a_new_approval():
    state = run_state(RUN_EVENTS + [event("run_resumed", purpose="rollback")])
    assert state["approved"] == set() and state["resumed"]["purpose"] == "rollback"
    state = run_state(RUN_EVENTS + [event("run_resumed"), event("approved", sha256="d1")])
    assert state["approved"] == {"d1"}


def test_run_finished_is_recorded():
    assert run_state(RUN_EVENTS + [event("run_finished", status="partial")])["finished"]["status"] == "partial"


def make_run(state_dir, run_id, ts):
    path = journal_path(str(state_dir), run_id)
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(json.dumps({"event": "run_started", "ts": ts, "run_id": run_id}) + "\n")


def test_find_run_last_is_the_run_started_most_recently(tmp_path):
    make_run(tmp_path, "zz-old", "2026-11-24T08:00:00.000000Z")  # name sorts last, started first
    make_run(tmp_path, "aa-new", "2026-11-24T09:00:00.000000Z")
    make_run(tmp_path, "mm-mid", "2026-11-24T08:30:00.000000Z")
    os.makedirs(tmp_path / "runs" / "no-journal")
    empty = journal_path(str(tmp_path), "empty")
    os.makedirs(os.path.dirname(empty))
    open(empty, "w").close()

    assert find_run(str(tmp_path), "last") == "aa-new"
    assert find_run(str(tmp_path), "mm-mid") == "mm-mid"


def test_find_run_refuses_unknown_runs(tmp_path):
    with pytest.raises(RunError, match="no runs under"):
        find_run(str(tmp_path), "last")
    make_run(tmp_path, "one", "2026-11-24T08:00:00.000000Z")
    with pytest.raises(RunError, match="no run 'two'"):
        find_run(str(tmp_path), "two")


# ------------------------------------------------------------- the copy, and a journal lost mid-run


def started_journal(tmp_path):
    path = journal_path(str(tmp_path), "run-1")
    journal = Journal(path, "run-1", create=True)
    journal.append("run_started")
    return path, journal


def test_every_event_is_also_in_the_copy_outside_the_run_folder(tmp_path):
    path, journal = started_journal(tmp_path)
    journal.append("call_started", step="a")
    journal.close()
    assert copy_path(path) == str(tmp_path / "journal-copies" / "run-1.jsonl")
    assert read_events(copy_path(path)) == read_events(path)


@pytest.mark.parametrize("damage, word", [(os.unlink, "deleted or replaced"),
                                          (lambda p: os.truncate(p, 10), "truncated")])
def test_a_journal_lost_under_an_open_run_stops_the_next_append(tmp_path, damage, word):
    path, journal = started_journal(tmp_path)
    damage(path)
    with pytest.raises(JournalLost, match="was %s during run run-1; stopped before the next AWS call" % word):
        journal.append("call_started", step="a")
    journal.close()


def test_a_lost_journal_is_refused_when_reopened_and_restored_from_its_copy(tmp_path):
    path, journal = started_journal(tmp_path)
    journal.append("call_succeeded", step="a", mutating=True)
    journal.close()
    os.unlink(path)
    with pytest.raises(JournalLost, match="was deleted while run run-1 went on"):
        Journal(path, "run-1")
    with pytest.raises(JournalLost):
        check_intact(path)
    assert "restored from its copy" in restore_from_copy(path, "run-1")
    assert [e["event"] for e in read_events(path)] == ["run_started", "call_succeeded"]
    assert restore_from_copy(path, "run-1") is None  # intact now: nothing to do


def test_find_run_finds_a_run_whose_journal_was_lost(tmp_path):
    path, journal = started_journal(tmp_path)
    journal.close()
    os.unlink(path)
    assert find_run(str(tmp_path), "last") == "run-1" == find_run(str(tmp_path), "run-1")


@pytest.mark.parametrize("number, words", [(errno.EROFS, "the file system is read-only [Errno 30]"),
                                           (errno.ENOSPC, "the disk is full (no space left on the device) [Errno 28]"),
                                           (errno.EACCES, "may not write there (permission denied) [Errno 13]")])
def test_state_dir_errors_are_said_in_words_with_the_path(number, words):
    text = state_dir_problem(OSError(number, os.strerror(number), "/state/runs/r/journal.jsonl"))
    assert text.startswith("cannot write the run state at /state/runs/r/journal.jsonl: ")
    assert words in text
    assert state_dir_problem(OSError(errno.ENOENT, "x", "/a")) is None
