# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One line a step, printed when the step ends, and progress lines while a step waits.

The executor calls these as each step (or rollback) finishes, so a person sees the run
move whatever stdout callback Ansible uses; the batch's task result is not repeated.
"""

from __future__ import annotations

import contextlib
import time

from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable

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
    """``[Step i of N] id — command — SUCCEEDED in 61 ms — validation passed``.

    A failure's error is not repeated here: the role prints it once, in full, after the batch."""
    status = result["status"].upper()
    if result.get("retries"):
        status += " after %d retries" % result["retries"]
    parts = ["[Step %d of %d] %s" % (result["index"], total, result["id"]), result.get("cli") or "",
             "%s in %d ms" % (status, result.get("duration_ms", 0))]
    if result.get("waits_for"):
        parts.append("would run after %s (needs its output; not sent)" % ", ".join(result["waits_for"]))
    elif result.get("prediction"):
        parts.append(result["prediction"])
    parts.append(_validation_text(result.get("validation")))
    return printable(DASH.join(part for part in parts if part))


def rollback_line(record, total):
    """``[Rollback of step i of N] id — ROLLED_BACK — 1 call done``."""
    calls = record.get("calls") or []
    counts = {}
    for call in calls:
        counts[call["status"]] = counts.get(call["status"], 0) + 1
    detail = ", ".join("%d %s" % (n, status.replace("_", " ")) for status, n in sorted(counts.items()))
    parts = ["[Rollback of step %d of %d] %s" % (record["index"], total, record["id"]),
             record["status"].upper(), detail]
    return printable(DASH.join(part for part in parts if part))


class Progress:
    """Lines printed while a step runs: a note when something happens (a validation retry), and
    a throttled "still waiting" line each time a waiter polls. ``say`` is where a line goes.

    No thread of our own: the lines come from the step's own progress (botocore emits an event
    before each waiter poll), so a signal never finds a second thread half way through a print.
    """

    def __init__(self, say, every=PROGRESS_EVERY_SECONDS, clock=time.monotonic):
        self.say = say
        self.every = every
        self.clock = clock

    def note(self, step_id, text):
        self.say(printable("  ... %s: %s" % (step_id, text)))

    @contextlib.contextmanager
    def polling(self, client, step_id, what):
        """While the block runs, each call the client makes is one more poll: say so every few seconds."""
        if self.say is silent:  # nobody to tell: leave the client's events alone
            yield
            return
        started, last = self.clock(), [None]

        def polled(**_kwargs):
            now = self.clock()
            if last[0] is not None and now - last[0] < self.every:
                return
            if last[0] is not None:
                self.note(step_id, "%s (%d s)" % (what, now - started))
            last[0] = now

        handler_id = "coworker-progress-%d" % id(polled)
        client.meta.events.register("before-call", polled, unique_id=handler_id)
        try:
            yield
        finally:
            client.meta.events.unregister("before-call", unique_id=handler_id)


def silent(_line):
    """The default: the module run on its own has nobody to print to."""


def sweep_line(found):
    """``[Sweep] create_sg arn:aws:ec2:...:security-group/sg-1 — REMOVED (found by the run's tags)``."""
    detail = "found by the run's tags" + (": %s" % found["reason"] if found.get("reason") else "")
    return printable(DASH.join(["[Sweep] %s %s" % (found["step"], found["resource"]), found["status"].upper(), detail]))
