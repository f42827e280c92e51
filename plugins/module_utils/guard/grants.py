# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who a plan's policy documents let in: principals of other accounts, shown to the person who approves.

A policy document inside a request (a bucket policy, a role's trust policy, a key policy) may
name principals of other accounts; the perimeter allows them (they grant access to a resource of
the target, they do not reach out of it), and this module lists them for the approval.
"""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.guard.request_walk import ARN_RE, known_now, step_calls, walk
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve


def policy_document(value):
    """The parsed policy if ``value`` is a JSON IAM policy (has ``Statement``), else None."""
    text = value.lstrip()
    if not text.startswith("{") or "Statement" not in text:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and "Statement" in doc else None


def _principals(statement):
    principal = statement.get("Principal") if isinstance(statement, dict) else None
    if principal == "*":
        yield "*"
    elif isinstance(principal, dict):
        for kind, values in principal.items():
            for item in values if isinstance(values, list) else [values]:
                if kind == "AWS" and isinstance(item, str):
                    yield item


def _principal_account(principal):
    if principal == "*":
        return "*"
    arn = ARN_RE.match(principal)
    return arn.group(4) if arn else principal


def cross_account_grants(account, service, operation, params):
    """Principals outside ``account`` named in the request's policy documents, for the approval."""
    shape = service_model.operation_model(service, operation).input_shape
    grants = []
    if shape is None:
        return grants
    for path, _name, value, _parent in walk(params, shape):
        doc = policy_document(value)
        statements = doc.get("Statement") if doc else None
        for statement in statements if isinstance(statements, list) else [statements] if statements else []:
            for principal in _principals(statement):
                if _principal_account(principal) != account:
                    grants.append({"field": path, "principal": principal,
                                   "effect": statement.get("Effect", "?")})
    return grants


def _mentions(value, needle):
    if isinstance(value, str):
        return needle in value
    if isinstance(value, dict):
        return any(_mentions(item, needle) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, needle) for item in value)
    return False


def plan_grants(plan):
    """Cross-account grants of every step, as the approval shows them: ``[{step, field, principal, effect}]``."""
    context = known_now(plan["target"])
    grants = []
    for step in plan["steps"]:
        for label, service, operation, params in step_calls(step):
            if not _mentions(params, "Statement"):
                continue  # most calls carry no policy: skip resolving them (plan loading stays fast)
            for grant in cross_account_grants(plan["target"]["account_id"], service, operation,
                                              resolve(params, context, placeholder=True)):
                grant["step"] = step["id"]
                grant["field"] = "%s.params.%s" % (label, grant["field"]) if label else "params." + grant["field"]
                grants.append(grant)
    return grants


def approval_notes(account, radius):
    """Lines for the person who approves: who else the plan lets in, which steps change permissions."""
    lines = []
    grants = radius.get("cross_account_grants") or []
    if grants:
        lines.append("Cross-account grants (principals outside account %s that the policies of this plan let in):"
                     % account)
        lines.extend("  - step %s, %s: %s %s" % (g["step"], g["field"], g["effect"], g["principal"]) for g in grants)
    if radius.get("permissions_steps"):
        lines.append("Steps that change permissions (a checkpoint comes before each): %s"
                     % ", ".join(radius["permissions_steps"]))
    return lines
