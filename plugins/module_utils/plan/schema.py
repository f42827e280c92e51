# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate a plan document against the plan-v1 contract and normalise it.

Every problem is collected with the path of its field, so one run tells the
planner everything that is wrong. The result is plain JSON-safe data: the
target, the guardrail, and the steps flattened in execution order, each call
as ``{service, operation, params, region, ...}``.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels, service_model
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.call_checks import (
    CALL_KEYS, VALIDATE_KEYS, check_call, check_calls, check_expect, check_register, check_wait)
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import PLAN_ID_RE
from ansible_collections.coworker.aws.plugins.module_utils.plan.reference_checks import (
    check_after, check_ids_and_references, check_undone_by)
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import BUILTIN
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import calls_of
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import parse_targets, select_target
from ansible_collections.coworker.aws.plugins.module_utils.timeutil import parse_time

FORMAT = "coworker.aws/plan-v1"
STEP_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TOP_KEYS = {"format", "id", "name", "created", "objective", "target", "targets", "guardrail", "risk", "phases",
            "approval", "ticket", "markdown", "fetched"}
FETCHED_KEYS = {"step", "field", "object", "sha256"}
STEP_KEYS = {"id", "description", "action", "command", "params", "region", "register", "expect", "wait",
             "validate", "rollback", "undone_by", "after", "destructive", "skippable"}
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
PHASE_KEYS = {"name", "description", "steps"}
GUARDRAIL_KEYS = {"status", "validated_at", "findings"}
FINDING_KEYS = {"severity", "message"}  # a finding's keys (only ``message`` is required)
GUARDRAIL_STATUSES = ("PASS", "WARN", "FAIL")
RISK_LEVELS = ("Low", "Medium", "High")
MAX_STEPS = 1000


class _Checker:
    """Collects problems while walking the document."""

    def __init__(self, source):
        self.source = source
        self.problems = []
        self.profiles = []  # the targets' profiles, which a command's --profile must repeat

    def add(self, path, message):
        self.problems.append((path, message))

    def keys(self, obj, allowed, path):
        for key in obj:
            if key not in allowed:
                self.add("%s.%s" % (path, key) if path else key,
                         "unknown field (allowed: %s)" % ", ".join(sorted(allowed)))

    def get(self, obj, key, kinds, path, required=True, default=None):
        value = obj.get(key)
        if value is None:
            if required:
                self.add(_where(path, key), "required field is missing")
            return default
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
            self.add(_where(path, key), "must be %s, got %s" % (_kind_names(kinds), type(value).__name__))
            return default
        return value

    def text(self, obj, key, path, required=True, pattern=None, choices=None):
        value = self.get(obj, key, str, path, required)
        if value is None:
            return None
        if value.strip() and (pattern is None or pattern.match(value)) and (choices is None or value in choices):
            return value
        where = _where(path, key)
        if not value.strip():
            self.add(where, "must not be empty")
        elif pattern is not None and not pattern.match(value):
            self.add(where, "%r does not match %s" % (value, pattern.pattern))
        elif choices is not None and value not in choices:
            self.add(where, "must be one of %s, got %r" % (", ".join(choices), value))
        return value

    def timestamp(self, obj, key, path, required=True):
        value = self.text(obj, key, path, required)
        if value and parse_time(value) is None:
            self.add("%s.%s" % (path, key) if path else key, "%r is not an ISO 8601 time" % value)
        return value


def _where(path, key):
    return "%s.%s" % (path, key) if path else key


def _as_tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_names(kinds):
    names = {str: "a string", int: "an integer", bool: "true or false", dict: "a mapping", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kinds))


