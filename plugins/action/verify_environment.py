# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run coworker.aws.verify_environment on the controller with paths resolved there."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.coworker.aws.plugins.module_utils.environments import resolve_path
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import (
    absolute_paths, failed, is_local, plan_reference)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if not is_local(self._connection):
            return failed(result, "coworker.aws.verify_environment runs on the controller only (connection: local)")
        args = absolute_paths(dict(self._task.args), ("plans_dir", "environments_file"))
        args["environments_file"] = resolve_path(args.get("environments_file"))
        args["plan"] = plan_reference(args.get("plan"))
        result.update(self._execute_module(module_name="coworker.aws.verify_environment", module_args=args,
                                           task_vars=task_vars))
        return result
