# Profiling callback for benchmarks/profile (not part of the collection): one JSON line per event.
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_timer
type: aggregate
short_description: time every task (benchmarks/profile only)
description: writes JSON lines of task events with wall-clock times to $PROFILE_TIMER_OUT
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._out = open(os.environ["PROFILE_TIMER_OUT"], "a")
        self._emit("callback_init")

    def _emit(self, event, task=None, **extra):
        row = {"t": time.time(), "event": event}
        if task is not None:
            row.update(task=task.get_name(), uuid=task._uuid, action=task.action)
        row.update(extra)
        self._out.write(json.dumps(row) + "\n")
        self._out.flush()

    def v2_playbook_on_start(self, playbook):
        self._emit("playbook_start")

    def v2_playbook_on_play_start(self, play):
        self._emit("play_start", name=play.get_name())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit("task_start", task)

    def v2_playbook_on_handler_task_start(self, task):
        self._emit("task_start", task)

    def v2_runner_on_start(self, host, task):
        self._emit("runner_start", task)

    def _result(self, status, result):
        self._emit("result", result._task, status=status, changed=bool(result._result.get("changed")))

    def v2_runner_on_ok(self, result):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_runner_item_on_ok(self, result):
        self._emit("item", result._task, status="ok")

    def v2_runner_item_on_skipped(self, result):
        self._emit("item", result._task, status="skipped")

    def v2_playbook_on_include(self, included_file):
        self._emit("include", name=str(included_file._filename))

    def v2_playbook_on_stats(self, stats):
        self._emit("stats")
