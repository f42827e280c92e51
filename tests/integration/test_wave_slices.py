# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Slices of a wave: an inventory of the plan's targets (coworker.aws.plan_targets) cut with --limit as an AWX job
slice cuts it. Each slice is a wave of its own (report, resume, rollback) over exactly its targets, and every target
of the plan is still verified first: one production account in the plan refuses every slice."""

from __future__ import annotations

import json
import subprocess

import yaml

from moto_harness import REPO_ROOT, ansible_bin, call_keys, mutating_calls, output_of, run_playbook
from test_targets_wave import ACCOUNTS, ENVIRONMENTS, HUB, PRODUCTION, parameters, write_plan

EXECUTE = REPO_ROOT / "playbooks" / "execute_targets.yml"
ROLLBACK = REPO_ROOT / "playbooks" / "rollback_run.yml"
FOUR = ["%s-us-east-1" % a for a in ACCOUNTS[:4]]


def inventory(folder, plan="plan.yml"):
    """The inventory source a user (or an AWX inventory source) points at: the plan relative to the file."""
    path = folder / "wave.coworker_targets.yml"
    path.write_text("plugin: coworker.aws.plan_targets\nplan: %s\n" % plan)
    return path


def without_our_cfg(env, folder):
    """As a user runs it: no ansible.cfg of ours, the collection on the collections path, plugins as by default."""
    cfg = folder / "empty.cfg"
    cfg.write_text("")
    env.update(ANSIBLE_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"))
    return env


def slice_run(aws_env, folder, playbook, *extra, cfg=False):
    (folder / "environments.yml").write_text(ENVIRONMENTS)
    args = [playbook, "-e", "environments_file=%s" % (folder / "environments.yml"),
            "-e", "state_dir=%s" % (folder / "state"), "-f", "4", *extra]
    env = aws_env.env(profile=HUB)
    return run_playbook(args, without_our_cfg(env, folder) if cfg else env, folder, timeout=300)


def wave(folder, wave_id, name="report"):
    return json.loads((folder / "state" / "waves" / wave_id / ("%s.json" % name)).read_text())


def markers(aws_env, accounts):
    return {account: sorted(parameters(aws_env, account, "us-east-1")) for account in accounts}


def test_two_slices_of_the_inventory_are_two_waves_each_of_exactly_its_targets(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    _plan, digest = write_plan(tmp_path, ACCOUNTS[:4], ["us-east-1"])
    source = inventory(tmp_path)
    # slice 1: the plan comes from the inventory source (no -e plan), as in an AWX job template
    first = slice_run(aws_env, tmp_path, EXECUTE, "-i", source, "--limit", ",".join(FOUR[:2]), "-e", "approve=%s" % digest,
                      "-e", "wave_id=w1")
    assert first.returncode == 0, output_of(first)
    both = ["/baseline/marker", "/baseline/owner"]
    assert markers(aws_env, ACCOUNTS[:4]) == dict(zip(ACCOUNTS[:4], [both, both, [], []]))
    report = wave(tmp_path, "w1")
    assert [r["target"] for r in report["rows"]] == FOUR[:2] and report["targets"] == FOUR[:2]
    assert report["rollup"]["progress"] == "targets: 2 done, 0 running, 0 failed, 0 waiting"
    assert "This wave runs 2 of the plan's 4 targets" in (tmp_path / "state" / "waves" / "w1" / "report.md").read_text()
    # every target of the plan was verified, only the slice's ran
    assert all("  %s: sandbox, account %s verified" % (key, key.split("-")[0]) in first.stdout for key in FOUR), \
        first.stdout
    assert not (tmp_path / "state" / "runs" / ("w1-" + FOUR[2])).exists()

    # slice 2, run as a user without our ansible.cfg: the other two targets, its own wave
    second = slice_run(aws_env, tmp_path, EXECUTE, "-i", source, "--limit", ",".join(FOUR[2:]), "-e", "approve=%s" % digest,
                       "-e", "wave_id=w2", "-e", "plan=plan.yml", cfg=True)
    assert second.returncode == 0, output_of(second)
    assert markers(aws_env, ACCOUNTS[:4]) == dict.fromkeys(ACCOUNTS[:4], both)
    assert [r["target"] for r in wave(tmp_path, "w2")["rows"]] == FOUR[2:]
    assert [r["target"] for r in wave(tmp_path, "w1")["rows"]] == FOUR[:2]  # slice 1's report is its own

    # a resume may not change the wave's targets: the other slice's hosts are refused before anything runs
    mixed = slice_run(aws_env, tmp_path, EXECUTE, "-i", source, "--limit", FOUR[2], "-e", "resume=w1",
                      "-e", "approve=%s" % digest)
    assert mixed.returncode == 2 and "this wave ran %s, %s, but the inventory selects %s" % (FOUR[0], FOUR[1], FOUR[2]) \
        in output_of(mixed), output_of(mixed)
    assert not (tmp_path / "state" / "waves" / "w1" / "report-resume-1.json").exists()

    # the rollback of slice 1's wave (no inventory: the wave's recorded targets) undoes exactly its two targets
    rolled = slice_run(aws_env, tmp_path, ROLLBACK, "-e", "wave=w1", "-e", "approve=%s" % digest)
    assert rolled.returncode == 0, output_of(rolled)
    assert markers(aws_env, ACCOUNTS[:4]) == dict(zip(ACCOUNTS[:4], [[], [], both, both]))
    assert [r["status"] for r in wave(tmp_path, "w1", "report-rollback-1")["rows"]] == ["rolled_back"] * 2


def test_a_production_account_in_the_plan_refuses_a_slice_that_does_not_contain_it(aws_env, clean_moto, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    _plan, digest = write_plan(tmp_path, ACCOUNTS[:2] + [PRODUCTION], ["us-east-1"])
    with clean_moto.recording() as calls:
        result = slice_run(aws_env, tmp_path, EXECUTE, "-i", inventory(tmp_path), "--limit", FOUR[0],
                           "-e", "approve=%s" % digest, cfg=True)
    assert result.returncode == 2, output_of(result)
    assert "production" in result.stdout and "STOPPING" in result.stdout
    assert [c for c in mutating_calls(calls) if c != ("sts", "AssumeRole")] == []
    assert not (tmp_path / "state").exists()
    assert markers(aws_env, ACCOUNTS[:2]) == dict.fromkeys(ACCOUNTS[:2], [])


def test_an_inventory_host_that_is_not_a_target_of_the_plan_is_refused(aws_env, clean_moto, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    plan, digest = write_plan(tmp_path, ACCOUNTS[:2], ["us-east-1"])
    stray = "%s-us-east-1" % ACCOUNTS[5]
    static = tmp_path / "hosts.yml"  # a user's own inventory with the group, one host not of this plan
    static.write_text(yaml.safe_dump({"coworker_wave_targets": {"hosts": {FOUR[0]: {}, stray: {}},
                                                                "vars": {"ansible_connection": "local"}}}))
    with clean_moto.recording() as calls:
        result = slice_run(aws_env, tmp_path, EXECUTE, "-i", static, "-e", "plan=%s" % plan, "-e", "approve=%s" % digest)
    assert result.returncode == 2, output_of(result)
    assert "the inventory selects %s, not a target of plan wave-baseline" % stray in output_of(result)
    assert call_keys(calls) == [] and not (tmp_path / "state").exists()  # refused before any AWS call
    # an inventory of targets of which this run selects none is not "every target of the plan"
    static.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}},
                                      "coworker_wave_targets": {"hosts": {FOUR[0]: {}, FOUR[1]: {}}}}))
    none = slice_run(aws_env, tmp_path, EXECUTE, "-i", static, "--limit", "localhost", "-e", "plan=%s" % plan,
                     "-e", "approve=%s" % digest)
    assert none.returncode == 2 and "this run selects none of them" in output_of(none), output_of(none)
    assert not (tmp_path / "state").exists()


def test_the_inventory_of_a_tampered_plan_fails_naming_the_files_and_the_playbook_refuses(aws_env, clean_moto, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    plan, digest = write_plan(tmp_path, ACCOUNTS[:2], ["us-east-1"])
    plan.write_text(plan.read_text().replace("Baseline markers", "Baseline markers, edited"))
    source = inventory(tmp_path)
    env = without_our_cfg(aws_env.env(profile=HUB), tmp_path)
    listed = subprocess.run([str(ansible_bin("ansible-inventory")), "-i", str(source), "--list"], env=env, cwd=str(tmp_path),
                            capture_output=True, text=True, timeout=120, check=False)
    assert "%s: the plan does not load or verify" % source in listed.stderr, listed.stderr
    assert "%s: approval.plan_sha256: the plan changed after approval" % plan in listed.stderr
    assert json.loads(listed.stdout)["_meta"]["hostvars"] == {}  # no host at all
    with clean_moto.recording() as calls:
        result = slice_run(aws_env, tmp_path, EXECUTE, "-i", source, "-e", "plan=%s" % plan, "-e", "approve=%s" % digest)
    assert result.returncode == 2, output_of(result)
    assert "the inventory source %s added no target" % source in output_of(result)
    assert call_keys(calls) == []  # refused before any AWS call
    assert not (tmp_path / "state").exists()
