# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify_environment: identify the account, classify it, and say whether a plan may run there."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import check_self_approval, check_signatures
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    EXECUTABLE, classify, concurrency, load_environments, path_source, resolve_path)
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import (
    ADVICE, STOP, check_execution, establish_identity, plan_regions)
from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import OwnedBuckets, list_buckets
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter, check_plan
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import check_plan_policies
from ansible_collections.coworker.aws.plugins.module_utils.guard.target_session import target_context
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import dependencies, schedule_lines
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import require_one_target


def _verdict(aws, config, loaded, approval, policies=True):
    identity = establish_identity(aws)
    classification = classify(config, identity["account"], identity["alias"], identity["profile"])
    result = dict(changed=False, identity=identity, environment=classification["environment"],
                  matched=classification["matched"], reason=classification["reason"], allowed=True)
    refusal = None
    if loaded:
        try:
            check_execution(config, identity, loaded["plan"]["target"], plan_regions(loaded["plan"]["steps"]))
            # buckets too: a bucket of another account is refused before the approval prompt
            check_plan(Perimeter.for_class(config, classification["environment"], identity["account"],
                                           OwnedBuckets(lambda: list_buckets(aws))), loaded["plan"], buckets=True)
            if policies:  # the class's guardrails, whatever the plan's own guardrail.status claims
                result["policies"] = check_plan_policies(config, classification["environment"], loaded["plan"])
            result["approval"] = check_self_approval(approval, identity)  # needs the identity STS reported
        except GuardRefusal as exc:
            refusal = str(exc)
    elif classification["environment"] not in EXECUTABLE:
        refusal = "%s Detected environment: %s (account %s, %s). %s" % (
            STOP, classification["environment"], identity["account"], classification["reason"], ADVICE)
    if refusal:
        result.update(allowed=False, refusal=refusal)
    return result


def _schedule(config, environment, loaded, asked):
    """How many steps the run sends at once and, when more than one, which steps start together (the review)."""
    limit, note = concurrency(config, environment, asked)
    steps = loaded["plan"]["steps"]
    lines = schedule_lines(steps, dependencies(steps), limit) if limit > 1 else []
    return {"limit": limit, "note": note, "lines": ([note + ": %d at once" % limit] if note else []) + lines}


def verify_environment(params, source=None):
    """The task result of verify_environment (``failed`` set when refused and fail_on_refusal); ``source`` says
    where the environments file's path came from (shown with the file that classified the account)."""
    try:
        config = load_environments(resolve_path(params.get("environments_file")))
        loaded = load_plan(params["plan"], params.get("plans_dir"), target=params.get("target")) \
            if params.get("plan") else None
        if loaded:
            require_one_target(loaded["plan"], loaded["path"])
        target = loaded["plan"]["target"] if loaded else {}
        region = params.get("region") or target.get("region")
        profile = params.get("profile") or target.get("profile")
        # signatures need only the plan and its class: checked before any AWS call
        approval = check_signatures(config, target["environment"], loaded) if loaded else None
        # a target's role is assumed from the profile: the identity verified is the one that will call
        result = _verdict(target_context(dict(target, region=region), profile), config, loaded, approval,
                          params.get("check_policies", True))
    except CoworkerError as exc:
        return dict(failed=True, changed=False, msg=str(exc), allowed=False, refusal=str(exc))
    if loaded and result.get("allowed"):
        result["concurrency"] = _schedule(config, result["environment"], loaded, params.get("max_concurrency"))
    result["environments"] = {"path": config["source"],
                              "source": source or path_source(params.get("environments_file"))}
    if result.get("refusal"):
        result["refusal"] += " (Classified by %s, from %s.)" % (config["source"], result["environments"]["source"])
    if result.get("refusal") and params.get("fail_on_refusal", True):
        result.update(failed=True, msg=result["refusal"])
    return result
