"""run/together.py: independent steps at the same time, never more than the limit, never before what they
depend on, and nothing new after a failure or a refusal while what is in flight finishes; undos in reverse
dependency order, a phase at a time."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.run.together import (
    WAKE, SerializedJournal, Together, phases_of, undo_order)


def steps(*ids, phase=0):
    return [{"id": step_id, "index": index, "phase_index": phase} for index, step_id in enumerate(ids, start=1)]


class FakeRunner:
    """execute() sleeps a step's time, notes when it ran and how many ran at once; copied per step like the real one."""

    def __init__(self, times=None, failing=()):
        self.times, self.failing = times or {}, set(failing)
        self.lock = threading.Lock()
        self.spans, self.count = {}, {"in_flight": 0, "most": 0}  # shared by the copies

    @property
    def most(self):
        return self.count["most"]

    def execute(self, step):
        with self.lock:
            self.count["in_flight"] += 1
            self.count["most"] = max(self.count["most"], self.count["in_flight"])
        started = time.monotonic()
        time.sleep(self.times.get(step["id"], 0.05))
        with self.lock:
            self.count["in_flight"] -= 1
            self.spans[step["id"]] = (started, time.monotonic())
        return {"id": step["id"], "status": "failed" if step["id"] in self.failing else "succeeded",
                "unexpected": []}


def run(runner, batch, graph, limit, before=None):
    ended = []

    def on_end(result):
        ended.append(result["id"])
        return result["status"] == "failed"
    results = Together(runner, graph, limit, before or (lambda step: None), on_end).run(batch)
    return results, ended


def test_independent_steps_overlap_up_to_the_limit():
    runner = FakeRunner()
    results, ended = run(runner, steps(*"abcdef"), {}, 3)
    assert sorted(results) == list("abcdef") and sorted(ended) == list("abcdef")
    assert runner.most == 3


def test_a_step_starts_only_after_what_it_depends_on_has_ended():
    runner = FakeRunner(times={"a": 0.15, "b": 0.01})
    run(runner, steps("a", "b", "c"), {"c": ["a"]}, 4)
    assert runner.spans["c"][0] >= runner.spans["a"][1]
    assert runner.spans["b"][0] < runner.spans["a"][1]  # b did not wait for a


def test_after_a_failure_nothing_new_starts_and_what_is_in_flight_finishes():
    runner = FakeRunner(times={"a": 0.02, "b": 0.2}, failing={"a"})
    results, ended = run(runner, steps("a", "b", "c", "d"), {}, 2)
    assert sorted(results) == ["a", "b"] and ended == ["a", "b"]  # c and d never started


def test_a_dependent_of_a_failed_step_never_starts():
    runner = FakeRunner(failing={"a"})
    results, _ended = run(runner, steps("a", "b"), {"b": ["a"]}, 4)
    assert sorted(results) == ["a"]


def test_a_refusal_before_a_step_waits_for_the_steps_in_flight_then_stops_everything():
    runner = FakeRunner(times={"a": 0.2})

    def before(step):
        if step["id"] == "c":
            raise GuardRefusal("refused before c")
    with pytest.raises(GuardRefusal):
        run(runner, steps("a", "b", "c", "d"), {"c": ["b"]}, 2, before)
    assert sorted(runner.spans) == ["a", "b"]  # a finished although the refusal came while it ran


def test_the_journal_takes_one_event_at_a_time():
    class Slow:
        def __init__(self):
            self.writing, self.overlaps, self.events = False, 0, []

        def append(self, event, **fields):
            if self.writing:
                self.overlaps += 1
            self.writing = True
            time.sleep(0.001)
            self.events.append(event)
            self.writing = False

    inner = Slow()
    journal = SerializedJournal(inner)
    threads = [threading.Thread(target=lambda: [journal.append("e") for _event in range(20)]) for _thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(inner.events) == 80 and inner.overlaps == 0


def test_a_step_is_undone_after_every_step_that_depends_on_it_even_through_steps_not_undone():
    graph = {"a": [], "b": ["a"], "c": ["b"], "d": [], "e": ["d", "a"]}
    undoing = [s for s in steps(*"abcde") if s["id"] != "b"]  # b changed nothing: not undone
    assert undo_order(undoing, graph) == {"a": ["c", "e"], "c": [], "d": ["e"], "e": []}


def test_undos_overlap_where_independent_and_wait_for_their_dependents():
    graph = {"a": [], "b": ["a"], "c": [], "d": []}
    runner = FakeRunner(times={"b": 0.15})
    last_first = list(reversed(steps(*"abcd")))
    ended = []

    def on_end(result):
        ended.append(result["id"])
        return False  # an undo that fails does not stop the others
    results = Together(runner, undo_order(last_first, graph), 4, lambda step: None, on_end,
                       lambda copy, step: copy.execute(dict(step))).run(last_first)
    assert sorted(results) == list("abcd")
    assert runner.spans["a"][0] >= runner.spans["b"][1]  # b depended on a: undone first
    assert runner.spans["c"][0] < runner.spans["b"][1] and runner.spans["d"][0] < runner.spans["b"][1]
    assert runner.most == 3  # d, c and b at once; a after b


def test_a_failed_undo_still_lets_what_it_depended_on_be_undone():
    graph = {"a": [], "b": ["a"]}
    runner = FakeRunner(failing={"b"})
    last_first = list(reversed(steps("a", "b")))
    results = Together(runner, undo_order(last_first, graph), 4, lambda step: None, lambda result: False).run(
        last_first)
    assert [results[s]["status"] for s in ("b", "a")] == ["failed", "succeeded"]
    assert runner.spans["a"][0] >= runner.spans["b"][1]


def test_phases_are_cut_where_the_phase_changes_in_the_order_given():
    later, earlier = steps("c", "d", phase=1), steps("a", "b", phase=0)
    groups = phases_of(list(reversed(earlier + later)))
    assert [[s["id"] for s in group] for group in groups] == [["d", "c"], ["b", "a"]]


def test_ctrl_c_is_left_to_the_main_thread_and_one_that_lands_elsewhere_is_acted_on_within_the_wake_up():
    """The steps' threads block SIGINT and SIGTERM (the kernel hands them to the main thread); a SIGINT that still
    lands on another thread (here a timer's) is handled by the main thread within the wake-up, not once a call
    returns, and the steps in flight still end."""
    masks, seen = [], []

    class Masked(FakeRunner):
        def execute(self, step):
            masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, []))
            return super().execute(step)

    def on_sigint(_signum, _frame):
        seen.append(time.monotonic())
        raise KeyboardInterrupt

    runner = Masked(times=dict.fromkeys("abc", 1.5))
    previous = signal.signal(signal.SIGINT, on_sigint)
    timer = threading.Timer(0.2, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGINT))
    try:
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            run(runner, steps("a", "b", "c", "d"), {}, 3)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert all({signal.SIGINT, signal.SIGTERM} <= mask for mask in masks) and len(masks) == 3
    assert seen and seen[0] - started < 0.2 + 2 * WAKE  # while a, b and c were still in their calls (1.5 s)
    assert sorted(runner.spans) == ["a", "b", "c"]  # they ended; d never started
