# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Undo a step with its rollback calls, touching only what the run made, as the run left it.

``Undo`` is mixed into ``StepRunner``. A step ``undone_by`` another sends nothing of its own: it is
undone when that step's rollback is (the versioning of a bucket the bucket's own rollback deletes). Before any call of a step of an earlier pass (a
past run rolled back, a resume's clean-up) the resource is described again and compared with
what the run left (run/drift.py): a resource changed since is left unless the drift was
accepted (``accept_drift``, or a person's typed yes after the drift table), and a resource
others made something in since is never deleted. Before every rollback call, each resource it
names must be the run's (run/ownership.py): anything else is not touched, and the report lists
it as "not made by this run: left".
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import is_not_found
from ansible_collections.coworker.aws.plugins.module_utils.aws.resource_ids import (
    arn_names, identifiers, tag_read)
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import RUN_KEY, tags_of
from ansible_collections.coworker.aws.plugins.module_utils.aws.session import response_body, retry_attempts
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import ReferenceProblem, resolve
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import calls_of
from ansible_collections.coworker.aws.plugins.module_utils.run import drift
from ansible_collections.coworker.aws.plugins.module_utils.run.leftovers import by_hand_line
from ansible_collections.coworker.aws.plugins.module_utils.run.outcome import ABSENT, REMOVING_PREFIXES
from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import (
    NOT_OURS, journal_sources, judge, leaves, needs_tags)

TAGGING_API = ("resourcegroupstaggingapi", "GetResources")


class Undo:
    """Needs the StepRunner's journal, context, check_mode, previous, record, past, describe, _read, _send, _cli."""

    # -- one step ------------------------------------------------------------
    def rollback(self, step):
        """Undo a step with its rollback calls; "already gone" counts as done."""
        self._step_id = step["id"]
        record = {"id": step["id"], "index": step["index"], "status": "rolled_back", "calls": []}
        if not step["rollback"]:
            return self._no_rollback(step, record)
        held = None if self.check_mode else self._hold_back(step)
        if held:
            kind, reason = held
            record.update(status="rollback_failed", manual="%s: %s" % (step["id"], reason), left=kind)
            self.left_on_purpose.add(step["id"])
            self.journal.append("rollback_failed", step=step["id"], calls=[], reason=reason, left=kind)
            return record
        for call in step["rollback"]:
            record["calls"].append(self._rollback_call(step, call))
        failed = [c for c in record["calls"] if c["status"] in ("failed", "left")]
        if self.check_mode:
            record["status"] = "planned"
        elif failed:
            record["status"] = "rollback_failed"
            record["manual"] = "; ".join(
                "%s (%s)" % (c["cli"], c["error"]) if c["status"] == "failed" else "%s: %s" % (step["id"], c["reason"])
                for c in failed)
        event = "rollback_failed" if failed else ("rollback_planned" if self.check_mode else "rollback_succeeded")
        self.journal.append(event, step=step["id"], calls=record["calls"])
        return record

    def _no_rollback(self, step, record):
        record["status"] = "no_rollback"
        record["manual"] = self._by_hand(step)
        self.journal.append("rollback_failed", step=step["id"], reason=record["manual"])
        return record

    def rollback_with(self, step, other_record=None):
        """A step ``undone_by`` another sends nothing of its own: it is undone with that step's rollback
        (``other_record``, or None when that was undone, or not, before this pass: the journal tells); if that
        rollback did not succeed, it is left, with the line to clean it up by hand."""
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
        refusal = self.not_ours(step, call, params)
        if refusal:
            self.journal.append("undo_refused", step=step["id"], cli=cli, reason=refusal)
            return {"cli": cli, "status": "left", "reason": "%s (%s)" % (NOT_OURS, refusal)}
        self.undone.update(v for _m, v in identifiers(call["service"], call["operation"], params))
        self.journal.append("rollback_call_started", step=step["id"], cli=cli)
        # a bucket not in the target account is nothing of this run's to undo: "already gone", nothing sent
        response, error = self._send(call, params, step["id"], "rollback", absent_ok=True)
        if error is None:
            return {"cli": cli, "status": "done", "retries": retry_attempts(response)}
        if is_not_found(error["code"]):
            return {"cli": cli, "status": "already_gone", "code": error["code"]}
        return {"cli": cli, "status": "failed", "error": "%s: %s" % (error["code"], error["message"]),
                "kind": error["kind"], "text": error["text"]}

    # -- whose resource ------------------------------------------------------
    def not_ours(self, step, call, params):
        """Why a resource this rollback call names is not this run's; None when every one is."""
        for member, value in identifiers(call["service"], call["operation"], params):
            tags, unread = None, None
            if needs_tags(self.record, value):
                tags, unread = self._tags_of(step, call, member, value)
                if tags is None and self._gone(step, value):
                    continue  # nothing there to harm: the call answers "not found" (already gone)
            refusal = judge(self.record, value, journal_sources(call["params"], member), tags, unread)
            if refusal:
                return refusal
        return None

    def _tags_of(self, step, call, member, value):
        """(tags, why unread) of the resource ``value`` names: by the Tagging API, the service's own tag
        read, or the step's describe when its answer is that one resource."""
        for arn, tags in self.run_tagged(call["region"]).items():
            if arn_names(arn, value):
                return tags, None
        read = tag_read(call["service"], member, value)
        if read:
            response, error = self._read(dict(call, operation=read[0]), read[1], step["id"], "ownership")
            if error is None:
                return tags_of(response_body(response)), None
            if not is_not_found(error["code"]):
                return None, error["code"]
        described = self.described(step)
        if isinstance(described, dict) and "error" not in described and value in leaves(described):
            return tags_of(described), None
        return None, "no tag of it could be found"

    def _gone(self, step, value):
        """Whether the step's describe, naming this very value, finds nothing."""
        if not step["validate"] or self.described(step) != ABSENT:
            return False
        call = step["validate"][0]
        params = resolve(call["params"], self.context, placeholder=True)
        return value in {v for _m, v in identifiers(call["service"], call["operation"], params)}

    def run_tagged(self, region):
        """{arn: tags} of everything the Resource Groups Tagging API lists with this run's run-id (one search a region)."""
        if region not in self._tagged_by_region:
            found, call = {}, {"service": TAGGING_API[0], "operation": TAGGING_API[1], "region": region}
            params = {"TagFilters": [{"Key": RUN_KEY, "Values": [self.record.run_id]}]}
            while True:
                response, error = self._read(call, params, self._step_id, "tag search")
                if error:
                    self.tag_search_errors[region] = error["code"]
                    break
                body = response_body(response)
                found.update({m["ResourceARN"]: tags_of(m) for m in body.get("ResourceTagMappingList") or []})
                if not body.get("PaginationToken"):
                    break
                params = dict(params, PaginationToken=body["PaginationToken"])
            self._tagged_by_region[region] = found
        return self._tagged_by_region[region]

    def described(self, step):
        """The step's describe answer now (one call per step and rollback pass)."""
        if step["id"] not in self._described:
            self._described[step["id"]] = self.describe(step)
        return self._described[step["id"]]

    # -- as the run left it ----------------------------------------------------
    def _hold_back(self, step):
        """(kind, reason) when a step of an earlier pass must be left as it is, else None.

        A step this pass's drift table judged is held to what the table showed (the rollback comes right
        after it, or after the person read it); any other step (a resume's clean-up, a row the table left
        to be rechecked) is described and listed again now.
        """
        if step["id"] not in self.past.steps:
            return None
        checked = self.past.checked.get(step["id"])
        dependents = self.past.dependents.get(step["id"]) if checked else self.dependents(step)
        if dependents:
            return "dependents", "holds what others made since the run, so it is not deleted: %s: left" % "; ".join(
                "%d %s (%s)" % (len(d["items"]), d["what"], ", ".join(map(str, d["items"][:5]))) for d in dependents)
        if self.accept_drift or (self.past.accepted and step["id"] not in self.past.rechecked):
            return None
        row = checked or self.drift_row(step)
        if row["drift"] not in drift.NEEDS_CONSENT:
            return None
        if not checked and drift.unchanged_since(self._states_left(step), self.described(step)):
            return None  # back as the run left it, once the later steps were undone
        detail = "; ".join("%s: %s -> %s" % tuple(map(drift.short, c)) for c in row["changes"][:3]) or \
            "cannot describe it: %s" % row.get("error")
        return "drift", ("changed since the run (%s): left; see the drift and decide with rollback_run.yml "
                         "(-e accept_drift=true accepts it)" % detail)

    def _states_left(self, step):
        if not step["validate"]:
            return []
        call = step["validate"][0]
        try:
            cli = self._cli(call, resolve(call["params"], self.context))
        except ReferenceProblem:
            cli = None
        return self.past.states_left(step["id"], cli)

    def drift_row(self, step):
        """The step's row of the drift table: its resource now against the latest state the run left."""
        states = self._states_left(step)
        now = self.described(step) if step["validate"] else None
        return drift.drift_row(step["id"], self.resource_label(step), states[-1] if states else None, now)

    def names(self, step):
        """Every resource value a step's calls name (its call, validate and rollback calls), as far as known."""
        values = set()
        for call in calls_of(step):
            params = resolve(call["params"], self.context, placeholder=True)
            values.update(v for _m, v in identifiers(call["service"], call["operation"], params))
        return values

    def resource_label(self, step):
        if not step["validate"]:
            return "(no validate call)"
        call = step["validate"][0]
        params = resolve(call["params"], self.context, placeholder=True)
        return ", ".join(v for _m, v in identifiers(call["service"], call["operation"], params)) or call["operation"]

    def dependents(self, step):
        """What others made since the run inside the resources the step's deleting rollback calls name."""
        found = []
        for call in step["rollback"]:
            if not call["operation"].startswith(REMOVING_PREFIXES):
                continue
            try:
                params = resolve(call["params"], self.context)
            except ReferenceProblem:
                continue
            named = identifiers(call["service"], call["operation"], params)
            if len(named) == 1:  # a delete of one resource (DeleteObject names its bucket too: not the bucket's)
                found += self._dependents_of(step, call, *named[0])
        return found

    def _dependents_of(self, step, call, member, value):
        found = []
        for what, operation, params, items, ident, keep in drift.dependent_lookups(call["service"], member, value):
            response, error = self._read(dict(call, operation=operation), params, step["id"], "dependents",
                                         absent_ok=True)
            if error:
                continue  # the resource is gone, or cannot be listed: the undo decides
            others = drift.foreign_items(response_body(response), items, ident, keep, self.record.run_id,
                                         self.record.named, value)
            if others:
                found.append({"step": step["id"], "resource": value, "what": what, "items": others})
        return found
