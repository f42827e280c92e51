# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The last sweep of a rollback: what still carries the run's tag is undone, or reported.

A journal can lose what a run made (deleted or cut short while a call was in flight, an id
edited to name something else). Every resource a run creates carries ``coworker:run-id`` and
``coworker:step-id`` (aws/run_tags.py), so after the rollback calls the Resource Groups Tagging
API is asked, in each region of the plan, for what still carries this run's id; IAM users and
roles, which that API does not list, are looked up by the names the plan's IAM creates give
them. Each one found is undone with the rollback calls of the step its tag names (the step's
outputs read from the resource itself), or reported with why it was left. Steps left on purpose
in this pass (drift, others' resources inside them) are not swept.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.resource_ids import (
    arn_names, chosen_members, identifiers, identifying_members, tag_read)
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import (
    RUN_KEY, STEP_KEY, plan_view, run_tags, tags_of, with_run_tags)
from ansible_collections.coworker.aws.plugins.module_utils.aws.session import response_body
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import (
    ReferenceProblem, exact_reference, iter_strings, references_in, resolve)
from ansible_collections.coworker.aws.plugins.module_utils.run import outcome

# GetResources does not list IAM users and roles (AWS documents it): they are looked up by name
NOT_IN_TAGGING_API = ("iam",)
ARN_SUFFIXES = ("Arn", "Arns", "ARN", "ARNs")
TOP_LEVEL = re.compile(r"^(\w+)(\[\d+\])?$")  # a member of the request, or an item of a list member


def arn_resource_id(arn):
    """``arn:aws:ec2:r:a:security-group/sg-1`` -> ``sg-1``; ``arn:aws:s3:::logs`` -> ``logs``."""
    resource = arn.split(":", 5)[-1]
    for separator in ("/", ":"):
        if separator in resource:
            return resource.split(separator, 1)[1]
    return resource


