# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check plan calls against botocore's own service models.

Only the models are used here (no credentials, no network), so a plan is
fully checked before any AWS call is made.
"""

from __future__ import annotations

import difflib
import functools

from ansible_collections.coworker.aws.plugins.module_utils.aws.botocore_data import new_session
from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import is_already_exists
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import (
    ReferenceProblem, exact_reference, references_in)

try:
    import botocore
    from botocore.exceptions import DataNotFoundError, UnknownServiceError
    HAS_BOTOCORE = True
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    HAS_BOTOCORE = False

# Name prefixes: only a fallback for operations AWS's access-level data does not know
# (aws/access_levels.py decides), and the contract's "destructive whatever the plan says" list.
READ_ONLY_PREFIXES = ("Describe", "Get", "Head", "List", "Lookup", "Query", "Scan", "Search",
                      "BatchGet", "Select", "Check", "Estimate", "Preview", "Validate")
DESTRUCTIVE_PREFIXES = ("Delete", "Terminate", "Remove", "Detach", "Disassociate", "Revoke",
                        "Deregister", "Disable", "Stop", "Reboot", "Cancel", "Purge", "Release",
                        "Reset")
_PY_TYPES = {
    "string": (str,), "character": (str,), "timestamp": (str,), "blob": (str, bytes),
    "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float),
    "boolean": (bool,),
}


@functools.lru_cache(maxsize=1)
def _session():
    return new_session()


@functools.lru_cache(maxsize=None)
def service_model(service):
    """The botocore service model, or a ValueError that suggests close names."""
    try:
        return _session().get_service_model(service)
    except (UnknownServiceError, DataNotFoundError):
        known = _session().get_available_services()
        close = difflib.get_close_matches(service, known, n=3)
        hint = " (did you mean %s?)" % ", ".join(close) if close else ""
        raise ValueError("unknown AWS service %r%s" % (service, hint)) from None


@functools.lru_cache(maxsize=None)
def operation_model(service, operation):
    model = service_model(service)
    if operation not in model.operation_names:
        close = difflib.get_close_matches(operation, model.operation_names, n=3)
        hint = " (did you mean %s?)" % ", ".join(close) if close else ""
        raise ValueError("unknown operation %r for service %r%s" % (operation, service, hint))
    return model.operation_model(operation)


@functools.lru_cache(maxsize=None)
def waiter_names(service):
    try:
        config = _session().get_waiter_model(service)
    except (DataNotFoundError, ValueError):
        return ()
    # boto3 names waiters in snake_case (client.get_waiter("bucket_exists")), as plans do
    return tuple(botocore.xform_name(name) for name in config.waiter_names)


def _check_reference_string(value, shape, path, problems):
    """A string holding references: exact ones may be any type, embedded ones make text."""
    if exact_reference(value):
        return
    if shape.type_name not in ("string", "character", "timestamp", "blob"):
        problems.append((path, "a text with a reference cannot fill a %s parameter" % shape.type_name))


def check_shape(value, shape, path, problems):
    """Validate ``value`` against a botocore shape; collect ``(path, message)`` problems."""
    if isinstance(value, str) and "${" in value:
        try:
            if references_in(value):
                _check_reference_string(value, shape, path, problems)
                return
        except ReferenceProblem as exc:
            problems.append((path, str(exc)))
            return
    kind = shape.type_name
    if kind == "structure":
        _check_structure(value, shape, path, problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append((path, "must be a list, got %s" % type(value).__name__))
            return
        for index, item in enumerate(value):
            check_shape(item, shape.member, "%s[%d]" % (path, index), problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append((path, "must be a mapping, got %s" % type(value).__name__))
            return
        for key, item in value.items():
            check_shape(item, shape.value, "%s.%s" % (path, key), problems)
    else:
        _check_scalar(value, shape, path, problems)


def _check_structure(value, shape, path, problems):
    if not isinstance(value, dict):
        problems.append((path, "must be a mapping, got %s" % type(value).__name__))
        return
    members = shape.members
    for name in shape.required_members:
        if name not in value:
            problems.append((path, "missing required parameter %r" % name))
    for name, item in value.items():
        member = members.get(name)
        if member is None:
            close = difflib.get_close_matches(name, list(members), n=3)
            hint = "did you mean %s?" % ", ".join(close) if close else "valid: %s" % ", ".join(sorted(members))
            problems.append(("%s.%s" % (path, name), "unknown parameter (%s)" % hint))
            continue
        if _plain_text_fits(item, member):  # most members of most calls: nothing to say, no path to build
            continue
        check_shape(item, member, "%s.%s" % (path, name), problems)


_TEXT_TYPES = ("string", "character", "timestamp", "blob")


def _plain_text_fits(value, shape):
    """A text without references for a text member (of its enum, if it has one)."""
    if type(value) is not str or "${" in value or shape.type_name not in _TEXT_TYPES:  # pylint: disable=unidiomatic-typecheck
        return False
    enum = shape.metadata.get("enum")
    return not enum or value in enum


def _check_scalar(value, shape, path, problems):
    allowed = _PY_TYPES.get(shape.type_name, (object,))
    if isinstance(value, bool) and shape.type_name != "boolean":
        allowed = ()
    if not isinstance(value, allowed):
        problems.append((path, "must be %s, got %s %r" % (shape.type_name, type(value).__name__, value)))
    elif getattr(shape, "enum", None) and isinstance(value, str) and value not in shape.enum:
        problems.append((path, "must be one of %s, got %r" % (", ".join(shape.enum), value)))


def check_params(service, operation, params, path):
    """Problems with ``params`` for ``service:operation`` as a list of ``(path, message)``."""
    shape = operation_model(service, operation).input_shape
    if shape is None:
        return [] if not params else [(path, "%s:%s takes no parameters" % (service, operation))]
    problems = []
    check_shape(params, shape, path, problems)
    return problems


@functools.lru_cache(maxsize=None)
def waiter_operation(service, waiter):
    """The operation a boto3 waiter (snake_case name) calls, so its request is checked like any other."""
    config = _session().get_waiter_model(service)
    for name in config.waiter_names:
        if botocore.xform_name(name) == waiter:
            return config.get_waiter(name).operation
    raise ValueError("unknown %s waiter %r" % (service, waiter))


def overwrite_member(service, operation):
    """The input's boolean that lets the call replace what exists (``Overwrite``, ``allowOverwrite``), or None."""
    shape = operation_model(service, operation).input_shape
    for name, member in (shape.members.items() if shape is not None else ()):
        if member.type_name == "boolean" and name.lower() in ("overwrite", "allowoverwrite", "shouldoverwrite"):
            return name
    return None


def already_exists_errors(service, operation):
    """The errors the model says the operation answers when what it makes exists (``ParameterAlreadyExists``)."""
    return [shape.name for shape in operation_model(service, operation).error_shapes if is_already_exists(shape.name)]
