# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The non-production guard around coworker.aws.run_step.

Every task that names ``coworker.aws.run_step`` runs through this plugin,
with the role or without it. It refuses, before any AWS call: a non-local
connection, a plan that is not approved for its digest or targets a class
other than sandbox/development/test, a missing or malformed environments
file, and a region the target class does not allow. It then runs the
module's code in this process (boto3 was imported once, when the play
loaded this plugin, and every forked worker inherits it): that code asks STS
who its own session's credentials are and refuses unless the account and its
class match the plan, and this plugin checks that answer once more. Nothing
here reads a task variable to decide.
"""

from __future__ import annotations

import os
import signal

from ansible.utils.display import Display

from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    EXECUTABLE, load_environments, region_allowed, resolve_path)
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal, Interrupted
from ansible_collections.coworker.aws.plugins.module_utils.run.executor import run_batch
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import STOP, plan_regions
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter, check_plan
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import require_one_target
from ansible_collections.coworker.aws.plugins.module_utils.run.report import append_changelog, write_report
from ansible_collections.coworker.aws.plugins.modules.run_step import ARGUMENT_SPEC
# imported for what it does when imported: the journal heads this task writes reach ansible-playbook
from ansible_collections.coworker.aws.plugins.plugin_utils import lock_keeper  # pylint: disable=unused-import
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import ControllerAction, failed


def run_plan(args, backend):
    """The run's own copy of its approved plan (``plan`` only names it for a run that has none), and the
    key of the target the run executes (None for a plan of one target)."""
    started = run_state(backend.events(args["run_id"]))["started"]
    return run_plan_path(started, args["plan"], backend), (started or {}).get("target")


def precheck(args, backend):
    """Controller-side verdict on the plan and the environments file; returns the loaded plan."""
    path, key = run_plan(args, backend)
    loaded = load_plan(path, args["plans_dir"], profile=args["profile"], render=False, target=key)
    require_one_target(loaded["plan"], loaded["path"])
    target = loaded["plan"]["target"]
    config = load_environments(args["environments_file"])
    if target["environment"] not in EXECUTABLE:
        raise GuardRefusal("%s The plan targets %s." % (STOP, target["environment"]))
    denied = [r for r in plan_regions(loaded["plan"]["steps"]) if not region_allowed(config, target["environment"], r)]
    if denied:
        raise GuardRefusal("%s Region(s) %s are not allowed for %s; nothing was changed."
                           % (STOP, ", ".join(sorted(denied)), target["environment"]))
    # the target account stands in for the STS answer, which the executor checks equals it
    check_plan(Perimeter.for_class(config, target["environment"], target["account_id"]), loaded["plan"])
    return loaded


def target_display(loaded):
    """Print step lines as they end; with several targets running at once, each line names its target."""
    display = Display().display
    if len(loaded["plan"]["targets"]) < 2:
        return display
    prefix = "[%s] " % loaded["plan"]["target"]["key"]
    return lambda line, *a, **kw: display(prefix + line, *a, **kw)


def refresh_report(args, loaded, backend):
    """Keep report.md current after every batch, so an interrupted run still has a report."""
    events = backend.events(args["run_id"])
    return write_report(backend, args["run_id"], loaded, events, provisional=True)[0]


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


def postcheck(module_result, loaded):
    """The executor must report the identity it verified, and it must be the plan's account."""
    if module_result.get("failed"):
        return None
    identity = module_result.get("identity") or {}
    environment = (module_result.get("environment") or {}).get("environment")
    target = loaded["plan"]["target"]
    if identity.get("account") != target["account_id"] or environment != target["environment"]:
        return "%s run_step did not report a verified %s identity for account %s." % (
            STOP, target["environment"], target["account_id"])
    return None


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "state_dir", "environments_file")
    LOCAL_ONLY = True

    def failure_fields(self, exc):
        return dict(refused=True, results=[], completed=[], not_run=[], failed_step=None, unexpected_step=None,
                    identity=getattr(exc, "identity", None))

    def act(self, args, result):
        args["environments_file"] = resolve_path(args["environments_file"])
        backend = backend_of(args)
        loaded = precheck(args, backend)
        args["plan"] = loaded["path"]

        def record(_exc):
            if not self._task.check_mode:
                append_changelog(backend, refresh_report(args, loaded, backend))

        def work():
            batch = run_batch(args, self._task.check_mode, self._task.diff, loaded, parent_alive(),
                              say=target_display(loaded), backend=backend)
            # still under the stop-signal handlers: a signal now still gets a report of the whole batch
            if not self._task.check_mode:
                refresh_report(args, loaded, backend)
            return batch

        try:
            module_result = run_interruptibly(work, record)
        except Interrupted as exc:
            return failed(result, "%s; the journal and report.md say what was done" % exc, interrupted=True)
        problem = postcheck(module_result, loaded)
        if problem:
            return failed(result, problem, refused=True)
        result.update(module_result)
        return result
