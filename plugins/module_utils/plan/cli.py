# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Convert between plan calls and aws CLI command lines, read as the aws CLI v1 reads them.

``parse_command`` reads an API-level command such as ``aws ec2 create-vpc --cidr-block 10.0.0.0/16``
into ``(service, operation, params)``: the options come from botocore's model plus the CLI's renames
and customisations (cli_options, cli_custom, cli_names), values are read as the CLI reads them (JSON,
shorthand, words). ``render_cli`` writes a call back as a line a person can copy (cli_render).
Nothing is ever run: ``shlex.split`` only splits the string, and with no shell involved a ``;`` or
``$(...)`` inside a value stays literal text. Global options are read as the CLI reads them and judged
(cli_globals): ``--region``, ``--profile`` and ``--query`` are kept with the call (``read_command``), display
options dropped, the rest refused; values the CLI would read from a file or a URL are refused.

awscli itself is not imported: it replaces ``botocore`` in ``sys.modules`` with its own copy when
imported, costs ~0.4 s to import and ~50 ms per line, and reads files and URLs for values. Its
behaviour is pinned by the differential test (tests/unit/plugins/module_utils/plan/
test_cli_differential.py) instead.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from typing import NamedTuple

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan import cli_custom, cli_options
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_globals import (
    GlobalOptionError, read_global_options)
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    CLI_SERVICES, COMPLEX, OLD_LIST_CASE, READS_FILE, READS_URL, TEXT_URL_OPTIONS)
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_render import (  # noqa: F401  pylint: disable=unused-import
    cli_operation_name, cli_service_name, render_call, render_cli)
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_shorthand import (
    ShorthandError, apply_model, read_shorthand, scalar_value)

_EXACT_REFERENCE = re.compile(r"\$\{[^{}]*\}\Z")
# argparse reads a word that looks like a negative number as a value, any other "-x" as an option.
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")
INLINE_HINT = ("put the content in the plan instead (approve_plan with inline_files: true does it for "
               "file:// values before approval, so the digest covers it)")


class _Invalid(Exception):
    """One problem with a command line; ``parse_command`` turns it into a PlanError."""


def _hint(word, choices):
    close = difflib.get_close_matches(word, choices, n=3)
    return " (did you mean %s?)" % ", ".join(close) if close else ""


class CliCall(NamedTuple):
    """A command line read as the CLI reads it: the call, and what its global options keep for it
    (``region``, ``profile`` and ``query`` are None when the line does not give them)."""
    service: str
    operation: str
    params: dict
    region: str | None = None
    profile: str | None = None
    query: str | None = None


def read_command(command: str, source: str = "<plan>", field: str = "command") -> CliCall:
    """``aws <service> <operation> --option value ...`` -> a CliCall, or a PlanError naming ``field``.

    A value that is exactly one ``${...}`` reference is kept as text whatever the parameter's type (a list
    parameter given one reference word becomes a one-item list).
    """
    try:
        return _parse(command)
    except _Invalid as exc:
        raise PlanError(source, [(field, str(exc))]) from None


def parse_command(command: str, source: str = "<plan>", field: str = "command") -> tuple[str, str, dict]:
    """``(service, operation, params)`` of a command line (see ``read_command``)."""
    return tuple(read_command(command, source, field)[:3])


def _parse(command):
    if not isinstance(command, str):
        raise _Invalid("must be a string such as 'aws ec2 create-vpc --cidr-block 10.0.0.0/16'")
    try:
        words = split_words(command)
    except ValueError as exc:
        raise _Invalid("cannot split the command line: %s" % exc) from None
    if not words or words[0] != "aws":
        raise _Invalid("must start with 'aws', e.g. 'aws ec2 create-vpc --cidr-block 10.0.0.0/16'")
    try:
        words, options = read_global_options(words[1:])
    except GlobalOptionError as exc:
        raise _Invalid(str(exc)) from None
    if len(words) < 2 or words[0].startswith("-") or words[1].startswith("-"):
        raise _Invalid("expected 'aws <service> <operation> [--option value ...]'")
    service = _service(words[0], words[1])
    command_name = _command(service, words[1])
    params = _Line(service, command_name, words[2:]).read()
    return CliCall(service, cli_options.operations(service)[command_name], params, options.region,
                   options.profile, options.query)


# A word's parts: unquoted text, '...' or "..." (no backslash anywhere), or the white space between words.
_PART = re.compile(r"""[^ \t\r\n'"]+|'[^']*'|"[^"]*"|([ \t\r\n]+)""")


def split_words(command):
    """``shlex.split(command)``, about three times faster for lines without backslashes (most plan
    lines); anything else (a backslash, an unclosed quote) goes to shlex itself."""
    if "\\" in command:
        return shlex.split(command)
    words, current, pos = [], None, 0
    for match in _PART.finditer(command):
        if match.start() != pos:
            return shlex.split(command)
        pos = match.end()
        if match.group(1) is not None:
            if current is not None:
                words.append(current)
            current = None
            continue
        part = match.group()
        current = (current or "") + (part[1:-1] if part[0] in "'\"" else part)
    if pos != len(command):
        return shlex.split(command)
    if current is not None:
        words.append(current)
    return words


