# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guard sequence: the one place where "may this plan run in this account?" is decided.

verify_environment (the Verify task, before the approval question) and run_step (the Run task, in
the process that makes the calls) both run exactly this, in this order:

1. before any AWS call, from the plan and the environments file only: one target, a non-production
   class, regions the class allows, the approval's signatures under the class's rules, the
   perimeter over every call as written;
2. STS: who the credentials of *this* session are (``establish_identity``), then the account's
   class, account and regions against the plan, self-approval judged on that identity;
3. the class's execution role, assumed with those credentials when the class names one.

The result is the verified context every later call of the task is made with. Nothing here reads a
task variable; a refusal is a ``GuardRefusal`` carrying the identity STS reported (when it got that far).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import check_self_approval, check_signatures
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import EXECUTABLE, region_allowed
from ansible_collections.coworker.aws.plugins.module_utils.guard.execution_role import assume_execution_role
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import (
    STOP, check_execution, establish_identity, plan_regions)
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import OwnedBuckets, Perimeter, check_plan
from ansible_collections.coworker.aws.plugins.module_utils.guard.target_session import target_context
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import require_one_target


class Verified:
    """What the guard established: the context that calls, who it is, the class, the perimeter, the approval."""

    def __init__(self, aws, identity, classification, perimeter, approval):
        self.aws = aws
        self.identity = identity
        self.classification = classification
        self.perimeter = perimeter
        self.approval = approval

    @property
    def environment(self):
        return self.classification["environment"]


def list_buckets(aws):
    """Names of the buckets the verified session's account owns (ListBuckets, every page)."""
    client = aws.client("s3")
    if client.can_paginate("list_buckets"):
        pages = client.get_paginator("list_buckets").paginate()
    else:  # pragma: no cover - older botocore without ListBuckets pagination
        pages = [client.list_buckets()]
    return [bucket["Name"] for page in pages for bucket in page.get("Buckets", [])]


def plan_checks(config, loaded, steps):
    """Step 1: everything that needs no AWS call. Returns the approval summary (who signed)."""
    require_one_target(loaded["plan"], loaded["path"])
    target = loaded["plan"]["target"]
    if target["environment"] not in EXECUTABLE:
        raise GuardRefusal("%s The plan targets %s." % (STOP, target["environment"]))
    denied = [r for r in plan_regions(steps) if not region_allowed(config, target["environment"], r)]
    if denied:
        raise GuardRefusal("%s Region(s) %s are not allowed for %s; nothing was changed."
                           % (STOP, ", ".join(sorted(denied)), target["environment"]))
    approval = check_signatures(config, target["environment"], loaded)
    # the target account stands in for the STS answer, which check_execution then requires to equal it
    check_plan(Perimeter.for_class(config, target["environment"], target["account_id"]),
               dict(loaded["plan"], steps=steps))
    return approval


def verify(config, loaded, profile, steps=None, run_id=None, retry_mode="standard", max_attempts=5,
           buckets=True, execution_role=True):
    """The whole sequence for ``steps`` (default: every step of the plan); returns ``Verified``.

    ``buckets``: the perimeter learns the account's buckets (ListBuckets, asked when an S3 call first
    names one) so that every S3 request is held to the account's own buckets. ``execution_role``: assume
    the class's execution role (the context that calls); verify_environment, which sends nothing, does not.
    """
    steps = loaded["plan"]["steps"] if steps is None else steps
    approval = plan_checks(config, loaded, steps)
    target = loaded["plan"]["target"]
    # the credentials that will make the calls: the profile's, or the target's role assumed from it
    aws = target_context(target, profile or target["profile"], retry_mode, max_attempts, run_id)
    identity = establish_identity(aws)
    try:
        classification = check_execution(config, identity, target, plan_regions(steps))
        approval = check_self_approval(approval, identity)  # the summary now says who was not counted
        role_identity = None
        if execution_role:
            aws, role_identity = assume_execution_role(aws, config, classification, target, run_id)
    except GuardRefusal as exc:
        exc.identity = identity
        raise
    if role_identity:  # every call is made as the role, restricted by the session policy
        identity = dict(identity, base_arn=identity["arn"], arn=role_identity["arn"], execution_role=aws.assumed_role)
    owned = OwnedBuckets(lambda: list_buckets(aws)) if buckets else None
    perimeter = Perimeter.for_class(config, classification["environment"], identity["account"], owned)
    return Verified(aws, identity, classification, perimeter, approval)
