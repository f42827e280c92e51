# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guardrails again, at execution: before each batch and before each step that needed a value.

Before the approval prompt a value produced by an earlier step is not known and a rule that
depends on it says "cannot tell yet" (guard/policies.py). Here the values are known: the
batch is checked with every output the run has so far, and a step of the batch that uses an
output of a step of the same batch is checked again just before it is sent. A FAIL refuses
the batch (nothing of it is sent) or the step (journaled as refused, nothing more is sent);
the run ends as any refusal of the guard does. A WARN is printed and the run goes on. A rollback
is judged by the same rules over the rollback calls it is about to send (not by the limits, the
change window or the ticket: undoing is never held back by the clock).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import (
    class_guardrails, evaluate, refuse_failures, verdict_lines)
from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_facts import unknown_references


class BatchPolicies:
    """The class's guardrails for one batch of a run, or for the rollback calls of a rollback."""

    def __init__(self, config, environment, plan, say):
        self.guardrails = class_guardrails(config, environment)
        self.environment = environment
        self.plan = plan
        self.say = say
        self.pending = set()

    def _evaluate(self, context):
        return evaluate(self.plan, self.guardrails, self.environment, context)

    def _warn(self, verdicts, step_ids):
        """WARN lines about steps whose values were not known before the prompt (the rest were shown then)."""
        concerned = [v for v in verdicts if v["status"] == "warn" and step_ids & {s["step"] for s in v["steps"]}]
        for line in verdict_lines(concerned)[:-1]:
            self.say("Guardrail " + line)

    def before_batch(self, steps, context):
        """Refuse the batch on a FAIL that concerns one of its steps (or the whole plan)."""
        ids = [s["id"] for s in steps]
        verdicts = self._evaluate(context)
        refuse_failures(verdicts, "before running %s; nothing of this batch was sent" % ", ".join(ids), ids)
        start = {"target": context["target"], "run": context["run"]}
        newly_known = {s["id"] for s in steps if unknown_references(s["call"]["params"], start)}
        self._warn(verdicts, newly_known)
        self.pending = {s["id"] for s in steps if unknown_references(s["call"]["params"], context)}

    def before_rollback(self, steps, context):
        """Refuse a rollback whose calls break a rule (nothing of it is sent)."""
        ids = [s["id"] for s in steps]
        plan = dict(self.plan, steps=steps)
        verdicts = evaluate(plan, self.guardrails, self.environment, context, rollback_only=True)
        refuse_failures(verdicts, "before rolling back %s; nothing of this rollback was sent" % ", ".join(ids), ids)

    def before_step(self, step, context, journal):
        """A step that used an output of this batch is checked once that output exists."""
        if step["id"] not in self.pending:
            return
        verdicts = self._evaluate(context)
        try:
            refuse_failures(verdicts, "before step %s; it was not sent" % step["id"], [step["id"]])
        except GuardRefusal as exc:
            error = {"kind": "refused", "code": "PolicyRefused", "message": str(exc), "text": str(exc), "hints": []}
            journal.append("step_failed", step=step["id"], error=error)
            raise
        self._warn(verdicts, {step["id"]})
