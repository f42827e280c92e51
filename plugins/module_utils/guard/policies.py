# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluate the class's guardrails against the resolved calls of a plan: every call of every step.

A step's validate calls, its waiter and its rollback calls are judged by the same rules as its main
call (an SSH ingress from anywhere is as forbidden in a rollback as in a step).

The rules (guard/policy_rules.py) are evaluated before the approval prompt, with the values
known then, and again before each batch and before each step whose values were not known,
with the values the run has produced. A rule that fails on a call that still holds an
unknown value says "cannot tell yet" instead of failing: the re-check decides. A FAIL
refuses; a WARN is shown. The plan's own ``guardrail.status`` claim plays no part here.

Verdict of one rule: ``{rule, severity, status: fail|warn|unknown, description, steps:
[{step, detail}]}``; rules that pass are only counted.
"""

from __future__ import annotations

import datetime
import fnmatch
import functools
import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_facts import (
    bucket_companions, call_document, call_tags, creates, unknown_references)
from ansible_collections.coworker.aws.plugins.module_utils.guard.model_roles import may_carry_policy
from ansible_collections.coworker.aws.plugins.module_utils.guard.request_walk import known_now, step_calls
from ansible_collections.coworker.aws.plugins.module_utils.guard.tag_state import end_states
from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels
from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_rules import (
    BUILTIN_IDS, DAYS, active_rules, load_guardrails)
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve


@functools.lru_cache(maxsize=256)
def _compiled(expression):
    import jmespath
    return jmespath.compile(expression).parsed


@functools.lru_cache(maxsize=1)
def _interpreter():
    """One JMESPath tree interpreter for every search (jmespath.search builds a new one each time)."""
    from jmespath.visitor import Options, TreeInterpreter
    return TreeInterpreter(Options())


def _truthy(value):
    """JMESPath's truth: false, null, "", [] and {} are false; 0 is true."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and not value)


def _search(expression, doc):
    return _interpreter().visit(_compiled(expression), doc)


def plan_calls(plan, rollback_only=False):
    """Every call the rules judge, in plan order: ``{step, label, service, operation, params, region}``.

    A step's main call, then its validate calls, its waiter and its rollback calls (``rollback_only``:
    the rollback calls alone, what a rollback sends).
    """
    calls = []
    for step in plan["steps"]:
        main = step["call"]
        for label, service, operation, params in step_calls(step):
            if rollback_only and not label.startswith("rollback"):
                continue
            region = main["region"] if label in ("", "wait") else _labelled(step, label)["region"]
            calls.append({"step": step, "label": label, "service": service, "operation": operation,
                          "params": params, "region": region})
    return calls


def _labelled(step, label):
    kind, index = label.rstrip("]").split("[")
    return step[kind][int(index)]


def _without_unknown(value, placeholders):
    """``value`` with every value that is exactly an unknown reference made null."""
    if isinstance(value, str):
        return None if value in placeholders else value
    if isinstance(value, dict):
        return {key: _without_unknown(item, placeholders) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_unknown(item, placeholders) for item in value]
    return value


def _documents(plan, guardrails, context, environment, rules, rollback_only=False):
    """``(document, other)`` per call some rule judges; ``other`` is the same call with its unknown values null
    (None if none).

    A rule that fails on both does not depend on the unknown values: it fails now. A rule
    that fails on only one cannot tell yet. A step's validate calls and waiter are read-only: the
    built-in rules judge what calls change, so only a user rule that names them sees them.
    """
    calls = [c for c in plan_calls(plan, rollback_only) if not c["label"] or _judged(rules, c)]
    for call in calls:
        call["resolved"] = resolve(call["params"], context, placeholder=True)
        call["unknown"] = unknown_references(call["params"], context)
    mains = [c for c in calls if not c["label"]]
    buckets = bucket_companions([dict(c, params=c["resolved"]) for c in mains])
    required = guardrails["required_tags"]
    ends = end_states([{"step": c["step"]["id"], "service": c["service"], "operation": c["operation"],
                        "params": c["resolved"], "raw": c["params"], "creates": creates(c["operation"]),
                        "tags": call_tags(c["service"], c["operation"], c["resolved"])} for c in mains], required)
    tag_facts = {id(c): ends.get(index) for index, c in enumerate(mains)}
    target = {"environment": environment, "account_id": plan["target"]["account_id"],
              "region": plan["target"]["region"]}
    pairs = []
    for call in calls:
        where = dict(target, region=call["region"])
        facts = {"buckets": buckets, "tags": tag_facts.get(id(call))}
        doc = call_document(call, call["resolved"], call["unknown"], where, required, facts)
        other = None
        if call["unknown"]:
            nulled = _without_unknown(call["resolved"], {"<%s>" % ref for ref in call["unknown"]})
            other = call_document(call, nulled, call["unknown"], where, required, facts)
        pairs.append((doc, other))
    return pairs


@functools.lru_cache(maxsize=4096)
def _matches(patterns, action):
    return any(fnmatch.fnmatchcase(action, pattern) for pattern in patterns)


