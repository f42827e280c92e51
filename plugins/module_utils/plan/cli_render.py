# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a plan call as an aws CLI v1 line that the CLI reads back to the same call.

Scalars are words, lists of plain scalars are several words, everything else is compact JSON (which
the CLI passes on untouched, so nested data round-trips exactly). The CLI's own option names are used
(renames, ``--count`` for run-instances, ``--x``/``--no-x`` for ec2 boolean structures).
Members the service model marks ``sensitive`` (passwords, parameter values, secret strings) are shown as
``<redacted: sensitive>``: a line is output, and secrets never reach the output. Only a caller that sends
nothing and shows nothing (the differential test) asks for ``reveal=True``.
"""

from __future__ import annotations

import base64
import decimal
import json
import shlex

from ansible_collections.coworker.aws.plugins.module_utils.aws.redact import redact_request
from ansible_collections.coworker.aws.plugins.module_utils.plan import cli_options
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import COMPLEX

try:
    from botocore import xform_name
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    pass

# What the rendered line writes a streaming body to: a plan's call does not save it either.
OUTFILE = "/dev/null"


def cli_service_name(service: str) -> str:
    """The name the aws CLI uses for a botocore service (``s3`` -> ``s3api``)."""
    return cli_options.cli_service_name(service)


def cli_operation_name(operation: str) -> str:
    """The CLI's kebab-case name for a botocore operation (``CreateVpc`` -> ``create-vpc``)."""
    return xform_name(operation, "-")


def render_call(call: dict, params: dict, profile: str | None = None) -> str:
    """``render_cli`` of a plan call (``service``, ``operation``, ``region``, ``query``) with these params:
    the line shows the region and profile the call is made with, and the result the plan shows."""
    return render_cli(call["service"], call["operation"], params, region=call.get("region"), profile=profile,
                      query=call.get("query"))


def render_cli(service: str, operation: str, params: dict, region: str | None = None,
               profile: str | None = None, reveal: bool = False, query: str | None = None) -> str:
    """A copy-pasteable ``aws ...`` line for a call; never fails, even on params that do not fit the model.

    Sensitive members are redacted unless ``reveal``. ``query`` (a JMESPath expression) is shown as
    ``--query``: the CLI then prints what the plan displays of the answer."""
    service, operation = str(service), str(operation)
    command = cli_operation_name(operation)
    known = service in cli_options.services() and cli_options.operations(service).get(command) == operation
    table = cli_options.options(service, command) if known else {}
    words = ["aws", shlex.quote(cli_service_name(service)), shlex.quote(command)]
    if isinstance(params, dict):
        if known and not reveal:
            params = redact_request(service, operation, params)
        params = _run_instances_count(service, operation, params, words)
        names = _option_names(table)
        for member, value in params.items():
            words.extend(_render_option(str(member), value, names))
    elif params:
        words += ["--cli-input-json", shlex.quote(_compact(params))]
    if known and cli_options.streaming_output(service, command):
        words.append(OUTFILE)
    for option, value in (("--query", query), ("--region", region), ("--profile", profile)):
        if value:
            words += [option, shlex.quote(str(value))]
    return " ".join(words)


def _option_names(table):
    """``{member: (option name, Option)}`` and ``{(member, switch value): option name}`` for switches."""
    names = {}
    for name, option in table.items():
        if option.member is None or option.kind in ("refused", "custom"):
            continue
        if option.kind == "flag":
            names.setdefault((option.member, _key(option.flag)), name)
        else:
            names.setdefault(option.member, (name, option))
    return names


def _key(value):
    return json.dumps(value, sort_keys=True, default=str)


def _run_instances_count(service, operation, params, words):
    """CLI v1 has no --min-count/--max-count: it reads ``--count min[:max]`` instead."""
    if (service, operation) != ("ec2", "RunInstances") or "MinCount" not in params and "MaxCount" not in params:
        return params
    low, high = params.get("MinCount", 1), params.get("MaxCount", 1)
    words += ["--count", shlex.quote(_text(low) if low == high else "%s:%s" % (_text(low), _text(high)))]
    return {key: value for key, value in params.items() if key not in ("MinCount", "MaxCount")}


def _render_option(member, value, names):
    switch = names.get((member, _key(value))) if isinstance(value, (bool, dict)) else None
    if switch is not None:
        return ["--" + switch]
    found = names.get(member)
    if found is None:
        return ["--" + xform_name(member, "-"), shlex.quote(_compact(value))]
    name, option = found
    shape = option.shape
    if option.kind == "bool-structure" and value == {"Value": True}:
        return ["--" + name]
    if shape.type_name == "list" and _plain_list(shape, value):
        return ["--" + name] + [shlex.quote(_text(item)) for item in value]
    text = _compact(value) if shape.type_name in COMPLEX else _text(value)
    return ["--%s=%s" % (name, shlex.quote(text))] if text.startswith("-") else ["--" + name, shlex.quote(text)]


def _plain_list(shape, value):
    """A non-empty list of scalars that the CLI reads back one word per item."""
    return (isinstance(value, list) and bool(value) and shape.member.type_name not in COMPLEX
            and all(isinstance(item, (str, int, float, decimal.Decimal)) and not isinstance(item, bool)
                    and not _text(item).startswith(("-", "[")) for item in value))


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float, decimal.Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return _bytes_text(bytes(value))
    return value.isoformat() if hasattr(value, "isoformat") else _compact(value)


def _bytes_text(value):
    """CLI v1 sends a blob option's text as its UTF-8 bytes; bytes that are not UTF-8 have no v1 form
    on a command line, and are shown base64-encoded (the form CLI v2 reads by default)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(value).decode("ascii")


def _compact(value):
    return json.dumps(_jsonable(value), separators=(",", ":"), ensure_ascii=False,
                      default=lambda item: item.isoformat() if hasattr(item, "isoformat") else str(item))


def _jsonable(value):
    """Decimals as JSON numbers (not strings), bytes as text, containers walked."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray)):
        return _bytes_text(bytes(value))
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value
