# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checkpoints across a wave: every target finishes a phase, one question is asked for all of them on a real
terminal, then the next phase starts everywhere (or nowhere). A stopped wave is resumed from another
directory with the user's plan file gone: the wave runs from its own copy of the approved bytes."""

from __future__ import annotations

import json
import re

import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import REPO_ROOT, output_of, run_playbook, spawn_playbook
from test_targets_wave import ACCOUNTS, ENVIRONMENTS, HUB, marker_step, parameters
from test_wave_passes import ssm_in
from workflow_support import expect, finish, kill_tree, unwrapped

PLAYBOOK = REPO_ROOT / "playbooks" / "execute_targets.yml"
QUESTION = "Continue on all"


def write_plan(folder, accounts):
    """Two phases (markers, then owners) on one region of each account."""
    doc = {"format": "coworker.aws/plan-v1", "id": "wave-phases", "name": "Two phases",
           "created": "2026-11-23T10:00:00Z", "target": {"environment": "sandbox", "profile": HUB},
           "targets": [{"account_id": a, "region": "us-east-1", "role_arn": "arn:aws:iam::%s:role/Deployer" % a}
                       for a in accounts],
           "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:01:00Z", "findings": []},
           "phases": [{"name": "Markers", "steps": [marker_step("put_marker", "/baseline/marker")]},
                      {"name": "Owners", "steps": [marker_step("put_owner", "/baseline/owner")]}]}
    doc["approval"] = approval_block(doc, "tester@example.com")
    (folder / "plans").mkdir()
    (folder / "plans" / "plan.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (folder / "environments.yml").write_text(ENVIRONMENTS)
    return doc["approval"]["plan_sha256"]


def spawn_wave(aws_env, folder, *extra, cfg=None):
    """The wave on a real terminal from ``folder`` with a RELATIVE plan path, as a person types it."""
    args = [PLAYBOOK, "-e", "plan=plans/plan.yml", "-e", "environments_file=%s" % (folder / "environments.yml"),
            "-e", "state_dir=%s" % (folder / "state"), "-e", "wave_id=w1", "-f", "4", *extra]
    env = aws_env.env(profile=HUB)
    if cfg:  # as a user runs it: no ansible.cfg of ours, the collection found on the collections path
        env.update(ANSIBLE_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"))
    return spawn_playbook(args, env, folder)


def names_in(aws_env, accounts):
    return {account: sorted(parameters(aws_env, account, "us-east-1")) for account in accounts}


def checkpoint_events(folder, account):
    journal = folder / "state" / "runs" / ("w1-%s-us-east-1" % account) / "journal.jsonl"
    return [e for e in map(json.loads, journal.read_text().splitlines()) if e.get("event") == "checkpoint"]


def wave_report(folder, name="report"):
    return json.loads((folder / "state" / "waves" / "w1" / ("%s.json" % name)).read_text())


def test_every_target_finishes_the_phase_then_one_question_goes_on_everywhere(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    accounts = ACCOUNTS[:3]
    write_plan(tmp_path, accounts)
    cfg = tmp_path / "empty.cfg"
    cfg.write_text("")  # users do not have our ansible.cfg
    child = spawn_wave(aws_env, tmp_path, cfg=cfg)
    try:
        expect(child, "on 3 targets? (yes/no)")
        child.sendline("yes")
        expect(child, QUESTION)
        # the barrier: phase 1 is done in every account and phase 2 has started in none
        assert names_in(aws_env, accounts) == {a: ["/baseline/marker"] for a in accounts}
        screen = child.logfile_read.getvalue()
        assert 'WAVE CHECKPOINT: phase 2 "Owners" starts, on 3 targets:' in screen
        assert ", ".join("%s-us-east-1" % a for a in accounts) in screen
        assert "put_owner: aws ssm put-parameter --name /baseline/owner" in screen
        assert "Continue on all 3 targets? (yes/no)" in screen
        child.sendline("yes")
        status, transcript = finish(child)
    finally:
        kill_tree(child)
    assert status == 0, transcript
    assert transcript.count("WAVE CHECKPOINT") == 1  # one question for the wave, not one per target
    assert names_in(aws_env, accounts) == {a: ["/baseline/marker", "/baseline/owner"] for a in accounts}
    assert wave_report(tmp_path)["rollup"]["progress"] == "targets: 3 done, 0 running, 0 failed, 0 waiting"
    for account in accounts:  # each target's own journal records the person's answer
        assert [(e["answer"], e["wave"], e["segment"]) for e in checkpoint_events(tmp_path, account)] == [("yes", True, 1)]


def test_no_at_the_wave_checkpoint_stops_every_target_and_the_wave_resumes_elsewhere_from_its_own_copy(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    accounts = ACCOUNTS[:3]
    digest = write_plan(tmp_path, accounts)
    child = spawn_wave(aws_env, tmp_path)
    try:
        expect(child, "on 3 targets? (yes/no)")
        child.sendline("yes")
        expect(child, QUESTION)
        child.sendline("no")
        status, transcript = finish(child)
    finally:
        kill_tree(child)
    assert status == 2, transcript  # the person chose to stop: the wave did not complete (docs/waves.md, exit code 2)
    assert "Stopped at the wave checkpoint, as you chose: nothing after it ran on any target." in transcript
    resume = re.search(r"Resume: (ansible-playbook \S+/execute_targets.yml -e resume=w1 [^']*)'", unwrapped(transcript))
    assert resume, transcript
    resume = resume.group(1)
    assert "state_dir=%s" % (tmp_path / "state") in resume
    assert names_in(aws_env, accounts) == {a: ["/baseline/marker"] for a in accounts}
    report = wave_report(tmp_path)
    assert report["rollup"]["status"] == "stopped"
    assert report["rollup"]["progress"] == "targets: 0 done, 0 running, 0 failed, 3 stopped, 0 waiting"
    assert [r["steps_completed"] for r in report["rows"]] == [1, 1, 1]

    # the user's plan file is gone and the resume runs from another directory: the wave's copy is what runs
    (tmp_path / "plans" / "plan.yml").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_playbook([PLAYBOOK, "-e", "resume=w1", "-e", "approve=%s" % digest,
                           "-e", "environments_file=%s" % (tmp_path / "environments.yml"),
                           "-e", "state_dir=%s" % (tmp_path / "state"), "-f", "4"],
                          aws_env.env(profile=HUB), elsewhere, timeout=600)
    assert result.returncode == 0, output_of(result)
    assert "WAVE CHECKPOINT" not in result.stdout  # a token approved this pass: nobody is there to answer
    assert names_in(aws_env, accounts) == {a: ["/baseline/marker", "/baseline/owner"] for a in accounts}
    resumed = wave_report(tmp_path, "report-resume-1")
    assert resumed["rollup"]["progress"] == "targets: 3 done, 0 running, 0 failed, 0 waiting"
    assert resumed["plan_path"] == str(tmp_path / "plans" / "plan.yml")  # shown as given; gone, the copy ran
    copy = tmp_path / "state" / "waves" / "w1" / "approved-plan.yml"
    assert copy.stat().st_mode & 0o077 == 0


def test_with_concurrency_a_no_in_the_first_batch_starts_no_other_batch(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    accounts = ACCOUNTS[:3]
    write_plan(tmp_path, accounts)
    child = spawn_wave(aws_env, tmp_path, "-e", "concurrency=2", "-e", "max_errors=5")
    try:
        expect(child, "on 3 targets? (yes/no)")
        child.sendline("yes")
        expect(child, QUESTION)
        assert "Continue on all 2 targets? (yes/no)" in child.logfile_read.getvalue()  # the checkpoint is per batch
        child.sendline("no")
        status, transcript = finish(child)
    finally:
        kill_tree(child)
    assert status == 2, transcript  # stopped at the checkpoint: every end but success exits 2 (docs/waves.md)
    assert transcript.count("WAVE CHECKPOINT") == 1
    assert names_in(aws_env, accounts) == {accounts[0]: ["/baseline/marker"], accounts[1]: ["/baseline/marker"],
                                           accounts[2]: []}
    rows = {r["target"]: r["status"] for r in wave_report(tmp_path)["rows"]}
    assert rows == {"%s-us-east-1" % accounts[0]: "aborted", "%s-us-east-1" % accounts[1]: "aborted",
                    "%s-us-east-1" % accounts[2]: "not_started"}


def test_a_target_that_failed_in_the_phase_is_named_at_the_checkpoint_and_does_not_go_on(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    accounts = ACCOUNTS[:3]
    write_plan(tmp_path, accounts)
    ssm_in(aws_env, accounts[1]).put_parameter(Name="/baseline/marker", Value="theirs", Type="String")  # the fault
    child = spawn_wave(aws_env, tmp_path)
    try:
        expect(child, "on 3 targets? (yes/no)")
        child.sendline("yes")
        expect(child, QUESTION)
        screen = unwrapped(child.logfile_read.getvalue())
        assert 'phase 2 "Owners" starts, on 2 targets: %s-us-east-1, %s-us-east-1 ' % (accounts[0], accounts[2]) in screen
        assert "Not going on (stopped earlier or not started in this batch): %s-us-east-1 (rolled back)" % accounts[1] \
            in screen
        child.sendline("yes")
        status, transcript = finish(child)
    finally:
        kill_tree(child)
    assert status == 2, transcript  # one target failed: the wave did not complete
    assert names_in(aws_env, accounts) == {accounts[0]: ["/baseline/marker", "/baseline/owner"],
                                           accounts[1]: ["/baseline/marker"],  # its own, left alone
                                           accounts[2]: ["/baseline/marker", "/baseline/owner"]}
    assert parameters(aws_env, accounts[1], "us-east-1")["/baseline/marker"] == "theirs"
    assert checkpoint_events(tmp_path, accounts[1]) == []  # it never reached the checkpoint
    assert wave_report(tmp_path)["rollup"]["progress"] == "targets: 2 done, 0 running, 1 failed, 0 waiting"
