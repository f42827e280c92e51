# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a plan's approval on the controller, where the plan file is."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.plan_writer import approve
from ansible_collections.coworker.aws.plugins.modules.approve_plan import ARGUMENT_SPEC
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import controller_path, failed, plan_reference


class ActionModule(ActionBase):
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1])
        args.update(plan=plan_reference(args["plan"]), plans_dir=controller_path(args["plans_dir"]))
        try:
            result.update(approve(args, self._task.check_mode, self._task.diff))
        except CoworkerError as exc:
            return failed(result, str(exc))
        return result
