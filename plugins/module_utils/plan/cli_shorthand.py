# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws CLI's shorthand syntax (``Key=Name,Value=dev``), read by the same grammar as awscli v1.

``read_shorthand(text)`` gives the raw data (dicts, lists, strings); ``apply_model`` then gives it the
types of the parameter's botocore shape, as the CLI does: numbers and booleans where the shape has
them, a single value wrapped in a list where the shape wants a list. Unlike the CLI, a key the shape
does not have is an error here, before any call.

The grammar, as the CLI reads it: ``key=value`` pairs separated by commas; a key is letters, digits
and ``-_.#/:``; a value is ``[...]`` (a list), ``{...}`` (key=value pairs), a quoted string (``\\'``
and ``\\"`` escape the quote, ``\\\\`` a backslash) or a bare word, in which ``\\,`` is a comma. After
a bare word, further comma-separated words that contain no ``=`` make a list (``Values=a,b``).
``key@=file://...`` makes the CLI read a file; a plan refuses it.
"""

from __future__ import annotations

import re
import string

_KEY = re.compile(r"[A-Za-z0-9_.#/:-]*")
_SPACE = re.compile(r"[%s]*" % re.escape(string.whitespace))
# A bare value: its first character, then what may follow. A first value (right after "=" or inside
# [...] / {...}) stops at a comma, quote, "]" or "}"; a further list item stops at a comma, quote or "=".
_FIRST_WORD = re.compile(r"(?:\\,|[!#-&(-+\--<>-Z\\-z|-\uffff])(?:\\,|[\s!#-&(-+\--\\^-|~-\uffff])*")
_NEXT_WORD = re.compile(r"(?:\\,|[!#-&(-+\--<>-Z\\-z|-\uffff])(?:\\,|[\s!#-&(-+\--<>-\uffff])*")
_QUOTED = {"'": re.compile(r"'(?:\\'|[^'])*'"), '"': re.compile(r'"(?:\\"|[^"])*"')}


class ShorthandError(ValueError):
    """The text is not valid shorthand; the message says where."""


def read_shorthand(text: str):
    """``"A=1,B=[x,y]"`` -> ``{"A": "1", "B": ["x", "y"]}`` (all strings; see apply_model)."""
    return _Reader(text).top()


class _Reader:
    def __init__(self, text):
        self.text, self.pos = text, 0

    def fail(self, expected):
        found = self.text[self.pos] if self.pos < len(self.text) else "end of text"
        raise ShorthandError("expected %s at character %d, found %r" % (expected, self.pos + 1, found))

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_space(self):
        self.pos = _SPACE.match(self.text, self.pos).end()

    def expect(self, char, space=False):
        if space:
            self.skip_space()
        if self.peek() != char:
            self.fail(repr(char))
        self.pos += 1
        if space:
            self.skip_space()

    def top(self):
        pairs = {}
        while True:
            key, value = self.pair(self.csv_value)
            if key in pairs:
                raise ShorthandError("key %r is given twice (a ',' where a space was meant?)" % key)
            pairs[key] = value
            if self.pos >= len(self.text):
                return pairs
            self.expect(",", space=True)

    def key(self):
        start, self.pos = self.pos, _KEY.match(self.text, self.pos).end()
        key = self.text[start:self.pos]
        self.skip_space()
        if self.peek() == "@":
            raise ShorthandError("%s@=... makes the CLI read a file; a plan must carry the value itself" % key)
        self.expect("=", space=True)
        return key

    def pair(self, read_value):
        key = self.key()
        return key, read_value()

    def csv_value(self):
        if self.pos >= len(self.text):
            return ""
        if self.peek() in "[{":
            return self.nested()
        first = self.first_value()
        self.skip_space()
        if self.peek() != ",":
            return first
        self.expect(",", space=True)
        items = [first]
        while True:
            start = self.pos
            item = self.next_value()
            if item is None:  # the next key=value pair: give its comma back
                self.pos = self.text.rindex(",", 0, start)
                break
            self.skip_space()
            items.append(item)
            if self.pos >= len(self.text):
                break
            if self.peek() != ",":
                self.pos = self.text.rindex(",", 0, start)
                items.pop()
                break
            self.pos += 1
            self.skip_space()
        return first if len(items) == 1 else items

    def next_value(self):
        """A further list item, or None when the text here is the next ``key=...`` instead."""
        if self.peek() in _QUOTED:
            return self.quoted()
        match = _NEXT_WORD.match(self.text, self.pos)
        if match is None:
            if self.pos >= len(self.text):
                self.fail("a value")
            return None
        end = match.end()
        rest = self.text[end:].lstrip()
        if rest and rest[0] != ",":
            return None
        self.pos = end
        return match.group().replace("\\,", ",").rstrip()

    def first_value(self):
        if self.peek() in _QUOTED:
            return self.quoted()
        match = _FIRST_WORD.match(self.text, self.pos)
        if match is None:
            return ""
        self.pos = match.end()
        return match.group().replace("\\,", ",").rstrip()

    def quoted(self):
        quote = self.peek()
        match = _QUOTED[quote].match(self.text, self.pos)
        if match is None:
            self.fail("a closing %s" % quote)
        self.pos = match.end()
        return match.group()[1:-1].replace("\\" + quote, quote).replace("\\\\", "\\")

    def nested(self):
        return self.list_value() if self.peek() == "[" else self.hash_value()

    def item(self):
        return self.nested() if self.peek() in "[{" else self.first_value()

    def list_value(self):
        self.expect("[", space=True)
        items = []
        while self.peek() != "]":
            if not self.peek():
                self.fail("']'")
            items.append(self.item())
            self.skip_space()
            if self.peek() != "]":
                self.expect(",")
                self.skip_space()
        self.pos += 1
        return items

    def hash_value(self):
        self.expect("{", space=True)
        pairs = {}
        while self.peek() != "}":
            if not self.peek():
                self.fail("'}'")
            key, value = self.pair(self.item)
            pairs[key] = value
            self.skip_space()
            if self.peek() != "}":
                self.expect(",")
                self.skip_space()
        self.pos += 1
        return pairs


def apply_model(shape, value, where, invalid):
    """Give shorthand data the types of ``shape``; ``invalid(message)`` raises the caller's error."""
    kind = shape.type_name
    if getattr(shape, "is_document_type", False) and value is not None:
        invalid("%s: a document value must be given as JSON, not shorthand" % where)
    if kind == "structure":
        if not isinstance(value, dict):
            invalid("%s: expected key=value pairs, got %r" % (where, value))
        for key in value:
            if key not in shape.members:
                invalid("%s: unknown key %r; valid keys: %s" % (where, key, ", ".join(shape.members)))
        return {key: apply_model(shape.members[key], item, "%s.%s" % (where, key), invalid)
                for key, item in value.items()}
    if kind == "map":
        if not isinstance(value, dict):
            invalid("%s: expected key=value pairs, got %r" % (where, value))
        return {key: apply_model(shape.value, item, "%s.%s" % (where, key), invalid) for key, item in value.items()}
    if kind == "list":
        items = value if isinstance(value, list) else [value]
        return [apply_model(shape.member, item, "%s[%d]" % (where, n), invalid) for n, item in enumerate(items)]
    if isinstance(value, (dict, list)):
        invalid("%s: expected a %s, got %r" % (where, kind, value))
    return scalar_value(kind, value, where, invalid)


def scalar_value(kind, text, where, invalid):
    """A CLI text value as the model's scalar type (numbers and booleans); ``invalid(message)`` raises."""
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        invalid("%s: expected %s number, got %r" % (where, kind, text))
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text
