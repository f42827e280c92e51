# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's references checked as a whole: unique step ids, every ``${step.name}`` naming
an output an earlier step registers (a step's validate, wait and rollback may also use its own),
and every ``undone_by`` naming an earlier step with rollback calls."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.references import (
    BUILTIN, ReferenceProblem, iter_strings, references_in)


def check_ids_and_references(steps, check):
    """Step ids are unique and every ${step.name} names an earlier step's registered output."""
    order = {}
    for index, step in enumerate(steps):
        if step["id"] in order:
            check.add(step["path"] + ".id", "duplicate step id %r" % step["id"])
        elif step["id"]:
            order[step["id"]] = index
    registers = {s["id"]: s["register"] for s in steps if s["id"]}
    for step in steps:
        if step["id"] and order.get(step["id"]) is not None:
            _check_step_references(step, step["path"], order, registers, check)


def _check_step_references(step, path, order, registers, check):
    """Main-call references must point at earlier steps; others may also name the step itself."""
    own = order[step["id"]]
    parts = [("", step["call"]["params"] if step["call"] else {}, False)]
    if step["call"]:
        parts.append((".expect", step["call"]["expect"], True))
    for i, call in enumerate(step["validate"]):
        parts.append((".validate[%d].expect" % i, call["expect"], True))
    if step["wait"]:
        parts.append((".wait.params", step["wait"]["params"], True))
    for key in ("validate", "rollback"):
        parts.extend((".%s[%d].params" % (key, i), c["params"], True) for i, c in enumerate(step[key]))
    for prefix, params, self_ok in parts:
        for where, text in iter_strings(params):
            if "${" not in text:
                continue
            suffix = where if where.startswith("[") else ("." + where if where else "")
            field = "%s%s%s" % (path, prefix or ".params", suffix)
            try:
                refs = references_in(text)
            except ReferenceProblem as exc:
                check.add(field, str(exc))
                continue
            for scope, name in refs:
                problem = _reference_problem(scope, name, own, self_ok, order, registers, step["id"])
                if problem:
                    check.add(field, problem)


def _reference_problem(scope, name, own, self_ok, order, registers, step_id):
    if scope in BUILTIN:
        return None if name in BUILTIN[scope] else "${%s.%s}: %s has only %s" % (
            scope, name, scope, ", ".join(BUILTIN[scope]))
    if scope not in order:
        return "${%s.%s}: no step %r in this plan" % (scope, name, scope)
    if order[scope] == own and not self_ok:
        return "${%s.%s}: cycle: a step's call cannot use its own output" % (scope, name)
    if order[scope] > own:
        return "${%s.%s}: forward reference: step %r runs after step %r" % (scope, name, scope, step_id)
    if name not in registers.get(scope, {}):
        known = ", ".join(sorted(registers.get(scope, {}))) or "nothing"
        return "${%s.%s}: step %r registers no %r (it registers %s)" % (scope, name, scope, name, known)
    return None


def check_after(steps, check):
    """``after``: the earlier steps this one waits for when steps run at the same time (plan/step_order.py).
    Only earlier steps: plan order stays an order in which every step comes after what it waits for."""
    earlier = set()
    for step in steps:
        for index, other in enumerate(step["after"]):
            where = "%s.after[%d]" % (step["path"], index)
            if other == step["id"]:
                check.add(where, "a step does not wait for itself")
            elif other not in earlier:
                check.add(where, "%r is not an earlier step of this plan (a step waits only for steps written "
                          "before it)" % other)
        earlier.add(step["id"])


def check_undone_by(steps, check):
    """``undone_by``: the step has no rollback of its own; what it changes goes when an earlier step's rollback
    removes the resource (the bucket whose versioning it set). Rolled back, it is undone when that step is."""
    earlier = {}
    for step in steps:
        other = step["undone_by"]
        where = step["path"] + ".undone_by"
        if other and step["rollback"]:
            check.add(where, "a step with rollback calls of its own is not undone by another step")
        elif other and other not in earlier:
            check.add(where, "%r is not an earlier step of this plan" % other)
        elif other and not earlier[other]["rollback"]:
            check.add(where, "step %r has no rollback calls to undo this step with" % other)
        earlier[step["id"]] = step
