# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run coworker.aws.verify_environment's code on the controller, where ansible-playbook runs.

boto3 is imported when the play loads this plugin, once, and every forked
worker inherits it; paths are resolved against the controller's working
directory.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import path_source, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.guard.verification import verify_environment
from ansible_collections.coworker.aws.plugins.modules.verify_environment import ARGUMENT_SPEC
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import ControllerAction, plan_reference


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "environments_file")
    LOCAL_ONLY = True

    def act(self, args, result):
        explicit = args.get("environments_file")
        source = path_source(explicit, self.sources.given_by("environments_file") if explicit else None)
        args.update(environments_file=resolve_path(explicit), plan=plan_reference(args["plan"]))
        result.update(verify_environment(args, source))
        return result
