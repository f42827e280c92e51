# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the plan-v1 contract's unit tests (test_schema*.py): the validator's problems for a base plan
with some fields changed, and a plan of a single step."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import base_plan

SOURCE = "/plans/unit.yml"
S1, S2 = "phases[0].steps[0]", "phases[0].steps[1]"
ONLY = "phases[0].steps[0]"


def problems(doc, **kwargs):
    """Every (field, message) the validator reports; [] when the plan is valid."""
    try:
        validate_document(doc, SOURCE, **kwargs)
    except PlanError as exc:
        assert exc.source == SOURCE
        return exc.problems
    return []


def assert_problem(doc, field, fragment, **kwargs):
    found = problems(doc, **kwargs)
    matching = [msg for where, msg in found if where == field and fragment in msg]
    assert matching, "no problem %r containing %r in %r" % (field, fragment, found)
    return matching[0]


def edit(path_value_pairs):
    """A base plan with ``path`` set to ``value`` (``...`` deletes the key)."""
    doc = base_plan()
    for path, value in path_value_pairs:
        node, keys = doc, _split(path)
        for key in keys[:-1]:
            node = node[key]
        if value is ...:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return doc


def _split(path):
    keys = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        keys.append(int(part) if part.isdigit() else part)
    return keys


def single_step(action, params, **extra):
    """A base plan whose only phase has one step, ``only``, calling ``action``."""
    doc = base_plan()
    doc["phases"] = [{"name": "Only", "steps": [dict({"id": "only", "action": action, "params": params}, **extra)]}]
    return doc
