# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A wave after its first pass: resumed (execute_targets.yml -e resume=<wave>), rolled back for every target
(rollback_run.yml -e wave=<wave>), or undone as a whole when one target fails (-e all_or_nothing=true).
Each pass writes its own wave report beside the first one, never over it."""

from __future__ import annotations

import json

import boto3
import botocore.session
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import REPO_ROOT, account_snapshot, output_of, run_playbook
from test_targets_wave import ACCOUNTS, ENVIRONMENTS, HUB, parameters, run_wave, write_plan

EXECUTE = REPO_ROOT / "playbooks" / "execute_targets.yml"
ROLLBACK = REPO_ROOT / "playbooks" / "rollback_run.yml"
FOUR = ["%s-us-east-1" % a for a in ACCOUNTS[:4]]


def target_session(aws_env, account, region="us-east-1"):
    """boto3 in one target account (a role assumed from the hub), for snapshots."""
    creds = aws_env.boto3_session(HUB).client("sts").assume_role(
        RoleArn="arn:aws:iam::%s:role/Check" % account, RoleSessionName="check")["Credentials"]
    core = botocore.session.Session()
    core.get_component("config_store").set_config_variable("endpoint_url", aws_env.endpoint_url)
    core.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    core.set_config_variable("region", region)
    return boto3.Session(botocore_session=core)


def snapshots(aws_env, accounts=ACCOUNTS[:4]):
    return {account: account_snapshot(target_session(aws_env, account)) for account in accounts}


def ssm_in(aws_env, account):
    return target_session(aws_env, account).client("ssm")


def reopen(aws_env, tmp_path, playbook, *extra, digest):
    args = [playbook, "-e", "approve=%s" % digest, "-e", "environments_file=%s" % (tmp_path / "environments.yml"),
            "-e", "state_dir=%s" % (tmp_path / "state"), "-f", "4", *extra]
    return run_playbook(args, aws_env.env(profile=HUB), tmp_path, timeout=600)


def wave_pass(tmp_path, name="report"):
    return json.loads((tmp_path / "state" / "waves" / "w1" / ("%s.json" % name)).read_text())


def statuses(report):
    return {r["target"]: r["status"] for r in report["rows"]}


def test_a_failed_wave_resumed_completes_the_rest_then_a_wave_rollback_restores_every_account(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    (tmp_path / "environments.yml").write_text(ENVIRONMENTS)
    plan, digest = write_plan(tmp_path, ACCOUNTS[:4], ["us-east-1"])
    before = snapshots(aws_env)
    ssm_in(aws_env, ACCOUNTS[0]).put_parameter(Name="/baseline/owner", Value="keep", Type="String")  # the fault
    result, _seconds = run_wave(aws_env, tmp_path, plan, digest, "-e", "concurrency=2", "-e", "max_errors=0")
    assert result.returncode == 2, output_of(result)
    first = wave_pass(tmp_path)
    assert statuses(first) == dict(zip(FOUR, ["rolled_back", "succeeded", "not_started", "not_started"]))

    ssm_in(aws_env, ACCOUNTS[0]).delete_parameter(Name="/baseline/owner")  # the cause is fixed
    resumed = reopen(aws_env, tmp_path, EXECUTE, "-e", "resume=w1", digest=digest)
    assert resumed.returncode == 0, output_of(resumed)
    for account in ACCOUNTS[:4]:
        mine = "%s/us-east-1" % account
        assert parameters(aws_env, account, "us-east-1") == {"/baseline/marker": mine, "/baseline/owner": mine}
    report = wave_pass(tmp_path, "report-resume-1")
    assert report["rollup"]["progress"] == "targets: 4 done, 0 running, 0 failed, 0 waiting"
    assert [r["history"] for r in report["rows"]] == [["rolled_back", "succeeded"], ["succeeded"], ["succeeded"],
                                                      ["succeeded"]]
    assert wave_pass(tmp_path) == first  # the first pass's report is never written over
    assert "Wave w1: SUCCEEDED (resume 1)" in (tmp_path / "state" / "waves" / "w1" / "report-resume-1.md").read_text()
    # the done target was not run again: its run has one pass only
    assert not list((tmp_path / "state" / "runs" / ("w1-" + FOUR[1])).glob("report-resume-*"))

    rolled = reopen(aws_env, tmp_path, ROLLBACK, "-e", "wave=w1", digest=digest)
    assert rolled.returncode == 0, output_of(rolled)
    assert snapshots(aws_env) == before
    assert all(parameters(aws_env, a, "us-east-1") == {} for a in ACCOUNTS[:4])
    report = wave_pass(tmp_path, "report-rollback-1")
    assert statuses(report) == dict.fromkeys(FOUR, "rolled_back")
    assert report["rollup"]["progress"] == "targets: 4 rolled back, 0 running, 0 not rolled back, 0 never started"
    assert report["rows"][1]["note"] == "done, then rolled back"
    assert wave_pass(tmp_path, "report-resume-1")["rollup"]["done"] == 4

    again = reopen(aws_env, tmp_path, ROLLBACK, "-e", "wave=w1", digest=digest)  # nothing left to roll back
    assert again.returncode == 0, output_of(again)
    assert [r["next"] for r in wave_pass(tmp_path, "report-rollback-2")["rows"]] == ["skip"] * 4
    assert not list((tmp_path / "state" / "runs").glob("*/report-rollback-2.json"))


def test_a_wave_that_is_not_there_or_whose_plan_changed_is_refused_and_nothing_changes(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    (tmp_path / "environments.yml").write_text(ENVIRONMENTS)
    missing = reopen(aws_env, tmp_path, ROLLBACK, "-e", "wave=w1", digest="0" * 64)
    assert missing.returncode == 2 and "no wave 'w1'" in output_of(missing), output_of(missing)
    plan, digest = write_plan(tmp_path, ACCOUNTS[:2], ["us-east-1"])
    result, _seconds = run_wave(aws_env, tmp_path, plan, digest)
    assert result.returncode == 0, output_of(result)
    again, _seconds = run_wave(aws_env, tmp_path, plan, digest)  # a new wave may not take an existing wave's id
    assert again.returncode == 2 and "wave w1 already exists" in output_of(again), output_of(again)
    # the wave runs from its own copy of the approved bytes: the user's file edited (and approved again) or gone
    # changes nothing; a copy that is not the wave's, or no copy, is refused before anything runs
    copy = tmp_path / "state" / "waves" / "w1" / "approved-plan.yml"
    edited_doc = yaml.safe_load(copy.read_text())
    edited_doc["name"] = "Baseline markers, edited"
    edited_doc["approval"] = approval_block(edited_doc, "tester@example.com")
    copy.write_text(yaml.safe_dump(edited_doc, sort_keys=False))
    edited = reopen(aws_env, tmp_path, ROLLBACK, "-e", "wave=w1", digest=digest)
    assert edited.returncode == 2 and "does not have the wave's digest" in output_of(edited), output_of(edited)
    copy.unlink()
    gone = reopen(aws_env, tmp_path, ROLLBACK, "-e", "wave=w1", digest=digest)
    assert gone.returncode == 2 and "the approved copy of the plan of wave w1 is missing" in output_of(gone), output_of(gone)
    assert sorted(p.name for p in (tmp_path / "state" / "waves" / "w1").iterdir()) == ["report.json", "report.md"]
    mine = "%s/us-east-1" % ACCOUNTS[0]
    assert parameters(aws_env, ACCOUNTS[0], "us-east-1") == {"/baseline/marker": mine, "/baseline/owner": mine}


def test_all_or_nothing_rolls_back_the_targets_already_done_and_the_report_says_which_is_which(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    plan, digest = write_plan(tmp_path, ACCOUNTS[:4], ["us-east-1"])
    ssm_in(aws_env, ACCOUNTS[2]).put_parameter(Name="/baseline/owner", Value="keep", Type="String")  # the fault
    before = snapshots(aws_env)
    result, _seconds = run_wave(aws_env, tmp_path, plan, digest, "-e", "concurrency=2", "-e", "all_or_nothing=true")
    assert result.returncode == 2, output_of(result)
    assert snapshots(aws_env) == before  # every account as before the wave, the failed one with its own parameter
    report = wave_pass(tmp_path)
    assert report["all_or_nothing"] is True
    assert statuses(report) == dict.fromkeys(FOUR, "rolled_back")
    assert {r["target"]: (r["history"], r["note"]) for r in report["rows"]} == {
        FOUR[0]: (["succeeded", "rolled_back"], "done, then rolled back (all or nothing)"),
        FOUR[1]: (["succeeded", "rolled_back"], "done, then rolled back (all or nothing)"),
        FOUR[2]: (["rolled_back"], "failed, rolled back"),
        FOUR[3]: (["succeeded", "rolled_back"], "done, then rolled back (all or nothing)")}
    markdown = (tmp_path / "state" / "waves" / "w1" / "report.md").read_text()
    assert "All or nothing" in markdown and "| failed, rolled back |" in markdown
    assert "targets: 0 done, 0 running, 4 failed (4 rolled back), 0 waiting" in result.stdout


def test_all_or_nothing_keeps_a_wave_in_which_nothing_failed(aws_env, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    plan, digest = write_plan(tmp_path, ACCOUNTS[:2], ["us-east-1"])
    result, _seconds = run_wave(aws_env, tmp_path, plan, digest, "-e", "all_or_nothing=true")
    assert result.returncode == 0, output_of(result)
    assert [r["history"] for r in wave_pass(tmp_path)["rows"]] == [["succeeded"], ["succeeded"]]
    assert all(parameters(aws_env, a, "us-east-1") for a in ACCOUNTS[:2])