def _step(raw, path, phase, phase_index, check):
    if not isinstance(raw, dict):
        check.add(path, "a step must be a mapping")
        return None
    check.keys(raw, STEP_KEYS, path)
    step_id = check.text(raw, "id", path, pattern=STEP_ID_RE)
    if step_id in BUILTIN:
        check.add(path + ".id", "%r is reserved for ${%s.*} references; choose another step id" % (step_id, step_id))
    call_raw = {k: raw[k] for k in ("action", "command", "params", "region") if k in raw}
    call = check_call(call_raw, path, check, CALL_KEYS)
    if call is not None:
        call["expect"] = check_expect(raw, "expect", path, check, (call["service"], call["operation"]))
    service = call["service"] if call else None
    validate = check_calls(raw["validate"], path + ".validate", check, VALIDATE_KEYS) if raw.get("validate") else []
    rollback = check_calls(raw["rollback"], path + ".rollback", check, CALL_KEYS) if raw.get("rollback") else []
    declared = check.get(raw, "destructive", bool, path, required=False)
    named = bool(call and call["operation"].startswith(service_model.DESTRUCTIVE_PREFIXES))
    # a step that changes permissions is destructive too, whatever the plan says (raised, never lowered)
    inferred = bool(call and access_levels.is_destructive(call["service"], call["operation"]))
    if named and declared is False:
        check.add(path + ".destructive", "%s is destructive by its name; a plan may raise this flag, "
                  "never lower it" % call["operation"])
    return {
        "id": step_id, "phase": phase, "phase_index": phase_index,
        "description": check.get(raw, "description", str, path, required=False, default=""),
        "call": call, "register": check_register(raw, path, check, call),
        "wait": check_wait(raw.get("wait"), service, path + ".wait", check),
        "validate": validate, "rollback": rollback,
        "undone_by": check.text(raw, "undone_by", path, required=False, pattern=STEP_ID_RE),
        "after": _step_ids(raw, "after", path, check),
        "destructive": bool(inferred or declared), "destructive_inferred": inferred,
        "skippable": bool(check.get(raw, "skippable", bool, path, required=False, default=False)),
        "mutating": bool(call and not access_levels.is_read_only(call["service"], call["operation"])),
        "permissions": bool(call and access_levels.changes_permissions(call["service"], call["operation"])),
    }


def _step_ids(raw, key, path, check):
    """A list of step ids (``after``); each checked against the plan in plan/reference_checks.py."""
    values = check.get(raw, key, list, path, required=False, default=[])
    good = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or not STEP_ID_RE.match(value):
            check.add("%s.%s[%d]" % (path, key, index), "must be a step id (%s)" % STEP_ID_RE.pattern)
        else:
            good.append(value)
    return good


def _phases(doc, check):
    phases = check.get(doc, "phases", list, "", default=[])
    if "phases" in doc and isinstance(doc["phases"], list) and not phases:
        check.add("phases", "a plan needs at least one phase")
    steps = []
    for p_index, phase in enumerate(phases):
        path = "phases[%d]" % p_index
        if not isinstance(phase, dict):
            check.add(path, "a phase must be a mapping with 'name' and 'steps'")
            continue
        check.keys(phase, PHASE_KEYS, path)
        name = check.text(phase, "name", path)
        raw_steps = check.get(phase, "steps", list, path, default=[])
        if isinstance(phase.get("steps"), list) and not raw_steps:
            check.add(path + ".steps", "a phase needs at least one step")
        for s_index, raw in enumerate(raw_steps):
            step = _step(raw, "%s.steps[%d]" % (path, s_index), name, p_index, check)
            if step is not None:
                step["path"] = "%s.steps[%d]" % (path, s_index)
                steps.append(step)
    return steps


def _guardrail(doc, check):
    guard = check.get(doc, "guardrail", dict, "", default={})
    check.keys(guard, GUARDRAIL_KEYS, "guardrail")
    findings = check.get(guard, "findings", list, "guardrail", required=False, default=[])
    for index, item in enumerate(findings):
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            check.add("guardrail.findings[%d]" % index, "must be a mapping with 'severity' and 'message'")
    return {"status": check.text(guard, "status", "guardrail", choices=GUARDRAIL_STATUSES),
            "validated_at": check.timestamp(guard, "validated_at", "guardrail", required=False),
            "findings": [f for f in findings if isinstance(f, dict)]}


