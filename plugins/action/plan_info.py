# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a plan on the controller, where the plan file is; no AWS call, no module sent."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan import plan_info
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import controller_path, failed, plan_reference

ARGUMENT_SPEC = dict(
    plan=dict(type="str", required=True),
    plans_dir=dict(type="path"),
    verify_approval=dict(type="bool", default=True),
    profile=dict(type="str", aliases=["aws_profile"]),
)


class ActionModule(ActionBase):
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1])
        try:
            info = plan_info(plan_reference(args["plan"]), controller_path(args["plans_dir"]),
                             args["verify_approval"], args["profile"])
        except PlanError as exc:
            return failed(result, "invalid plan:\n%s" % exc, plan_errors=[list(p) for p in exc.problems],
                          source=exc.source)
        for warning in info["warnings_list"]:
            Display().warning(warning)
        result.update(changed=False, **info)
        return result
