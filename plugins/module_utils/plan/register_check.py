# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a ``register`` expression may be: a read of the response, never a constant or a secret.

A register feeds later steps, and the reviewer sees it as ``<step.name>``: a JMESPath
literal (`` `"acme-prod-data"` ``) there would put a value in a request that nobody
saw as a value. So the expression must read the response (a field or ``@``), and no
branch of ``||``, ``&&`` or ``|`` may yield a literal instead. And because secrets
are never registered, journaled or shown, an expression that touches a secret anywhere
in its syntax tree (plan/secret_reads.py) is refused, and so is an ``expect`` that
does (it may only compare a secret with the value the plan states).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.secret_reads import secret_read

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


SECRET = "touches %s, a secret (a member the AWS model marks sensitive, or a credential or token it leaves unmarked)"


def _parsed(expression):
    try:
        return jmespath.compile(expression).parsed
    except jmespath.exceptions.JMESPathError:
        return None  # reported as invalid JMESPath elsewhere


def register_problem(expression, output_shape, service=None):
    """Why this register expression is refused, or None."""
    parsed = _parsed(expression)
    if parsed is None:
        return None
    if not _reads_response(parsed):
        return "does not read the response (a constant such as a JMESPath literal): register only what AWS answers"
    if _may_be_literal(parsed):
        return "can yield a JMESPath literal instead of the response: register only what AWS answers"
    secret = secret_read(parsed, output_shape, service)
    return SECRET % secret + ": secrets are never registered, journaled or shown" if secret else None


def expect_problem(expression, output_shape, service=None):
    """Why this expect expression is refused (it uses a secret other than to compare it with a literal), or None."""
    parsed = _parsed(expression)
    secret = secret_read(parsed, output_shape, service, expect=True) if parsed is not None else None
    if not secret:
        return None
    return "%s: an expect may only compare a secret with the value the plan states (%s == 'value')" % (
        SECRET % secret, secret)
