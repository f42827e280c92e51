# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a plan end to end: find, parse, validate, verify approval, describe.

``load_plan`` is the one entry point used by every module and action plugin,
so the same file always gets the same verdict wherever it is read.
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter

from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import approval_notes, plan_grants
from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import verify_approval
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import render_cli
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import find_plan, read_document
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import MAX_STEPS, validate_document


def _add_cli(steps, target, profile):
    """Render every call as an aws CLI line; target values filled in, later outputs as <step.name>."""
    context = {"target": {"account_id": target["account_id"], "region": target["region"]}}
    for step in steps:
        for call in [step["call"]] + step["validate"] + step["rollback"]:
            params = resolve(call["params"], context, placeholder=True)
            call["cli"] = render_cli(call["service"], call["operation"], params, region=call["region"],
                                     profile=profile)


def blast_radius(steps, grants=()):
    """Count the calls a run can make: by service, by action, destructive ones; permissions they change."""
    calls = [s["call"] for s in steps if s["mutating"]]
    return {
        "permissions_steps": [s["id"] for s in steps if s.get("permissions")],
        "cross_account_grants": list(grants),
        "steps": len(steps),
        "mutating_steps": len(calls),
        "destructive_steps": sum(1 for s in steps if s["destructive"]),
        "irreversible_steps": [s["id"] for s in steps if s["mutating"] and not s["rollback"]],
        "by_service": dict(sorted(Counter(c["service"] for c in calls).items())),
        "by_action": dict(sorted(Counter("%s:%s" % (c["service"], c["operation"]) for c in calls).items())),
        "regions": sorted({c["region"] for s in steps for c in [s["call"]] + s["validate"] + s["rollback"]}),
    }


def segments(steps):
    """Split the steps into runs that need no prompt between them.

    A new segment starts at each phase and before each destructive step; the
    segment's ``checkpoint`` says why a person is asked before it starts.
    """
    result = []
    for step in steps:
        reason = None
        if not result or step["phase_index"] != result[-1]["phase_index"]:
            reason = "phase"
        if step["destructive"]:
            reason = "destructive"
        if reason:
            result.append({"index": len(result), "phase": step["phase"], "phase_index": step["phase_index"],
                           "checkpoint": reason, "steps": []})
        result[-1]["steps"].append(step["id"])
    return result


@contextlib.contextmanager
def _gc_paused():
    """A plan is a large tree of small objects built at once: cyclic GC passes over it only cost time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_plan(ref, plans_dir=None, verify=True, now=None, profile=None, max_steps=MAX_STEPS, render=True,
              target=None):
    """Return the verified plan as JSON-safe data.

    Keys: ``path``, ``document`` (as written), ``sha256``, ``plan`` (normalised,
    steps flattened, CLI lines rendered), ``warnings``, ``blast_radius``,
    ``segments``. Raises PlanError naming the file and the field. ``render=False``
    skips the CLI lines of every call (the executor renders the calls it makes). ``target``
    selects one entry of the plan's ``targets`` (its key), see ``plan.targets``.
    """
    path = find_plan(ref, plans_dir)
    with _gc_paused():
        document = read_document(path)
        plan = validate_document(document, path, max_steps, target)
    digest = plan_digest(document)
    warnings = verify_approval(document, plan, digest, path, now) if verify else []
    for number, step in enumerate(plan["steps"], start=1):
        step["index"] = number
    if render:
        _add_cli(plan["steps"], plan["target"], profile or plan["target"]["profile"])
    plan["approval"] = document.get("approval")
    return {"path": path, "document": document, "sha256": digest, "plan": plan, "warnings": warnings,
            "blast_radius": blast_radius(plan["steps"], plan_grants(plan)), "segments": segments(plan["steps"])}


def plan_info(ref, plans_dir=None, verify=True, profile=None, target=None):
    """What the plan_info module and action return (the loaded plan without the raw document)."""
    loaded = load_plan(ref, plans_dir, verify=verify, profile=profile, target=target)
    loaded.pop("document")
    loaded["warnings_list"] = loaded.pop("warnings")
    loaded["approval_notes"] = approval_notes(loaded["plan"]["target"]["account_id"], loaded["blast_radius"])
    return loaded
