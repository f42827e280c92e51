"""Only the operator decides what is safe (issue 24): settings from an inventory are refused.

The attacker of the issue can write only the directory that holds plans and target inventories. A
``group_vars/all.yml`` there (beside a ``*.coworker_targets.yml`` inventory) named another environments
file, which classified a production account as sandbox, and pre-answered the approval. Every setting
that decides safety (module_utils/guard/operator_settings.py) defined by an inventory, ``group_vars`` or
``host_vars`` (beside the inventory or beside the playbook) is refused, naming the file, before any AWS
call; the same names given with -e, or by the operator's own playbook, work. Real ansible-playbook, run
as a user runs it: ANSIBLE_CONFIG is an empty file.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.guard.operator_settings import SETTINGS
from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import REPO_ROOT, call_keys, output_of, run_playbook
from workflow_support import (  # noqa: F401  pylint: disable=unused-import
    ACCOUNT, EXECUTE, PROFILE, put_param, unwrapped, workflow)

pytestmark = pytest.mark.integration

TARGETS = REPO_ROOT / "playbooks" / "execute_targets.yml"
APPROVE = REPO_ROOT / "playbooks" / "approve_plan.yml"
ROLLBACK = REPO_ROOT / "playbooks" / "rollback_run.yml"
RUNS = REPO_ROOT / "playbooks" / "runs.yml"
REFUSED = "refused: settings that decide safety come only from extra vars (-e), environment variables, your playbook"
EVERY_NAME = [name for setting in SETTINGS for name in setting.names]
VALID = {"on_failure": "abort", "retry_mode": "adaptive", "max_attempts": 1, "tag_resources": False, "dry_run": False,
         "dry_run_warn_only": True, "wave_checkpoints": False, "coworker_wave_checkpoints": False,
         "all_or_nothing": False, "inline_files": False, "confirm": "yes", "state_backend": "", "accept_drift": False,
         "max_concurrency": 1, "max_requests_per_second": 0}


def as_a_user(flow, **extra) -> dict:
    """The environment of a user's run: no ansible.cfg of ours, the collection on the collections path."""
    empty = flow.tmp / "empty.cfg"
    empty.write_text("")
    return dict(flow.env(), ANSIBLE_CONFIG=str(empty), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"),
                **extra)


def write(path, data) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return str(path)