class Sweep:
    """Needs the StepRunner's journal, context, record, undone, left_on_purpose, run_tagged, _read, _rollback_call."""

    def sweep(self, plan_steps, batch, state_steps):
        """Undo or report what still carries this run's tag once the batch's rollback calls are done."""
        self._tagged_by_region, self.tag_search_errors = {}, {}  # searched again: the rollback changed it
        by_id = {s["id"]: s for s in plan_steps}
        swept = []
        for found in self._still_tagged(plan_steps):
            step = by_id.get(found["step"])
            if self._outside_this_sweep(found, step, batch, state_steps):
                continue
            swept.append(self._sweep_one(step, found))
        if self.tag_search_errors:
            self.journal.append("sweep_incomplete", errors=self.tag_search_errors)
        return [s for s in swept if s]

    def _still_tagged(self, plan_steps):
        regions = sorted({c["region"] for s in plan_steps for c in [s["call"]] + s["rollback"]})
        for region in regions:
            for arn, tags in self.run_tagged(region).items():
                yield {"arn": arn, "id": arn_resource_id(arn), "step": tags.get(STEP_KEY), "region": region}
        for step in plan_steps:
            if step["call"]["service"] in NOT_IN_TAGGING_API:
                yield from self._tagged_by_name(step)

    def _tagged_by_name(self, step):
        """The resources a tagged create of the step names, when they carry this run's id (IAM)."""
        call = step["call"]
        try:
            params = resolve(call["params"], self.context)
        except ReferenceProblem:
            return
        tags = run_tags(self.record.run_id, "-", step["id"])
        if with_run_tags(call["service"], call["operation"], params, tags) == params:
            return  # this create takes no tags: nothing to find it by
        for member, value in identifiers(call["service"], call["operation"], params,
                                         chosen_members(call["service"], call["operation"])):
            read = tag_read(call["service"], member, value)
            if read is None:
                continue
            response, error = self._read(dict(call, operation=read[0]), read[1], step["id"], "sweep", absent_ok=True)
            found = tags_of(response_body(response)) if error is None else {}
            if found.get(RUN_KEY) == self.record.run_id:
                yield {"arn": None, "id": value, "step": found.get(STEP_KEY) or step["id"], "region": call["region"]}

    def _outside_this_sweep(self, found, step, batch, state_steps):
        if step is None:
            self.journal.append("sweep_left", step=found["step"], resource=found["arn"] or found["id"],
                                reason="it carries this run's tags, but its step %r is not in the plan" % found["step"])
            return True
        handled = any(v in (found["id"], found["arn"]) or arn_names(found["arn"], v) for v in self.undone)
        entry = state_steps.get(step["id"]) or {}
        kept = entry.get("changed") and entry.get("status") != "rolled_back" and step["id"] not in batch
        by_hand = not step["rollback"] and entry  # its own rollback record already says: clean up by hand
        return bool(handled or kept or by_hand or step["id"] in self.left_on_purpose)

    def _sweep_one(self, step, found):
        resource = found["arn"] or found["id"]
        if not step["rollback"]:
            return self._left(step, resource, "its step has no rollback calls: clean up by hand")
        outputs = self._outputs_of(step, found)
        if outputs is None:
            return self._left(step, resource, "the outputs its rollback calls need could not be read from it")
        self.record.seen_ours.update(v for v in (found["arn"], found["id"]) if v)  # found by this run's own tag
        kept = self.context.get(step["id"])
        self.context[step["id"]] = dict(kept or {}, **outputs)
        try:
            if not self._names_it(step, found):
                return self._left(step, resource, "its step's rollback calls name another resource")
            calls = [self._rollback_call(step, call) for call in step["rollback"]]
        finally:
            self.context[step["id"]] = kept
        if all(c["status"] == "already_gone" for c in calls):
            return None  # the search still listed what the rollback had just removed
        failed = [c for c in calls if c["status"] in ("failed", "left")]
        reason = "; ".join(c.get("error") or c.get("reason") for c in failed) or None
        # the step's own outcome: undone now (whatever its journaled ids said), or still to be undone
        self.journal.append("rollback_failed" if failed else "rollback_succeeded", step=step["id"], calls=calls,
                            swept=resource, reason=reason)
        return {"step": step["id"], "resource": resource, "status": "left" if failed else "removed", "calls": calls,
                "reason": reason}

    def _left(self, step, resource, reason):
        self.journal.append("rollback_failed", step=step["id"], calls=[], swept=resource, reason=reason)
        return {"step": step["id"], "resource": resource, "status": "left", "reason": reason}

    def _names_it(self, step, found):
        for call in step["rollback"]:
            try:
                params = resolve(call["params"], self.context)
            except ReferenceProblem:
                continue
            for _member, value in identifiers(call["service"], call["operation"], params):
                if value == found["id"] or arn_names(found["arn"], value):
                    return True
        return False

    def _outputs_of(self, step, found):
        """The step's outputs its rollback calls use, read from the resource found: its id (or ARN) where a
        rollback call names the resource by one output, else the step's describe filtered by the run's tags."""
        outputs, needed = {}, set()
        for call in step["rollback"]:
            members = identifying_members(call["service"], call["operation"])
            for path, text in iter_strings(call["params"]):
                needed.update(name for scope, name in references_in(text) if scope == step["id"])
                ref, top = exact_reference(text), TOP_LEVEL.match(path)
                if ref and ref[0] == step["id"] and top and top.group(1) in members:
                    by_arn = top.group(1).endswith(ARN_SUFFIXES) and found["arn"]
                    outputs[ref[1]] = found["arn"] if by_arn else found["id"]
        if needed - set(outputs):
            outputs.update({k: v for k, v in self._outputs_by_tags(step).items() if k not in outputs})
        return outputs if needed <= set(outputs) else None

    def _outputs_by_tags(self, step):
        """Outputs read from the step's validate call filtered by this run's and step's tags (EC2-style Filters)."""
        call = step["validate"][0] if step["validate"] else None
        if call is None:
            return {}
        shape = service_model.operation_model(call["service"], call["operation"]).input_shape
        if shape is None or "Filters" not in shape.members:
            return {}
        response, error = self._read(call, {"Filters": outcome.tag_filters(self.record.run_id, step["id"])},
                                     step["id"], "sweep")
        items = outcome.listed_items(response_body(response)) if error is None else []
        if len(items) != 1:
            return {}
        outputs, _missing = outcome.outputs_from_describe(step["register"], plan_view({"Items": items}))
        return {k: v for k, v in outputs.items() if v is not None}
