# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run coworker.aws.verify_environment's code on the controller, where ansible-playbook runs.

boto3 is imported when the play loads this plugin, once, and every forked worker inherits it;
paths are resolved against the controller's working directory. Given a ``run_id`` (the role's
Verify task), the plan, its target and whether guardrails apply come from the run's journal, the
verdict is journaled, and a refusal ends the run here: its report, its lock, one closing line.
"""

from __future__ import annotations

from ansible import context
from ansible.utils.display import Display

from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import path_source, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.guard.verification import verify_environment
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run import integrity, screens
from ansible_collections.coworker.aws.plugins.module_utils.run.approving import purpose_of
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import backend_of
from ansible_collections.coworker.aws.plugins.module_utils.run.finish import end_run
from ansible_collections.coworker.aws.plugins.module_utils.run.followup import followup_commands
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path
from ansible_collections.coworker.aws.plugins.modules.verify_environment import ARGUMENT_SPEC
from ansible_collections.coworker.aws.plugins.plugin_utils import lock_keeper
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    ControllerAction, controller_path, failed, plan_reference)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "environments_file", "state_dir")
    LOCAL_ONLY = True

    def act(self, args, result):
        explicit = args.get("environments_file")
        # where the environments file's path came from, shown with the file that classified the account
        source = path_source(explicit, self.sources.given_by("environments_file") if explicit else None)
        args.update(environments_file=resolve_path(explicit), plan=plan_reference(args["plan"]))
        if not args["run_id"]:
            result.update(verify_environment(args, source))
            return result
        return self._for_run(args, result, source)

    def _for_run(self, args, result, source):
        backend = backend_of(dict(args, state_dir=args["state_dir"] or controller_path(".coworker")))
        run_id = args["run_id"]
        state = run_state(integrity.check(backend, run_id)[0])  # the journal the run wrote, or refused here
        started = state["started"] or {}
        # the run's own copy and target; a rollback run's calls are not the plan's: no guardrails on them
        args.update(plan=run_plan_path(started, args["plan"], backend), target=started.get("target"),
                    check_policies=purpose_of(state) != "rollback", fail_on_refusal=False,
                    profile=args["profile"] or started.get("profile"))
        verdict = verify_environment(args, source)
        say = Display().display
        identity = verdict.get("identity") or {}
        if identity:
            for line in screens.environment_lines(verdict):
                say(line)
        with backend.journal(run_id) as journal:
            if verdict["allowed"]:
                journal.append("environment_verified", account=identity["account"], arn=identity["arn"],
                               alias=identity.get("alias"), environment=verdict["environment"],
                               matched=verdict["matched"])
            else:
                journal.append("refused", account=identity.get("account"), arn=identity.get("arn"),
                               environment=verdict.get("environment"), reason=verdict["refusal"])
        shown = ("identity", "environment", "allowed", "policies", "environments", "approval")
        result.update({k: v for k, v in verdict.items() if k in shown})
        if verdict["allowed"]:
            return result
        say("REFUSED: %s" % printable(verdict["refusal"], multiline=True))
        commands = followup_commands(context.CLIARGS.get("args") or [], run_id, args["command_vars"])
        ended = end_run(backend, run_id, "refused", state["resumed"] is not None, commands, lock_keeper)
        say("Report: %s" % printable(ended["report_md"]))
        return failed({"changed": False}, ended["closing"], refused=True)
