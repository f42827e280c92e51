# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a ``register`` expression may be: a read of the response, never a constant or a secret.

A register feeds later steps, and the reviewer sees it as ``<step.name>``: a JMESPath
literal (`` `"acme-prod-data"` ``) there would put a value in a request that nobody
saw as a value. So the expression must read the response (a field or ``@``), and no
branch of ``||``, ``&&`` or ``|`` may yield a literal instead. And because secrets
are never registered, journaled or shown, a path that reaches a member the AWS model
marks ``sensitive`` is refused too (decided from the jmespath parser's AST).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws.redact import contains_sensitive

try:
    import jmespath
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    jmespath = None

READS = ("field", "current", "identity")
# nodes that evaluate their first child and then look into its value
SOURCED = ("subexpression", "pipe", "index_expression", "projection", "value_projection", "filter_projection",
           "flatten")
# functions whose result may be (part of) one of their arguments as given
PASS_THROUGH = ("not_null", "join", "merge", "max_by", "min_by")


def _children(node):
    return [c for c in node.get("children", ()) if isinstance(c, dict)]


def _reads_response(node):
    return node["type"] in READS or any(_reads_response(c) for c in _children(node))


def _may_be_literal(node):
    """Whether the expression's value can come from the plan text instead of the response."""
    kind, children = node["type"], _children(node)
    if kind == "literal":
        return True
    if kind in READS or kind in ("comparator", "not_expression", "index", "slice"):
        return False
    if kind == "and_expression":
        return _may_be_literal(children[-1])
    if kind in SOURCED:  # a literal source, or a literal picked from each element
        return any(_may_be_literal(c) for c in children[:2])
    if kind == "function_expression":
        return not _reads_response(node) or (node["value"] in PASS_THROUGH and any(map(_may_be_literal, children)))
    return any(_may_be_literal(c) for c in children) or not _reads_response(node)


def _path(node):
    """Field names of a plain path (``A.B[0].C``), or None for anything else."""
    kind = node["type"]
    if kind == "field":
        return [node["value"]]
    if kind == "subexpression":
        parts = [_path(c) for c in node["children"]]
        return None if None in parts else [p for part in parts for p in part]
    if kind == "index_expression" and node["children"][1]["type"] == "index":
        return _path(node["children"][0])
    return None


def _sensitive_member(names, shape):
    """The dotted path of the first sensitive member this path reaches (or returns whole), else None."""
    walked = []
    for name in names:
        while shape is not None and shape.type_name == "list":
            shape = shape.member
        if shape is None or shape.type_name != "structure" or name not in shape.members:
            return None
        shape = shape.members[name]
        walked.append(name)
        if contains_sensitive(shape, name):
            if shape.type_name in ("structure", "list") and name != names[-1]:
                continue  # go deeper: only the sensitive member itself, or a value holding it, is refused
            return ".".join(walked)
    return None


def register_problem(expression, output_shape):
    """Why this register expression is refused, or None."""
    try:
        parsed = jmespath.compile(expression).parsed
    except jmespath.exceptions.JMESPathError:
        return None  # reported as invalid JMESPath elsewhere
    if not _reads_response(parsed):
        return "does not read the response (a constant such as a JMESPath literal): register only what AWS answers"
    if _may_be_literal(parsed):
        return "can yield a JMESPath literal instead of the response: register only what AWS answers"
    names = _path(parsed)
    member = _sensitive_member(names, output_shape) if names and output_shape is not None else None
    if member:
        return ("reads %s, which the AWS model marks sensitive: secrets are never registered, journaled or shown"
                % member)
    return None
