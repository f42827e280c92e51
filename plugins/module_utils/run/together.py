# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Independent steps of a batch at the same time (``max_concurrency`` > 1).

A step starts as soon as every step of the batch it depends on (plan/step_order.py) has succeeded,
up to ``limit`` at once, earliest in plan order first. Each step runs in a thread of its own with a
copy of the step runner (its own step id and retry count; the journal, the context of outputs and
the AWS clients are shared). The journal is written one event at a time, each durable before the
next, so "durable before each call" holds for every call in flight.

After a failure, unexpected output, a refusal or an interruption no new step starts; the steps in
flight finish (their calls cannot be taken back) and are journaled, and only then does the batch
end, so the failure options are offered once, with everything that happened known.

Rollback uses the same runner with the graph turned round (``undo_order``), one phase at a time,
the last first: a step is undone only after every step that depended on it was, so independent
undos go out together and a security group is deleted only once the instance in it is terminated.
"""

from __future__ import annotations

import copy
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ansible_collections.coworker.aws.plugins.module_utils.run.progress import silent

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
WAKE = 0.25  # seconds: how often the waiting thread wakes to run a signal's handler, wherever the signal landed


def leave_signals_to_the_main_thread():
    """Block Ctrl-C and SIGTERM in the calling thread, so that the kernel hands them to the main thread,
    where Python runs their handlers: a signal that lands on a step's thread wakes nobody, and the main
    thread, asleep waiting for the steps, would act on it only once a call returned."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


class SerializedJournal:
    """A journal that several threads append to, one event at a time (the chain needs an order)."""

    def __init__(self, journal):
        self._journal = journal
        self._lock = threading.Lock()

    def append(self, event, **fields):
        with self._lock:
            return self._journal.append(event, **fields)

    def commit(self):
        with self._lock:
            self._journal.commit()

    def __getattr__(self, name):
        return getattr(self._journal, name)


def serialized(say):
    """``say`` for several threads: each line whole (nobody to tell stays nobody: Progress skips its work then)."""
    if say is silent:
        return say
    lock = threading.Lock()

    def say_one(line):
        with lock:
            say(line)
    return say_one


def phases_of(steps):
    """``steps`` cut where the phase changes, in the order given."""
    groups = []
    for step in steps:
        if not groups or groups[-1][-1]["phase_index"] != step["phase_index"]:
            groups.append([])
        groups[-1].append(step)
    return groups


def undo_order(steps, graph):
    """``{step id: [ids of the steps to undo first]}`` for undoing ``steps`` of one phase: every one of them
    that depends on it, directly or through steps not being undone (``graph``: the whole plan's, in plan order)."""
    closure, first = {}, {s["id"]: [] for s in steps}
    for step_id, earlier in graph.items():  # plan order: what a step needs is closed before the step
        closure[step_id] = set(earlier).union(*(closure.get(other, ()) for other in earlier))
    for step in steps:
        for needed in closure.get(step["id"], ()):
            if needed in first:
                first[needed].append(step["id"])
    return first


class Together:
    """Runs the steps of one batch; ``before(step)`` runs in this thread before a step starts (the guard's
    checks, liveness) and may raise; ``ended(result)`` is told of each step as it ends and says whether
    the batch must stop starting new steps. ``work(runner, step)`` is what a thread does with its copy of
    the runner (execute the step, or undo it); a step starts once every step it waits for ended without
    stopping the batch, in the order ``steps`` are given."""

    def __init__(self, runner, graph, limit, before, ended, work=None):
        self.runner, self.graph, self.limit = runner, graph, limit
        self.before, self.ended = before, ended
        self.work = work or (lambda runner, step: runner.execute(step))

    def run(self, steps):
        """``{step id: result}`` of every step that ran; the others never started."""
        batch = {s["id"] for s in steps}
        pending, running, results, finished = list(steps), {}, {}, set()
        stop = False
        with ThreadPoolExecutor(max_workers=self.limit, thread_name_prefix="coworker-step",
                                initializer=leave_signals_to_the_main_thread) as pool:
            try:
                while True:
                    for step in [] if stop else self._ready(pending, batch, finished, len(running)):
                        self.before(step)
                        pending.remove(step)
                        running[pool.submit(self.work, copy.copy(self.runner), step)] = step
                    if not running:
                        return results
                    done = wait(running, timeout=WAKE, return_when=FIRST_COMPLETED).done
                    for future in sorted(done, key=lambda f: steps.index(running[f])):
                        step = running.pop(future)
                        result = results[step["id"]] = future.result()
                        if self.ended(result):
                            stop = True
                        else:
                            finished.add(step["id"])
            except BaseException:
                # a refusal before a step, Ctrl-C, SIGTERM: what is in flight finishes and is journaled first
                for future in wait(running).done:
                    if future.exception() is None:
                        self.ended(future.result())
                raise

    def _ready(self, pending, batch, finished, in_flight):
        ready = []
        for step in pending:
            if in_flight + len(ready) >= self.limit:
                break
            if all(other in finished for other in self.graph.get(step["id"], ()) if other in batch):
                ready.append(step)
        return ready
