"""The resume and rollback commands a run prints name the playbook as it was run and carry
every non-default option, shell-quoted."""

from __future__ import annotations

import json
import shlex

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.followup import (
    closing_line, followup_commands, playbook_pair, wave_commands)


@pytest.mark.parametrize("invoked, pair", [
    (["playbooks/execute_nonprod.yml"], ("playbooks/execute_nonprod.yml", "playbooks/rollback_run.yml")),
    (["/opt/c/playbooks/rollback_run.yml"], ("/opt/c/playbooks/execute_nonprod.yml", "/opt/c/playbooks/rollback_run.yml")),
    (["execute_nonprod.yaml"], ("execute_nonprod.yaml", "rollback_run.yaml")),
    (["coworker.aws.execute_nonprod"], ("coworker.aws.execute_nonprod", "coworker.aws.rollback_run")),
    (["site/deploy.yml"], ("coworker.aws.execute_nonprod", "coworker.aws.rollback_run")),  # the role in a user's playbook
    ([], ("coworker.aws.execute_nonprod", "coworker.aws.rollback_run")),
])
def test_the_playbook_is_named_as_it_was_run(invoked, pair):
    assert playbook_pair(invoked) == pair


def test_defaults_are_left_out_and_everything_else_is_repeated_quoted():
    commands = followup_commands(["playbooks/execute_nonprod.yml"], "R-1", {
        "state_dir": "/tmp/my state", "plans_dir": "plans", "environments_file": "envs.yml",
        "aws_profile": "sandbox-a"})
    assert shlex.split(commands["resume"]) == [
        "ansible-playbook", "playbooks/execute_nonprod.yml", "-e", "resume=R-1", "-e", "state_dir=/tmp/my state",
        "-e", "environments_file=envs.yml", "-e", "aws_profile=sandbox-a"]
    assert shlex.split(commands["rollback"])[:4] == ["ansible-playbook", "playbooks/rollback_run.yml", "-e", "run=R-1"]
    assert "'state_dir=/tmp/my state'" in commands["resume"]


def test_only_defaults_gives_the_short_commands():
    commands = followup_commands(["coworker.aws.execute_nonprod"], "R", {"state_dir": ".coworker", "plans_dir": "plans",
                                                                         "environments_file": "", "aws_profile": ""})
    assert commands == {"resume": "ansible-playbook coworker.aws.execute_nonprod -e resume=R",
                        "rollback": "ansible-playbook coworker.aws.rollback_run -e run=R"}


def test_a_state_backend_mapping_is_repeated_as_json_extra_vars():
    backend = {"type": "s3", "bucket": "coworker-state", "region": "eu-west-1", "account_id": "222233334444"}
    commands = followup_commands(["playbooks/execute_nonprod.yml"], "r1", {"state_backend": backend})
    words = shlex.split(commands["rollback"])
    assert words[:4] == ["ansible-playbook", "playbooks/rollback_run.yml", "-e", "run=r1"]
    assert words[4] == "-e" and json.loads(words[5]) == {"state_backend": backend}
    assert followup_commands([], "r1", {"state_backend": ""})["resume"].endswith("-e resume=r1")


@pytest.mark.parametrize("invoked, waves, rollback", [
    (["/c/playbooks/execute_targets.yml"], "/c/playbooks/execute_targets.yml", "/c/playbooks/rollback_run.yml"),
    (["playbooks/rollback_run.yml"], "playbooks/execute_targets.yml", "playbooks/rollback_run.yml"),
    (["coworker.aws.execute_targets"], "coworker.aws.execute_targets", "coworker.aws.rollback_run"),
])
def test_a_waves_commands_name_its_playbooks_as_they_were_run(invoked, waves, rollback):
    commands = wave_commands(invoked, "w1", {"state_dir": "/s"})
    assert shlex.split(commands["resume"]) == ["ansible-playbook", waves, "-e", "resume=w1", "-e", "state_dir=/s"]
    assert shlex.split(commands["rollback"]) == ["ansible-playbook", rollback, "-e", "wave=w1", "-e", "state_dir=/s"]


COMMANDS = {"resume": "ansible-playbook x.yml -e resume=R", "rollback": "ansible-playbook y.yml -e run=R"}


@pytest.mark.parametrize("status, left, dry_run, with_commands", [
    ("succeeded", True, False, False),
    ("rolled_back", True, False, False),  # nothing left to undo
    ("partial", True, False, True),
    ("failed", False, False, True),
    ("aborted", True, False, True),
    ("refused", True, False, True),  # a refused step after a create: how to undo it
    ("refused", False, False, False),  # refused before anything changed
    ("not_approved", False, False, False),
    ("failed", True, True, False),  # a dry run changed nothing
])
def test_the_closing_line_carries_the_commands_whenever_something_is_left(status, left, dry_run, with_commands):
    line = closing_line("Run R: X", status, COMMANDS, dry_run, left)
    assert line == ("Run R: X — resume: %s — roll back: %s" % (COMMANDS["resume"], COMMANDS["rollback"])
                    if with_commands else "Run R: X")
