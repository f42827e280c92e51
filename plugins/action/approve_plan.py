# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a plan's approval on the controller, where the plan file is."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.guard.pin_fetched import approve_with_pins
from ansible_collections.coworker.aws.plugins.modules.approve_plan import ARGUMENT_SPEC
from ansible_collections.coworker.aws.plugins.plugin_utils.controller import ControllerAction, plan_reference


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    PATH_ARGS = ("plans_dir", "signing_key")

    def act(self, args, result):
        args["plan"] = plan_reference(args["plan"])
        result.update(approve_with_pins(args, self._task.check_mode, self._task.diff))
        return result
