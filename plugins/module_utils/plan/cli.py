# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Convert between plan calls and aws CLI command lines, using botocore's own service models.

``parse_command`` reads an API-level command such as ``aws ec2 create-vpc --cidr-block 10.0.0.0/16``
into ``(service, operation, params)``; ``render_cli`` writes a call back as a line a person can copy.
Nothing is ever run: ``shlex.split`` only splits the string, and with no shell involved a ``;`` or
``$(...)`` inside a value stays literal text.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import shlex

from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    ARGUMENT_RENAMES, BOTOCORE_TO_CLI, CLI_SERVICES, COMPLEX, GLOBAL_OPTIONS, READS_ELSEWHERE)
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError

try:
    import botocore.session
    from botocore import xform_name
    HAS_BOTOCORE = True
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    HAS_BOTOCORE = False

# Where the CLI's service name differs from botocore's (awscli renames these commands). The botocore
# names ``config`` and ``codedeploy`` are accepted too; ``s3`` is not: in the CLI it is the high-level set.
_EXACT_REFERENCE = re.compile(r"\$\{[^{}]*\}\Z")
_KEY = re.compile(r"\s*([^\s=,\[\]{}'\"]+)\s*=")


class _Invalid(Exception):
    """One problem with a command line; ``parse_command`` turns it into a PlanError."""


def cli_service_name(service: str) -> str:
    """The name the aws CLI uses for a botocore service (``s3`` -> ``s3api``)."""
    return BOTOCORE_TO_CLI.get(service, service)


def cli_operation_name(operation: str) -> str:
    """The CLI's kebab-case name for a botocore operation (``CreateVpc`` -> ``create-vpc``)."""
    return xform_name(operation, "-")


@functools.lru_cache(maxsize=1)
def _session():
    return botocore.session.get_session()


@functools.lru_cache(maxsize=1)
def _services():
    return frozenset(_session().get_available_services())


@functools.lru_cache(maxsize=None)
def _service_model(service):
    return _session().get_service_model(service)


@functools.lru_cache(maxsize=None)
def _operations(service):
    """``{cli operation name: botocore operation name}`` for one service."""
    return {cli_operation_name(name): name for name in _service_model(service).operation_names}


@functools.lru_cache(maxsize=None)
def _arguments(service, operation):
    """``{option without --: (member, shape, flag)}``; flag is True/False for a boolean switch, else None."""
    shape = _service_model(service).operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    table = {xform_name(name, "-"): (name, member, True if member.type_name == "boolean" else None)
             for name, member in members.items()}
    for name, member in members.items():
        if member.type_name == "boolean":
            table.setdefault("no-" + xform_name(name, "-"), (name, member, False))
    cli_service, cli_operation = cli_service_name(service), cli_operation_name(operation)
    for option in list(table):
        new = ARGUMENT_RENAMES.get((cli_service, cli_operation, option)) or \
            ARGUMENT_RENAMES.get((cli_service, "*", option))
        if new:
            table[new] = table.pop(option)
    return table


def _hint(word, choices):
    close = difflib.get_close_matches(word, choices, n=3)
    return " (did you mean %s?)" % ", ".join(close) if close else ""


# -- parsing ------------------------------------------------------------------------------------------------------
def parse_command(command: str, source: str = "<plan>", field: str = "command") -> tuple[str, str, dict]:
    """``aws <service> <operation> --option value ...`` -> ``(service, operation, params)``, or a PlanError.

    A value that is exactly one ``${...}`` reference is kept as text whatever the parameter's type (a list
    parameter given one reference word becomes a one-item list); every problem names ``field``.
    """
    try:
        return _parse(command)
    except _Invalid as exc:
        raise PlanError(source, [(field, str(exc))]) from None


def _parse(command):
    if not isinstance(command, str):
        raise _Invalid("must be a string such as 'aws ec2 create-vpc --cidr-block 10.0.0.0/16'")
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise _Invalid("cannot split the command line: %s" % exc) from None
    if not words or words[0] != "aws":
        raise _Invalid("must start with 'aws', e.g. 'aws ec2 create-vpc --cidr-block 10.0.0.0/16'")
    for name in (word[2:].split("=", 1)[0] for word in words if word.startswith("--")):
        if name in GLOBAL_OPTIONS:
            raise _Invalid("--%s is not allowed in a plan: the target (account, region, profile, output) "
                           "decides it" % name)
    if len(words) < 3 or words[1].startswith("-") or words[2].startswith("-"):
        raise _Invalid("expected 'aws <service> <operation> [--option value ...]'")
    service = _service(words[1], words[2])
    operation = _operation(service, words[2])
    return service, operation, _params(service, operation, words[3:])