@functools.lru_cache(maxsize=4096)
def _read_only(service, operation):
    return access_levels.is_read_only(service, operation)


def _judged_by(rule, action, read_only):
    if read_only and rule["id"] in BUILTIN_IDS:
        return False  # the built-in rules judge what a call changes
    return _matches(rule["patterns"], action)


@functools.lru_cache(maxsize=4096)
def _builtin_may_apply(rule_id, service, operation):
    """Whether a built-in rule's ``when`` can hold for a validate, wait or rollback call, from the model alone.

    Such a call has no end-state tag facts: required-tags needs a creating call whose shape takes tags;
    iam-no-admin-wildcard needs a member that can carry a policy (BUILTIN_WHEN, read for any request).
    """
    if rule_id == "required-tags":
        takes_tags = call_tags(service, operation, {}) is not None or (service, operation) == ("s3", "CreateBucket")
        return creates(operation) and takes_tags
    if rule_id == "iam-no-admin-wildcard":
        return may_carry_policy(service, operation)
    return True


def _judged(rules, call):
    """Whether any rule can judge a validate, wait or rollback call (the others are not even resolved)."""
    service, operation = call["service"], call["operation"]
    action, read_only = "%s:%s" % (service, operation), _read_only(service, operation)
    return any(_judged_by(rule, action, read_only) and (rule["id"] not in BUILTIN_IDS or
                                                        _builtin_may_apply(rule["id"], service, operation))
               for rule in rules)


# the built-in rules' ``when``, as Python: the same answer without a JMESPath walk of every call
# (tests/unit/plugins/module_utils/guard/test_policies.py checks that both agree)
BUILTIN_WHEN = {
    "required-tags": lambda doc: doc["tags"] is not None and bool(doc["creates"] or doc["removes_tags"]),
    "iam-no-admin-wildcard": lambda doc: bool(doc["policy_statements"]),
}


def _applies(rule, doc):
    if not _judged_by(rule, doc["action"], bool(doc["call"]) and _read_only(doc["service"], doc["operation"])):
        return False
    if "when" not in rule:
        return True
    when = BUILTIN_WHEN.get(rule["id"]) if rule["id"] in BUILTIN_IDS else None
    return when(doc) if when else _truthy(_search(rule["when"], doc))


def _detail(rule, doc):
    value = _search(rule["detail"], doc) if "detail" in rule else ""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if doc["call"]:  # a validate, wait or rollback call: say which
        return "%s: %s" % (doc["call"], text) if text else doc["call"]
    return text


def _breaks(rule, doc):
    return _applies(rule, doc) and not _truthy(_search(rule["require"], doc))


def _rule_verdict(rule, pairs):
    broken, unsure = [], []
    for doc, other in pairs:
        breaks = _breaks(rule, doc)
        if other is None or breaks == _breaks(rule, other):
            if breaks:
                broken.append({"step": doc["step"], "detail": _detail(rule, doc)})
        else:
            unsure.append({"step": doc["step"], "detail": doc["call"]})
    status = rule["severity"].lower() if broken else "unknown" if unsure else "pass"
    return {"rule": rule["id"], "severity": rule["severity"], "status": status,
            "description": rule["description"], "steps": broken or unsure, "pending": unsure if broken else []}


def _resource_count(doc):
    """How many resources a call makes: RunInstances may make MaxCount (None when not known yet)."""
    if doc["action"] == "ec2:RunInstances":
        count = doc["params"].get("MaxCount")
        return count if isinstance(count, int) and not isinstance(count, bool) else None
    return 1


def _max_resources(limits, docs):
    verdicts = []
    for action, limit in sorted(limits.items()):
        counted = [(doc, _resource_count(doc)) for doc in docs if doc["action"] == action]
        total = sum(count or 0 for _doc, count in counted)
        steps = [{"step": doc["step"], "detail": "%s" % count if count is not None else "count not known yet"}
                 for doc, count in counted]
        status = "fail" if total > limit else "unknown" if any(c is None for _d, c in counted) else "pass"
        verdicts.append({"rule": "max-resources", "severity": "FAIL", "status": status, "steps": steps,
                         "description": "at most %d from %s in one plan (this plan: %d)" % (limit, action, total)})
    return verdicts


def in_window(window, now):
    """Whether ``now`` (an aware datetime) is inside the change window (an end before the start spans midnight)."""
    from zoneinfo import ZoneInfo
    local = now.astimezone(ZoneInfo(window["timezone"]))
    clock = local.strftime("%H:%M")
    if window["start"] <= window["end"]:
        return DAYS[local.weekday()] in window["days"] and window["start"] <= clock < window["end"]
    if clock >= window["start"]:
        return DAYS[local.weekday()] in window["days"]
    return clock < window["end"] and DAYS[(local.weekday() - 1) % 7] in window["days"]


def _change_window(window, now):
    text = "%s %s-%s %s" % (",".join(window["days"]), window["start"], window["end"], window["timezone"])
    status = "pass" if in_window(window, now) else "fail"
    return {"rule": "change-window", "severity": "FAIL", "status": status, "steps": [],
            "description": "changes only inside the change window (%s); now %s" % (text, now.strftime("%Y-%m-%dT%H:%MZ"))}