def _markdown_source(doc, check):
    """The Markdown a plan was made from (approve_plan records its file name and sha256)."""
    record = check.get(doc, "markdown", dict, "", required=False)
    if record is None:
        return None
    check.keys(record, {"file", "sha256"}, "markdown")
    name = check.text(record, "file", "markdown")
    digest = check.text(record, "sha256", "markdown", pattern=SHA256_RE)
    return {"file": name, "sha256": digest}


def _fetched(doc, check):
    """The objects the plan's calls fetch by reference, pinned by SHA-256 at approval (guard/fetched.py)."""
    entries = check.get(doc, "fetched", list, "", required=False, default=[])
    for index, entry in enumerate(entries):
        path = "fetched[%d]" % index
        if not isinstance(entry, dict):
            check.add(path, "must be a mapping with step, field, object and sha256")
            continue
        check.keys(entry, FETCHED_KEYS, path)
        check.text(entry, "step", path, pattern=STEP_ID_RE)
        check.text(entry, "field", path)
        check.text(entry, "object", path, pattern=re.compile(r"^s3://[^/]+/."))
        check.text(entry, "sha256", path, pattern=SHA256_RE)
    return [e for e in entries if isinstance(e, dict)]


def _count_steps(doc):
    phases = doc.get("phases")
    if not isinstance(phases, list):
        return 0
    return sum(len(p["steps"]) for p in phases if isinstance(p, dict) and isinstance(p.get("steps"), list))


def validate_document(doc, source, max_steps=MAX_STEPS, target=None):
    """Check ``doc`` and return its normalised form; raise PlanError listing every problem.

    A plan with more than ``max_steps`` steps is refused before anything else is
    looked at: its blast radius is too large to review, and it is cheap to say so.
    ``target`` (a key of ``targets``) selects the target the run executes: ``plan["target"]``
    is that entry and calls without a region take its region. A plan of several targets
    loaded without one is shown with its first target and ``target_selected`` false.
    """
    count = _count_steps(doc)
    if max_steps and count > max_steps:
        raise PlanError(source, [("phases", "the plan has %d steps, more than the %d a run may have; split it "
                                  "into smaller plans" % (count, max_steps))])
    check = _Checker(source)
    check.keys(doc, TOP_KEYS, "")
    fmt = doc.get("format")
    if fmt != FORMAT:
        check.add("format", "must be exactly %r, got %r" % (FORMAT, fmt))
    plan = {
        "id": check.text(doc, "id", "", pattern=PLAN_ID_RE),
        "name": check.text(doc, "name", ""),
        "created": check.timestamp(doc, "created", ""),
        "objective": check.get(doc, "objective", str, "", required=False, default=""),
        "risk": check.text(doc, "risk", "", required=False, choices=RISK_LEVELS),
        # the change ticket the plan belongs to; part of the digest, so it is approved with the plan
        "ticket": check.text(doc, "ticket", "", required=False),
        "guardrail": _guardrail(doc, check),
        "markdown": _markdown_source(doc, check),
        "fetched": _fetched(doc, check),
    }
    defaults, targets = parse_targets(doc, check)
    check.profiles = [entry.get("profile") for entry in targets]
    steps = _phases(doc, check)
    check_ids_and_references(steps, check)
    check_undone_by(steps, check)
    check_after(steps, check)
    if check.problems:
        # a malformed reference is seen by both the shape check and the reference check
        raise PlanError(source, list(dict.fromkeys(check.problems)))
    selected = select_target(targets, target, source) if "targets" in doc else defaults
    plan.update(target=selected or targets[0], targets=targets, target_selected=selected is not None)
    for step in steps:
        for call in calls_of(step):
            if not call["region"]:
                call["region"] = plan["target"]["region"]
    plan["steps"] = steps
    return plan
