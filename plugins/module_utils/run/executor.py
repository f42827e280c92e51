# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One invocation of run_step: verify everything, then run a batch of steps or rollbacks.

Order matters and is fixed here: plan and approval, environments file, the
approval's signatures under the class's rules, STS identity of the session that
will make the calls, the guard's verdict (self-approval included), the
run's recorded approval; only then the first AWS call that can change
anything.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import check_self_approval, check_signatures
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.guard.execution_role import assume_execution_role
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal, Interrupted, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import (
    check_execution, establish_identity, plan_regions)
from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import OwnedBuckets, list_buckets
from ansible_collections.coworker.aws.plugins.module_utils.guard.fetched import recorded
from ansible_collections.coworker.aws.plugins.module_utils.guard.grants import approved_grants
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter, check_plan
from ansible_collections.coworker.aws.plugins.module_utils.guard.target_session import target_context
from ansible_collections.coworker.aws.plugins.module_utils.run import drift, integrity
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state, steps_to_roll_back
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import RunRecord
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path
from ansible_collections.coworker.aws.plugins.module_utils.run.policy_checks import BatchPolicies
from ansible_collections.coworker.aws.plugins.module_utils.run.progress import (
    Progress, rollback_line, silent, step_line, sweep_line)
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import require_one_target
from ansible_collections.coworker.aws.plugins.module_utils.run.step_runner import StepRunner
from ansible_collections.coworker.aws.plugins.module_utils.aws.request_budget import RequestBudget
from ansible_collections.coworker.aws.plugins.module_utils.run.together import SerializedJournal, Together, serialized
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import concurrency
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import dependencies


def select_steps(loaded, ids):
    """The named steps in plan order; unknown ids are a plan error."""
    by_id = {s["id"]: s for s in loaded["plan"]["steps"]}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise PlanError(loaded["path"], [("steps", "no step %s in this plan" % ", ".join(map(repr, unknown)))])
    wanted = set(ids)
    return [s for s in loaded["plan"]["steps"] if s["id"] in wanted]


def planned_buckets(plan, state, context):
    """Check mode: buckets that earlier batches of this dry run planned to create (the journal says which)."""
    names = set()
    for step in plan["steps"]:
        call = step["call"]
        if (call["service"], call["operation"]) == ("s3", "CreateBucket") and \
                state["steps"].get(step["id"], {}).get("status") == "planned":
            names.add(resolve(call["params"], context, placeholder=True).get("Bucket"))
    return names


def check_run_approval(state, digest, run_id, check_mode):
    """A real run needs its journal to hold an approval of exactly this digest."""
    started = state["started"]
    if started is None:
        raise GuardRefusal("run %s has no journal: start it with coworker.aws.run_journal first" % run_id)
    if started.get("sha256") != digest:
        raise GuardRefusal("the plan file changed during run %s (digest %s, the run started with %s); "
                           "nothing was changed" % (run_id, digest[:12], str(started.get("sha256"))[:12]))
    if not check_mode and digest not in state["approved"]:
        raise GuardRefusal("run %s is not approved: no approval of digest %s is recorded; nothing was changed"
                           % (run_id, digest[:12]))