def _service(word, operation):
    if word == "s3":
        raise _Invalid("'aws s3 %s' is a high-level S3 command, not an API call: use 'aws s3api <operation>' "
                       "(e.g. aws s3api create-bucket, aws s3api put-object)" % operation)
    service = CLI_SERVICES.get(word, word)
    if service not in _services():
        raise _Invalid("unknown AWS service %r%s" % (word, _hint(word, [cli_service_name(s) for s in _services()])))
    return service


def _operation(service, word):
    operations = _operations(service)
    if word in operations:
        return operations[word]
    if word in operations.values():
        raise _Invalid("the CLI spells the operation %r, not %r" % (cli_operation_name(word), word))
    raise _Invalid("unknown operation %r for 'aws %s'%s" % (word, cli_service_name(service), _hint(word, operations)))


def _params(service, operation, words):
    table, params, index = _arguments(service, operation), {}, 0
    while index < len(words):
        if not words[index].startswith("--"):
            raise _Invalid("unexpected value %r: options start with --" % words[index])
        name, equals, inline = words[index][2:].partition("=")
        end = index + 1
        while end < len(words) and not words[end].startswith("--"):
            end += 1
        values, index = words[index + 1:end], end
        if equals and values:
            raise _Invalid("unexpected value %r after --%s" % (values[0], name))
        if name not in table:
            options = ["--" + option for option in sorted(table)]
            raise _Invalid("unknown option --%s for 'aws %s %s'%s; valid options: %s" % (
                name, cli_service_name(service), cli_operation_name(operation), _hint("--" + name, options),
                ", ".join(options) or "none"))
        member, shape, flag = table[name]
        if member in params:
            raise _Invalid("--%s: %s is given more than once" % (name, member))
        params[member] = _option_value("--" + name, shape, flag, [inline] if equals else values)
    return params


def _option_value(option, shape, flag, values):
    for value in values:
        if value.lower().startswith(READS_ELSEWHERE):
            raise _Invalid("%s %s: the CLI would read the value from a file or URL; a plan must carry the value "
                           "itself" % (option, value))
    if flag is not None and not values:
        return flag
    if flag is False or not values:
        raise _Invalid("%s %s" % (option, "is a switch and takes no value" if values else "needs a value"))
    if shape.type_name == "list" and not (len(values) == 1 and values[0].lstrip().startswith("[")):
        return [_value(shape.member, value, option) for value in values]
    if len(values) > 1:
        raise _Invalid("%s takes one value, got %d: %s" % (option, len(values), " ".join(map(repr, values))))
    return _value(shape, values[0], option)


def _value(shape, text, where):
    """One command-line word for ``shape``: a scalar, JSON, or the CLI shorthand."""
    if _EXACT_REFERENCE.match(text):
        return text
    if shape.type_name not in COMPLEX:
        return _scalar(shape, text, where)
    if text.lstrip().startswith(("{", "[")) or getattr(shape, "is_document_type", False):
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise _Invalid("%s: invalid JSON (%s): %s" % (where, exc, text)) from None
        return _coerce(shape, raw, where)
    if shape.type_name == "structure" and list(shape.members) == ["Value"] and "=" not in text:
        return {"Value": _scalar(shape.members["Value"], text, where)}  # e.g. --instance-type t3.micro
    return _coerce(shape, _Shorthand(text, where).parse(), where)


def _coerce(shape, raw, where):
    """Give JSON or shorthand data the types of ``shape``; refuse keys the shape does not have."""
    if isinstance(raw, str) and _EXACT_REFERENCE.match(raw) or getattr(shape, "is_document_type", False):
        return raw
    kind = shape.type_name
    if kind in ("structure", "map") and not isinstance(raw, dict):
        raise _Invalid("%s: expected a %s, got %s" % (where, kind, json.dumps(raw)))
    if kind == "structure":
        for key in raw:
            if key not in shape.members:
                raise _Invalid("%s: unknown key %r%s; valid keys: %s" % (
                    where, key, _hint(key, shape.members), ", ".join(shape.members)))
        return {key: _coerce(shape.members[key], item, "%s.%s" % (where, key)) for key, item in raw.items()}
    if kind == "map":
        return {key: _coerce(shape.value, item, "%s.%s" % (where, key)) for key, item in raw.items()}
    if kind == "list":
        items = raw if isinstance(raw, list) else [raw]
        return [_coerce(shape.member, item, "%s[%d]" % (where, n)) for n, item in enumerate(items)]
    if isinstance(raw, (dict, list)):
        raise _Invalid("%s: expected a %s, got %s" % (where, kind, json.dumps(raw)))
    return _scalar(shape, raw, where) if isinstance(raw, str) else raw


def _scalar(shape, text, where):
    kind = shape.type_name
    if _EXACT_REFERENCE.match(text):
        return text
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        raise _Invalid("%s: expected %s number, got %r" % (where, kind, text)) from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise _Invalid("%s: expected true or false, got %r" % (where, text))
        return text.lower() == "true"
    if kind == "blob" and shape.serialization.get("streaming"):
        raise _Invalid("%s: the CLI reads this streaming upload from a local file, which a plan cannot carry; "
                       "give the call as action + params instead" % where)
    return text


