"""Drive an action plugin's own run() in this process: a task, a local connection, no play."""

from __future__ import annotations


class Task:
    """What an action plugin reads of its task."""

    def __init__(self, action, args, check_mode=False, name="Task"):
        self.action, self.args, self.check_mode, self.diff, self.async_val = action, dict(args), check_mode, False, 0
        self._name = name

    def get_name(self):
        return self._name


class _Shell:
    tmpdir = "/nonexistent"


class Connection:
    _shell = _Shell()


class PlayContext:
    def __init__(self, connection="local"):
        self.connection = connection


def run_action(module, args, check_mode=False, connection="local", task_vars=None, name="Task"):
    """The result of ``module``'s ActionModule.run for a task with ``args``."""
    plugin = module.ActionModule(task=Task("coworker.aws.x", args, check_mode, name), connection=Connection(),
                                 play_context=PlayContext(connection), loader=None, templar=None,
                                 shared_loader_obj=None)
    return plugin.run(task_vars=task_vars or {})
