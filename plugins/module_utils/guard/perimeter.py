# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource perimeter: a call may touch only its target account and allowed regions.

The guard in identity.py checks *who* calls; this module checks *what* a
resolved request names, walking it with the operation's botocore input shape:

* every ARN (outside a policy document) names the target account, no account,
  or ``aws``, and an allowed region or none — a whole value, or one inside a longer
  text (JSON attributes such as an SQS ``RedrivePolicy``, a state machine
  definition, an event target's ``Input``);
* members the model names as accounts (``AccountId``, ``Accounts``,
  ``PeerOwnerId``, ``TargetAccount...``, ``RegistryId``, ``ExpectedBucketOwner``)
  and SQS queue URLs name the target account; so do the account ids that share an
  AMI, snapshot or DB snapshot (``UserId``/``UserIds``, RDS ``ValuesToAdd``), and
  sharing with every account (``all``) is refused;
* members the model names as regions (``Region``, ``Regions``,
  ``LocationConstraint``, ``PeerRegion``, ...) name a region the class allows;
  ``Source...``/``Origin...`` regions (only read from) also those listed in the
  class's ``source_regions``;
* an S3 bucket named by a call is one the target account owns (``owned_buckets``);
* operations that issue credentials or act on other accounts by nature are
  refused unless the class's ``allow_operations`` lists them;
* the request is at most ``max_request_bytes`` long as JSON.

Principals of other accounts inside a policy document grant access to a
resource of the target; they are allowed, and ``grants.py`` lists them so a
person sees them at approval. ``request_walk.py`` walks a request by its model.
"""

from __future__ import annotations

import fnmatch
import json
import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels, service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.unmarked_secrets import credential_reason
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    DEFAULT_MAX_REQUEST_BYTES, region_allowed)
from ansible_collections.coworker.aws.plugins.module_utils.guard.grants import policy_document
from ansible_collections.coworker.aws.plugins.module_utils.guard.request_walk import ARN_RE, known_now, step_calls, walk
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve

ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")
REGION_VALUE_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
# member names that say "this is an account" (matched case-insensitively on the model's own names)
ACCOUNT_MEMBER_RE = re.compile(r"(accountids?|accounts?|ownerids?|owneraccount(id)?|bucketowner|registryid)$"
                               r"|^targetaccount|^userids?$", re.I)
# an ARN inside a longer text: the account part is 12 digits, "aws" or empty
EMBEDDED_ARN_RE = re.compile(r"arn:(aws[a-z-]*):([a-z0-9-]*):([a-z0-9-]*):([0-9]{12}|aws|):([^\s\"',\]}]*)")
# members that share a resource with the accounts they list ("all": every AWS account)
SHARING_MEMBERS = {("ec2", "Group"), ("ec2", "UserGroups"), ("rds", "ValuesToAdd")}
REGION_MEMBER_RE = re.compile(r"(regions?|locationconstraint)$", re.I)
SOURCE_MEMBER_RE = re.compile(r"^(source|origin)", re.I)
QUEUE_URL_MEMBER_RE = re.compile(r"queueurl$", re.I)
QUEUE_URL_ACCOUNT_RE = re.compile(r"^[a-z]+://[^/]+/([0-9]{12})/")
# S3 names buckets by plain name; other services say S3Bucket in the member name
S3_BUCKET_MEMBERS = ("Bucket", "TargetBucket")
LEGACY_LOCATIONS = {"EU": "eu-west-1"}
CROSS_ACCOUNT_SERVICES = ("organizations", "account")


class Perimeter:
    """The target account and what its class allows; ``owned_buckets()`` answers for S3."""

    def __init__(self, account, region_ok, source_region_ok=None, allowed_operations=(),
                 max_request_bytes=DEFAULT_MAX_REQUEST_BYTES, owned_buckets=None):
        self.account = account
        self.region_ok = region_ok
        self.source_region_ok = source_region_ok or region_ok
        self.allowed_operations = frozenset(allowed_operations)
        self.max_request_bytes = max_request_bytes
        self.owned_buckets = owned_buckets

    @classmethod
    def for_class(cls, config, environment, account, owned_buckets=None):
        entry = config["environments"].get(environment, {})
        sources = entry.get("source_regions", [])

        def source_ok(region):
            return region_allowed(config, environment, region) or any(
                fnmatch.fnmatchcase(region, pattern) for pattern in sources)

        return cls(account, lambda region: region_allowed(config, environment, region), source_ok,
                   entry.get("allow_operations", []),
                   entry.get("max_request_bytes", DEFAULT_MAX_REQUEST_BYTES), owned_buckets)


def _refuse(where, field, message):
    return GuardRefusal("REFUSED by the perimeter: %s, %s: %s; nothing was sent"
                        % (where, field or "request", message))


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
        raise _refuse(where, "action", "%s:%s is refused as a plan step because %s; the environments file can "
                      "allow it for this class (allow_operations)" % (service, operation, reason))


# -- requests ---------------------------------------------------------------
def check_size(perimeter, params, where):
    size = len(json.dumps(params, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))
    if size > perimeter.max_request_bytes:
        raise _refuse(where, "params", "the resolved request is %d bytes, more than the %d allowed "
                      "(max_request_bytes); references may have multiplied a large value"
                      % (size, perimeter.max_request_bytes))


def check_request(perimeter, service, operation, params, where, buckets=True):
    """Refuse (GuardRefusal) a request that reaches outside the perimeter.

    ``buckets=False`` skips the S3 ownership check, which needs AWS (the
    controller's pre-check runs before any AWS call).
    """
    check_operation(perimeter, service, operation, where)
    check_size(perimeter, params, where)
    shape = service_model.operation_model(service, operation).input_shape
    if shape is None:
        return
    for path, name, value, parent in walk(params, shape):
        _check_string(perimeter, service, operation, path, name, value, parent, where, buckets)


def _check_string(perimeter, service, operation, path, name, value, parent, where, buckets):
    if policy_document(value) is not None:
        return  # principals of other accounts are grants, listed at approval (cross_account_grants)
    arn = ARN_RE.match(value)
    if arn:
        _check_arn(perimeter, arn, path, value, where, buckets)
        return
    if "arn:" in value:
        for inner in EMBEDDED_ARN_RE.finditer(value):
            _check_arn(perimeter, inner, path, inner.group(0), where, buckets)
    if not name:
        return
    if (service, name) in SHARING_MEMBERS:
        _check_sharing(perimeter, name, path, value, where)
    if ACCOUNT_MEMBER_RE.search(name) and ACCOUNT_ID_RE.match(value) and value != perimeter.account:
        raise _refuse(where, path, "account %s is not the target account %s" % (value, perimeter.account))
    if name == "OrganizationalUnitIds" or (name == "AccountsUrl" and "DeploymentTargets" in (parent or "")):
        raise _refuse(where, path, "%r deploys to every account it names, not only the target account %s"
                      % (value, perimeter.account))
    if REGION_MEMBER_RE.search(name):
        _check_region_member(perimeter, name, path, value, where)
    if QUEUE_URL_MEMBER_RE.search(name):
        match = QUEUE_URL_ACCOUNT_RE.match(value)
        if match and match.group(1) != perimeter.account:
            raise _refuse(where, path, "queue URL %r belongs to account %s, not the target account %s"
                          % (value, match.group(1), perimeter.account))
    if buckets:
        bucket = _bucket_named(service, operation, name, value)
        if bucket:
            check_bucket(perimeter, bucket, path, where)


def _check_arn(perimeter, arn, path, value, where, buckets):
    _partition, arn_service, region, account, resource = arn.groups()
    if "<" in account or "<" in region:
        return  # a check-mode placeholder for an output not known yet: checked when it is resolved
    if account not in ("", "aws", perimeter.account):
        raise _refuse(where, path, "ARN %r names account %s, not the target account %s"
                      % (value, account, perimeter.account))
    if region and not perimeter.region_ok(region):
        raise _refuse(where, path, "ARN %r names region %s, which this class does not allow" % (value, region))
    if buckets and arn_service == "s3" and not account and resource:
        check_bucket(perimeter, resource.split("/", 1)[0], path, where)


def _check_sharing(perimeter, name, path, value, where):
    if value.lower() == "all":
        raise _refuse(where, path, "%s %r shares the resource with every AWS account, not only the target account %s"
                      % (name, value, perimeter.account))
    if ACCOUNT_ID_RE.match(value) and value != perimeter.account:
        raise _refuse(where, path, "account %s is not the target account %s" % (value, perimeter.account))


def _check_region_member(perimeter, name, path, value, where):
    region = LEGACY_LOCATIONS.get(value, value)
    if not REGION_VALUE_RE.match(region):
        return  # not a region name (a state, a flag): nothing to check
    if SOURCE_MEMBER_RE.match(name):
        if not perimeter.source_region_ok(region):
            raise _refuse(where, path, "source region %s is not allowed for this class (add it to the class's "
                          "source_regions to allow reading from it)" % region)
    elif not perimeter.region_ok(region):
        raise _refuse(where, path, "region %s is not allowed for this class" % region)


def _bucket_named(service, operation, name, value):
    """The S3 bucket a member names, if it names one."""
    if service == "s3" and name in S3_BUCKET_MEMBERS:
        return None if operation == "CreateBucket" and name == "Bucket" else value
    if service == "s3" and name == "CopySource":
        return value.lstrip("/").split("/", 1)[0]
    if "S3Bucket" in name:
        return value
    return None


class BucketNotOwned(GuardRefusal):
    """A call names a bucket the target account does not own.

    For a call that only looks (describe-before, a validate call that expects
    the resource gone, a rollback that finds it gone) that simply means "not in
    this account": the caller may answer it as absent, without sending it.
    ``planned``: check mode, a bucket this run only plans to create.
    """

    def __init__(self, message, bucket, planned=False, unknown=False):
        super().__init__(message)
        self.bucket = bucket
        self.planned = planned
        self.unknown = unknown  # ListBuckets failed: ownership cannot be established, so refuse (fail closed)


class OwnedBuckets:
    """The target account's buckets: its ListBuckets once per run, then this run's own creates and deletes."""

    def __init__(self, list_buckets):
        self._list_buckets = list_buckets
        self._listed = None
        self._created, self._deleted = set(), set()
        self.planned = set()

    def __call__(self):
        if self._listed is None:
            self._listed = frozenset(self._list_buckets())
        return (self._listed | self._created) - self._deleted

    def created(self, name):
        self._created.add(name)
        self._deleted.discard(name)

    def deleted(self, name):
        self._deleted.add(name)
        self._created.discard(name)

    def relist(self):
        """A create or delete whose answer did not say what happened: ask ListBuckets again next time."""
        self._listed = None
        self._created.clear()
        self._deleted.clear()


def check_bucket(perimeter, bucket, path, where):
    if perimeter.owned_buckets is None or "${" in bucket or bucket.startswith("<"):
        return
    try:
        owned = perimeter.owned_buckets()
    except Exception as exc:  # any failure to list (AccessDenied, network) leaves ownership unknown: refuse
        raise BucketNotOwned(str(_refuse(where, path, "cannot tell whether bucket %r belongs to the target account "
                                         "%s: s3:ListBuckets failed (%s); the perimeter needs "
                                         "s3:ListAllMyBuckets" % (bucket, perimeter.account, exc))),
                             bucket, unknown=True) from None
    if bucket not in owned:
        planned = bucket in getattr(perimeter.owned_buckets, "planned", ())
        raise BucketNotOwned(str(_refuse(where, path, "bucket %r is not owned by the target account %s (it is not "
                                         "in its ListBuckets)" % (bucket, perimeter.account))), bucket, planned)


# -- whole plans (before any AWS call) --------------------------------------
def check_plan(perimeter, plan):
    """The perimeter over every call of the plan as written (later outputs unknown): before any AWS call."""
    context = known_now(plan["target"])
    for step in plan["steps"]:
        for label, service, operation, params in step_calls(step):
            where = "step %s%s" % (step["id"], " " + label if label else "")
            check_request(perimeter, service, operation, resolve(params, context, placeholder=True), where,
                          buckets=False)
