# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a resource an undo would delete or change is this run's: decided before every undo call.

A rollback call's values may come from the journal (``${create_sg.group_id}``), and a journal can
be edited, restored from an old copy or simply wrong. So each resource the call names (its
identifying members, aws/resource_ids.py) is judged on its own:

* it carries this run's ``coworker:run-id`` tag: the run's;
* it carries another run's: not this run's;
* the run tagged what it made under that value (a create of this run, sent with the run's tags,
  named it or answered it) but the resource does not carry this run's tag, or its tags cannot be
  read: not this run's (someone replaced it, or the journal names something else);
* otherwise, when the run could not tag it: the run's when the approved plan itself names it (a
  literal, ``${target.*}``, ``${run.id}``: what a person approved), or when it is a value the
  run's own journaled answers returned. Anything else is not.

Only the journal-derived facts are built here (``RunRecord``) and the verdict is a pure function
(``judge``); the step runner reads the tags (run/undo.py).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws.resource_ids import chosen_members, identifiers
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import RUN_KEY
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import BUILTIN, iter_strings, references_in
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.outcome import carries_run_tag

NOT_OURS = "not made by this run: left"


def leaves(value):
    """Every string inside a value (the ids and ARNs a step's outputs hold)."""
    if isinstance(value, dict):
        return {leaf for item in value.values() for leaf in leaves(item)}
    if isinstance(value, list):
        return {leaf for item in value for leaf in leaves(item)}
    return {value} if isinstance(value, str) and value else set()


class RunRecord:
    """What the journal says this run made: the values it tagged, and every value its answers returned."""

    def __init__(self, run_id, plan_steps, events, state=None):
        self.run_id = run_id
        calls = {s["id"]: s["call"] for s in plan_steps}
        state = state or run_state(events)
        outputs = {sid: entry.get("outputs") or {} for sid, entry in state["steps"].items()}
        self.answered = {leaf for values in outputs.values() for leaf in leaves(values)}
        self.tagged = {}  # value -> the step whose tagged create named or answered it
        self.named = set(self.answered)  # every resource the run's calls named or its answers returned
        for event in events:
            call = calls.get(event.get("step"))
            if event["event"] != "call_started" or call is None:
                continue
            self.named.update(v for _m, v in identifiers(call["service"], call["operation"], event.get("params")))
            if not carries_run_tag(event.get("params"), run_id):
                continue
            chosen = chosen_members(call["service"], call["operation"])
            named = [v for _m, v in identifiers(call["service"], call["operation"], event.get("params"), chosen)]
            for value in named + sorted(leaves(outputs.get(event["step"]))):
                self.tagged.setdefault(value, event["step"])
        self.seen_ours = set()  # values found carrying this run's tag by a search (twins, the sweep)


def journal_sources(unresolved, member):
    """The steps whose journaled outputs fill ``member`` of a call as the plan writes it (empty: the plan names it)."""
    value = (unresolved or {}).get(member)
    return {scope for _path, text in iter_strings(value) for scope, _name in references_in(text)
            if scope not in BUILTIN}


def needs_tags(record, value):
    """Whether the run tagged what it made under this value, so its tags decide (and must be read)."""
    return value in record.tagged and value not in record.seen_ours


def judge(record, value, sources, tags, unread=None):
    """None when the resource ``value`` names is this run's, else why not (as the report says it).

    ``tags``: the resource's tags when they were read (None when not read or not readable);
    ``unread``: why they could not be read (an error code), if they were needed.
    """
    if value in record.seen_ours:
        return None
    run_tag = (tags or {}).get(RUN_KEY)
    if run_tag == record.run_id:
        return None
    if run_tag:
        return "%s carries coworker:run-id=%s, another run's" % (value, run_tag)
    if value in record.tagged:
        why = "its tags could not be read (%s)" % unread if unread else "it does not carry coworker:run-id=%s" % (
            record.run_id)
        return "%s: this run tagged what step %s made, and %s" % (value, record.tagged[value], why)
    if not sources or value in record.answered:
        return None
    return "%s is not a value this run's journaled answers returned" % value
