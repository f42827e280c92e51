# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One line a step, printed when the step ends, and progress lines while a step waits.

The executor calls these as each step (or rollback) finishes, so a person sees the run
move whatever stdout callback Ansible uses; the batch's task result is not repeated.
"""

from __future__ import annotations

import contextlib
import threading
import time

DASH = " \u2014 "
# a waiting step says it is still alive at most this often
PROGRESS_EVERY_SECONDS = 3.0


def _validation_text(validation):
    validation = validation or {}
    status = validation.get("status") or "none"
    if status == "none":
        return "no validation"
    planned = [c["cli"] for c in validation.get("calls") or [] if c.get("status") == "planned"]
    if planned:  # a dry run shows the validation it would make
        return "validation: " + "; ".join("%s -> planned" % cli for cli in planned)
    if status == "not_run":
        return "validation not run"
    return "validation %s" % status


def step_line(result, total):
    """``[Step i of N] id — command — SUCCEEDED in 61 ms — validation passed``."""
    status = result["status"].upper()
    if result.get("retries"):
        status += " after %d retries" % result["retries"]
    if result["status"] == "failed" and result.get("error"):
        status += " (%s)" % (result["error"].get("code") or result["error"].get("kind"))
    parts = ["[Step %d of %d] %s" % (result["index"], total, result["id"]), result.get("cli") or "",
             "%s in %d ms" % (status, result.get("duration_ms", 0)), _validation_text(result.get("validation"))]
    return DASH.join(part for part in parts if part)


def rollback_line(record, total):
    """``[Rollback of step i of N] id — ROLLED_BACK — 1 call done``."""
    calls = record.get("calls") or []
    counts = {}
    for call in calls:
        counts[call["status"]] = counts.get(call["status"], 0) + 1
    detail = ", ".join("%d %s" % (n, status.replace("_", " ")) for status, n in sorted(counts.items()))
    parts = ["[Rollback of step %d of %d] %s" % (record["index"], total, record["id"]),
             record["status"].upper(), detail]
    return DASH.join(part for part in parts if part)


class Progress:
    """Lines printed while a step runs: a note when something happens (a validation retry), and
    a heartbeat every few seconds while a call or a waiter blocks. ``say`` is where a line goes."""

    def __init__(self, say, every=PROGRESS_EVERY_SECONDS):
        self.say = say
        self.every = every

    def note(self, step_id, text):
        self.say("  ... %s: %s" % (step_id, text))

    @contextlib.contextmanager
    def during(self, step_id, what):
        """Say "still <what> (N s)" every few seconds until the block ends."""
        if self.say is silent:
            yield
            return
        stop, started = threading.Event(), time.monotonic()

        def beat():
            while not stop.wait(self.every):
                self.note(step_id, "%s (%d s)" % (what, time.monotonic() - started))

        beater = threading.Thread(target=beat, name="coworker-progress", daemon=True)
        beater.start()
        try:
            yield
        finally:
            stop.set()
            beater.join()


def silent(_line):
    """The default: the module run on its own has nobody to print to."""
