# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who a plan lets in: every grant to a principal outside the target account, shown to the person who approves.

A grant is found wherever it is written (guard/values.py): a principal of an ``Allow`` statement in
a policy document (the members the operation's model says carry a policy), or a member of an
operation that shares and names who gets access (``lambda:AddPermission`` ``Principal``,
``ram:CreateResourceShare`` ``principals``, ``ec2:ModifySnapshotAttribute`` ``UserIds``,
``ssm:ModifyDocumentPermission`` ``AccountIdsToAdd``, ``sns``/``sqs`` ``AddPermission`` ...).
The grants are listed under "Cross-account grants" at approval, in the dry run and in the report;
a step that makes one is destructive (a checkpoint comes before it); the class may refuse them
(``cross_account_grants: refuse``) and the perimeter refuses at execution a grant the approval
did not list.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.guard.model_roles import (
    may_carry_policy, may_name_principals)
from ansible_collections.coworker.aws.plugins.module_utils.guard.request_walk import known_now, step_calls
from ansible_collections.coworker.aws.plugins.module_utils.guard.values import is_grant, named_values
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import iter_strings, resolve


def cross_account_grants(account, service, operation, params):
    """Grants to principals outside ``account`` in one request: ``[{field, principal, effect}]``."""
    return [{"field": item.path, "principal": item.value, "effect": item.info}
            for item in named_values(service, operation, params) if is_grant(account, item)]


def _may_grant(service, operation, params):
    """Whether a request can hold a grant: its model has policies or principals, or a text may be a document.

    Most calls (a CreateBucket, a HeadBucket) can do neither: they are not resolved and walked at load.
    """
    if may_carry_policy(service, operation) or may_name_principals(service, operation):
        return True
    return any(text.lstrip()[:1] in ("{", "[") or "\n" in text for _path, text in iter_strings(params))


def plan_grants(plan):
    """Cross-account grants of every call of every step: ``[{step, field, principal, effect}]``."""
    context = known_now(plan["target"])
    account = plan["target"]["account_id"]
    grants = []
    for step in plan["steps"]:
        for label, service, operation, params in step_calls(step):
            if not _may_grant(service, operation, params):
                continue
            for grant in cross_account_grants(account, service, operation, resolve(params, context, placeholder=True)):
                grant["step"] = step["id"]
                grant["field"] = "%s.params.%s" % (label, grant["field"]) if label else "params." + grant["field"]
                grants.append(grant)
    return grants


def approved_grants(radius):
    """The ``(step, principal)`` pairs an approval showed, which execution holds every grant to."""
    return frozenset((g["step"], g["principal"]) for g in radius.get("cross_account_grants") or [])


def mark_destructive(steps, grants):
    """A step that lets another account in is destructive: a checkpoint comes before it (raised, never lowered)."""
    granting = {g["step"] for g in grants}
    for step in steps:
        if step["id"] in granting:
            step["destructive"] = True


def grant_lines(account, grants):
    """The "Cross-account grants" lines of the approval, the dry run and the report."""
    if not grants:
        return []
    lines = ["Cross-account grants (principals outside account %s that this plan lets in; a checkpoint comes "
             "before each of these steps):" % account]
    lines.extend("  - step %s, %s: %s %s%s" % (g["step"], g["field"], g["effect"], g["principal"],
                                               " (known only at run time: refused unless it is this account)"
                                               if g["principal"].startswith("<") else "") for g in grants)
    return lines


def approval_notes(account, radius):
    """Lines for the person who approves: who else the plan lets in, which steps change permissions."""
    lines = grant_lines(account, radius.get("cross_account_grants") or [])
    if radius.get("permissions_steps"):
        lines.append("Steps that change permissions (a checkpoint comes before each): %s"
                     % ", ".join(radius["permissions_steps"]))
    return lines
