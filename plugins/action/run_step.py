# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The non-production guard around coworker.aws.run_step, and the role's Run task.

Every task that names ``coworker.aws.run_step`` runs through this plugin, with the role or without
it. It refuses a non-local connection; then, in this process (boto3 was imported once, when the
play loaded this plugin, and every forked worker inherits it), the run's session verifies
everything before any AWS call that can change something: the run's own copy of its approved plan
and the journal's approval of its digest, then the guard sequence (guard/sequence.py). Nothing here
reads a task variable to decide.

``mode=run`` (the role's Run task) runs the whole plan in one bounded loop (run/driver.py, every
choice made by run/loop.py): batches of steps, the checkpoints and "What now?" asked here through
Ansible's own prompt, retries, skips and rollbacks. It never fails for a run outcome: it returns
``outcome`` (journaled too, for Finish) and ``changed`` as soon as anything may have changed.
``mode=recover`` is the role's rescue: the Run task broke; roll back when the journaled decision or
``on_failure`` says so, else leave everything as it is. ``mode=execute`` / ``rollback``: one batch.
"""

from __future__ import annotations

import os
import signal

from ansible.utils.display import Display

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal, Interrupted
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import STOP
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run import loop
from ansible_collections.coworker.aws.plugins.module_utils.run.approving import prompts_allowed, purpose_of
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.driver import Driver
from ansible_collections.coworker.aws.plugins.module_utils.run.executor import RunSession, run_batch
from ansible_collections.coworker.aws.plugins.module_utils.run.finish import last_choice, pass_outcome
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import done_steps, run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.report import append_changelog
from ansible_collections.coworker.aws.plugins.modules.run_step import ARGUMENT_SPEC
# imported for what it does when imported: the journal heads this task writes reach ansible-playbook
from ansible_collections.coworker.aws.plugins.plugin_utils import lock_keeper  # pylint: disable=unused-import
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    ControllerAction, controller_has_terminal, failed)
from ansible_collections.coworker.aws.plugins.plugin_utils.prompts import prompter

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise_interrupted(signum, frame):
    # Ignore further stop signals before raising: the controller sends SIGTERM more than
    # once, and a second one landing before the journal and report are written would skip them.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted("interrupted by signal %d" % signum)


def run_interruptibly(work, on_interrupt):
    """Run ``work()``; on Ctrl-C or SIGTERM stop it and run ``on_interrupt`` before dying.

    ansible-playbook passes SIGINT (or SIGTERM) to its workers, whose own handler exits at
    once; during a batch we stop instead, and record what was done with further signals
    ignored (the controller sends a SIGTERM right after), so the journal and the report
    are whole.
    """
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in STOP_SIGNALS}
    try:
        return work()
    except Interrupted as exc:
        on_interrupt(exc)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def parent_alive():
    """A check that the ansible-playbook process this worker was forked from still runs."""
    parent = os.getppid()
    return lambda: os.getppid() == parent


def target_display(loaded):
    """Print step lines as they end; with several targets running at once, each line names its target."""
    display = Display().display
    if len(loaded["plan"]["targets"]) < 2:
        return display
    prefix = "[%s] " % loaded["plan"]["target"]["key"]
    return lambda line, *a, **kw: display(prefix + line, *a, **kw)


def postcheck(module_result, target):
    """The executor must report the identity it verified, and it must be the run's account and class."""
    identity = module_result.get("identity") or {}
    environment = (module_result.get("environment") or {}).get("environment")
    if identity.get("account") != target.get("account_id") or environment != target.get("environment"):
        return "%s run_step did not report a verified %s identity for account %s." % (
            STOP, target.get("environment"), target.get("account_id"))
    return None


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "state_dir", "environments_file")
    LOCAL_ONLY = True

    def failure_fields(self, exc):
        return dict(refused=isinstance(exc, GuardRefusal), results=[], completed=[], not_run=[], failed_step=None,
                    unexpected_step=None, identity=getattr(exc, "identity", None))

    def act(self, args, result):
        args["environments_file"] = resolve_path(args["environments_file"])
        self.backend = backend_of(args)
        self.session = RunSession(args, self._task.check_mode, None, parent_alive(), Display().display, self.backend)
        if args["mode"] in ("run", "recover"):
            return self._loop(args, result)
        return self._one_batch(args, result)

    def _protect(self, work):
        """A batch under the stop-signal handlers: a signal still leaves a report of what was done."""
        def record(_exc):
            self.session.commit()
            report = self.session.refresh_report()
            if report is not None:
                append_changelog(self.backend, report)
        return run_interruptibly(work, record)

    def _one_batch(self, args, result):
        try:
            outcome = run_batch(args, self._task.check_mode, self._task.diff, self.session, self._protect)
        except Interrupted as exc:
            return failed(result, "%s; the journal and report.md say what was done" % exc, interrupted=True)
        started = run_state(self.backend.events(args["run_id"]))["started"] or {}
        problem = postcheck(outcome, started)
        if problem:
            return failed(result, problem, refused=True)
        result.update(outcome)
        return result

    def _loop(self, args, result):
        session = self.session
        state = session.state()
        events = self.backend.events(session.run_id)
        rollback_run = purpose_of(state) == "rollback"
        prompts = not self._task.check_mode and prompts_allowed(events, controller_has_terminal())
        ended = pass_outcome(events)
        if ended:  # a wave's earlier segment ended this pass: nothing more is sent
            result.update(outcome=ended["outcome"], by_person=ended["by_person"], status=ended.get("status"))
            return result
        first = None
        if args["mode"] == "recover":
            first = loop.after_break("rollback" if rollback_run else "run", args["on_failure"], prompts,
                                     last_choice(events))
            if first["kind"] == loop.FINISH:
                return self._broken(args, result, state)
        try:
            session.open(rollback=rollback_run or first is not None)
        except GuardRefusal as exc:
            return self._refused(result, exc)
        plan = session.loaded
        say = target_display(plan)
        session.speak_with(say)  # with several targets, each line names its own
        ctx = loop.Context(plan["segments"], done_steps(state), prompts, self._task.check_mode, args["on_failure"],
                           rollback_run, [s["id"] for s in plan["plan"]["steps"] if s.get("skippable")],
                           args["segments"])
        ask = prompter(self._task.get_name())
        driver = Driver(session, ctx, ask, say, self._protect)
        try:
            if first is not None:
                session.journal.append("interrupted", reason=args["failure"] or "the Run task failed")
            end = driver.run(args["checkpoint_answer"], first)
        except Interrupted as exc:
            return failed(result, "%s; the journal and report.md say what was done" % exc, interrupted=True)
        finally:
            session.close()
        result.update(outcome=end["outcome"], by_person=end["by_person"], status=end["status"],
                      changed=end["changed"] and not self._task.check_mode)
        return result

    def _refused(self, result, exc):
        """The guard refused before anything of this task was sent: journaled, and the run ends as refused."""
        Display().display("REFUSED: %s" % printable(str(exc), multiline=True))
        identity = getattr(exc, "identity", None) or {}
        with self.backend.journal(self.session.run_id) as journal:
            journal.append("refused", account=identity.get("account"), arn=identity.get("arn"), reason=str(exc))
            journal.append("outcome", outcome="refused", by_person=False, note=None, status="refused", final=True)
        result.update(outcome="refused", by_person=False, refused=True, changed=False)
        return result

    def _broken(self, args, result, state):
        """The rescue leaves everything as it is: the journal says the run was interrupted, and why."""
        del state
        with self.backend.journal(self.session.run_id) as journal:
            journal.append("interrupted", reason=args["failure"] or "the Run task failed")
            journal.append("outcome", outcome="interrupted", by_person=False, note=None, status="aborted", final=True)
        result.update(outcome="interrupted", by_person=False, changed=False)
        return result
