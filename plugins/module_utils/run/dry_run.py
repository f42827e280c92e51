# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a dry run (``--check``) says about a step without changing anything.

Three rules. A call whose params still need an output that no step has produced yet is not
sent at all (a placeholder such as ``<create_queue.queue_url>`` would only earn a
misleading NotFound): it "would run after" those steps. A call that hands out credentials
or a token (guard/perimeter.py ``credentials_reason``; the class allowed it, or the guard
refused the plan already) is never sent either: a dry run has no approval, and a token
made for nobody is a token nobody watches. And for a changing step whose resource can be
described now, the describe-before answer predicts what the real run would find: create
it, find it already there, change it, or find it gone.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import credentials_reason

from ansible_collections.coworker.aws.plugins.module_utils.plan.references import (
    ReferenceProblem, iter_strings, references_in)
from ansible_collections.coworker.aws.plugins.module_utils.run.outcome import ABSENT, REMOVING_PREFIXES

CREATING_PREFIXES = ("Create", "Run", "Allocate", "Import")


def waits_for(call, context):
    """The steps whose outputs the call (its params and expect expressions) needs and that have none yet."""
    texts = [text for _path, text in iter_strings(call["params"])] + list(call.get("expect") or [])
    waiting = set()
    for text in texts:
        try:
            scopes = {scope for scope, _name in references_in(text)}
        except ReferenceProblem:
            continue
        waiting |= {scope for scope in scopes if scope not in context}
    return sorted(waiting)


def withheld(call):
    """Why a dry run does not send this call (it hands out credentials), or None."""
    reason = credentials_reason(call["service"], call["operation"])
    return "not sent in a dry run: %s" % reason if reason else None


def predict(operation, before):
    """One phrase: what the real run would do to the resource the step's validate call describes."""
    if before is None:
        return "cannot tell (the step has no validate call to describe its resource now)"
    if isinstance(before, dict) and set(before) == {"error"}:
        return "cannot tell (describing the resource failed: %s)" % before["error"]
    exists = before != ABSENT
    if operation.startswith(CREATING_PREFIXES):
        return "already exists: the create would fail, or is already done" if exists else "would create"
    if operation.startswith(REMOVING_PREFIXES):
        return "would remove it" if exists else "already gone: nothing to remove"
    if operation.startswith("Put"):  # Put* writes whether or not something was there
        return "would change it" if exists else "would create it"
    return "would change it" if exists else "not found now (an earlier step of the plan may make it)"


def certainly_fails(prediction):
    """Only a create of what already exists is certain to fail: everything else may be made by an earlier step."""
    return prediction.startswith("already exists")
