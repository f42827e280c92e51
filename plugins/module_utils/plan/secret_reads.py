# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a JMESPath expression touches a secret of the response anywhere in its syntax tree.

The expression is evaluated over the operation's output *shape* instead of a value: each node
narrows the shape it reads from (a field, an index, a projection) or *uses* the values it gets (a
function's arguments, a comparison, a multi-select, a filter's condition, the final result). A
field that selects a secret member is refused wherever it appears (``reverse(Parameter.Value)``,
``Parameters[?Value=='x']``); a value that holds a secret somewhere below it may only be narrowed,
never used (``to_string(Parameter)``, ``Parameter.*``, ``{a: Parameter}``, ``@`` of a response with a
secret). A secret is a member the AWS model marks ``sensitive``, or one aws/unmarked_secrets.py
lists. Whatever the result of an expression is made of was checked on its way there, so a value
of unknown shape (a function's result, a literal) holds no secret.

``expect`` expressions yield only true or false; one form that uses a secret is allowed there:
``<path to a secret scalar> == <literal>`` (or ``!=``), which says whether the secret is the value
the reviewed plan itself states and nothing else about it.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws.redact import contains_sensitive, member_is_sensitive

SCALARS = ("string", "integer", "long", "float", "double", "boolean", "timestamp", "blob")


class TouchesSecret(Exception):
    """``path`` names the member (or the value holding it) the expression reads."""

    def __init__(self, path):
        super().__init__(path)
        self.path = path


class Read:
    """What a node yields: a model shape (None: unknown, holding no secret), or the elements of a list
    (``items``), or one of several values (``union``); ``path`` says where it came from."""

    __slots__ = ("shape", "items", "union", "path")

    def __init__(self, shape=None, path="", items=None, union=()):
        self.shape, self.path, self.items, self.union = shape, path, items, tuple(union)


UNKNOWN = Read()


class Reader:
    def __init__(self, service, expect=False):
        self.service, self.expect = service, expect

    # -- what holds a secret ------------------------------------------------------------------------------
    def holder(self, read):
        """The path of the value in ``read`` that holds a secret, or None."""
        if read.items is not None:
            return self.holder(read.items)
        if read.union:
            return next(filter(None, map(self.holder, read.union)), None)
        if read.shape is not None and contains_sensitive(read.shape, service=self.service):
            return read.path or "@"
        return None

    def use(self, read):
        """``read`` is used as a value (not only narrowed): it must hold no secret."""
        path = self.holder(read)
        if path:
            raise TouchesSecret(path)
        return UNKNOWN

    # -- narrowing ----------------------------------------------------------------------------------------
    def field(self, read, name):
        if read.union:
            return Read(union=[self.field(r, name) for r in read.union], path=read.path)
        shape, path = read.shape, "%s.%s" % (read.path, name) if read.path else name
        if shape is None or read.items is not None:
            return UNKNOWN  # a field of a list is null; an unknown value holds no secret
        if shape.type_name == "structure":
            member = shape.members.get(name)
            if member is None:
                return UNKNOWN
            if member_is_sensitive(self.service, shape, name, member):
                raise TouchesSecret(path)
            return Read(member, path)
        if shape.type_name == "map":
            if member_is_sensitive(self.service, shape, None, shape.value):
                raise TouchesSecret(path)
            return Read(shape.value, path)
        return UNKNOWN

    def elements(self, read):
        """The elements of a list value (what a projection applies its right side to)."""
        if read.items is not None:
            return read.items
        if read.union:
            return Read(union=[self.elements(r) for r in read.union], path=read.path)
        shape = read.shape
        if shape is not None and shape.type_name == "list":
            if member_is_sensitive(self.service, shape, None, shape.member):
                raise TouchesSecret(read.path + "[]")
            return Read(shape.member, read.path + "[]")
        return UNKNOWN

    # -- the nodes ----------------------------------------------------------------------------------------
    def node(self, node, read):
        kind, children = node["type"], [c for c in node.get("children", ()) if isinstance(c, dict)]
        handler = getattr(self, "_" + kind, None)
        if handler is not None:
            return handler(node, children, read)
        for child in children:  # a node this reader does not model: everything it reads is used
            self.use(self.node(child, read))
        return UNKNOWN

    def _field(self, node, _children, read):
        return self.field(read, node["value"])

    def _current(self, _node, _children, read):
        return read

    _identity = _current

    def _literal(self, _node, _children, _read):
        return UNKNOWN

    def _subexpression(self, _node, children, read):
        for child in children:  # the parser joins ``a.b.c`` into one node of three children
            read = self.node(child, read)
        return read

    _pipe = _subexpression

    def _index_expression(self, _node, children, read):
        left = self.node(children[0], read)
        if children[1]["type"] == "slice":
            return left
        return self.elements(left)

    def _projection(self, _node, children, read):
        return Read(items=self.node(children[1], self.elements(self.node(children[0], read))))

    def _flatten(self, _node, children, read):
        inner = self.elements(self.node(children[0], read))
        nested = self.elements(inner) if inner.items is not None or (
            inner.shape is not None and inner.shape.type_name == "list") else inner
        return Read(items=nested)

    def _value_projection(self, _node, children, read):
        left = self.node(children[0], read)
        self.use(left)  # ``*`` takes every member, so none of them may be a secret
        self.node(children[1], UNKNOWN)
        return Read(items=UNKNOWN)

    def _filter_projection(self, _node, children, read):
        element = self.elements(self.node(children[0], read))
        self.use(self.node(children[2], element))
        return Read(items=self.node(children[1], element))

    def _or_expression(self, _node, children, read):
        return Read(union=[self.node(c, read) for c in children])

    _and_expression = _or_expression

    def _not_expression(self, _node, children, read):
        return self.use(self.node(children[0], read))

    def _comparator(self, node, children, read):
        for index, child in enumerate(children):
            if not self._stated_value(node, child, children[1 - index], read):
                self.use(self.node(child, read))
        return UNKNOWN

    def _stated_value(self, node, child, other, read):
        """expect only: a secret scalar reached by a plain path, compared for (in)equality with a literal."""
        if not (self.expect and node["value"] in ("eq", "ne") and other["type"] == "literal"):
            return False
        names = _plain_path(child)
        if not names:
            return False
        parent = read
        for name in names[:-1]:
            parent = self.field(parent, name)
        try:
            self.field(parent, names[-1])
            return False
        except TouchesSecret:
            member = parent.shape.members[names[-1]] if parent.shape is not None and \
                parent.shape.type_name == "structure" else None
            return member is not None and member.type_name in SCALARS

    def _multi_select_list(self, _node, children, read):
        for child in children:
            self.use(self.node(child, read))
        return UNKNOWN

    _multi_select_dict = _multi_select_list

    def _key_val_pair(self, _node, children, read):
        return self.node(children[0], read)

    def _function_expression(self, _node, children, read):
        values = [self.node(c, read) for c in children if c["type"] != "expref"]
        for ref in (c for c in children if c["type"] == "expref"):  # applied to the elements of the other arguments
            for value in values or [UNKNOWN]:
                self.use(self.node(ref["children"][0], self.elements(value)))
        for value in values:
            self.use(value)
        return UNKNOWN


def _plain_path(node):
    """Field names of ``A.B.C`` (fields and subexpressions only), else None."""
    if node["type"] == "field":
        return [node["value"]]
    if node["type"] == "subexpression":
        parts = [_plain_path(c) for c in node["children"]]
        return None if None in parts else [name for part in parts for name in part]
    return None


def secret_read(parsed, output_shape, service, expect=False):
    """The path of the secret a parsed JMESPath expression touches, or None."""
    if output_shape is None:
        return None
    reader = Reader(service, expect)
    try:
        reader.use(reader.node(parsed, Read(output_shape)))
    except TouchesSecret as exc:
        return exc.path
    return None
