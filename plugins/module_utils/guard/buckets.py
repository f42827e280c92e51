# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which S3 buckets the target account owns, and the refusal of a call that names another one.

S3 bucket names are global, so a name alone says nothing about its owner; ``ListBuckets`` lists
the buckets of the caller's own account. The perimeter asks it once per batch and then follows the
run's own creates and deletes (``OwnedBuckets``). Real S3 also refuses a foreign bucket itself when
told whom to expect (``ExpectedBucketOwner``, see run/perimeter_calls.py); moto ignores that header.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal


def refusal(where, field, message):
    """The perimeter's refusal, as a person reads it: the step (and call), the member path, the value."""
    return GuardRefusal("REFUSED by the perimeter: %s, %s: %s; nothing was sent" % (where, field or "request", message))


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


def is_pattern(bucket):
    """A reference not known yet (``${...}``, a check-mode ``<placeholder>``) or a policy's wildcard: no one bucket."""
    return not bucket or "${" in bucket or bucket.startswith("<") or "*" in bucket or "?" in bucket


def check_bucket(perimeter, bucket, path, where):
    """Refuse (BucketNotOwned) a bucket the target account does not own; nothing to do without a lister."""
    if perimeter.owned_buckets is None or is_pattern(bucket):
        return
    try:
        owned = perimeter.owned_buckets()
    except Exception as exc:  # any failure to list (AccessDenied, network) leaves ownership unknown: refuse
        raise BucketNotOwned(str(refusal(where, path, "cannot tell whether bucket %r belongs to the target account "
                                         "%s: s3:ListBuckets failed (%s); the perimeter needs "
                                         "s3:ListAllMyBuckets" % (bucket, perimeter.account, exc))),
                             bucket, unknown=True) from None
    if bucket not in owned:
        planned = bucket in getattr(perimeter.owned_buckets, "planned", ())
        raise BucketNotOwned(str(refusal(where, path, "bucket %r is not owned by the target account %s (it is not "
                                         "in its ListBuckets)" % (bucket, perimeter.account))), bucket, planned)


def list_buckets(aws):
    """Names of the buckets the verified session's account owns (ListBuckets, every page)."""
    client = aws.client("s3")
    if client.can_paginate("list_buckets"):
        pages = client.get_paginator("list_buckets").paginate()
    else:  # pragma: no cover - older botocore without ListBuckets pagination
        pages = [client.list_buckets()]
    return [bucket["Name"] for page in pages for bucket in page.get("Buckets", [])]


class WithPlanned:
    """The owned buckets as a plan about to run sees them: the account's, and those its own steps create."""

    def __init__(self, owned, creates):
        self._owned = owned
        self._creates = frozenset(creates)
        self.planned = getattr(owned, "planned", set())

    def __call__(self):
        return self._owned() | self._creates