def _ticket(guardrails, plan):
    ticket = plan.get("ticket") or ""
    pattern = guardrails["ticket_pattern"]
    ok = bool(ticket.strip()) and (pattern is None or re.fullmatch(pattern, ticket) is not None)
    wanted = "a ticket reference (top-level ticket:%s)" % (" matching %s" % pattern if pattern else "")
    return {"rule": "ticket-reference", "severity": "FAIL", "status": "pass" if ok else "fail", "steps": [],
            "description": "the plan names %s; it has %r" % (wanted, ticket) if ticket else "the plan names " + wanted}


def evaluate(plan, guardrails, environment, context=None, now=None, rollback_only=False):
    """Every rule's verdict for ``plan`` with the values in ``context`` (default: target and run only).

    ``rollback_only``: the rules over the rollback calls alone, for a rollback (the limits, the change
    window and the ticket judge what a plan makes, not how it is undone).
    """
    if context is None:
        context = known_now(plan["target"])
    rules = [dict(rule, patterns=tuple(rule["applies_to"])) for rule in active_rules(guardrails)]
    pairs = _documents(plan, guardrails, context, environment, rules, rollback_only)
    verdicts = [_rule_verdict(rule, pairs) for rule in rules]
    if rollback_only:
        return verdicts
    if "max-resources" not in guardrails["disable"]:
        verdicts.extend(_max_resources(guardrails["max_resources"], [doc for doc, _other in pairs if not doc["call"]]))
    if guardrails["change_window"] and "change-window" not in guardrails["disable"]:
        verdicts.append(_change_window(guardrails["change_window"],
                                       now or datetime.datetime.now(datetime.timezone.utc)))
    if guardrails["ticket"] == "required" and "ticket-reference" not in guardrails["disable"]:
        verdicts.append(_ticket(guardrails, plan))
    return verdicts


def _steps_text(verdict):
    parts = ["%s (%s)" % (s["step"], s["detail"]) if s["detail"] else s["step"] for s in verdict["steps"]]
    text = " — steps: " + ", ".join(parts) if parts else ""
    if verdict.get("pending"):
        text += "; cannot tell yet: " + ", ".join(s["step"] for s in verdict["pending"])
    return text


def verdict_lines(verdicts):
    """One line per rule that did not pass, then how many passed."""
    label = {"fail": "FAIL", "warn": "WARN", "unknown": "cannot tell yet"}
    lines = ["%s %s: %s%s" % (label[v["status"]], v["rule"], v["description"], _steps_text(v))
             for v in verdicts if v["status"] != "pass"]
    passed = sum(1 for v in verdicts if v["status"] == "pass")
    lines.append("%d rule%s passed" % (passed, "" if passed == 1 else "s"))
    return lines


def summary(verdicts):
    """What a task returns about the guardrails: the verdicts, the display lines, the failures."""
    return {"verdicts": verdicts, "lines": verdict_lines(verdicts),
            "failed": [v["rule"] for v in verdicts if v["status"] == "fail"]}


def refuse_failures(verdicts, when, step_ids=None):
    """Raise GuardRefusal naming every FAIL (only those that concern ``step_ids``, when given).

    ``when`` ends the first line, e.g. "before the approval prompt; nothing was run".
    """
    wanted = set(step_ids) if step_ids is not None else None
    failures = [v for v in verdicts if v["status"] == "fail" and
                (wanted is None or not v["steps"] or wanted & {s["step"] for s in v["steps"]})]
    if failures:
        lines = ["FAIL %s: %s%s" % (v["rule"], v["description"], _steps_text(v)) for v in failures]
        raise GuardRefusal("Guardrail policy refused the plan %s:\n  %s" % (when, "\n  ".join(lines)))


def class_guardrails(config, environment):
    """The guardrails of ``environment`` in a loaded environments file (built-in defaults if absent)."""
    entry = config["environments"].get(environment) or {}
    return entry.get("guardrails") or load_guardrails(config.get("source", ""), "guardrails", None)


def check_plan_policies(config, environment, plan, when="before the approval prompt; nothing was run"):
    """Evaluate the plan for its class and refuse on a FAIL; returns the summary otherwise."""
    verdicts = evaluate(plan, class_guardrails(config, environment), environment)
    refuse_failures(verdicts, when)
    return summary(verdicts)


def plan_policies(environments_file, plan):
    """The verdicts shown at "Loading plan", for the class the plan targets.

    This only informs: verify_environment refuses on a FAIL, and run_step checks again
    before every batch. A missing or invalid environments file is said here and refused there.
    """
    environment = plan["target"]["environment"]
    try:
        config = load_environments(resolve_path(environments_file))
    except ConfigError as exc:
        return {"checked": False, "verdicts": [], "failed": [], "lines": ["not checked: %s" % exc]}
    result = summary(evaluate(plan, class_guardrails(config, environment), environment))
    result["checked"] = True
    return result
