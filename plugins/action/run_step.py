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

from ansible_collections.coworker.aws.plugins.module_utils.environments import (
    EXECUTABLE, load_environments, region_allowed, resolve_path)
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.executor import run_batch
from ansible_collections.coworker.aws.plugins.module_utils.guard import STOP, plan_regions
from ansible_collections.coworker.aws.plugins.module_utils.journal import journal_path, read_events, run_dir
from ansible_collections.coworker.aws.plugins.module_utils.plan import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.report import write_report
from ansible_collections.coworker.aws.plugins.modules.run_step import ARGUMENT_SPEC
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import ControllerAction, failed


def precheck(args):
    """Controller-side verdict on the plan and the environments file; returns the loaded plan."""
    loaded = load_plan(args["plan"], args["plans_dir"], profile=args["profile"], render=False)
    target = loaded["plan"]["target"]
    config = load_environments(args["environments_file"])
    if target["environment"] not in EXECUTABLE:
        raise GuardRefusal("%s The plan targets %s." % (STOP, target["environment"]))
    denied = [r for r in plan_regions(loaded["plan"]["steps"]) if not region_allowed(config, target["environment"], r)]
    if denied:
        raise GuardRefusal("%s Region(s) %s are not allowed for %s; nothing was changed."
                           % (STOP, ", ".join(sorted(denied)), target["environment"]))
    return loaded


def refresh_report(args, loaded):
    """Keep report.md current after every batch, so an interrupted run still has a report."""
    events = read_events(journal_path(args["state_dir"], args["run_id"]))
    write_report(run_dir(args["state_dir"], args["run_id"]), args["run_id"], loaded, events, provisional=True)


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
        loaded = precheck(args)
        args["plan"] = loaded["path"]
        module_result = run_batch(args, self._task.check_mode, self._task.diff, loaded)
        if not self._task.check_mode:
            refresh_report(args, loaded)
        problem = postcheck(module_result, loaded)
        if problem:
            return failed(result, problem, refused=True)
        result.update(module_result)
        return result
