# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which resources a call acts on, and how to read their tags, from botocore's service model.

A call names the resources it acts on in the top-level members of its input shape that are
labels of the request URI (S3 ``Bucket`` and ``Key``) or whose names say they identify
something (``GroupId``, ``InstanceIds``, ``RoleName``, ``TopicArn``, ``DBInstanceIdentifier``),
holding a string or a list of strings. Members that name an account (``SourceSecurityGroupOwnerId``)
or carry an idempotency token or an enum are not resources. No per-operation table: the model
of every operation AWS publishes says it.

A creating call names the new resource by the name-like members it chooses (``RoleName``,
``GroupName``, ``Name``, a URI label); its ``...Id`` members point at resources that exist
already (``VpcId`` of a new subnet), since AWS assigns the new id.
"""

from __future__ import annotations

import functools
import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model

ID_SUFFIXES = ("Id", "Ids", "Name", "Names", "Arn", "Arns", "ARN", "ARNs", "Identifier", "Identifiers")
CHOSEN_SUFFIXES = ("Name", "Names", "Identifier", "Identifiers")
NOT_RESOURCES = ("OwnerId", "AccountId", "OwnerAccount", "ClientToken", "RequestId")
# Tag reads whose request the model cannot spell from one member: EC2 reads tags by filter.
TAG_READ_BY_FILTER = {"ec2": ("DescribeTags", "resource-id")}
_TAG_READ_NAME = re.compile(r"^(List\w*Tags|ListTagsFor\w+|Get\w*Tagging)$")


def _is_text(shape):
    return shape.type_name == "string" and not getattr(shape, "enum", None)


def _identifies(name, member):
    if member.metadata.get("idempotencyToken") or name.endswith(NOT_RESOURCES):
        return False
    text = _is_text(member) or (member.type_name == "list" and _is_text(member.member))
    uri_label = member.serialization.get("location") == "uri"
    return text and (uri_label or name.endswith(ID_SUFFIXES))


@functools.lru_cache(maxsize=None)
def identifying_members(service, operation):
    """Names of the top-level input members that identify a resource, in the model's order."""
    shape = service_model.operation_model(service, operation).input_shape
    if shape is None:
        return ()
    return tuple(name for name, member in shape.members.items() if _identifies(name, member))


@functools.lru_cache(maxsize=None)
def chosen_members(service, operation):
    """The identifying members by which a creating call names what it makes.

    A URI label, a bare ``Name``/``Identifier``, or a name whose stem is part of the operation's noun
    (``GroupName`` of CreateSecurityGroup, ``RoleName`` of CreateRole, ``DBInstanceIdentifier`` of
    CreateDBInstance); not ``KeyName`` of RunInstances, which names a key pair that exists.
    """
    shape = service_model.operation_model(service, operation).input_shape
    noun = re.sub(r"^[A-Z][a-z]+", "", operation)
    noun = noun[:-1] if noun.endswith("s") else noun
    chosen = []
    for name in identifying_members(service, operation):
        stem = re.sub(r"(%s)$" % "|".join(CHOSEN_SUFFIXES), "", name)
        if shape.members[name].serialization.get("location") == "uri" or (
                name.endswith(CHOSEN_SUFFIXES) and stem in noun):
            chosen.append(name)
    return tuple(chosen)


def _values(value):
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str) and item]


def identifiers(service, operation, params, members=None):
    """``[(member, value)]`` for every resource the request names (a list member gives one pair per item)."""
    names = identifying_members(service, operation) if members is None else members
    return [(name, value) for name in names for value in _values((params or {}).get(name))]


def arn_names(arn, value):
    """Whether ``arn`` is the resource ``value`` names: the ARN itself, or its resource part without its type.

    ``arn:aws:ec2:r:a:security-group/sg-1`` names ``sg-1``; ``arn:aws:ssm:r:a:parameter/app/x`` names
    ``/app/x`` and ``app/x``; ``arn:aws:s3:::logs`` names ``logs``.
    """
    if not isinstance(arn, str) or not isinstance(value, str) or not value:
        return False
    if arn == value:
        return True
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return False
    resource = parts[5]
    if resource == value:
        return True
    for separator in ("/", ":"):
        if separator in resource and resource.split(separator, 1)[1] == value.lstrip("/"):
            return True
    return False


@functools.lru_cache(maxsize=None)
def _tag_read_operation(service, member):
    """The service's own tag-read operation whose one required member is ``member`` (ListRoleTags: RoleName)."""
    model = service_model.service_model(service)
    for name in sorted(model.operation_names):
        if not _TAG_READ_NAME.match(name):
            continue
        shape = model.operation_model(name).input_shape
        if shape is not None and list(shape.required_members) == [member]:
            return name
    return None


def tag_read(service, member, value):
    """``(operation, params)`` of a call that reads the tags of the resource ``member=value`` names, or None."""
    operation = _tag_read_operation(service, member)
    if operation:
        return operation, {member: value}
    if service in TAG_READ_BY_FILTER and not member.endswith(CHOSEN_SUFFIXES):
        operation, name = TAG_READ_BY_FILTER[service]
        return operation, {"Filters": [{"Name": name, "Values": [value]}]}
    return None
