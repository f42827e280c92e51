# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed mutating call may have done: the rules behind "possibly created by us".

A call whose answer was lost (the connection closed or timed out after the
request may have left), or a create answered "already exists" although this
run's own describe had just found nothing (or on botocore's retry of our own
request), may have changed the account. Such an outcome is ambiguous: the
step runner describes the resource again and decides from what it finds.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import is_already_exists
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import RUN_KEY, STEP_KEY

try:
    import jmespath
    from botocore import exceptions as botocore_exceptions
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    jmespath = botocore_exceptions = None

ABSENT = "absent"
# after these, a validate call that finds nothing confirms the step: the resource is gone
REMOVING_PREFIXES = ("Delete", "Terminate", "Deregister", "Release")


def lost_answer(code):
    """True for botocore's transport errors, after which the request may have reached AWS.

    botocore's own classes decide: every ``HTTPClientError`` (connection closed, read
    timeout) and ``ConnectionError`` (endpoint unreachable, possibly only on a retry
    after a first attempt that was sent).
    """
    cls = getattr(botocore_exceptions, str(code), None)
    return isinstance(cls, type) and issubclass(cls, (botocore_exceptions.HTTPClientError,
                                                      botocore_exceptions.ConnectionError))


def is_ambiguous(error, before):
    """A mutating call's error that does not prove the call changed nothing."""
    if lost_answer(error["code"]):
        return True
    return is_already_exists(error["code"]) and (before == ABSENT or (error.get("retries") or 0) > 0)


def found(state):
    """The describe answer names a resource (not absent, not an error, not undescribable)."""
    return isinstance(state, dict) and "error" not in state and bool(state)


def other_runs_tag(state, run_id):
    """The run id another run of ours tagged the resource with, or None (untagged or ours)."""
    for tags in _tag_lists(state):
        for tag in tags:
            if isinstance(tag, dict) and tag.get("Key") == RUN_KEY and tag.get("Value") != run_id:
                return tag.get("Value")
    return None


def carries_run_tag(params, run_id):
    """The request itself tagged its resource with this run (so a search by tag is conclusive)."""
    return any(isinstance(tag, dict) and tag.get("Key") == RUN_KEY and tag.get("Value") == run_id
               for tags in _tag_lists(params) for tag in tags)


def _tag_lists(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("Tags", "TagList", "TagSet") and isinstance(item, list):
                yield item
            else:
                yield from _tag_lists(item)
    elif isinstance(value, list):
        for item in value:
            yield from _tag_lists(item)


def _search(expression, data):
    try:
        return jmespath.search(expression, data)
    except jmespath.exceptions.JMESPathError:
        return None


def _single(body):
    """The one resource a describe answer wraps: {"Role": {...}} or {"SecurityGroups": [{...}]}."""
    if isinstance(body, dict) and len(body) == 1:
        inner = next(iter(body.values()))
        if isinstance(inner, list) and len(inner) == 1:
            inner = inner[0]
        if isinstance(inner, dict):
            return inner
    return None


def outputs_from_describe(register, body):
    """The step's registered outputs read from a describe answer instead of the lost create answer.

    Each expression is tried on the answer, then on the single resource it wraps (a
    create answers ``GroupId`` where the describe answers ``SecurityGroups[0].GroupId``).
    Returns the outputs and the names that could not be read.
    """
    outputs, missing = {}, []
    inner = _single(body)
    for name, expression in register.items():
        value = _search(expression, body)
        if value is None and inner is not None:
            # CreateVpc answers Vpc.VpcId, DescribeVpcs Vpcs[0].VpcId: drop the create's wrapper too
            value = _search(expression, inner)
            if value is None and "." in expression:
                value = _search(expression.split(".", 1)[1], inner)
        outputs[name] = value
        if value is None:
            missing.append(name)
    return outputs, missing


def tag_filters(run_id, step_id):
    """EC2-style ``Filters`` that find what this run's step created (see aws/run_tags.py)."""
    return [{"Name": "tag:%s" % RUN_KEY, "Values": [run_id]}, {"Name": "tag:%s" % STEP_KEY, "Values": [step_id]}]


def listed_nothing(body):
    """A describe-by-filter answer whose every list is empty: nothing carries the tags."""
    lists = [v for v in (body or {}).values() if isinstance(v, list)]
    return bool(lists) and not any(lists)


def listed_items(body):
    """The resources of a describe answer: the items of its lists (``Vpcs``, ``Reservations``, ...)."""
    return [item for value in (body or {}).values() if isinstance(value, list) for item in value]


def _leaves(value):
    if isinstance(value, dict):
        return {leaf for item in value.values() for leaf in _leaves(item)}
    if isinstance(value, list):
        return {leaf for item in value for leaf in _leaves(item)}
    return {value} if isinstance(value, (str, int)) and not isinstance(value, bool) else set()


def twins(items, outputs):
    """The listed resources that are not the one the step's outputs name, or None if that one is unclear.

    The step's resource is the item holding an output value (its id, its ARN) that no other
    item holds; an output shared by all (a state, a CIDR) identifies nothing. Without such a
    value nothing is called a twin: removing the step's own resource must never happen.
    """
    ours = _leaves(outputs)
    leaves = [_leaves(item) for item in items]
    owners = [i for i, found in enumerate(leaves)
              if any(value in found and sum(value in other for other in leaves) == 1 for value in ours)]
    if len(owners) != 1:
        return None
    return [item for i, item in enumerate(items) if i != owners[0]]
