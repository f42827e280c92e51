# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The calls of a plan's steps, and what a plan's references resolve to before any AWS call.

Shared by the perimeter (what a call touches), the grants (who a plan lets in), the fetched
objects (what content a call reads by reference) and the guardrail policies (what each call does):
every call a step may make, its main call, its validate calls (the first also describes the
resource before and after), its waiter and its rollback calls.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model


def step_calls(step):
    """``(label, service, operation, params)`` of every call a step may make (label "" for the main call)."""
    call = step["call"]
    yield "", call["service"], call["operation"], call["params"]
    for key in ("validate", "rollback"):
        for index, item in enumerate(step[key]):
            yield "%s[%d]" % (key, index), item["service"], item["operation"], item["params"]
    wait = step.get("wait")
    if wait and wait.get("waiter"):
        yield "wait", call["service"], service_model.waiter_operation(call["service"], wait["waiter"]), wait["params"]


def known_now(target):
    """What a plan's references resolve to before any AWS call (later outputs are placeholders)."""
    return {"target": {"account_id": target["account_id"], "region": target["region"]}, "run": {"id": "<run.id>"}}
