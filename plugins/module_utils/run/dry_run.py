# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a dry run (``--check``) says about a step without changing anything.

A call whose params still need an output that no step has produced yet is not sent at all
(a placeholder such as ``<create_queue.queue_url>`` would only earn a misleading NotFound):
it "would run after" those steps. A call that hands out credentials or a token
(guard/perimeter.py ``credentials_reason``; the class allowed it, or the guard refused the
plan already) is never sent either: a dry run has no approval, and a token made for nobody is
a token nobody watches. For a changing step whose resource can be described now,
the describe-before answer and the service model predict what the real run would find, and
say "would fail" only where the failure is certain:

- the resource exists and the call only makes new ones: a create (``Create*`` and the like),
  a call whose model has an ``Overwrite``-like switch the request leaves off
  (``ssm:PutParameter`` without ``Overwrite: true``), or a ``Put*``/``Copy*``/``Register*``
  whose model lists an "already exists" error;
- the resource a call changes in place (``Update*``, ``Modify*``, ``Attach*``, ...) is not there
  and no earlier step of the plan names it;
- an EC2 create names a VPC, subnet or route table by a literal id that does not exist (AWS
  assigns those ids, so a literal one must exist before the run: ``EC2_PARENTS``).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import credentials_reason
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import (
    ReferenceProblem, iter_strings, references_in, resolve)
from ansible_collections.coworker.aws.plugins.module_utils.run.outcome import (
    ABSENT, REMOVING_PREFIXES, listed_nothing)

CREATING_PREFIXES = ("Create", "Run", "Allocate", "Import")
# calls that write a whole resource, whether or not one was there (a Put makes what is absent)
WRITING_PREFIXES = ("Put", "Copy", "Register", "Upload")
# calls that change something that must exist already
IN_PLACE_PREFIXES = ("Update", "Modify", "Set", "Attach", "Start", "Enable", "Tag", "Replace", "Rotate")
# EC2 member -> (describe operation, its id list member): the parents an EC2 create may name by id
EC2_PARENTS = {"VpcId": ("DescribeVpcs", "VpcIds"), "SubnetId": ("DescribeSubnets", "SubnetIds"),
               "RouteTableId": ("DescribeRouteTables", "RouteTableIds")}


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


def _names(params):
    return {text for _path, text in iter_strings(params) if text and not text.startswith("<")}


def named_earlier(plan_steps, step, names, context):
    """The earlier changing steps of the plan whose requests name one of ``names``."""
    makers = []
    for other in plan_steps:
        if other["index"] >= step["index"]:
            break
        if other["mutating"] and names & _names(resolve(other["call"]["params"], context, placeholder=True)):
            makers.append(other["id"])
    return makers


def _described_by_own_output(step, context):
    """The validate call names the step's own output: before the step runs there is nothing to describe."""
    if step["id"] in context or not step["validate"]:
        return False
    try:
        return any(scope == step["id"] for _path, text in iter_strings(step["validate"][0]["params"])
                   for scope, _name in references_in(text))
    except ReferenceProblem:
        return False


def _if_found(step, params):
    """``(phrase, would_fail)`` for a step whose resource exists now."""
    call = step["call"]
    operation = call["operation"]
    if operation.startswith(REMOVING_PREFIXES):
        return "would remove it", False
    switch = service_model.overwrite_member(call["service"], operation)
    if switch:
        if params.get(switch) is True:
            return "would overwrite it (%s: true)" % switch, False
        errors = service_model.already_exists_errors(call["service"], operation)
        return ("already exists and the request does not set %s: true: the call would fail%s"
                % (switch, " with %s" % errors[0] if errors else "")), True
    if operation.startswith(CREATING_PREFIXES):
        return "already exists: the create would fail, or is already done", True
    errors = service_model.already_exists_errors(call["service"], operation)
    if errors and operation.startswith(WRITING_PREFIXES):
        return "already exists: the call would fail with %s" % errors[0], True
    return "would change it", False