class _Shorthand:
    """Recursive-descent reader for the CLI shorthand syntax.

    ``Key=Name,Value=dev`` is a structure; values may be ``[...]`` lists and ``{...}`` structures
    (``Tags=[{Key=a,Value=b},{Key=c,Value=d}]``); ``Values=a,b`` (words without ``=`` after a value)
    is a list; quotes (``Value='a,b'``) keep commas and brackets as text.
    """

    def __init__(self, text, where):
        self.text, self.pos, self.where = text, 0, where

    def parse(self):
        result = self._pairs("")
        if self._peek():
            self._fail("unexpected %r" % self._peek())
        return result

    def _fail(self, message):
        raise _Invalid("%s: cannot read shorthand %r at character %d: %s"
                       % (self.where, self.text, self.pos + 1, message))

    def _peek(self):
        while self.text[self.pos:self.pos + 1].isspace():
            self.pos += 1
        return self.text[self.pos:self.pos + 1]

    def _commas(self):
        """Yield once for each comma-separated item: the first, then one after each comma."""
        yield
        while self._peek() == ",":
            self.pos += 1
            yield

    def _pairs(self, closer):
        pairs = {}
        for _position in self._commas():
            match = _KEY.match(self.text, self.pos) or self._fail("expected Key=value")
            self.pos = match.end()
            pairs[match.group(1)] = self._value(closer)
        return pairs

    def _items(self):
        return [self._nested() if self._peek() in ("{", "[") else self._scalar("]") for _position in self._commas()]

    def _value(self, closer):
        if self._peek() in ("{", "["):
            return self._nested()
        values = [self._scalar(closer)]
        while self._peek() == "," and not _KEY.match(self.text, self.pos + 1):
            self.pos += 1
            values.append(self._scalar(closer))
        return values[0] if len(values) == 1 else values

    def _nested(self):
        opener, closer = self.text[self.pos], "}" if self.text[self.pos] == "{" else "]"
        self.pos += 1
        if self._peek() == closer:
            value = {} if opener == "{" else []
        else:
            value = self._pairs(closer) if opener == "{" else self._items()
        if self._peek() != closer:
            self._fail("expected %r" % closer)
        self.pos += 1
        return value

    def _scalar(self, closer):
        quote = self._peek()
        if quote in ("'", '"'):
            end = self.text.find(quote, self.pos + 1)
            if end < 0:
                self._fail("unclosed quote")
            value, self.pos = self.text[self.pos + 1:end], end + 1
            return value
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "," + closer:
            self.pos += 1
        return self.text[start:self.pos].rstrip()


# -- rendering ----------------------------------------------------------------------------------------------------
def render_cli(service: str, operation: str, params: dict, region: str | None = None,
               profile: str | None = None) -> str:
    """A copy-pasteable ``aws ...`` line for a call; never fails, even on params that do not fit the model."""
    service, operation = str(service), str(operation)
    known = service in _services() and operation in _operations(service).values()
    table = _arguments(service, operation) if known else {}
    names = {(member, flag): option for option, (member, _shape, flag) in table.items()}
    shapes = {member: shape for member, shape, _flag in table.values()}
    words = ["aws", shlex.quote(cli_service_name(service)), shlex.quote(cli_operation_name(operation))]
    if isinstance(params, dict):
        for member, value in params.items():
            words.extend(_render_option(str(member), value, shapes.get(member), names))
    elif params:
        words += ["--cli-input-json", shlex.quote(_compact(params))]
    for option, value in (("--region", region), ("--profile", profile)):
        if value:
            words += [option, shlex.quote(str(value))]
    return " ".join(words)


def _render_option(member, value, shape, names):
    if shape is None:
        return ["--" + xform_name(member, "-"), shlex.quote(_compact(value))]
    if isinstance(value, bool) and (member, value) in names:
        return ["--" + names[(member, value)]]
    option = "--" + names.get((member, None), names.get((member, True)))
    if shape.type_name == "list" and _plain_list(shape, value):
        return [option] + [shlex.quote(_text(item)) for item in value]
    text = _text(value)
    return [option + "=" + shlex.quote(text)] if text.startswith("-") else [option, shlex.quote(text)]


def _plain_list(shape, value):
    """A non-empty list of scalars that the CLI reads back one word per item."""
    return (isinstance(value, list) and bool(value) and shape.member.type_name not in COMPLEX
            and all(isinstance(item, (str, int, float)) and not _text(item).startswith(("-", "["))
                    for item in value))


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return value.isoformat() if hasattr(value, "isoformat") else _compact(value)


def _compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                      default=lambda item: item.isoformat() if hasattr(item, "isoformat") else str(item))