class StepBatch:
    """Everything one run_step invocation does."""

    def __init__(self, params, check_mode, loaded=None, keep_going=None, say=None, backend=None):
        self.params = params
        self.backend = backend or backend_of(params)
        self.check_mode = check_mode
        self.loaded = loaded
        self.keep_going = keep_going or (lambda: True)
        self.say = say or silent
        self.total = 0
        self.config = None
        self.policies = None

    def _check_alive(self, journal, step):
        """Stop between steps once the controller is gone: nobody would see what happens next."""
        if not self.keep_going():
            journal.append("interrupted", step=step["id"], reason="the controller process is gone")
            raise Interrupted("interrupted before step %s: the controller process is gone" % step["id"])

    def _verify(self, loaded, steps):
        require_one_target(loaded["plan"], loaded["path"])
        target = loaded["plan"]["target"]
        config = self.config = load_environments(resolve_path(self.params["environments_file"]))
        profile = self.params["profile"] or target["profile"]
        approval = check_signatures(config, target["environment"], loaded)  # before any AWS call
        # the credentials that will make the calls: the profile's, or the target's role assumed from it
        aws = target_context(target, profile, self.params["retry_mode"], self.params["max_attempts"],
                             self.params["run_id"])
        identity = establish_identity(aws)
        try:
            classification = check_execution(config, identity, target, plan_regions(steps))
            check_self_approval(approval, identity)
            # at execution a grant must be one the approval listed, and fetched content what it pinned
            perimeter = Perimeter.for_class(config, classification["environment"], identity["account"],
                                            OwnedBuckets(lambda: list_buckets(aws)),
                                            approved_grants(loaded["blast_radius"]), recorded(loaded["plan"]))
            check_plan(perimeter, dict(loaded["plan"], steps=steps))  # the plan alone, before any other call
            aws, role_identity = assume_execution_role(aws, config, classification, target, self.params["run_id"])
        except GuardRefusal as exc:
            exc.identity = identity
            raise
        if role_identity:  # every call of the batch is made as the role, restricted by the session policy
            identity = dict(identity, base_arn=identity["arn"], arn=role_identity["arn"],
                            execution_role=aws.assumed_role)
        return aws, identity, classification, perimeter

    def run(self):
        params = self.params
        backend = self.backend
        # deleted, cut short or changed since the last batch: stop here, before any call (run/integrity.py)
        events = integrity.check(backend, params["run_id"])[0]
        state = run_state(events)
        # the run executes its own copy of the approved plan, whatever the user's file says now
        loaded = self.loaded or load_plan(run_plan_path(state["started"], params["plan"], backend), params["plans_dir"],
                                          profile=params["profile"], render=False,
                                          target=(state["started"] or {}).get("target"))
        if params["steps"] is None and params["mode"] in ("rollback", "drift"):
            params["steps"] = steps_to_roll_back(state)
        elif params["steps"] is None:
            raise PlanError(loaded["path"], [("steps", "name the steps to execute")])
        steps = select_steps(loaded, params["steps"])
        # the drift check only reads, and is shown before the approval it informs
        check_run_approval(state, loaded["sha256"], params["run_id"], self.check_mode or params["mode"] == "drift")
        aws, identity, classification, perimeter = self._verify(loaded, steps)
        if params.get("max_requests_per_second"):  # every call of the batch, to this account, machine-wide
            aws.budget = RequestBudget(identity["account"], params["max_requests_per_second"])
        other = state["accounts"] - {identity["account"]}
        if other:
            raise GuardRefusal("run %s changed account %s; these credentials belong to account %s: refused, "
                               "nothing was changed" % (params["run_id"], ", ".join(sorted(other)),
                                                        identity["account"]))
        context = {"target": dict(loaded["plan"]["target"]), "run": {"id": params["run_id"]}}
        context.update({sid: entry["outputs"] for sid, entry in state["steps"].items() if entry["outputs"]})
        # the guardrails, with every value the run has produced so far (a rollback: over its rollback calls)
        self.policies = BatchPolicies(self.config, classification["environment"], loaded["plan"], self.say)
        if params["mode"] == "rollback":
            self.policies.before_rollback(steps, context)
        elif params["mode"] == "execute":  # a drift check only reads
            self.policies.before_batch(steps, context)
        with backend.journal(params["run_id"]) as journal:
            journal.append("guard_passed", account=identity["account"], arn=identity["arn"],
                           environment=classification["environment"], steps=params["steps"],
                           mode=params["mode"], check_mode=self.check_mode)
            if self.check_mode:
                perimeter.owned_buckets.planned.update(planned_buckets(loaded["plan"], state, context))
            runner = StepRunner(aws, journal, context, perimeter, self.check_mode, state["steps"],
                                plan_id=loaded["plan"]["id"] if params.get("tag_resources", True) else None,
                                record=RunRecord(params["run_id"], loaded["plan"]["steps"], events, state),
                                past=drift.PastRun(events), accept_drift=bool(params.get("accept_drift")))
            runner.progress = Progress(self.say)
            runner.plan_steps = loaded["plan"]["steps"]  # a dry run's predictions look at what earlier steps name
            self.total = len(loaded["plan"]["steps"])
            self.plan_steps, self.state = loaded["plan"]["steps"], state
            work = {"rollback": self._rollback, "drift": self._drift}.get(params["mode"], self._execute)
            outcome = work(runner, steps, journal)
        outcome.update(identity=identity, environment=classification, plan_sha256=loaded["sha256"])
        return outcome

    def _execute(self, runner, steps, journal):
        limit, _why = concurrency(self.config, runner.context["target"]["environment"],
                                  self.params.get("max_concurrency"))
        if limit > 1 and len(steps) > 1 and not self.check_mode:
            return self._execute_together(runner, steps, journal, limit)
        results, completed = [], []
        outcome = {"results": results, "completed": completed, "failed_step": None, "unexpected_step": None,
                   "changed": False, "not_run": []}
        for position, step in enumerate(steps):
            self._check_alive(journal, step)
            self.policies.before_step(step, runner.context, journal)
            result = runner.execute(step)
            self.say(step_line(result, self.total))
            results.append(result)
            outcome["changed"] = outcome["changed"] or result["changed"]
            if result["status"] == "failed":
                outcome.update(failed=True, failed_step=step["id"], error=result["error"],
                               msg="step %s failed\n%s" % (step["id"], result["error"].get("text", "")))
            else:
                completed.append(step["id"])
                if result["unexpected"] and self.params["stop_on_unexpected"]:
                    outcome["unexpected_step"] = step["id"]
            if outcome.get("failed") or outcome["unexpected_step"]:
                outcome["not_run"] = [s["id"] for s in steps[position + 1:]]
                break
        return outcome

    def _execute_together(self, runner, steps, journal, limit):
        """Independent steps at the same time (run/together.py); the outcome as a batch run one by one gives it:
        results and completed in plan order, the first failed (or unexpected) step, and the others not done."""
        journal = runner.journal = SerializedJournal(journal)
        say = serialized(self.say)
        stop_on_unexpected = self.params["stop_on_unexpected"]

        def before(step):
            self._check_alive(journal, step)
            self.policies.before_step(step, runner.context, journal)

        def ended(result):
            say(step_line(result, self.total))
            return result["status"] == "failed" or bool(result["unexpected"] and stop_on_unexpected)

        ran = Together(runner, dependencies(self.plan_steps), limit, before, ended).run(steps)
        results = [ran[s["id"]] for s in steps if s["id"] in ran]
        failed = [r for r in results if r["status"] == "failed"]
        completed = [r["id"] for r in results if r["status"] != "failed"]
        unexpected = [r["id"] for r in results if r["status"] != "failed" and r["unexpected"] and stop_on_unexpected]
        outcome = {"results": results, "completed": completed, "changed": any(r["changed"] for r in results),
                   "failed_step": failed[0]["id"] if failed else None,
                   "unexpected_step": None if failed else (unexpected[0] if unexpected else None)}
        if failed:
            outcome.update(failed=True, error=failed[0]["error"],
                           msg="step %s failed\n%s" % (failed[0]["id"], failed[0]["error"].get("text", "")))
        stopped_at = outcome["failed_step"] or outcome["unexpected_step"]
        outcome["not_run"] = [s["id"] for s in steps if s["id"] != stopped_at and s["id"] not in completed] \
            if stopped_at else []
        return outcome

    def _rollback(self, runner, steps, journal):
        records, waiting = [], {}

        def record(result):
            records.append(result)
            self.say(rollback_line(result, self.total))

        for step in reversed(steps):  # undo in reverse plan order
            self._check_alive(journal, step)
            if step.get("undone_by"):  # after the step whose rollback undoes it (an earlier one)
                waiting.setdefault(step["undone_by"], []).append(step)
                continue
            own = runner.rollback(step)
            record(own)
            for covered in waiting.pop(step["id"], []):
                record(runner.rollback_with(covered, own))
        for covered in [s for group in waiting.values() for s in group]:  # undone, or not, before this pass
            record(runner.rollback_with(covered))
        swept = [] if self.check_mode else runner.sweep(self.plan_steps, {s["id"] for s in steps}, self.state["steps"])
        for found in swept:
            self.say(sweep_line(found))
        manual = [r["manual"] for r in records if r.get("manual")] + [
            "%s: %s carries this run's tags and was left: %s" % (s["step"], s["resource"], s.get("reason") or "; ".join(
                c.get("error") or c.get("reason") or "" for c in s.get("calls", []) if c["status"] in ("failed", "left")))
            for s in swept if s["status"] == "left"]
        return {"results": [], "completed": [], "failed_step": None, "unexpected_step": None,
                "rollback": records, "swept": swept, "manual_cleanup": manual,
                "changed": any(c["status"] == "done" for r in records + swept for c in r.get("calls", []))}

    def _drift(self, runner, steps, journal):
        """The drift table of the steps a rollback would undo (read-only), refused without consent."""
        rows, dependents, undone_first = [], [], set()
        for step in reversed(steps):
            if step["id"] in runner.past.steps:
                row = runner.drift_row(step)
                if row["drift"] == drift.CHANGED and runner.names(step) & undone_first:
                    row["drift"] = drift.LATER  # its undo comes after theirs: the change may be theirs
                rows.append(row)
                dependents += runner.dependents(step)
            undone_first |= runner.names(step)
        consent = drift.needs_consent(rows, dependents)
        lines = drift.table_lines(rows, dependents) if rows else []
        journal.append("drift_checked", rows=rows, dependents=dependents, needs_consent=consent,
                       accepted=bool(self.params.get("accept_drift")))
        outcome = {"results": [], "completed": [], "failed_step": None, "unexpected_step": None, "changed": False,
                   "drift": {"rows": rows, "dependents": dependents, "lines": lines, "needs_consent": consent}}
        if consent and not self.params.get("accept_drift"):  # the rows are in the journal and the report
            outcome.update(failed=True, refused=True, msg="\n".join(lines + [drift.REFUSAL % self.params["run_id"]]),
                           drift={"needs_consent": True})
        return outcome


def diff_of(results):
    """Before/after of every changing step, in the shape Ansible's --diff shows."""
    return [{"before_header": "%s (before)" % r["id"], "after_header": "%s (after)" % r["id"],
             "before": r["before"] if r["before"] is not None else NOT_DESCRIBED,
             "after": r["after"] if r["after"] is not None else NOT_DESCRIBED}
            for r in results if r.get("mutating")]


NOT_DESCRIBED = "(not described: the step has no validate call)"


def run_batch(params, check_mode, diff=False, loaded=None, keep_going=None, say=None, backend=None):
    """Run one invocation and return the task result (the module and the action plugin share this).

    ``loaded`` is the plan the guard plugin has just loaded and verified in this
    process; the module, run on its own, loads and verifies it itself. ``say`` prints
    a line as each step ends (the action plugin passes Ansible's display).
    """
    outcome = StepBatch(params, check_mode=check_mode, loaded=loaded, keep_going=keep_going, say=say,
                        backend=backend).run()
    if diff:
        outcome["diff"] = diff_of(outcome["results"])
    if outcome.get("failed"):
        outcome.setdefault("msg", "a step failed")
    return outcome
