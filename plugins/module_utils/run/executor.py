# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One task's session of a run: verify once, then run batches of steps or rollbacks with that verification.

Order matters and is fixed here: the run's own copy of its approved plan and the journal's
approval of exactly its digest; then the guard sequence (guard/sequence.py: the plan and the
environments file, STS identity of the session that will make the calls, the class, the
self-approval, the execution role); only then the first AWS call that can change anything. The
guard runs once per task (``open``), not once per batch: the credentials are frozen in this
process, so every batch of the task is made by the identity STS verified. After a question that
waited long enough for temporary credentials to be renewed, the driver calls ``reverify``.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal, Interrupted, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.guard import sequence
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state, steps_to_roll_back
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path
from ansible_collections.coworker.aws.plugins.module_utils.run.policy_checks import BatchPolicies
from ansible_collections.coworker.aws.plugins.module_utils.run.report import write_report
from ansible_collections.coworker.aws.plugins.module_utils.run.progress import (
    Progress, rollback_line, silent, step_line)
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import run_context
from ansible_collections.coworker.aws.plugins.module_utils.run.step_runner import StepRunner


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


def run_plan(params, backend, state):
    """The run's own copy of its approved plan (``plan`` only names it for a run that has none)."""
    started = state["started"] or {}
    return load_plan(run_plan_path(started, params.get("plan"), backend), params.get("plans_dir"),
                     profile=params.get("profile"), render=False, target=started.get("target"))


class RunSession:
    """The verified context, the journal and the step runner of one task of a run."""

    def __init__(self, params, check_mode, loaded=None, keep_going=None, say=None, backend=None):
        self.params = params
        self.run_id = params["run_id"]
        self.backend = backend or backend_of(params)
        self.check_mode = check_mode
        self.loaded = loaded
        self.keep_going = keep_going or (lambda: True)
        self.say = say or silent
        self.journal = None
        self.runner = None
        self.policies = None
        self.verified = None
        self.config = None
        self.changed = False  # anything this task sent may have changed something (the task is "changed")

    @property
    def total(self):
        return len(self.loaded["plan"]["steps"])

    def state(self):
        """The run as its journal tells it now (deleted or cut short since the last look: stop before any call)."""
        self.backend.check_intact(self.run_id)
        return run_state(self.backend.events(self.run_id))

    def open(self, step_ids=None, rollback=False):
        """The guard, once for the steps this task may run (None: every step of the plan)."""
        state = self.state()
        self.loaded = self.loaded or run_plan(self.params, self.backend, state)
        check_run_approval(state, self.loaded["sha256"], self.run_id, self.check_mode)
        self.config = load_environments(resolve_path(self.params["environments_file"]))
        steps = self.loaded["plan"]["steps"] if step_ids is None else select_steps(self.loaded, step_ids)
        self._verify(state, steps)
        if not rollback:  # the guardrails judge the plan's calls, not the rollback calls
            self.policies = BatchPolicies(self.config, self.verified.environment, self.loaded["plan"], self.say)
        self.journal = self.backend.journal(self.run_id)
        self._journal_guard(steps, rollback)
        context = run_context(self.loaded["plan"], self.run_id, state)
        context["target"] = dict(self.loaded["plan"]["target"])
        tag = self.loaded["plan"]["id"] if self.params.get("tag_resources", True) else None
        self.runner = StepRunner(self.verified.aws, self.journal, context, self.verified.perimeter, self.check_mode,
                                 state["steps"], plan_id=tag)
        self.runner.progress = Progress(self.say)
        return self

    def _verify(self, state, steps):
        self.verified = sequence.verify(self.config, self.loaded, self.params["profile"], steps, self.run_id,
                                        self.params["retry_mode"], self.params["max_attempts"])
        other = state["accounts"] - {self.verified.identity["account"]}
        if other:
            raise GuardRefusal("run %s changed account %s; these credentials belong to account %s: refused, "
                               "nothing was changed" % (self.run_id, ", ".join(sorted(other)),
                                                        self.verified.identity["account"]))

    def _journal_guard(self, steps, rollback):
        identity = self.verified.identity
        self.journal.append("guard_passed", account=identity["account"], arn=identity["arn"],
                            environment=self.verified.environment, steps=[s["id"] for s in steps],
                            mode="rollback" if rollback else "execute", check_mode=self.check_mode)

    def reverify(self):
        """The guard again (after a long wait: temporary credentials may have been renewed, maybe for another
        account); every later call is made with the context it verifies."""
        state = self.state()
        steps = self.loaded["plan"]["steps"]
        self._verify(state, steps)
        self._journal_guard(steps, self.policies is None)
        self.runner.aws, self.runner.perimeter = self.verified.aws, self.verified.perimeter

    def commit(self):
        """Everything journaled so far reaches the disk (before a question, before the task returns)."""
        if self.journal is not None:
            self.journal.commit()

    def refresh_report(self):
        """The run's report as the journal stands now (marked provisional): a run left waiting at a question,
        or stopped by a signal, has a report of what it did."""
        if not self.check_mode:
            events = self.backend.events(self.run_id)
            return write_report(self.backend, self.run_id, self.loaded, events, provisional=True)[0]
        return None

    def close(self):
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def _check_alive(self, step):
        """Stop between steps once the controller is gone: nobody would see what happens next."""
        if not self.keep_going():
            self.journal.append("interrupted", step=step["id"], reason="the controller process is gone")
            raise Interrupted("interrupted before step %s: the controller process is gone" % step["id"])

    def batch(self, step_ids):
        """Run ``step_ids`` in plan order; stop at the first failure or unexpected output."""
        state = self.state()
        self.runner.previous = state["steps"]
        steps = select_steps(self.loaded, step_ids)
        if self.policies is not None:  # the guardrails, with every value the run has produced so far
            self.policies.before_batch(steps, self.runner.context)
        if self.check_mode:
            self.verified.perimeter.owned_buckets.planned.update(
                planned_buckets(self.loaded["plan"], state, self.runner.context))
        return self._execute(steps)

    def _execute(self, steps):
        results, completed = [], []
        outcome = {"results": results, "completed": completed, "failed_step": None, "unexpected_step": None,
                   "changed": False, "not_run": []}
        for position, step in enumerate(steps):
            self._check_alive(step)
            self.policies.before_step(step, self.runner.context, self.journal)
            result = self.runner.execute(step)
            self.say(step_line(result, self.total))
            results.append(result)
            outcome["changed"] = outcome["changed"] or result["changed"]
            self.changed = self.changed or result["changed"]
            if result["status"] == "failed":
                outcome.update(failed=True, failed_step=step["id"], error=result["error"],
                               msg="step %s failed\n%s" % (step["id"], result["error"].get("text", "")))
            else:
                completed.append(step["id"])
                if result["unexpected"] and self.params.get("stop_on_unexpected", True):
                    outcome["unexpected_step"] = step["id"]
            if outcome.get("failed") or outcome["unexpected_step"]:
                outcome["not_run"] = [s["id"] for s in steps[position + 1:]]
                break
        return outcome

    def rollback(self, step_ids=None):
        """Undo ``step_ids`` (None: every step the journal shows as changed and not undone), last first."""
        state = self.state()
        self.runner.previous = state["steps"]
        steps = select_steps(self.loaded, steps_to_roll_back(state) if step_ids is None else step_ids)
        records = []
        for step in reversed(steps):  # undo in reverse plan order
            self._check_alive(step)
            records.append(self.runner.rollback(step))
            self.say(rollback_line(records[-1], self.total))
        manual = [r["manual"] for r in records if r.get("manual")]
        changed = any(c["status"] == "done" for r in records for c in r["calls"])
        self.changed = self.changed or changed
        return {"results": [], "completed": [], "failed_step": None, "unexpected_step": None,
                "rollback": records, "manual_cleanup": manual, "changed": changed}

    def described(self, outcome):
        """The batch's result with who verified it (the action checks that answer once more)."""
        outcome.update(identity=self.verified.identity, environment=self.verified.classification,
                       plan_sha256=self.loaded["sha256"])
        return outcome


