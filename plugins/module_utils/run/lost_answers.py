# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The step runner's answers to lost answers (see run/outcome.py for the rules).

``LostAnswers`` is mixed into ``StepRunner``: it describes a resource whose create
answer was lost and adopts it, or journals it as possibly created; and after a create
that botocore had to retry, it finds and removes a twin the first attempt made.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import explain
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import plan_view
from ansible_collections.coworker.aws.plugins.module_utils.aws.session import response_body
from ansible_collections.coworker.aws.plugins.module_utils.run import outcome
from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import leaves

ABSENT = outcome.ABSENT


class LostAnswers:
    """Needs the StepRunner's journal, context, plan_id, describe, _read, _refers_to, _rollback_call."""

    def _resolve_ambiguous(self, step, result, error):
        """The call may have created the resource: describe it and adopt it, or say it may exist.

        Returns True when the resource was found, is not another run's, and every output
        the step registers could be read from the describe answer: the step then goes on
        (waiter, validation) as if the lost answer had arrived.
        """
        result.update(retries=error.get("retries") or 0)
        if step["call"]["operation"].startswith(outcome.REMOVING_PREFIXES):
            # a removal's outcome is what its validation finds: gone (done) or still there (failed)
            self.journal.append("call_failed", step=step["id"], error=error, mutating=True, changed=True,
                                ambiguous=True, resolved="validate")
            result.update(changed=True, recovered="the answer was lost (%s); the validation decides" % error["code"])
            return True
        after = self._describe_after_lost_answer(step, self.sent_params[step["id"]])
        if after == ABSENT:  # the describe proves nothing was made: an ordinary failure
            return self._failed(step, result, error, changed=False, ambiguous=True, resolved="absent")
        other = outcome.other_runs_tag(after, self.context["run"]["id"]) if outcome.found(after) else None
        if other:
            error["hints"] = ["the resource exists and is tagged as created by run %s, not this one; "
                              "it is left alone" % other]
            error["text"] = explain(error)
            return self._failed(step, result, error, changed=False, ambiguous=True, resolved="other_run")
        if not outcome.found(after):
            error.update(kind="ambiguous", hints=[
                "the answer to this call was lost and the resource could not be described afterwards, so it "
                "may exist: it is counted as created and will be rolled back with this step"])
            error["text"] = explain(error)
            return self._failed(step, result, error, changed=True, ambiguous=True, resolved="unknown")
        items = outcome.listed_items(after)
        if len(items) > 1:  # every retry of a create without token made one: adopt the first, sweep the rest
            after = {"Items": items[:1]}
        outputs, missing = outcome.outputs_from_describe(step["register"], plan_view(after))
        self.journal.append("call_failed", step=step["id"], error=error, mutating=True, changed=True,
                            ambiguous=True, resolved="adopted", outputs=outputs if not missing else None)
        if missing:
            error["hints"] = ["the answer to this call was lost but the resource exists (found by describing it); "
                              "output(s) %s could not be read from the description; it is kept and will be rolled "
                              "back with this step" % ", ".join(missing)]
            error["text"] = explain(error)
            result.update(error=error, changed=True)
            self._step_failed(step, result, error=error)
            return False
        result.update(changed=True, outputs=outputs, recovered="the answer was lost (%s); the resource was found by "
                      "describing it and adopted as this step's result" % error["code"])
        self.context[step["id"]] = outputs
        self._sweep_twins(step, result)
        return True

    def _describe_after_lost_answer(self, step, sent):
        """The resource the lost call may have made: by the validate call, or by our run tags.

        A validate call that names the resource by this step's own output cannot run
        (the output was in the lost answer); when it takes EC2-style ``Filters`` and the
        create was tagged, the same call finds the resource by its run and step tags.
        """
        if step["validate"] and not self._refers_to(step["validate"][0]["params"], step["id"]):
            return self.describe(step)
        body = self._find_by_run_tags(step, sent)
        return ABSENT if outcome.found(body) and outcome.listed_nothing(body) else body

    def _failed(self, step, result, error, changed, **facts):
        self.journal.append("call_failed", step=step["id"], error=error, mutating=True, changed=changed, **facts)
        result.update(error=error, changed=changed)
        self._step_failed(step, result, error=error)
        return False

    def _find_by_run_tags(self, step, sent):
        """Answer of the step's validate call filtered by this run's and step's tags; None if it cannot be."""
        call = step["validate"][0] if step["validate"] else None
        if call is None or not outcome.carries_run_tag(sent, self.context["run"]["id"]):
            return None
        shape = service_model.operation_model(call["service"], call["operation"]).input_shape
        if shape is None or "Filters" not in shape.members:
            return None
        response, error = self._read(call, {"Filters": outcome.tag_filters(self.context["run"]["id"], step["id"])})
        return {"error": error["code"]} if error else response_body(response)

    def _sweep_twins(self, step, result):
        """A create without idempotency token that botocore retried may have made a twin: remove it.

        Only resources carrying this run's and this step's tags are considered, and each is
        removed with the step's own rollback calls, named by the outputs read from its
        description; one that cannot be removed is journaled (``twin_left``) for the report.
        """
        body = self._find_by_run_tags(step, self.sent_params[step["id"]])
        if not outcome.found(body) or not step["rollback"]:
            return
        items = outcome.listed_items(body)
        others = outcome.twins(items, result["outputs"]) if len(items) > 1 else []
        if others is None:  # which one is the step's own cannot be told: remove nothing, say so
            self.journal.append("twin_left", step=step["id"], outputs=None, found=len(items),
                                reason="%d resources carry this step's tags and its outputs do not tell which is "
                                       "its own" % len(items))
            return
        for item in others:
            outputs, missing = outcome.outputs_from_describe(step["register"], {"Items": [item]})
            if missing:
                self.journal.append("twin_left", step=step["id"], outputs=outputs,
                                    reason="its outputs could not be read from its description")
                continue
            self.journal.append("twin_found", step=step["id"], outputs=outputs)
            self.record.seen_ours.update(leaves(outputs))  # found by this run's and step's own tags
            kept, self.context[step["id"]] = self.context[step["id"]], outputs
            try:
                calls = [self._rollback_call(step, call) for call in step["rollback"]]
            finally:
                self.context[step["id"]] = kept
            left = [c for c in calls if c["status"] == "failed"]
            self.journal.append("twin_left" if left else "twin_removed", step=step["id"], outputs=outputs, calls=calls)
