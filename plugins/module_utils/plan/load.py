# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a plan end to end: find, parse, validate, verify approval, describe.

``load_plan`` is the one entry point used by every module and action plugin,
so the same file always gets the same verdict wherever it is read.
"""

from __future__ import annotations

import os
from collections import Counter

from ansible_collections.coworker.aws.plugins.module_utils.aws.redact import redact_request
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import (
    ApprovalRefused, check_signatures, unsigned_text)
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.guard.grants import (
    approval_notes, mark_destructive, plan_grants)
from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import verify_approval
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import render_call
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import find_plan, read_document
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import MAX_STEPS, validate_document
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import calls_of
from ansible_collections.coworker.aws.plugins.module_utils.bulk import gc_paused


def _add_cli(steps, target, profile):
    """Render every call as an aws CLI line; target values filled in, later outputs as <step.name>."""
    context = {"target": {"account_id": target["account_id"], "region": target["region"]}}
    for step in steps:
        for call in calls_of(step):
            params = resolve(call["params"], context, placeholder=True)
            call["cli"] = render_call(call, params, profile)


def blast_radius(steps, grants=()):
    """Count the calls a run can make: by service, by action, destructive ones; permissions they change."""
    calls = [s["call"] for s in steps if s["mutating"]]
    return {
        "permissions_steps": [s["id"] for s in steps if s.get("permissions")],
        "cross_account_grants": list(grants),
        "steps": len(steps),
        "mutating_steps": len(calls),
        "destructive_steps": sum(1 for s in steps if s["destructive"]),
        "irreversible_steps": [s["id"] for s in steps if s["mutating"] and not s["rollback"] and not s.get("undone_by")],
        "by_service": dict(sorted(Counter(c["service"] for c in calls).items())),
        "by_action": dict(sorted(Counter("%s:%s" % (c["service"], c["operation"]) for c in calls).items())),
        "regions": sorted({c["region"] for s in steps for c in calls_of(s)}),
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


def load_plan(ref, plans_dir=None, verify=True, now=None, profile=None, max_steps=MAX_STEPS, render=True,
              target=None, document=None):
    """Return the verified plan as JSON-safe data.

    Keys: ``path``, ``document`` (as written), ``sha256``, ``plan`` (normalised,
    steps flattened, CLI lines rendered), ``warnings``, ``blast_radius``,
    ``segments``. Raises PlanError naming the file and the field. ``render=False``
    skips the CLI lines of every call (the executor renders the calls it makes). ``target``
    selects one entry of the plan's ``targets`` (its key), see ``plan.targets``. ``document``: the file's
    document, already read (and its digest taken) by the caller, so that what is checked is what was read.
    """
    path = find_plan(ref, plans_dir)
    with gc_paused():
        document = read_document(path) if document is None else document
        plan = validate_document(document, path, max_steps, target)
    digest = plan_digest(document)
    warnings = verify_approval(document, plan, digest, path, now) if verify else []
    for number, step in enumerate(plan["steps"], start=1):
        step["index"] = number
    if render:
        _add_cli(plan["steps"], plan["target"], profile or plan["target"]["profile"])
    plan["approval"] = document.get("approval")
    grants = plan_grants(plan)
    mark_destructive(plan["steps"], grants)  # letting another account in gets a checkpoint, like a delete
    return {"path": path, "document": document, "sha256": digest, "plan": plan, "warnings": warnings,
            "blast_radius": blast_radius(plan["steps"], grants), "segments": segments(plan["steps"])}


def approval_environments(explicit):
    """The environments file whose approval rules plan_info applies: the one given, else the default one if it
    exists (without one, the signatures are checked by verify_environment, which needs the file anyway)."""
    path = resolve_path(explicit)
    return path if explicit or os.path.isfile(path) else None


def check_approval_rules(loaded, environments_file):
    """The approval summary under the rules of the plan's own class (``target.environment``), before any AWS
    call; a refusal is a PlanError naming the plan file and the approval field."""
    config = load_environments(environments_file)
    try:
        return check_signatures(config, loaded["plan"]["target"]["environment"], loaded)
    except ApprovalRefused as exc:
        raise PlanError(loaded["path"], [(exc.field, "approval refused: %s" % exc.reason)]) from None


def plan_info(ref, plans_dir=None, verify=True, profile=None, environments_file=None, policies=None, target=None,
              document=None):
    """What the plan_info module and action return (the loaded plan without the raw document).

    With ``verify`` and an ``environments_file``, ``approval_check`` says who approved (verified signers or
    "unsigned"), by the approval rules of the plan's class. ``policies(plan)``, if given, gives the policy
    verdicts: it sees the plan's real values, before sensitive ones are redacted for the task result.
    """
    loaded = load_plan(ref, plans_dir, verify=verify, profile=profile, target=target, document=document)
    loaded["approval_check"] = check_approval_rules(loaded, environments_file) if verify and environments_file \
        else None
    loaded["approval_text"] = _approval_text(loaded["plan"].get("approval") or {}, loaded["approval_check"])
    loaded.pop("document")
    loaded["warnings_list"] = loaded.pop("warnings")
    loaded["approval_notes"] = approval_notes(loaded["plan"]["target"]["account_id"], loaded["blast_radius"])
    if policies is not None:
        loaded["policies"] = policies(loaded["plan"])
    loaded["plan"]["steps"] = [_without_secrets(step) for step in loaded["plan"]["steps"]]
    return loaded


def _approval_text(approval, check):
    """One line on who approved: as the class's rules verified it, else the signatures' claim (the guard verifies
    them with the account), else an unsigned claim said for what it is."""
    if check:
        return check["text"]
    signers = [str(entry.get("principal")) for entry in approval.get("signatures") or [] if isinstance(entry, dict)]
    if signers:
        return "%s (verified with the account)" % ", ".join(signers)
    return unsigned_text(approval.get("approved_by"))


def _shown_call(call):
    if not call:
        return call
    return dict(call, params=redact_request(call["service"], call["operation"], call["params"]))


def _without_secrets(step):
    """A step as a task result may show it (``-v`` prints results): sensitive request members redacted."""
    return dict(step, call=_shown_call(step["call"]), validate=[_shown_call(c) for c in step["validate"]],
                rollback=[_shown_call(c) for c in step["rollback"]])
