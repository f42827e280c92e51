# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Walking a request the way botocore's model describes it, and the calls of a plan's steps.

Shared by the perimeter (what a call touches) and the grants (who a policy lets in): every string
of a request with its path, member name and parent shape, and every call a step may make.
"""

from __future__ import annotations

import re

ARN_RE = re.compile(r"^arn:(aws[a-z-]*):([a-z0-9-]*):([a-z0-9-]*):([^:]*):(.*)$", re.S)


def walk(value, shape, path="", name=None, parent=None):
    """Yield ``(path, member name, string, parent shape name)`` for every string in the request."""
    if isinstance(value, str):
        yield path, name, value, parent
        return
    kind = shape.type_name if shape is not None else None
    if isinstance(value, dict):
        for key, item in value.items():
            if kind == "structure":
                member = shape.members.get(key)
                yield from walk(item, member, _join(path, key), key, shape.name)
            else:  # a map (or no model): keys are data, the values keep the map's name
                sub = shape.value if kind == "map" else None
                yield from walk(item, sub, _join(path, key), name, parent)
    elif isinstance(value, list):
        sub = shape.member if kind == "list" else None
        for index, item in enumerate(value):
            yield from walk(item, sub, "%s[%d]" % (path, index), name, parent)


def _join(path, key):
    return "%s.%s" % (path, key) if path else str(key)


def step_calls(step):
    """``(label, service, operation, params)`` of every call a step may make."""
    call = step["call"]
    yield "", call["service"], call["operation"], call["params"]
    for key in ("validate", "rollback"):
        for index, item in enumerate(step[key]):
            yield "%s[%d]" % (key, index), item["service"], item["operation"], item["params"]


def known_now(target):
    """What a plan's references resolve to before any AWS call (later outputs are placeholders)."""
    return {"target": {"account_id": target["account_id"], "region": target["region"]}, "run": {"id": "<run.id>"}}
