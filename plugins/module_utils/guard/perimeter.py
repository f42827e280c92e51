# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource perimeter: a call may touch only its target account and allowed regions.

The guard in identity.py checks *who* calls; this module judges *what* a resolved request
names. guard/values.py walks every value of the request (whatever the member is called, JSON and
YAML inside strings included) and says what it names; here each finding is judged:

* an ARN names the target account, no account or ``aws`` (an ARN whose account is a wildcard
  names every account: refused), and a region the class allows (a wildcard region only where the
  class allows every region); a bare ``arn:aws:s3:::bucket`` names a bucket;
* an account id (a 12-digit value, a partial ARN ``ACCOUNT:function:NAME``, a queue URL, a
  registry host) is the target account;
* a region (a value, an availability zone, a host label) is one the class allows; a region a
  ``Source...``/``Origin...`` member only reads from may also be one of the class's ``source_regions``;
* an S3 bucket named by a call (a bucket member, an ``s3://`` URI, an S3 URL, an S3 ARN) is one
  the target account owns (guard/buckets.py), except the bucket S3 ``CreateBucket`` makes;
* content fetched by reference is one S3 object (its checksum is pinned at approval: guard/fetched.py);
* nothing is shared with every AWS account (``all``, ``*``, a public ACL or grantee);
* a principal of another account given access (a grant) is allowed and listed at approval
  (guard/grants.py), unless the class says ``cross_account_grants: refuse``; at execution it
  must be one the approval listed for that step;
* operations that issue credentials or act on other accounts by nature are refused unless the
  class's ``allow_operations`` lists them; the request is at most ``max_request_bytes`` as JSON.
"""

from __future__ import annotations

import copy
import fnmatch
import json

from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels, service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.unmarked_secrets import credential_reason
from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import WithPlanned, check_bucket, refusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    DEFAULT_MAX_REQUEST_BYTES, region_allowed)
from ansible_collections.coworker.aws.plugins.module_utils.guard.fetched import check_recorded
from ansible_collections.coworker.aws.plugins.module_utils.guard.request_walk import known_now, step_calls
from ansible_collections.coworker.aws.plugins.module_utils.guard.values import is_grant, named_values
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve

CROSS_ACCOUNT_SERVICES = ("organizations", "account")


class Perimeter:
    """The target account and what its class allows; ``owned_buckets()`` answers for S3.

    ``approved_grants`` (execution only): the ``(step, principal)`` pairs the approval listed;
    ``None`` at load, where the grants found are the ones being listed. ``pinned``: the plan's
    ``fetched`` SHA-256s (guard/fetched.py), which the step runner checks before sending.
    """

    def __init__(self, account, region_ok, source_region_ok=None, allowed_operations=(),
                 max_request_bytes=DEFAULT_MAX_REQUEST_BYTES, owned_buckets=None, grants="allow",
                 approved_grants=None, pinned=None):
        self.account = account
        self.region_ok = region_ok
        self.source_region_ok = source_region_ok or region_ok
        self.allowed_operations = frozenset(allowed_operations)
        self.max_request_bytes = max_request_bytes
        self.owned_buckets = owned_buckets
        self.grants = grants
        self.approved_grants = approved_grants
        self.pinned = pinned or {}

    @classmethod
    def for_class(cls, config, environment, account, owned_buckets=None, approved_grants=None, pinned=None):
        entry = config["environments"].get(environment, {})
        sources = entry.get("source_regions", [])

        def source_ok(region):
            return region_allowed(config, environment, region) or any(
                fnmatch.fnmatchcase(region, pattern) for pattern in sources)

        return cls(account, lambda region: region_allowed(config, environment, region), source_ok,
                   entry.get("allow_operations", []), entry.get("max_request_bytes", DEFAULT_MAX_REQUEST_BYTES),
                   owned_buckets, entry.get("cross_account_grants", "allow"), approved_grants, pinned)


# -- operations -------------------------------------------------------------
def credentials_reason(service, operation):
    """Why an operation hands out credentials or a token (aws/unmarked_secrets.py lists them; every sts:Assume*
    and every operation whose output holds a ``Credentials`` structure too), or None."""
    listed = credential_reason(service, operation)
    if listed or (service == "sts" and operation.startswith("Assume")):
        return listed or "it issues credentials"
    output = service_model.operation_model(service, operation).output_shape
    member = output.members.get("Credentials") if output is not None else None
    return "it issues credentials" if member is not None and member.type_name == "structure" else None


def restricted_reason(service, operation):
    """Why an operation may not be a plan step without the class's consent, or None."""
    issued = credentials_reason(service, operation)
    if issued:
        return "%s (whoever holds them can act outside this run's guard)" % issued
    if service in CROSS_ACCOUNT_SERVICES and not access_levels.is_read_only(service, operation):
        return "it changes accounts of the organization, not resources of the target account"
    return None


def check_operation(perimeter, service, operation, where):
    reason = restricted_reason(service, operation)
    if reason and "%s:%s" % (service, operation) not in perimeter.allowed_operations:
        raise refusal(where, "action", "%s:%s is refused as a plan step because %s; the environments file can "
                      "allow it for this class (allow_operations)" % (service, operation, reason))


def check_size(perimeter, params, where):
    size = len(json.dumps(params, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))
    if size > perimeter.max_request_bytes:
        raise refusal(where, "params", "the resolved request is %d bytes, more than the %d allowed "
                      "(max_request_bytes); references may have multiplied a large value"
                      % (size, perimeter.max_request_bytes))


# -- what a request names ---------------------------------------------------
def check_request(perimeter, service, operation, params, where, buckets=True, step=None):
    """Refuse (GuardRefusal) a request that reaches outside the perimeter; return what it names.

    ``buckets=False`` skips the S3 ownership check, which needs AWS (the controller's pre-check
    runs before any AWS call). The findings returned include the objects the call fetches and the
    grants it makes (``Found`` of guard/values.py).
    """
    check_operation(perimeter, service, operation, where)
    check_size(perimeter, params, where)
    found = named_values(service, operation, params)
    for item in found:  # what each value is, first: a grant to everyone is said as such, whoever owns the bucket
        JUDGES[item.kind](perimeter, item, where, False, step)
    if buckets:  # then whose buckets they are (the target's ListBuckets, read once)
        for item in found:
            if item.kind in ("bucket", "arn"):
                JUDGES[item.kind](perimeter, item, where, True, step)
    return found


def _arn(perimeter, item, where, buckets, _step):
    arn = item.info
    if "<" in arn.account or "<" in arn.region:
        return  # a check-mode placeholder for an output not known yet: judged when it is known
    if "*" in arn.account or "?" in arn.account:
        raise refusal(where, item.path, "ARN %r names every account (%s), not only the target account %s"
                      % (arn.text, arn.account, perimeter.account))
    if any(ch.isdigit() for ch in arn.account) and arn.account != perimeter.account:
        raise refusal(where, item.path, "ARN %r names account %s, not the target account %s"
                      % (arn.text, arn.account, perimeter.account))
    if arn.region and not perimeter.region_ok(arn.region):
        raise refusal(where, item.path, "ARN %r names region %s, which this class does not allow"
                      % (arn.text, arn.region))
    if buckets and arn.service == "s3" and not arn.account and arn.resource:
        check_bucket(perimeter, arn.resource.split("/", 1)[0], item.path, where)


def _account(perimeter, item, where, _buckets, _step):
    if item.value == perimeter.account:
        return
    if item.info == item.value:
        raise refusal(where, item.path, "account %s is not the target account %s" % (item.value, perimeter.account))
    raise refusal(where, item.path, "%r names account %s, not the target account %s"
                  % (item.info, item.value, perimeter.account))


def _region(perimeter, item, where, _buckets, _step):
    if item.info == "source":
        if not perimeter.source_region_ok(item.value):
            raise refusal(where, item.path, "source region %s is not allowed for this class (add it to the class's "
                          "source_regions to allow reading from it)" % item.value)
    elif not perimeter.region_ok(item.value):
        raise refusal(where, item.path, "region %s is not allowed for this class" % item.value)


def _bucket(perimeter, item, where, buckets, _step):
    if buckets:
        check_bucket(perimeter, item.value, item.path, where)


def _unfetchable(_perimeter, item, where, _buckets, _step):
    raise refusal(where, item.path, "%r: content an API fetches by reference must be one S3 object in a bucket of "
                  "the target account (%s); give the content inline instead (e.g. TemplateBody)"
                  % (item.value, item.info))


def _public(perimeter, item, where, _buckets, _step):
    raise refusal(where, item.path, "%s: it shares with every AWS account, not only the target account %s"
                  % (item.info, perimeter.account))


def _deploys(perimeter, item, where, _buckets, _step):
    raise refusal(where, item.path, "%r deploys to every account it names, not only the target account %s"
                  % (item.value, perimeter.account))


def _grant(perimeter, item, where, _buckets, step):
    if not is_grant(perimeter.account, item):
        return
    if perimeter.grants == "refuse":
        raise refusal(where, item.path, "grants %s access; this class refuses grants to other accounts "
                      "(cross_account_grants: refuse)" % item.value)
    if perimeter.approved_grants is not None and (step, item.value) not in perimeter.approved_grants:
        raise refusal(where, item.path, "grants %s access, which the approval did not list for step %s (a grant "
                      "must be written in the plan, not come from a value known only at run time)"
                      % (item.value, step))


def _nothing(*_args):
    return None


JUDGES = {"arn": _arn, "account": _account, "region": _region, "bucket": _bucket, "object": _nothing,
          "creates": _nothing, "unfetchable": _unfetchable, "public": _public, "grant": _grant, "deploys": _deploys}


# -- whole plans (before any AWS call) --------------------------------------
def check_plan(perimeter, plan, buckets=False):
    """The perimeter over every call of the plan as written (later outputs unknown), before the plan runs.

    Without ``buckets`` no AWS call is made (the controller's pre-check). With it (verify_environment,
    before the approval prompt) the buckets named are held to the target account's ListBuckets, plus
    those the plan's own steps create or delete (a resumed run's bucket may exist, or be gone, by now):
    each call is judged again, bucket by bucket, right before it is sent.
    """
    context = known_now(plan["target"])
    calls = [(step, label, service, operation, resolve(params, context, placeholder=True))
             for step in plan["steps"] for label, service, operation, params in step_calls(step)]
    view = perimeter
    if buckets and perimeter.owned_buckets is not None:
        view = copy.copy(perimeter)
        view.owned_buckets = WithPlanned(perimeter.owned_buckets, {
            params.get("Bucket") for _step, label, service, operation, params in calls
            if not label and service == "s3" and operation in ("CreateBucket", "DeleteBucket")})
    for step, label, service, operation, params in calls:
        where = "step %s%s" % (step["id"], " " + label if label else "")
        check_request(view, service, operation, params, where, buckets=buckets, step=step["id"])
    check_recorded(plan)
