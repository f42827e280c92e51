# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's command lines with every value the run's journal already holds filled in.

The plan as loaded shows a later step's output as ``<create_table.table_arn>``. Once the
journal has that output, a checkpoint, a failure's options, the rollback plan and a
resume show the real value instead; what no step has produced yet keeps its placeholder.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import render_call
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve


def run_context(plan, run_id, state):
    """What references resolve to in this run so far: the target, the run id and every step's outputs."""
    context = {"target": {"account_id": plan["target"]["account_id"], "region": plan["target"]["region"]},
               "run": {"id": run_id}}
    context.update({sid: entry["outputs"] for sid, entry in state["steps"].items() if entry.get("outputs")})
    return context


def _line(call, context, profile):
    return render_call(call, resolve(call["params"], context, placeholder=True), profile)


def resolved_lines(plan, run_id, state, profile=None):
    """{step id: {cli, sent, validate: [cli], rollback: [cli], undone_by}} for every step, as the run can tell
    them now.

    ``sent`` is the step's call as the journal says it was sent (with run tags and tokens), None if never sent;
    ``undone_by`` the step whose rollback undoes this one, which has no rollback calls of its own.
    """
    context = run_context(plan, run_id, state)
    profile = profile or plan["target"].get("profile")
    return {step["id"]: {"cli": _line(step["call"], context, profile),
                         "sent": (state["steps"].get(step["id"]) or {}).get("cli"),
                         "validate": [_line(v, context, profile) for v in step["validate"]],
                         "rollback": [_line(r, context, profile) for r in step["rollback"]],
                         "undone_by": step.get("undone_by")}
            for step in plan["steps"]}


def rollback_lines(plan, run_id, state, step_ids, profile=None):
    """{step id: [rollback cli]} for the steps named: what would undo each, as it would be sent now."""
    context = run_context(plan, run_id, state)
    profile = profile or plan["target"].get("profile")
    return {step["id"]: [_line(r, context, profile) for r in step.get("rollback") or []]
            for step in plan["steps"] if step["id"] in step_ids}


def _ranges(numbers):
    """[1, 2, 3, 5] -> "1-3, 5"."""
    spans = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in spans)


def resume_line(run_id, steps, done):
    """"Resuming run X at step 3 of 7 (put_c); steps 1-2 done" for a plan's numbered steps."""
    total = len(steps)
    finished = [s["index"] for s in steps if s["id"] in done]
    left = [s for s in steps if s["id"] not in done]
    if not left:
        return "Resuming run %s: all %d steps are done; nothing is left to run" % (run_id, total)
    said = "steps %s done" % _ranges(finished) if finished else "no step done yet"
    return "Resuming run %s at step %d of %d (%s); %s" % (run_id, left[0]["index"], total, left[0]["id"], said)