def diff_of(results):
    """Before/after of every changing step, in the shape Ansible's --diff shows."""
    return [{"before_header": "%s (before)" % r["id"], "after_header": "%s (after)" % r["id"],
             "before": r["before"] if r["before"] is not None else NOT_DESCRIBED,
             "after": r["after"] if r["after"] is not None else NOT_DESCRIBED}
            for r in results if r.get("mutating")]


NOT_DESCRIBED = "(not described: the step has no validate call)"


def run_batch(params, check_mode, diff=False, session=None, protect=None):
    """One batch (``mode`` execute or rollback of ``steps``): the task result of run_step used on its own.

    ``session``: the task's RunSession (a new one by default); ``protect(work)`` runs the batch (the action
    runs it under its stop-signal handlers).
    """
    session = session or RunSession(params, check_mode)
    rollback = params["mode"] == "rollback"
    if params["steps"] is None and not rollback:
        raise PlanError(params.get("plan") or params["run_id"], [("steps", "name the steps to execute")])
    try:
        session.open(params["steps"], rollback)
        work = (lambda: session.rollback(params["steps"])) if rollback else (lambda: session.batch(params["steps"]))
        outcome = protect(work) if protect else work()
    finally:
        session.close()
    outcome = session.described(outcome)
    if diff:
        outcome["diff"] = diff_of(outcome["results"])
    if outcome.get("failed"):
        outcome.setdefault("msg", "a step failed")
    return outcome
