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
from ansible_collections.coworker.aws.plugins.module_utils.run import drift, integrity
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import RunRecord
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path
from ansible_collections.coworker.aws.plugins.module_utils.run.policy_checks import BatchPolicies
from ansible_collections.coworker.aws.plugins.module_utils.run.report import write_report
from ansible_collections.coworker.aws.plugins.module_utils.run.progress import (
    Progress, silent, step_line)
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import run_context
from ansible_collections.coworker.aws.plugins.module_utils.run.step_runner import StepRunner
from ansible_collections.coworker.aws.plugins.module_utils.aws.request_budget import RequestBudget
from ansible_collections.coworker.aws.plugins.module_utils.run.session_undo import SessionUndo, drifted
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


def run_plan(params, backend, state):
    """The run's own copy of its approved plan (``plan`` only names it for a run that has none)."""
    started = state["started"] or {}
    return load_plan(run_plan_path(started, params.get("plan"), backend), params.get("plans_dir"),
                     profile=params.get("profile"), render=False, target=started.get("target"))


class RunSession(SessionUndo):
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
        self._graph = None  # which steps wait for which (plan/step_order.py): the plan's, read once per task
        self.events = []
        self.rolling_back = False
        self.changed = False  # anything this task sent may have changed something (the task is "changed")

    def select(self, step_ids):
        """The plan's steps named, in plan order."""
        return select_steps(self.loaded, step_ids)

    @property
    def total(self):
        return len(self.loaded["plan"]["steps"])

    def state(self):
        """The run as its journal tells it now: deleted, cut short or changed since the last look (run/integrity.py)
        stops here, before any call. Keeps the events too (what the run made, what its earlier passes left)."""
        self.events = integrity.check(self.backend, self.run_id)[0]
        return run_state(self.events)

    def open(self, step_ids=None, rollback=False, approved=True):
        """The guard, once for the steps this task may run (None: every step of the plan). ``approved``: the
        journal must hold the approval of the plan's digest (not for a drift check, shown before the question)."""
        state = self.state()
        self.loaded = self.loaded or run_plan(self.params, self.backend, state)
        check_run_approval(state, self.loaded["sha256"], self.run_id, self.check_mode or not approved)
        self.config = load_environments(resolve_path(self.params["environments_file"]))
        steps = self.loaded["plan"]["steps"] if step_ids is None else select_steps(self.loaded, step_ids)
        self._verify(state, steps)
        # the guardrails judge the plan's calls, and a rollback's calls before they are sent
        self.policies = BatchPolicies(self.config, self.verified.environment, self.loaded["plan"], self.say)
        self.journal = self.backend.journal(self.run_id)
        self.rolling_back = rollback
        self._journal_guard(steps, rollback)
        context = run_context(self.loaded["plan"], self.run_id, state)
        context["target"] = dict(self.loaded["plan"]["target"])
        tag = self.loaded["plan"]["id"] if self.params.get("tag_resources", True) else None
        self.runner = StepRunner(self.verified.aws, self.journal, context, self.verified.perimeter, self.check_mode,
                                 state["steps"], plan_id=tag, past=drift.PastRun(self.events),
                                 accept_drift=bool(self.params.get("accept_drift")))
        self.runner.progress = Progress(self.say)
        self.runner.plan_steps = self.loaded["plan"]["steps"]  # a dry run's predictions look at earlier steps
        self._follow(state)
        return self

    def speak_with(self, say):
        """Every line of this session (steps, progress, guardrails) goes to ``say`` from now on (a wave's lines
        name their target)."""
        self.say = say
        if self.runner is not None:
            self.runner.progress = Progress(say)
        if self.policies is not None:
            self.policies.say = say

    def _follow(self, state):
        """The runner sees the journal as it stands: each step's last outcome, what the run made."""
        self.runner.previous = state["steps"]
        self.runner.record = RunRecord(self.run_id, self.loaded["plan"]["steps"], self.events, state)

    def _verify(self, state, steps):
        self.verified = sequence.verify(self.config, self.loaded, self.params["profile"], steps, self.run_id,
                                        self.params["retry_mode"], self.params["max_attempts"])
        if self.params.get("max_requests_per_second"):  # every call of the task, to this account, machine-wide
            self.verified.aws.budget = RequestBudget(self.verified.identity["account"],
                                                     self.params["max_requests_per_second"])
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
        self._journal_guard(steps, self.rolling_back)
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
        self._follow(state)
        steps = self.select(step_ids)
        self.policies.before_batch(steps, self.runner.context)  # with every value the run has produced so far
        if self.check_mode:
            self.verified.perimeter.owned_buckets.planned.update(
                planned_buckets(self.loaded["plan"], state, self.runner.context))
        return self._execute(steps)

    def _execute(self, steps):
        limit = self._limit()
        if limit > 1 and len(steps) > 1:
            return self._execute_together(steps, limit)
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

    def _limit(self):
        """How many steps (or undos) at once: one in a dry run, else as the run and its class allow."""
        if self.check_mode or self.verified is None:
            return 1
        return concurrency(self.config, self.verified.environment, self.params.get("max_concurrency"))[0]

    def graph(self):
        """The plan's step graph (plan/step_order.py), read once per task."""
        if self._graph is None:
            self._graph = dependencies(self.loaded["plan"]["steps"])
        return self._graph

    def _together(self, steps, graph, limit, before, ended, work=None):
        """Run/together.py's threads, with every journal writer and every line (this thread's too: the step and
        rollback lines, the steps' progress, the guardrails) taking its turn."""
        runner, plain, say = self.runner, self.journal, self.say
        self.journal = runner.journal = SerializedJournal(plain)
        self.speak_with(serialized(say))
        try:
            return Together(runner, graph, limit, before, ended, work).run(steps)
        finally:
            self.journal = runner.journal = plain
            self.speak_with(say)

    def _execute_together(self, steps, limit):
        """Independent steps at the same time (run/together.py); the outcome as a batch run one by one gives it:
        results and completed in plan order, the first failed (or unexpected) step, and the others not done."""
        stop_on_unexpected = self.params.get("stop_on_unexpected", True)

        def before(step):
            self._check_alive(step)
            self.policies.before_step(step, self.runner.context, self.journal)

        def ended(result):
            self.say(step_line(result, self.total))
            return result["status"] == "failed" or bool(result["unexpected"] and stop_on_unexpected)

        ran = self._together(steps, self.graph(), limit, before, ended)
        results = [ran[s["id"]] for s in steps if s["id"] in ran]
        failed = [r for r in results if r["status"] == "failed"]
        completed = [r["id"] for r in results if r["status"] != "failed"]
        unexpected = [r["id"] for r in results if r["status"] != "failed" and r["unexpected"] and stop_on_unexpected]
        outcome = {"results": results, "completed": completed, "changed": any(r["changed"] for r in results),
                   "failed_step": failed[0]["id"] if failed else None,
                   "unexpected_step": None if failed else (unexpected[0] if unexpected else None)}
        self.changed = self.changed or outcome["changed"]
        if failed:
            outcome.update(failed=True, error=failed[0]["error"],
                           msg="step %s failed\n%s" % (failed[0]["id"], failed[0]["error"].get("text", "")))
        stopped_at = outcome["failed_step"] or outcome["unexpected_step"]
        outcome["not_run"] = [s["id"] for s in steps if s["id"] != stopped_at and s["id"] not in completed] \
            if stopped_at else []
        return outcome

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
    """One batch (``mode`` execute, rollback or drift of ``steps``): the task result of run_step used on its own.

    ``session``: the task's RunSession (a new one by default); ``protect(work)`` runs the batch (the action
    runs it under its stop-signal handlers).
    """
    session = session or RunSession(params, check_mode)
    mode = params["mode"]
    if params["steps"] is None and mode == "execute":
        raise PlanError(params.get("plan") or params["run_id"], [("steps", "name the steps to execute")])
    work = {"rollback": lambda: session.rollback(params["steps"]),
            "drift": lambda: drifted(session, params["steps"])}.get(mode, lambda: session.batch(params["steps"]))
    try:
        # the drift check only reads, and is shown before the approval it informs
        session.open(params["steps"], mode != "execute", approved=mode != "drift")
        outcome = protect(work) if protect else work()
    finally:
        session.close()
    outcome = session.described(outcome)
    if diff:
        outcome["diff"] = diff_of(outcome["results"])
    if outcome.get("failed"):
        outcome.setdefault("msg", "a step failed")
    return outcome