def local_inventory(folder) -> str:
    """A user's YAML inventory of the controller itself."""
    return write(folder / "hosts.yml", {"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}})


def refused(result, *where) -> str:
    shown = unwrapped(output_of(result))
    assert result.returncode != 0
    assert REFUSED in shown, shown
    for text in where:
        assert text in shown, (text, shown)
    return shown


def test_group_vars_beside_a_targets_inventory_cannot_make_production_run(workflow):
    """The attack of the issue, end to end: refused naming the file, no AWS call, nothing changed."""
    operator = workflow.tmp / "operator-environments.yml"
    config = yaml.safe_load(workflow.environments.read_text())
    config["environments"]["production"]["account_ids"] = [ACCOUNT]
    config["environments"]["sandbox"]["account_ids"] = []
    operator.write_text(yaml.safe_dump(config))
    plan = workflow.write_plan("prod-by-inventory", [("Config", [put_param("put_a", "/attack/a")])])
    plans = plan.path.parent
    inventory = write(plans / "prod.coworker_targets.yml", "plugin: coworker.aws.plan_targets\nplan: %s\n"
                      % plan.path.name)
    attacker = write(plans / "attacker-environments.yml", workflow.environments.read_text())
    group_vars = write(plans / "group_vars" / "all.yml", {
        "environments_file": attacker, "approve": plan.digest, "aws_profile": PROFILE})
    env = as_a_user(workflow, COWORKER_AWS_ENVIRONMENTS=str(operator))
    args = [TARGETS, "-i", inventory, "-e", f"state_dir={workflow.state_dir}"]
    with workflow.moto.recording() as calls:
        result = run_playbook(args, env, workflow.tmp)
    refused(result, f"environments_file is set in {group_vars} (group all)", f"approve is set in {group_vars}",
            f"aws_profile is set in {group_vars}")
    assert call_keys(calls) == []
    assert workflow.parameter_values() == {}
    assert not (workflow.state_dir / "runs").exists()

    # without the attacker's file, the operator's classification decides: production, refused
    shutil.rmtree(plans / "group_vars")
    result = run_playbook([*args, "-e", f"approve={plan.digest}", "-e", f"aws_profile={PROFILE}"], env, workflow.tmp)
    assert result.returncode != 0 and "Detected environment: production" in unwrapped(output_of(result))
    assert workflow.parameter_values() == {}


@pytest.mark.parametrize("place", ["beside the inventory", "host_vars beside the inventory", "beside the playbook"])
def test_every_setting_is_refused_from_group_vars_or_host_vars_naming_the_file(workflow, place):
    plan = workflow.write_plan("every-setting", [("Config", [put_param("put_a", "/every/a")])])
    folder = workflow.tmp / "inventory"
    inventory = local_inventory(folder)
    playbook = EXECUTE
    if place == "beside the playbook":
        playbook = workflow.tmp / "project" / "execute.yml"
        write(playbook, EXECUTE.read_text())
        folder = playbook.parent
    # values the role's argument specification accepts, so that the refusal is the guard's own
    values = {name: VALID.get(name.replace("execute_nonprod_", ""), "x") for name in EVERY_NAME}
    # wrapped in templates: a name is refused whatever its value
    values.update(environments_file="{{ wrapped_file }}", wrapped_file="/tmp/evil.yml",
                  state_dir="{{ '/tmp/' ~ wrapped_dir }}", wrapped_dir="evil")
    sub = "host_vars/localhost.yml" if place.startswith("host_vars") else "group_vars/all.yml"
    path = write(folder / sub, values)
    with workflow.moto.recording() as calls:
        result = run_playbook([playbook, "-i", inventory, "-e", f"plan={plan.path}"], as_a_user(workflow), workflow.tmp)
    shown = refused(result)
    for name in EVERY_NAME:
        assert f" {name} is set in {path} (" in shown, (name, shown)
    assert "wrapped_file is set" not in shown  # a name the collection does not read is nobody's business
    assert call_keys(calls) == []


def test_inventory_file_variables_are_refused_too(workflow):
    """INI host variables (a boolean keeps no origin tag) and YAML group variables of the inventory itself."""
    plan = workflow.write_plan("inventory-vars", [("Config", [put_param("put_a", "/inv/a")])])
    ini = write(workflow.tmp / "inv" / "hosts.ini",
                "localhost ansible_connection=local tag_resources=false on_failure=abort\n")
    with workflow.moto.recording() as calls:
        result = run_playbook([EXECUTE, "-i", ini, *workflow.common_args("-e", f"plan={plan.path}")],
                              as_a_user(workflow), workflow.tmp)
    refused(result, f"tag_resources is set in {ini} (host localhost)", f"on_failure is set in {ini} (host localhost)")
    assert call_keys(calls) == []


@pytest.mark.parametrize("playbook, name, value", [
    (APPROVE, "confirm", "yes"), (ROLLBACK, "force_unlock", "someone-else"), (TARGETS, "max_errors", 5),
    (RUNS, "state_backend", {"type": "s3", "bucket": "elsewhere"}),
])
def test_each_playbook_refuses_a_setting_from_group_vars(workflow, playbook, name, value):
    plan = workflow.write_plan("each-playbook", [("Config", [put_param("put_a", "/each/a")])])
    inventory = local_inventory(workflow.tmp / "inv")
    path = write(workflow.tmp / "inv" / "group_vars" / "all.yml", {name: value})
    before = plan.path.read_bytes()
    with workflow.moto.recording() as calls:
        result = run_playbook([playbook, "-i", inventory, "-e", f"plan={plan.path}", "-e", "approved_by=me",
                               "-e", f"state_dir={workflow.state_dir}"], as_a_user(workflow), workflow.tmp)
    refused(result, f"{name} is set in {path} (group all)")
    assert call_keys(calls) == []
    assert plan.path.read_bytes() == before  # approve_plan.yml wrote no approval


def test_a_users_own_playbook_passing_an_inventory_value_is_refused(workflow):
    """group_defaults.yml-style playbook whose module_defaults read environments_file from a variable of the user's
    own naming, which group_vars defines: the value is refused by where Ansible read it."""
    plan = workflow.write_plan("own-playbook", [("Config", [put_param("put_a", "/own/a")])])
    inventory = local_inventory(workflow.tmp / "inv")
    path = write(workflow.tmp / "inv" / "group_vars" / "all.yml", {"my_envs": str(workflow.environments)})
    playbook = write(workflow.tmp / "own.yml", yaml.safe_dump([{
        "name": "Mine", "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/coworker.aws.nonprod": {"environments_file": "{{ my_envs }}"}},
        "tasks": [{"name": "Verify", "coworker.aws.verify_environment": {"plan": str(plan.path)}}]}]))
    with workflow.moto.recording() as calls:
        result = run_playbook([playbook, "-i", inventory], as_a_user(workflow), workflow.tmp)
    refused(result, f"option environments_file of coworker.aws.verify_environment is set in {path} (a value read "
            "from the inventory)")
    assert call_keys(calls) == []


def test_an_inventory_with_other_variables_runs_and_says_where_the_classification_came_from(workflow):
    plan = workflow.write_plan("harmless", [("Config", [put_param("put_a", "/harmless/a")])])
    inventory = local_inventory(workflow.tmp / "inv")
    write(workflow.tmp / "inv" / "group_vars" / "all.yml", {"team": "payments", "ticket_prefix": "PAY"})
    args = workflow.common_args("-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    result = run_playbook([EXECUTE, "-i", inventory, *args], as_a_user(workflow), workflow.tmp)
    shown = unwrapped(output_of(result))
    assert result.returncode == 0, shown
    assert f"Classified: by {workflow.environments} (extra var environments_file)" in shown
    assert workflow.parameter_values() == {"/harmless/a": "v1"}

    # from the environment variable: the operator's environment decides, and the screen says so
    plan = workflow.write_plan("from-env", [("Config", [put_param("put_b", "/harmless/b")])])
    env = as_a_user(workflow, COWORKER_AWS_ENVIRONMENTS=str(workflow.environments))
    result = run_playbook([EXECUTE, "-e", f"plan={plan.path}", "-e", f"state_dir={workflow.state_dir}",
                           "-e", f"approve={plan.digest}"], env, workflow.tmp)
    shown = unwrapped(output_of(result))
    assert result.returncode == 0, shown
    assert f"Classified: by {workflow.environments} (environment variable COWORKER_AWS_ENVIRONMENTS)" in shown


def test_host_vars_of_a_wave_target_added_by_the_playbook_stop_the_wave_before_any_change(workflow):
    """execute_targets.yml adds one host per target (add_host) after verifying them; host_vars named after a target
    outrank add_host. The first task of the run that answers for every target refuses them: no target changes."""
    plan = workflow.write_plan("wave-host-vars", [("Config", [put_param("put_a", "/wave/a")])])
    document = yaml.safe_load(plan.path.read_text())
    document["targets"] = [document.pop("target")]
    document["approval"] = approval_block(document, "tester@example.com")  # the digest leaves approval out
    plan.path.write_text(yaml.safe_dump(document, sort_keys=False))
    inventory = local_inventory(workflow.tmp / "inv")
    path = write(workflow.tmp / "inv" / "host_vars" / f"{ACCOUNT}-us-east-1.yml", {"coworker_wave_token": "0" * 64})
    with workflow.moto.recording() as calls:
        result = run_playbook([TARGETS, "-i", inventory, *workflow.common_args(
            "-e", f"plan={plan.path}", "-e", f"approve={document['approval']['plan_sha256']}")],
            as_a_user(workflow), workflow.tmp)
    refused(result, f"coworker_wave_token is set in {path} (host {ACCOUNT}-us-east-1)")
    assert [key for key in call_keys(calls) if key[0] != "sts" and key != ("iam", "ListAccountAliases")] == []
    assert workflow.parameter_values() == {}
