"""SettingSources asks Ansible's own variable sources, as the VariableManager does, in process (no playbook run).

Real InventoryManager and VariableManager objects over files in a temporary directory; the integration
tests (tests/integration/test_setting_sources.py; this file is named otherwise because pytest imports test
modules by their base name) run the same through ansible-playbook.
"""

from __future__ import annotations

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

from ansible_collections.coworker.aws.plugins.plugin_utils.setting_sources import SettingSources


class Task:
    """What SettingSources reads of a task: its variable manager, search path, run_once, action and args."""

    def __init__(self, manager, search_path, run_once=False):
        self.manager, self.search_path, self.run_once = manager, search_path, run_once
        self.action, self.args = "coworker.aws.plan_info", {}

    def get_variable_manager(self):
        return self.manager

    def get_search_path(self):
        return self.search_path


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return str(path)


def sources_for(tmp_path, inventory, run_once=False, host="web1"):
    loader = DataLoader()
    loader.set_basedir(str(tmp_path / "project"))  # as ansible-playbook does: the playbook's directory
    manager = VariableManager(loader=loader, inventory=InventoryManager(loader=loader, sources=[inventory]))
    manager.safe_basedir = True
    task = Task(manager, [str(tmp_path / "project")], run_once)
    variables = manager.get_vars(host=manager._inventory.get_host(host))  # pylint: disable=protected-access
    task_vars = dict(variables, inventory_hostname=host, ansible_play_hosts_all=["web1", "web2"])
    return SettingSources(task, loader, task_vars)


@pytest.fixture
def inventory(tmp_path):
    return write(tmp_path / "inv" / "hosts.yml", {"all": {"children": {"web": {"hosts": {"web1": {}, "web2": {}}}}}})


def names(findings):
    return sorted((f["name"], f["where"].rsplit("/", 2)[-2] + "/" + f["where"].rsplit("/", 1)[-1]) for f in findings)


def test_group_vars_and_host_vars_beside_the_inventory_and_the_playbook(tmp_path, inventory):
    write(tmp_path / "inv" / "group_vars" / "web.yml", {"environments_file": "{{ x }}", "x": "/tmp/e.yml"})
    write(tmp_path / "inv" / "host_vars" / "web1.yml", {"tag_resources": False})  # a boolean keeps no origin tag
    write(tmp_path / "project" / "group_vars" / "all.yml", {"execute_nonprod_approve": "abc", "team": "payments"})
    assert names(sources_for(tmp_path, inventory).findings()) == [
        ("environments_file", "group_vars/web.yml"), ("execute_nonprod_approve", "group_vars/all.yml"),
        ("tag_resources", "host_vars/web1.yml")]


def test_inventory_variables_and_the_collections_own(tmp_path):
    inventory = write(tmp_path / "inv" / "hosts.yml", {"all": {
        "vars": {"approve": "abc", "coworker_wave_plan_file": "p.yml"},
        "children": {"coworker_wave_targets": {"hosts": {"web1": {"coworker_wave_token": "t", "state_dir": "/x"}}}}}})
    found = sources_for(tmp_path, inventory).findings()
    assert sorted((f["name"], f["scope"]) for f in found) == [("approve", "group all"), ("state_dir", "host web1")]
    assert all(f["where"].endswith("inv/hosts.yml") for f in found)


def test_the_collections_own_names_are_refused_from_host_vars_which_outrank_add_host(tmp_path, inventory):
    write(tmp_path / "inv" / "host_vars" / "web1.yml", {"coworker_wave_token": "forged"})
    assert names(sources_for(tmp_path, inventory).findings()) == [("coworker_wave_token", "host_vars/web1.yml")]


def test_a_run_once_task_answers_for_every_host_of_the_play(tmp_path, inventory):
    write(tmp_path / "inv" / "host_vars" / "web2.yml", {"aws_profile": "prod-admin"})
    assert sources_for(tmp_path, inventory).findings() == []  # web1's own variables are clean
    assert names(sources_for(tmp_path, inventory, run_once=True).findings()) == [("aws_profile", "host_vars/web2.yml")]


def test_an_option_whose_value_was_read_from_group_vars(tmp_path, inventory):
    path = write(tmp_path / "inv" / "group_vars" / "all.yml", {"my_envs": "/tmp/e.yml"})
    sources = sources_for(tmp_path, inventory)
    assert sources.findings() == []
    value = sources.task_vars["my_envs"]  # as templated "{{ my_envs }}" gives it: the value, with its Origin tag
    [found] = sources.option_findings({"environments_file": value, "plan": value})
    assert (found["name"], found["where"], found["setting"]) == (
        "option environments_file of coworker.aws.plan_info", path, "environments_file")
    assert sources.option_findings({"environments_file": "/home/me/e.yml"}) == []


def test_given_by_names_the_extra_var(tmp_path, inventory):
    sources = sources_for(tmp_path, inventory)
    sources.task.manager._extra_vars = {"environments_file": "/e.yml"}  # pylint: disable=protected-access
    assert sources.given_by("environments_file") == "extra var environments_file"
    sources.task.manager._extra_vars = {}  # pylint: disable=protected-access
    assert sources.given_by("environments_file").startswith("the playbook")
