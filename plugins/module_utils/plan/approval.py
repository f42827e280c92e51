# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Approval and guardrail checks: who approved which digest, and is it still valid."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.timeutil import parse_time

DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
CLOCK_SKEW = timedelta(minutes=5)


def _approval_problems(approval, digest, now):
    if not isinstance(approval, dict):
        return [("approval", "the plan is not approved: no 'approval' block (approve it with "
                 "playbooks/approve_plan.yml)")]
    problems = []
    for key in ("approved_by", "approved_at", "plan_sha256"):
        if not isinstance(approval.get(key), str) or not approval[key].strip():
            problems.append(("approval.%s" % key, "required field is missing"))
    unknown = set(approval) - {"approved_by", "approved_at", "plan_sha256", "expires_at", "comment"}
    problems.extend(("approval.%s" % key, "unknown field") for key in sorted(unknown))
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