def _if_absent(step, context, plan_steps):
    """``(phrase, would_fail)`` for a step whose resource the describe did not find."""
    operation = step["call"]["operation"]
    if operation.startswith(REMOVING_PREFIXES):
        return "already gone: nothing to remove", False
    if operation.startswith(CREATING_PREFIXES):
        return "would create", False
    if operation.startswith(WRITING_PREFIXES):
        return "would create it", False
    if not operation.startswith(IN_PLACE_PREFIXES):
        return "not found now (an earlier step of the plan may make it)", False
    # only here, for the rare step that finds nothing to change, are the earlier steps read
    makers = named_earlier(plan_steps, step, _names(resolve(step["validate"][0]["params"], context, placeholder=True)),
                           context)
    if makers:
        return "not found now (%s, earlier in the plan, names it)" % ", ".join(makers), False
    return "not found, and no earlier step of the plan makes it: the call would fail", True


def forecast(step, params, before, context, plan_steps=()):
    """``(phrase, would_fail)``: what the real run would do, from the describe-before answer ``before``.

    ``params`` is the step's request as it would be sent; ``plan_steps`` every step of the plan (to see
    whether an earlier one names what the step does not find).
    """
    if before is None:
        return "cannot tell (the step has no validate call to describe its resource now)", False
    if isinstance(before, dict) and set(before) == {"error"}:
        return "cannot tell (describing the resource failed: %s)" % before["error"], False
    if before == ABSENT and _described_by_own_output(step, context):
        if step["call"]["operation"].startswith(CREATING_PREFIXES + WRITING_PREFIXES):
            return "would create", False
        return "cannot tell (its validate call needs the step's own output)", False
    if before == ABSENT:
        return _if_absent(step, context, plan_steps)
    if listed_nothing(before) and step["call"]["operation"].startswith(
            CREATING_PREFIXES + WRITING_PREFIXES + REMOVING_PREFIXES):
        # an EC2-style describe of what the call makes or removes lists nothing: there is none (for a change
        # in place it lists what the call adds to a resource that is there)
        return _if_absent(step, context, plan_steps)
    return _if_found(step, params)


def parents_to_check(step, params):
    """``(member, value, describe operation, its params)`` for each EC2 parent an EC2 create names by id."""
    call = step["call"]
    if call["service"] != "ec2" or not call["operation"].startswith(CREATING_PREFIXES):
        return []
    return [(member, params[member], operation, {key: [params[member]]})
            for member, (operation, key) in sorted(EC2_PARENTS.items())
            if isinstance(params.get(member), str) and not params[member].startswith("<")]


class DryRun:
    """The step runner's check mode; needs its context, journal, _read, _cli, _resolve and validate.

    ``plan_steps`` (every step of the plan, set by the executor) lets a prediction see what
    earlier steps name.
    """

    plan_steps = ()

    def _planned_only(self, step, call, result):
        """A call that needs outputs no step has produced yet, or that hands out credentials, is shown, never sent."""
        waiting, unsent = waits_for(call, self.context), withheld(call)
        if not (waiting or unsent):
            return False
        said = {"waits_for": waiting} if waiting else {"prediction": unsent}
        result.update(status="planned", changed=False, validation={"status": "not_run", "calls": [
            {"cli": self._cli(c, self._resolve(c["params"])), "status": "planned"} for c in step["validate"]]}, **said)
        self.journal.append("step_planned", step=step["id"], cli=result["cli"], **said)
        return True

    def _missing_parent(self, step, params):
        """The phrase for the first parent an EC2 create names that does not exist, or None."""
        for member, value, operation, request in parents_to_check(step, params):
            describe = {"service": "ec2", "operation": operation, "region": step["call"]["region"]}
            _response, error = self._read(describe, request, step["id"], "describe %s" % member, absent_ok=True)
            if error and error["kind"] == "not_found":
                return "%s %s does not exist (%s): the create would fail" % (member, value, error["code"])
        return None

    def _forecast(self, step, params, result):
        """Check mode: say what the real run would do, journal it, send nothing that changes anything."""
        prediction, would_fail = forecast(step, params, result["before"], self.context, self.plan_steps)
        if not would_fail:
            missing = self._missing_parent(step, params)
            prediction, would_fail = (missing, True) if missing else (prediction, False)
        result.update(status="planned", changed=True, validation=self.validate(step), prediction=prediction)
        self.journal.append("step_planned", step=step["id"], cli=result["cli"], before=result["before"],
                            prediction=prediction, would_fail=would_fail)
