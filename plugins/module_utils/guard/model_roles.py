# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a request member is for, read from botocore's service model (its name, type, enum and documentation).

The perimeter judges every value (guard/value_scan.py); the member's role says how:

``POLICY``     an IAM or resource policy document (``Policy``, ``*PolicyDocument``, ``ResourcePolicy``,
               ``policyText``, ``AccessPolicies``, ``sessionPolicy`` ... of string type, no enum);
               principals inside are grants, everything else is judged as any value
``FREE_TEXT``  descriptions, comments, tag keys and values: only whole ARNs are judged there
``BUCKET``     names an S3 bucket: the member name ends in ``bucket`` or ``bucketname`` (any case),
               is S3's ``CopySource``, or its documentation opens by saying it is (the name of) an S3
               bucket (CloudWatch Logs ``destination``, CodePipeline ``location``) or says that with
               type S3 it is the name of the bucket (CodeBuild ``artifacts.location``)
``FETCH``      content the API fetches from S3 by reference (``TemplateURL``, ``StackPolicyURL``,
               ``ScriptLocation``, ``...S3Uri`` of a template, script, code, definition, bundle or
               package, documented as S3)
``PRINCIPAL``  names who gets access (``Principal``, ``UserIds``, ``ValuesToAdd``, ``AccountIdsToAdd``,
               ``AWSAccountIds``, ``OrganizationArns``, ``GroupNames``, ``SourceAccount`` ...): in an
               operation that shares, a grant (guard/values.py); elsewhere judged as any value
``REGION``     a region member (``Region(s)``, ``LocationConstraint``); ``SOURCE_REGION`` when only read
               from (``SourceRegion``, ``Origin...``)
``CANNED_ACL`` an S3 canned ACL (its enum offers ``public-read``)
``PLAIN``      everything else

Decisions are cached per (service, shape, member): a request is walked at load, before the prompt
and before sending, and the model is read once.
"""

from __future__ import annotations

import functools
import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels, service_model

PLAIN, FREE_TEXT, POLICY, BUCKET, FETCH, PRINCIPAL, REGION, SOURCE_REGION, CANNED_ACL = (
    "plain", "free_text", "policy", "bucket", "fetch", "principal", "region", "source_region", "canned_acl")

POLICY_NAME_RE = re.compile(r"(policy|\w*policydocument|resourcepolicy|policytext|accesspolicies|sessionpolicy"
                            r"|repositorypolicy|bucketpolicy|policyjson)")
FREE_TEXT_NAME_RE = re.compile(r"(\w*description|comments?|\w*displayname)")
FREE_TEXT_DOC_RE = re.compile(r"\s*(a|an|the|optional)\s+(optional\s+)?(description|comment)\b", re.I)
BUCKET_NAME_RE = re.compile(r"\w*bucket(name)?|copysource")
BUCKET_DOC_RE = re.compile(r"\s*(the\s+)?(name\s+of\s+)?(the\s+|an\s+|your\s+)?(amazon\s+)?s3\s+bucket"
                           r"(?!\s+(prefix|subfolder|region|version|source|path|uri|url|location|key|folder|owner"
                           r"|arn))", re.I)
# "If type is set to S3, this is the name of the output bucket" (CodeBuild artifacts.location)
BUCKET_DOC_CASE_RE = re.compile(r"\bS3\b[^.]*, this is the name of the (output |input )?bucket\b")
FETCH_NAME_RE = re.compile(r"\w*(template|script|code|definition|bundle|package|stackpolicy)\w*(url|uri|location|path)")
S3_DOC_RE = re.compile(r"\bS3\b|Simple Storage Service")
# who gets access, in an operation that shares (its revoking twins too: they are skipped, not judged)
PRINCIPAL_NAME_RE = re.compile(r"\w*principals?|\w*principalidentifier|principalorgid|userids?|valuesto(add|remove)"
                               r"|accountidsto(add|remove)|awsaccountids?|sharedaccountid|accountwithrestoreaccess"
                               r"|organizationid|organization(al)?(unit)?arns?|groupnames|usergroups|granteeidentifier"
                               r"|sourceaccount|account")
REGION_NAME_RE = re.compile(r"\w*(regions?|locationconstraint)")
SOURCE_NAME_RE = re.compile(r"(source|origin)\w*")
# services whose "buckets" are not S3 general purpose buckets (ListBuckets does not list them)
OTHER_BUCKETS = frozenset({"lightsail", "s3tables", "s3vectors", "s3outposts"})
# operations that give other principals access by nature (their access level may only say Write)
SHARING_OPERATION_RE = re.compile(r"(Add|Create|Put|Modify|Update|Authorize|Grant|Share)\w*"
                                  r"(Permissions?|Attribute|Share|Access|Grant|Principals?)$"
                                  r"|AssociateResourceShare$|^Share\w*$")


def name_role(name):
    """The role a name alone gives (map keys and the keys of embedded documents have no model)."""
    lower = name.lower()
    if POLICY_NAME_RE.fullmatch(lower):
        return POLICY
    if FREE_TEXT_NAME_RE.fullmatch(lower) or lower in ("tags", "tagkeys"):
        return FREE_TEXT
    if REGION_NAME_RE.fullmatch(lower):
        return SOURCE_REGION if SOURCE_NAME_RE.match(lower) else REGION
    if PRINCIPAL_NAME_RE.fullmatch(lower):
        return PRINCIPAL
    return PLAIN


def _documentation(shape):
    return re.sub(r"<[^>]+>", " ", getattr(shape, "documentation", "") or "")


def _is_tag(parent, lower):
    """A tag's key or value: free text (a tag is a label, not a reference)."""
    return lower in ("key", "value", "tagkey", "tagvalue") and "tag" in parent.lower()


