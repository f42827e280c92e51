# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Undo a step: its rollback calls, journaled as they go; "not found" counts as undone.

``StepRollback`` is mixed into ``StepRunner`` (run/step_runner.py). A step ``undone_by`` another sends
nothing of its own: it is undone when that step's rollback is (the versioning of a bucket the bucket's
own rollback deletes), and says so; if that rollback did not succeed, it is left, with the line to
clean it up by hand.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import is_not_found
from ansible_collections.coworker.aws.plugins.module_utils.aws.session import retry_attempts
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import ReferenceProblem, resolve
from ansible_collections.coworker.aws.plugins.module_utils.run.leftovers import by_hand_line


class StepRollback:
    """Needs the StepRunner's journal, context, previous step states, check_mode, _cli, _guard and _send."""

    def rollback(self, step):
        """Undo a step with its rollback calls; "already gone" counts as done."""
        self._step_id = step["id"]
        record = {"id": step["id"], "index": step["index"], "status": "rolled_back", "calls": []}
        if not step["rollback"]:
            record["status"] = "no_rollback"
            record["manual"] = self._by_hand(step)
            self.journal.append("rollback_failed", step=step["id"], reason=record["manual"])
            return record
        for call in step["rollback"]:
            record["calls"].append(self._rollback_call(step, call))
        failed = [c for c in record["calls"] if c["status"] == "failed"]
        if self.check_mode:
            record["status"] = "planned"
        elif failed:
            record["status"] = "rollback_failed"
            record["manual"] = "; ".join("%s (%s)" % (c["cli"], c["error"]) for c in failed)
        event = "rollback_failed" if failed else ("rollback_planned" if self.check_mode else "rollback_succeeded")
        self.journal.append(event, step=step["id"], calls=record["calls"])
        return record

    def rollback_with(self, step, other_record=None):
        """A step ``undone_by`` another, after that step's rollback (``other_record``, or None when it was
        undone, or not, before this pass: the journal tells)."""
        self._step_id = step["id"]
        other = step["undone_by"]
        record = {"id": step["id"], "index": step["index"], "calls": [], "undone_by": other}
        status = other_record["status"] if other_record else (self.previous.get(other) or {}).get("status")
        if self.check_mode:
            record["status"] = "planned"
            self.journal.append("rollback_planned", step=step["id"], calls=[], undone_by=other)
        elif status == "rolled_back":
            record["status"] = "rolled_back"
            self.journal.append("rollback_succeeded", step=step["id"], calls=[], undone_by=other,
                                reason="undone with the rollback of step %s" % other)
        else:
            record["status"] = "rollback_failed"
            record["manual"] = "%s (it is undone only with the rollback of step %s, which is %s)" % (
                self._by_hand(step), other, (status or "not done").replace("_", " "))
            self.journal.append("rollback_failed", step=step["id"], reason=record["manual"], undone_by=other)
        return record

    def _by_hand(self, step):
        earlier = self.previous.get(step["id"]) or {}
        # as the journal says it was sent (run tags, tokens), as the report lists it; else as it would be
        forward = earlier.get("cli") or self._cli(
            step["call"], resolve(step["call"]["params"], self.context, placeholder=True))
        return by_hand_line(step["id"], forward, earlier.get("outputs"))

    def _rollback_call(self, step, call):
        try:
            params = resolve(call["params"], self.context, placeholder=self.check_mode)
        except ReferenceProblem as exc:
            return {"cli": self._cli(call, call["params"]), "status": "failed", "error": "cannot resolve: %s" % exc}
        cli = self._cli(call, params)
        if self.check_mode:
            self._guard(step["id"], call, self._with_bucket_owner(call, params), "rollback", absent_ok=True)
            return {"cli": cli, "status": "planned"}
        self.journal.append("rollback_call_started", step=step["id"], cli=cli)
        # a bucket not in the target account is nothing of this run's to undo: "already gone", nothing sent
        response, error = self._send(call, params, step["id"], "rollback", absent_ok=True)
        if error is None:
            return {"cli": cli, "status": "done", "retries": retry_attempts(response)}
        if is_not_found(error["code"]):
            return {"cli": cli, "status": "already_gone", "code": error["code"]}
        return {"cli": cli, "status": "failed", "error": "%s: %s" % (error["code"], error["message"]),
                "kind": error["kind"], "text": error["text"]}
