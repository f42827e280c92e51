"""Drive an action plugin's own run() in this process: a task, a local connection, no play."""

from __future__ import annotations

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager


class Task:
    """What an action plugin reads of its task."""

    def __init__(self, action, args, check_mode=False, name="Task"):
        self.action, self.args, self.check_mode, self.diff, self.async_val = action, dict(args), check_mode, False, 0
        self._name = name
        self.run_once = False
        self.loader = loader = DataLoader()  # the guard asks where each setting comes from: localhost alone
        self._manager = VariableManager(loader=loader, inventory=InventoryManager(loader=loader, sources=["localhost,"]))

    def get_name(self):
        return self._name

    def get_variable_manager(self):
        return self._manager

    def get_search_path(self):
        return []


class _Shell:
    tmpdir = "/nonexistent"


class Connection:
    _shell = _Shell()


class PlayContext:
    def __init__(self, connection="local"):
        self.connection = connection


def run_action(module, args, check_mode=False, connection="local", task_vars=None, name="Task"):
    """The result of ``module``'s ActionModule.run for a task with ``args``."""
    task = Task("coworker.aws.x", args, check_mode, name)
    plugin = module.ActionModule(task=task, connection=Connection(),
                                 play_context=PlayContext(connection), loader=task.loader, templar=None,
                                 shared_loader_obj=None)
    return plugin.run(task_vars=dict({"inventory_hostname": "localhost"}, **(task_vars or {})))
