# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``${...}`` references inside plan parameters.

Forms: ``${<step_id>.<registered name>}``, ``${target.account_id}``,
``${target.region}``, ``${run.id}``. ``$${`` stands for a literal ``${``
(IAM policy variables such as ``$${aws:username}``). A value that is exactly
one reference takes the referenced value with its type; a reference inside a
longer string is substituted as text. Nothing here evaluates code: a
reference is a lookup in a dict, never a template.
"""

from __future__ import annotations

import functools
import json
import re

_TOKEN_RE = re.compile(r"\$\$\{|\$\{([^{}]*)\}")
BUILTIN = {"target": ("account_id", "region"), "run": ("id",)}


class ReferenceProblem(ValueError):
    """A reference is malformed or cannot be resolved."""


def parse_reference(text):
    """Split ``a.b`` into ``(a, b)``; refuse anything else."""
    parts = text.split(".")
    if len(parts) != 2 or not (parts[0].isidentifier() and parts[1].isidentifier() and parts[0].isascii()
                               and parts[1].isascii()):
        raise ReferenceProblem("malformed reference ${%s}: use ${step_id.name}, ${target.account_id}, "
                               "${target.region} or ${run.id} (write $${ for a literal ${)" % text)
    return parts[0], parts[1]


def iter_strings(value, path=""):
    """Yield ``(path, string)`` for every string inside nested params."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, "%s.%s" % (path, key) if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, "%s[%d]" % (path, index))


def references_in(text):
    """The ``(scope, name)`` pairs referenced by one string (a tuple; the same text is read once)."""
    if "${" not in text:
        return ()
    return _references_in(text)


@functools.lru_cache(maxsize=65536)
def _references_in(text):
    return tuple(parse_reference(m.group(1)) for m in _TOKEN_RE.finditer(text) if m.group(1) is not None)


def exact_reference(text):
    """``(scope, name)`` when the string is exactly one reference, else None."""
    match = _TOKEN_RE.fullmatch(text)
    if match and match.group(1) is not None:
        return parse_reference(match.group(1))
    return None


def _lookup(scope, name, context, placeholder):
    values = context.get(scope)
    if values is not None and name in values:
        return values[name]
    if placeholder:
        return "<%s.%s>" % (scope, name)
    raise ReferenceProblem("${%s.%s} has no value: step %r has not run or registered no %r"
                           % (scope, name, scope, name))


def _as_text(value):
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def resolve_string(text, context, placeholder=False):
    """Resolve the references of one string (typed when it is exactly one)."""
    if "${" not in text:
        return text
    exact = exact_reference(text)
    if exact:
        return _lookup(exact[0], exact[1], context, placeholder)

    def substitute(match):
        if match.group(1) is None:
            return "${"
        scope, name = parse_reference(match.group(1))
        return _as_text(_lookup(scope, name, context, placeholder))

    return _TOKEN_RE.sub(substitute, text)


def resolve(value, context, placeholder=False):
    """Resolve every reference inside nested params.

    ``context`` maps a scope (``target``, ``run`` or a step id) to its values.
    With ``placeholder`` a value that does not exist yet (check mode) is shown
    as ``<step.name>`` instead of failing.
    """
    if isinstance(value, str):
        return resolve_string(value, context, placeholder)
    if isinstance(value, dict):
        return {key: resolve(item, context, placeholder) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, context, placeholder) for item in value]
    return value


def resolve_expression(expression, context, placeholder=False):
    """Substitute references inside a JMESPath ``expect`` as text.

    Values land inside the author's quotes (``VpcId == '${create_vpc.vpc_id}'``), so a
    quote in a value is escaped and cannot end the literal early (JMESPath raw strings
    unescape only ``\\'``).
    """
    if "${" not in expression:
        return expression

    def substitute(match):
        if match.group(1) is None:
            return "${"
        scope, name = parse_reference(match.group(1))
        return _as_text(_lookup(scope, name, context, placeholder)).replace("'", "\\'")

    return _TOKEN_RE.sub(substitute, expression)
