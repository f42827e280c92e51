# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a plan on the controller, where the plan file is; no AWS call, no module sent."""

from __future__ import annotations

import functools

from ansible.utils.display import Display
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import approval_environments, plan_info
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import plan_policies
from ansible_collections.coworker.aws.plugins.modules.plan_info import ARGUMENT_SPEC
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import ControllerAction, failed, plan_reference


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "environments_file")

    def act(self, args, result):
        try:
            info = plan_info(plan_reference(args["plan"]), args["plans_dir"], args["verify_approval"], args["profile"],
                             approval_environments(args["environments_file"]),
                             functools.partial(plan_policies, args["environments_file"]), args["target"])
        except PlanError as exc:
            return failed(result, "invalid plan:\n%s" % exc, plan_errors=[list(p) for p in exc.problems],
                          source=exc.source)
        for warning in info["warnings_list"]:
            Display().warning(warning)
        result.update(changed=False, **info)
        return result
