# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never land in files or output: redact what the AWS model marks ``sensitive``.

A response is walked with its operation's output shape; every member whose shape
carries botocore's ``sensitive`` trait (``SecretAccessKey``, ``Parameter.Value``,
``SecretString``, passwords, ...), every member of a structure the model marks
``sensitive`` as a whole, and every member aws/unmarked_secrets.py lists (credentials and
bearer tokens the model leaves unmarked: ECR authorization tokens, presigned URLs, ...)
is replaced by ``REDACTED`` before the response is journaled, reported, returned as a
task result or shown. The model does not mark STS session tokens, which are half of a
credential: ``ALSO_SENSITIVE`` adds that one member name wherever it appears.

A request member is shown when the request itself says its value is not a secret: the model
marks every SSM parameter ``Value`` sensitive, but a ``String`` or ``StringList`` parameter is
plain text by the type its writer chose (``SecureString`` is the secret one), so an approver
sees the value they approve (``SHOWN_BY_TYPE``). Responses stay redacted whatever their type.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.unmarked_secrets import UNMARKED_MEMBERS

REDACTED = "<redacted: sensitive>"
# members the model leaves unmarked although they are credentials (the model marks the secret key)
ALSO_SENSITIVE = frozenset({"SessionToken"})
# (service, operation) -> (member, the member that gives its type, the types that are not secret)
SHOWN_BY_TYPE = {("ssm", "PutParameter"): ("Value", "Type", ("String", "StringList"))}


def redact_request(service, operation, params):
    """A call's request as it may be journaled, returned or shown: members the model marks sensitive replaced,
    except those the request's own type says are plain (``SHOWN_BY_TYPE``).

    Unknown operations are returned as they are (the plan loader has refused them already).
    """
    try:
        shape = service_model.operation_model(service, operation).input_shape
    except ValueError:  # an unknown service or operation (service_model says which)
        return params
    shown = redact(params, shape, service=service)
    plain = SHOWN_BY_TYPE.get((service, operation))
    if plain and isinstance(params, dict) and plain[0] in params and params.get(plain[1]) in plain[2]:
        shown[plain[0]] = params[plain[0]]  # not a secret by its own type (exactly String or StringList)
    return shown


def is_sensitive(shape, member_name=None):
    return bool(shape.metadata.get("sensitive")) or member_name in ALSO_SENSITIVE


def member_is_sensitive(service, parent, name, member):
    """Whether ``member`` (named ``name`` in the structure, list or map ``parent``) holds a secret itself."""
    return (is_sensitive(member, name) or bool(parent.metadata.get("sensitive"))
            or (service, parent.name, name) in UNMARKED_MEMBERS)


def contains_sensitive(shape, member_name=None, _seen=None, service=None):
    """Whether a value of this shape is, or holds anywhere below it, a sensitive member."""
    if is_sensitive(shape, member_name):
        return True
    seen = _seen if _seen is not None else set()
    if shape.name in seen:  # recursive shapes
        return False
    seen.add(shape.name)
    return any(member_is_sensitive(service, shape, name, child) or contains_sensitive(child, name, seen, service)
               for name, child in _children(shape))


def _children(shape):
    kind = shape.type_name
    if kind == "structure":
        return list(shape.members.items())
    if kind == "list":
        return [(None, shape.member)]
    if kind == "map":
        return [(None, shape.value)]
    return []


def redact(value, shape, found=None, service=None):
    """A copy of ``value`` with every sensitive member replaced; the originals are added to ``found``.

    ``service`` (the botocore service name) finds the members aws/unmarked_secrets.py lists."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        result = {}
        for name, item in value.items():
            member = shape.members.get(name)
            if member is not None and member_is_sensitive(service, shape, name, member):
                _collect(item, found)
                result[name] = REDACTED
            else:
                result[name] = redact(item, member, found, service)
        return result
    if kind == "list" and isinstance(value, list):
        if member_is_sensitive(service, shape, None, shape.member):
            _collect(value, found)
            return [REDACTED for _item in value]
        return [redact(item, shape.member, found, service) for item in value]
    if kind == "map" and isinstance(value, dict):
        if member_is_sensitive(service, shape, None, shape.value):
            _collect(list(value.values()), found)
            return {key: REDACTED for key in value}
        return {key: redact(item, shape.value, found, service) for key, item in value.items()}
    return value


def _collect(value, found):
    if found is None:
        return
    if isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)
    elif isinstance(value, str) and value:
        found.add(value)


def holds_secret(value, secrets):
    """Whether ``value`` (a registered output) is or contains one of the redacted values."""
    if not secrets:
        return False
    if isinstance(value, dict):
        return any(holds_secret(v, secrets) for v in value.values())
    if isinstance(value, list):
        return any(holds_secret(v, secrets) for v in value)
    return isinstance(value, str) and value in secrets
