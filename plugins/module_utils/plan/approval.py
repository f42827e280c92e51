# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Approval and guardrail checks: who approved which digest, and is it still valid."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan import ssh_keygen
from ansible_collections.coworker.aws.plugins.module_utils.plan.signatures import (
    approval_message, principal_problem, signatures_problems)
from ansible_collections.coworker.aws.plugins.module_utils.timeutil import parse_time

DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
REQUIRED_APPROVAL_KEYS = ("approved_by", "approved_at", "plan_sha256")
APPROVAL_KEYS = REQUIRED_APPROVAL_KEYS + ("expires_at", "comment", "signatures")
CLOCK_SKEW = timedelta(minutes=5)


def _approval_problems(approval, digest, now):
    if not isinstance(approval, dict):
        return [("approval", "the plan is not approved: no 'approval' block (approve it with "
                 "playbooks/approve_plan.yml)")]
    problems = []
    for key in REQUIRED_APPROVAL_KEYS:
        if not isinstance(approval.get(key), str) or not approval[key].strip():
            problems.append(("approval.%s" % key, "required field is missing"))
    unknown = set(approval) - set(APPROVAL_KEYS)
    problems.extend(("approval.%s" % key, "unknown field") for key in sorted(map(str, unknown)))
    problems.extend(signatures_problems(approval, now, CLOCK_SKEW))
    if problems:
        return problems
    recorded = approval["plan_sha256"].strip()
    if not DIGEST_RE.match(recorded):
        problems.append(("approval.plan_sha256", "must be 64 lowercase hex characters"))
    elif recorded != digest:
        problems.append(("approval.plan_sha256", "the plan changed after approval: approved digest %s, "
                         "plan digest now %s; have the plan approved again" % (recorded[:12], digest[:12])))
    approved_at = parse_time(approval["approved_at"])
    if approved_at is None:
        problems.append(("approval.approved_at", "%r is not an ISO 8601 time" % approval["approved_at"]))
    elif approved_at > now + CLOCK_SKEW:
        problems.append(("approval.approved_at", "approval time %s is in the future" % approval["approved_at"]))
    if approval.get("expires_at") is not None:
        expires = parse_time(str(approval["expires_at"]))
        if expires is None:
            problems.append(("approval.expires_at", "%r is not an ISO 8601 time" % approval["expires_at"]))
        elif expires <= now:
            problems.append(("approval.expires_at", "the approval expired at %s" % approval["expires_at"]))
    return problems


def verify_approval(document, plan, digest, source, now=None):
    """Raise PlanError unless the plan is approved for this digest and the guardrail passed.

    Returns a list of warnings for the person (guardrail WARN findings).
    """
    now = now or datetime.now(timezone.utc)
    problems = _approval_problems(document.get("approval"), digest, now)
    guardrail = plan["guardrail"]
    if guardrail["status"] == "FAIL":
        detail = "; ".join(str(f.get("message")) for f in guardrail["findings"]) or "no findings listed"
        problems.append(("guardrail.status", "guardrail validation FAILED (%s): the plan may not run" % detail))
    if problems:
        raise PlanError(source, problems)
    if guardrail["status"] == "WARN":
        return ["guardrail WARN: %s: %s" % (f.get("severity", "warning"), f.get("message"))
                for f in guardrail["findings"]] or ["guardrail WARN (no findings listed)"]
    return []


def approval_block(document, approved_by, now=None, expires_in_days=None):
    """The ``approval`` mapping a person's "yes" writes into a plan."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
    block = {"approved_by": approved_by, "approved_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "plan_sha256": plan_digest(document)}
    if expires_in_days:
        block["expires_at"] = (now + timedelta(days=expires_in_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return block


def _cosigning(existing, digest, now):
    """An earlier approval of this very digest that already carries signatures, still valid: sign beside them."""
    if not isinstance(existing, dict) or existing.get("plan_sha256") != digest or not existing.get("signatures"):
        return False
    expires = parse_time(str(existing["expires_at"])) if existing.get("expires_at") is not None else None
    return expires is None or expires > now


def signed_approval(document, digest, approved_by, principal, key_path, expires_in_days=None, now=None):
    """The ``approval`` block with ``principal``'s signature (ssh-keygen -Y sign with ``key_path``).

    When the plan already has a signed approval of the same digest that has not expired, the new
    signature is added beside the others (the two-person rule) and approved_by, approved_at and
    expires_at stay as they are: the others signed that expiry. Otherwise a new approval is started.
    """
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    problem = principal_problem(principal)
    if problem:
        raise CoworkerError("principal: %s" % problem)
    existing = document.get("approval")
    if _cosigning(existing, digest, now):
        if expires_in_days:
            raise CoworkerError("the plan already carries signed approvals of this digest expiring at %s; a further "
                                "signature keeps that expiry (omit expires_in_days, or remove the approval block to "
                                "start over)" % existing.get("expires_at", "never"))
        block = dict(existing, signatures=[s for s in existing["signatures"]
                                           if not isinstance(s, dict) or s.get("principal") != principal])
    else:
        block = dict(approval_block(document, approved_by, now, expires_in_days), signatures=[])
    signed_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    message = approval_message(digest, block.get("expires_at"), principal, signed_at)
    block["signatures"].append({"principal": principal, "signature": ssh_keygen.sign(key_path, message),
                                "signed_at": signed_at})
    return block
