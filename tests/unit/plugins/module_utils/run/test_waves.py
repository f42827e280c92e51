"""What a wave decides: its targets, whether the next one starts, all or nothing, its checkpoint, its end.
Every branch of run/waves.py."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.run import waves

KEYS = ["111111111111-us-east-1", "222222222222-us-east-1", "333333333333-us-east-1"]
LOADED = {"path": "/plans/p.yml", "sha256": "a" * 64,
          "plan": {"id": "p", "targets": [{"key": key} for key in KEYS]}}
SEGMENT = {"index": 1, "checkpoint": "phase"}


def rollup(failed_in_pass=0, failed=0, status="running"):
    return {"failed_in_pass": failed_in_pass, "failed": failed, "status": status}


def test_without_an_inventory_of_targets_the_wave_is_every_target_of_the_plan():
    assert waves.inventory_targets({}, ["localhost"], ["/etc/ansible/hosts"]) == ([], [])
    assert waves.wave_keys(LOADED, None, [], []) == KEYS


def test_an_inventory_selects_its_hosts_and_a_reopened_wave_keeps_its_own():
    inventory, selected = waves.inventory_targets({waves.GROUP: KEYS}, ["localhost", KEYS[2], KEYS[0]], [])
    assert (inventory, selected) == (KEYS, [KEYS[0], KEYS[2]])
    assert waves.wave_keys(LOADED, None, inventory, selected) == [KEYS[0], KEYS[2]]
    assert waves.wave_keys(LOADED, [{"target": KEYS[1]}], inventory, selected) == [KEYS[1]]


def test_an_inventory_of_targets_that_added_no_host_is_refused_naming_it():
    with pytest.raises(RunError, match="the inventory source p.coworker_targets.yml added no target"):
        waves.inventory_targets({}, ["localhost"], ["p.coworker_targets.yml"])


def test_a_run_that_selects_none_of_the_inventorys_targets_is_refused():
    with pytest.raises(RunError, match="has 3 targets in group coworker_wave_targets and this run selects none"):
        waves.inventory_targets({waves.GROUP: KEYS}, ["localhost"], [])


def test_hosts_that_are_not_targets_of_the_plan_or_an_inventory_of_another_digest_are_refused():
    with pytest.raises(RunError, match="selects 999999999999-us-east-1, not a target of plan p"):
        waves.check_inventory(LOADED, [KEYS[0], "999999999999-us-east-1"], None)
    with pytest.raises(RunError, match="built from the plan with digest b+, but the plan run has digest a+"):
        waves.check_inventory(LOADED, KEYS, "b" * 64)
    waves.check_inventory(LOADED, KEYS, "a" * 64)


@pytest.mark.parametrize("row_next, failed, purpose, stopped, start", [
    ("start", 0, "run", False, True),
    ("skip", 0, "run", False, False),  # nothing for it in this pass
    ("start", 2, "run", False, False),  # more than max_errors (1) failed in this pass
    ("start", 1, "run", False, True),
    ("resume", 0, "resume", True, False),  # a person stopped the wave at a checkpoint
    ("rollback", 5, "rollback", True, True),  # a rollback goes on through every target
])
def test_may_a_target_start(row_next, failed, purpose, stopped, start):
    assert waves.may_start({"next": row_next}, rollup(failed_in_pass=failed), purpose, 1, stopped) is start


def test_stopped_by_a_person_is_read_from_the_rows():
    assert waves.stopped_by_person([{"stopped_by_person": False}, {"stopped_by_person": True}])
    assert not waves.stopped_by_person([{}, {"stopped_by_person": False}])
    # a resume of the wave goes on from the stop of its earlier pass: that one counts only once the run moved on
    earlier = {"target": "a", "stopped_by_person": True, "history": ["aborted"]}
    assert not waves.stopped_by_person([earlier], {"a": 1})
    assert waves.stopped_by_person([dict(earlier, history=["aborted", "aborted"])], {"a": 1})


@pytest.mark.parametrize("status, failed, purpose, all_or_nothing, due", [
    ("succeeded", 1, "run", True, True),
    ("succeeded", 0, "run", True, False),  # nothing failed: keep everything
    ("rolled_back", 1, "run", True, False),  # the failed one was rolled back by its own run
    ("succeeded", 1, "run", False, False),
    ("succeeded", 1, "rollback", True, False),
])
def test_all_or_nothing_undoes_the_targets_already_done_once_one_failed(status, failed, purpose, all_or_nothing, due):
    assert waves.undo_due({"status": status}, rollup(failed=failed), purpose, all_or_nothing) is due


@pytest.mark.parametrize("segment, purpose, checkpoints, here, due", [
    (SEGMENT, "run", True, ["t1"], True),
    (dict(SEGMENT, index=0), "run", True, ["t1"], False),  # the phase just approved
    ({"index": 0, "checkpoint": "destructive"}, "run", True, ["t1"], True),
    (SEGMENT, "run", False, ["t1"], False),  # a token approved the wave: nobody to ask
    (SEGMENT, "rollback", True, ["t1"], False),
    (SEGMENT, "run", True, [], False),  # every target of the batch has stopped
])
def test_the_wave_checkpoint_is_held_only_when_it_has_someone_to_ask_and_something_to_stop(
        segment, purpose, checkpoints, here, due):
    assert waves.checkpoint_due(segment, purpose, checkpoints, here) is due


COMMANDS = {"resume": "ansible-playbook execute_targets.yml -e resume=w1",
            "rollback": "ansible-playbook rollback_run.yml -e wave=w1"}


def test_the_verdict_of_a_wave():
    assert waves.verdict(rollup(status="succeeded"), "run", False, COMMANDS) == (True, [])
    assert waves.verdict(rollup(status="rolled_back"), "rollback", False, COMMANDS) == (True, [])
    ok, lines = waves.verdict(rollup(status="failed"), "run", False, COMMANDS)
    assert not ok and lines == ["The wave did not complete.", "Resume:    " + COMMANDS["resume"],
                                "Roll back: " + COMMANDS["rollback"]]
    ok, lines = waves.verdict(rollup(status="stopped"), "run", True, COMMANDS)
    assert not ok and lines[0] == "Stopped at the wave checkpoint, as you chose: nothing after it ran on any target."
    assert waves.verdict(rollup(status="failed"), "rollback", False, COMMANDS) == (False, [])
    assert waves.verdict(rollup(status="partial"), "run", False, COMMANDS, check_mode=True) == (False, [])
