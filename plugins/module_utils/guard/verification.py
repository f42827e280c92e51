# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify_environment: identify the account, classify it, and say whether a plan may run there.

With a plan, this is the guard sequence (guard/sequence.py) the Run task runs again before any call,
plus the class's guardrails on the plan; without one, the account's class alone.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard import sequence
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    EXECUTABLE, classify, concurrency, load_environments, path_source, resolve_path)
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import ADVICE, STOP, establish_identity
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import check_plan_policies
from ansible_collections.coworker.aws.plugins.module_utils.guard.target_session import target_context
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import dependencies, schedule_lines


def _classified(config, identity):
    classification = classify(config, identity["account"], identity["alias"], identity["profile"])
    return dict(changed=False, identity=identity, environment=classification["environment"],
                matched=classification["matched"], reason=classification["reason"], allowed=True)


def _account_only(config, region, profile):
    """No plan: who the credentials are and the account's class; refused unless sandbox, development or test."""
    result = _classified(config, establish_identity(target_context({"region": region}, profile)))
    if result["environment"] not in EXECUTABLE:
        result.update(allowed=False, refusal="%s Detected environment: %s (account %s, %s). %s" % (
            STOP, result["environment"], result["identity"]["account"], result["reason"], ADVICE))
    return result


def _with_plan(config, loaded, profile, policies):
    """The guard sequence for the plan, before the approval: the plan's buckets held to the account's own
    (ListBuckets) too, no execution role assumed (nothing is sent here)."""
    try:
        verified = sequence.verify(config, loaded, profile, executing=False)
    except GuardRefusal as exc:
        identity = getattr(exc, "identity", None)
        result = _classified(config, identity) if identity else dict(changed=False, identity=None, allowed=True)
        result.update(allowed=False, refusal=str(exc))
        return result
    result = _classified(config, verified.identity)
    result["approval"] = verified.approval
    if policies:  # the class's guardrails, whatever the plan's own guardrail.status claims
        try:
            result["policies"] = check_plan_policies(config, verified.environment, loaded["plan"])
        except GuardRefusal as exc:
            result.update(allowed=False, refusal=str(exc))
    return result


def schedule(config, environment, loaded, asked):
    """How many steps the run sends at once and, when more than one, which steps start together (the review)."""
    limit, note = concurrency(config, environment, asked)
    steps = loaded["plan"]["steps"]
    lines = schedule_lines(steps, dependencies(steps), limit) if limit > 1 else []
    return {"limit": limit, "note": note, "lines": ([note + ": %d at once" % limit] if note else []) + lines}


def verify_environment(params, source=None):
    """The task result of verify_environment (``failed`` set when refused and fail_on_refusal); ``source`` says
    where the environments file's path came from (shown with the file that classified the account)."""
    loaded = None
    try:
        config = load_environments(resolve_path(params.get("environments_file")))
        if params.get("plan"):
            loaded = load_plan(params["plan"], params.get("plans_dir"), target=params.get("target"))
            if params.get("region"):
                loaded["plan"]["target"] = dict(loaded["plan"]["target"], region=params["region"])
            result = _with_plan(config, loaded, params.get("profile"), params.get("check_policies", True))
        else:
            result = _account_only(config, params.get("region"), params.get("profile"))
    except CoworkerError as exc:
        return dict(failed=True, changed=False, msg=str(exc), allowed=False, refusal=str(exc))
    if loaded and result.get("allowed"):
        result["concurrency"] = schedule(config, result["environment"], loaded, params.get("max_concurrency"))
    result["environments"] = {"path": config["source"],
                              "source": source or path_source(params.get("environments_file"))}
    if result.get("refusal"):
        result["refusal"] += " (Classified by %s, from %s.)" % (config["source"], result["environments"]["source"])
    if result.get("refusal") and params.get("fail_on_refusal", True):
        result.update(failed=True, msg=result["refusal"])
    return result