def _string_role(service, parent, name, shape):
    lower = name.lower()
    enum = getattr(shape, "enum", None) or []
    if "public-read" in enum:
        return CANNED_ACL
    if "all" in enum and lower in ("group", "usergroups", "groupnames"):
        return PRINCIPAL  # EC2 PermissionGroup: "all" shares with every account
    if enum:  # a fixed vocabulary (a state, a kind, a region): nothing but what scanning finds
        return name_role(name) if name_role(name) in (REGION, SOURCE_REGION) else PLAIN
    doc = _documentation(shape)
    if POLICY_NAME_RE.fullmatch(lower):
        return POLICY
    if _is_tag(parent, lower) or FREE_TEXT_NAME_RE.fullmatch(lower) or FREE_TEXT_DOC_RE.match(doc):
        return FREE_TEXT
    if service not in OTHER_BUCKETS and (BUCKET_NAME_RE.fullmatch(lower) or BUCKET_DOC_RE.match(doc)
                                         or BUCKET_DOC_CASE_RE.search(doc)):
        return BUCKET
    if service != "s3" and FETCH_NAME_RE.fullmatch(lower) and S3_DOC_RE.search(doc):
        return FETCH
    role = name_role(name)
    return PLAIN if role == POLICY else role


@functools.lru_cache(maxsize=None)
def member_role(service, parent, name):
    """The role of member ``name`` of structure shape ``parent`` (for the strings it holds, lists included)."""
    model = service_model.service_model(service)
    try:
        shape = model.shape_for(parent).members[name]
    except (KeyError, AttributeError):
        return name_role(name)
    while shape.type_name == "list":
        shape = shape.member
    if shape.type_name == "map" and name.lower() in ("tags", "tag"):
        return FREE_TEXT
    if shape.type_name not in ("string", "character"):
        return name_role(name) if shape.type_name in ("map", "structure") else PLAIN
    return _string_role(service, parent, name, shape)


@functools.lru_cache(maxsize=None)
def is_sharing(service, operation):
    """Whether the operation gives other principals access (AWS: Permissions management, or its name says so)."""
    if SHARING_OPERATION_RE.search(operation):
        return True
    return access_levels.PERMISSIONS in access_levels.access_levels(service, operation)


OBJECT_KEY_MEMBERS = ("S3Key", "s3Key", "Key", "key", "ObjectKey", "objectKey", "S3ObjectKey", "FileKey")
OBJECT_VERSION_MEMBERS = ("S3ObjectVersion", "s3ObjectVersion", "ObjectVersion", "Version", "version")


@functools.lru_cache(maxsize=None)
def object_members(service, shape_name):
    """``(bucket member, key member, version member or None)`` when a structure names one S3 object, else None.

    Lambda ``Code`` and layer ``Content`` (S3Bucket, S3Key, S3ObjectVersion), Elastic Beanstalk source
    bundles, CodeDeploy revisions ...: content the API fetches. S3's own requests name the object they act on.
    """
    if service in ("s3", "s3control") or service in OTHER_BUCKETS:
        return None
    try:
        members = service_model.service_model(service).shape_for(shape_name).members
    except (KeyError, AttributeError):
        return None
    bucket = next((m for m in members if member_role(service, shape_name, m) == BUCKET), None)
    key = next((m for m in OBJECT_KEY_MEMBERS if m in members), None)
    if bucket is None or key is None:
        return None
    return bucket, key, next((m for m in OBJECT_VERSION_MEMBERS if m in members), None)


def _input_shapes(service, operation):
    """Every shape of an operation's input, each once."""
    shape = service_model.operation_model(service, operation).input_shape
    stack, seen = [shape] if shape is not None else [], set()
    while stack:
        shape = stack.pop()
        if shape.name in seen:
            continue
        seen.add(shape.name)
        yield shape
        if shape.type_name == "structure":
            stack.extend(shape.members.values())
        elif shape.type_name == "list":
            stack.append(shape.member)
        elif shape.type_name == "map":
            stack.append(shape.value)


@functools.lru_cache(maxsize=None)
def may_name_principals(service, operation):
    """Whether the operation shares and its model has a member that says who gets access (read once)."""
    return is_sharing(service, operation) and any(
        member_role(service, shape.name, name) == PRINCIPAL
        for shape in _input_shapes(service, operation) if shape.type_name == "structure" for name in shape.members)


@functools.lru_cache(maxsize=None)
def may_carry_policy(service, operation):
    """Whether a request of this operation can hold a policy document anywhere (read once from the model).

    A member whose role is POLICY, a map whose keys are free (SQS/SNS ``Attributes``: the key ``Policy``),
    or an ``AttributeName``/``AttributeValue`` pair. Most operations carry none: their requests are not
    searched for one.
    """
    for shape in _input_shapes(service, operation):
        if shape.type_name != "structure":
            continue
        if "AttributeValue" in shape.members:
            return True
        for name, member in shape.members.items():
            role = member_role(service, shape.name, name)
            if role == POLICY or (member.type_name == "map" and role != FREE_TEXT):
                return True
    return False
