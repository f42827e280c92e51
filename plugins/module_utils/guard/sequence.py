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
from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import OwnedBuckets, list_buckets
from ansible_collections.coworker.aws.plugins.module_utils.guard.fetched import recorded
from ansible_collections.coworker.aws.plugins.module_utils.guard.grants import approved_grants
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter, check_plan
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
           executing=True):
    """The whole sequence for ``steps`` (default: every step of the plan); returns ``Verified``.

    The perimeter learns the account's buckets (ListBuckets, asked when an S3 call first names one) so that
    every S3 request is held to the account's own buckets. ``executing`` (the Run task): the perimeter holds
    every cross-account grant to those the approval listed and fetched content to what it pinned, and the
    class's execution role is assumed (the context that calls). Without it (verify_environment, which sends
    nothing and comes before the approval): the plan's buckets are checked against ListBuckets right away, so
    a bucket of another account is refused before the approval question.
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
        owned = OwnedBuckets(lambda: list_buckets(aws))
        if executing:  # a grant must be one the approval listed, fetched content what it pinned
            perimeter = Perimeter.for_class(config, classification["environment"], identity["account"], owned,
                                            approved_grants(loaded["blast_radius"]), recorded(loaded["plan"]))
            check_plan(perimeter, dict(loaded["plan"], steps=steps))  # the plan alone, before any other call
            aws, role_identity = assume_execution_role(aws, config, classification, target, run_id)
        else:
            perimeter = Perimeter.for_class(config, classification["environment"], identity["account"], owned)
            check_plan(perimeter, dict(loaded["plan"], steps=steps), buckets=True)
            role_identity = None
    except GuardRefusal as exc:
        exc.identity = identity
        raise
    if role_identity:  # every call is made as the role, restricted by the session policy
        identity = dict(identity, base_arn=identity["arn"], arn=role_identity["arn"], execution_role=aws.assumed_role)
    return Verified(aws, identity, classification, perimeter, approval)