def _service(word, operation):
    if word == "s3":
        raise _Invalid("'aws s3 %s' is a high-level S3 command, not an API call: use 'aws s3api <operation>' "
                       "(e.g. aws s3api create-bucket, aws s3api put-object)" % operation)
    service = CLI_SERVICES.get(word, word)
    if service not in cli_options.services():
        choices = [cli_service_name(name) for name in cli_options.services()]
        raise _Invalid("unknown AWS service %r%s" % (word, _hint(word, choices)))
    return service


def _command(service, word):
    operations = cli_options.operations(service)
    if word in operations:
        return word
    if word in operations.values():
        raise _Invalid("the CLI spells the operation %r, not %r" % (cli_operation_name(word), word))
    raise _Invalid("unknown operation %r for 'aws %s'%s" % (word, cli_service_name(service), _hint(word, operations)))


class _Line:
    """The option words of one command line, read the way the CLI's argparse parser reads them."""

    def __init__(self, service, command, words):
        self.service, self.command, self.words = service, command, words
        self.table = cli_options.options(service, command)
        self.cli_service = cli_service_name(service)
        self.where = "'aws %s %s'" % (self.cli_service, command)
        self.outfile = cli_options.streaming_output(service, command)

    def read(self):
        given, positionals, index = {}, [], 0
        while index < len(self.words):
            word = self.words[index]
            if not word.startswith("--") or _NEGATIVE_NUMBER.match(word):
                positionals.append(word)
                index += 1
                continue
            option = self._option(word[2:].split("=", 1)[0])
            values, index = self._values(option, word, index)
            given.pop(option.name, None)  # a repeated option: the CLI keeps the last one
            given[option.name] = (option, values)
        self._positionals(positionals)
        self._refuse_conflicts(given.values())
        params = {}
        for option, values in given.values():
            self._add(params, option, values)
        return cli_custom.finish(params, self.cli_service, self.command)

    def _option(self, name):
        option = self.table.get(name)
        if option is None:
            matches = [key for key in self.table if key.startswith(name)] if name else []
            if len({id(self.table[key]) for key in matches}) == 1:
                option = self.table[matches[0]]
            elif matches:
                raise _Invalid("--%s is ambiguous for %s: it could be %s" % (
                    name, self.where, ", ".join("--" + key for key in sorted(matches))))
            else:
                choices = ["--" + key for key in sorted(self.table) if self.table[key].kind != "refused"]
                raise _Invalid("unknown option --%s for %s%s; valid options: %s" % (
                    name, self.where, _hint("--" + name, choices), ", ".join(choices) or "none"))
        if option.kind == "refused":
            raise _Invalid("--%s is not allowed in a plan: %s" % (option.name, option.refusal))
        return option

    def _values(self, option, word, index):
        """``(values, next index)``: the words an option takes, as argparse gives them to the CLI."""
        if "=" in word:
            return [word.split("=", 1)[1]], index + 1
        end = index + 1
        while end < len(self.words) and not (self.words[end].startswith("--")
                                             and not _NEGATIVE_NUMBER.match(self.words[end])):
            end += 1
        following = self.words[index + 1:end]
        if option.kind == "flag" or option.nargs == 0:
            # Not the CLI's: "--dry-run true|false" is also read (the CLI would refuse the extra word).
            taken = following[:1] if following[:1] and following[0].lower() in ("true", "false") \
                and option.kind == "flag" else []
        elif option.nargs == "?":
            taken = following[:1]
        elif option.nargs == "+" or (self.outfile is False and len(following) > 1):
            taken = following  # several values for a one-value option: reported by _add
        else:
            taken = following[:1]
        if option.nargs not in (0, "?") and option.kind != "flag" and not taken:
            raise _Invalid("--%s needs a value" % option.name)
        return taken, index + 1 + len(taken)

    def _positionals(self, words):
        """The CLI takes one positional word, the output file, for operations that stream a body back;
        a plan's call does not save it, but the line must name one as in the CLI."""
        if self.outfile:
            if not words:
                raise _Invalid("%s needs an output file name after its options, as in the CLI (the body is not "
                               "saved)" % self.where)
            words = words[1:]
        if words:
            raise _Invalid("unexpected value %r: options start with --" % words[0])

    @staticmethod
    def _refuse_conflicts(given):
        seen = {}
        for option, _value in given:
            if option.dest in seen:
                raise _Invalid("--%s and --%s both set %s: give one of them" % (
                    seen[option.dest], option.name, option.dest))
            seen[option.dest] = option.name

    def _add(self, params, option, values):
        label = "--" + option.name
        if option.kind == "flag":
            if values and option.flag is not True:
                raise _Invalid("%s is a switch and takes no value" % label)
            params[option.member] = values[0].lower() == "true" if values else option.flag
            return
        self._refuse_files(option, values)
        if option.kind == "custom":
            self._custom(params, option, values, label)
        elif option.kind == "bool-structure":
            params[option.member] = {"Value": True} if not values else self._value_of(option.shape, values[0], label)
        elif option.nargs == "+":
            params[option.member] = self._list(option, values, label)
        elif len(values) > 1:
            raise _Invalid("%s takes one value, got %d: %s" % (label, len(values), " ".join(map(repr, values))))
        else:
            params[option.member] = self._value_of(option.shape, values[0], label)

    def _custom(self, params, option, values, label):
        try:
            if option.nargs == 0:
                option.apply(params)
            elif option.nargs == "+":
                option.apply(params, values)
            elif len(values) > 1:
                raise _Invalid("%s takes one value, got %d" % (label, len(values)))
            else:
                option.apply(params, values[0])
        except cli_custom.CustomError as exc:
            raise _Invalid("%s %s: %s" % (label, " ".join(values), exc)) from None

    def _refuse_files(self, option, values):
        """Mirror of the CLI's paramfile rule: one value starting with file://, fileb:// (or, except for
        the parameters the CLI passes as text, http(s)://) is replaced by that file's or URL's content."""
        if len(values) != 1 or option.shape is None and option.kind != "custom":
            return
        value = values[0]
        lowered = value.lower()
        as_text = (self._service_id(), self.command, option.name) in TEXT_URL_OPTIONS
        if lowered.startswith(READS_URL) and not as_text:
            raise _Invalid("--%s %s: the CLI would read the value from a file or URL (it fetches this URL); a "
                           "plan must carry the value itself: %s" % (option.name, value, INLINE_HINT))
        if lowered.startswith(READS_FILE) and not as_text:
            raise _Invalid("--%s %s: the CLI would read the value from a file or URL (it reads this file); a "
                           "plan must carry the value itself: %s" % (option.name, value, INLINE_HINT))

    def _service_id(self):
        """The hyphenated service id (``api-gateway``), as awscli keys PARAMFILE_DISABLED (not the endpoint prefix)."""
        return cli_options.service_names(self.service)[1]

    def _list(self, option, values, label):
        shape = option.shape
        if any(_EXACT_REFERENCE.match(value) for value in values):
            return [value if _EXACT_REFERENCE.match(value) else self._value_of(shape.member, value, label)
                    for value in values]
        if len(values) == 1 and values[0].strip().startswith("["):
            return self._json(shape, values[0], label)
        member = shape.member
        if OLD_LIST_CASE.get((self._service_id(), self.command)) == option.name and \
                member.type_name == "structure" and len(member.members) == 1:
            key = next(iter(member.members))
            return [{key: value} for value in values]
        if member.type_name in COMPLEX and not values[0].strip().startswith(("{", "[")) and \
                not getattr(member, "is_document_type", False):
            return [self._shorthand(member, value, "%s[%d]" % (label, n)) for n, value in enumerate(values)]
        return [self._value_of(member, value, label) for value in values]

    def _value_of(self, shape, text, label):
        """One word for ``shape``: a scalar, JSON, or the CLI shorthand."""
        if _EXACT_REFERENCE.match(text):
            return text
        if getattr(shape, "is_document_type", False) or shape.serialization.get("jsonvalue"):
            return self._json(shape, text, label)
        if shape.type_name not in COMPLEX:
            return _scalar(shape, text, label)
        if text.strip().startswith(("{", "[")):
            return self._json(shape, text, label)
        if shape.type_name == "list":
            raise _Invalid("%s: expected a JSON list, got %r" % (label, text))
        if shape.type_name == "structure" and list(shape.members) == ["Value"] and \
                shape.members["Value"].type_name == "string" and "=" not in text:
            return {"Value": text}  # e.g. --instance-type t3.micro on modify-instance-attribute
        return self._shorthand(shape, text, label)

    @staticmethod
    def _shorthand(shape, text, label):
        try:
            raw = read_shorthand(text)
        except ShorthandError as exc:
            raise _Invalid("%s: cannot read shorthand %r: %s" % (label, text, exc)) from None
        return apply_model(shape, raw, label, _fail)

    @staticmethod
    def _json(shape, text, label):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise _Invalid("%s: invalid JSON (%s): %s" % (label, exc, text)) from None


def _fail(message):
    raise _Invalid(message)


def _scalar(shape, text, label):
    kind = shape.type_name
    if kind == "boolean" and text.lower() not in ("true", "false"):
        raise _Invalid("%s: expected true or false, got %r" % (label, text))
    if kind == "blob" and shape.serialization.get("streaming"):
        raise _Invalid("%s: the CLI reads this streaming upload from a local file, which a plan cannot carry; "
                       "give the call as action + params instead" % label)
    return scalar_value(kind, text, label, _fail)
