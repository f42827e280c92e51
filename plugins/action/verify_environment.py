# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run coworker.aws.verify_environment's code on the controller, where ansible-playbook runs.

boto3 is imported when the play loads this plugin, once, and every forked
worker inherits it; paths are resolved against the controller's working
directory.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.coworker.aws.plugins.module_utils.environments import resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.verification import verify_environment
from ansible_collections.coworker.aws.plugins.modules.verify_environment import ARGUMENT_SPEC
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    absolute_paths, failed, is_local, plan_reference)


class ActionModule(ActionBase):
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if not is_local(self._play_context):
            return failed(result, "coworker.aws.verify_environment runs on the controller only (connection: local)")
        args = dict(self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1])
        args.pop("aws_profile", None)
        args = absolute_paths(args, ("plans_dir",))
        args.update(environments_file=resolve_path(args.get("environments_file")), plan=plan_reference(args["plan"]))
        result.update(verify_environment(args))
        return result
