# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One approved plan on many targets (playbooks/execute_targets.yml): 6 sandbox accounts x 2 regions, each
reached by assuming its role_arn from one base profile; a production account anywhere refuses everything."""

from __future__ import annotations

import json
import os
import time

import yaml

from moto_harness import REPO_ROOT, mutating_calls, output_of, run_playbook
from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block

PLAYBOOK = REPO_ROOT / "playbooks" / "execute_targets.yml"
HUB = "sandbox-hub"
ACCOUNTS = ["3000000000%02d" % n for n in range(1, 7)]
PRODUCTION = "999999999999"
REGIONS = ("us-east-1", "eu-west-1")
ENVIRONMENTS = """\
environments:
  sandbox: {account_ids: [%s], profiles: ["sandbox-*"], regions: ["*"]}
  production: {account_ids: ["%s"]}
unknown_environment: staging
""" % (", ".join('"%s"' % a for a in ACCOUNTS), PRODUCTION)


def marker_step(step_id, name):
    return {"id": step_id, "description": "Put %s" % name, "action": "ssm:PutParameter",
            "params": {"Name": name, "Value": "${target.account_id}/${target.region}", "Type": "String"},
            "validate": {"action": "ssm:GetParameter", "params": {"Name": name}},
            "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": name}}}


def write_plan(tmp_path, accounts, regions=REGIONS):
    doc = {"format": "coworker.aws/plan-v1", "id": "wave-baseline", "name": "Baseline markers",
           "created": "2026-11-23T10:00:00Z", "target": {"environment": "sandbox", "profile": HUB},
           "targets": [{"account_id": a, "region": r, "role_arn": "arn:aws:iam::%s:role/Deployer" % a}
                       for a in accounts for r in regions],
           "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:01:00Z", "findings": []},
           "phases": [{"name": "Markers", "steps": [marker_step("put_marker", "/baseline/marker"),
                                                    marker_step("put_owner", "/baseline/owner")]}]}
    doc["approval"] = approval_block(doc, "tester@example.com")
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, doc["approval"]["plan_sha256"]


def run_wave(aws_env, tmp_path, plan, digest, *extra):
    env_file = tmp_path / "environments.yml"
    env_file.write_text(ENVIRONMENTS)
    args = [PLAYBOOK, "-e", "plan=%s" % plan, "-e", "approve=%s" % digest, "-e", "environments_file=%s" % env_file,
            "-e", "state_dir=%s" % (tmp_path / "state"), "-e", "wave_id=w1", "-f", "4", *extra]
    started = time.monotonic()
    result = run_playbook(args, aws_env.env(profile=HUB), tmp_path, timeout=600)
    return result, time.monotonic() - started


def parameters(aws_env, account, region):
    session = aws_env.boto3_session(HUB)
    creds = session.client("sts").assume_role(RoleArn="arn:aws:iam::%s:role/Check" % account,
                                              RoleSessionName="check")["Credentials"]
    ssm = session.client("ssm", region_name=region, aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    return {p["Name"]: p["Value"] for p in ssm.get_parameters_by_path(Path="/baseline")["Parameters"]}


def wave_report(tmp_path):
    return json.loads((tmp_path / "state" / "waves" / "w1" / "report.json").read_text())


def test_twelve_targets_in_parallel_each_account_holds_exactly_its_own(aws_env, tmp_path, capsys):
    aws_env.add_account_profile(HUB, "100000000000")
    plan, digest = write_plan(tmp_path, ACCOUNTS)
    result, seconds = run_wave(aws_env, tmp_path, plan, digest)
    assert result.returncode == 0, output_of(result)
    for account in ACCOUNTS:
        for region in REGIONS:
            mine = "%s/%s" % (account, region)
            assert parameters(aws_env, account, region) == {"/baseline/marker": mine, "/baseline/owner": mine}
    assert parameters(aws_env, "100000000000", "us-east-1") == {}  # the hub account itself is untouched
    report = wave_report(tmp_path)
    assert report["rollup"]["progress"] == "targets: 12 done, 0 running, 0 failed, 0 waiting"
    assert [r["status"] for r in report["rows"]] == ["succeeded"] * 12
    assert "| 12 | %s-eu-west-1 | sandbox | succeeded | 2/2 | w1-%s-eu-west-1 |" % (ACCOUNTS[-1], ACCOUNTS[-1]) \
        in (tmp_path / "state" / "waves" / "w1" / "report.md").read_text()
    # one line per target per step, each naming its target; each target's run has its own journal and report
    assert "[%s-us-east-1] [Step 2 of 2] put_owner" % ACCOUNTS[0] in result.stdout
    run = json.loads((tmp_path / "state" / "runs" / ("w1-%s-us-east-1" % ACCOUNTS[2]) / "report.json").read_text())
    assert run["account_id"] == ACCOUNTS[2] and run["status"] == "succeeded"
    assert run["executor_arn"].startswith("arn:aws:sts::%s:assumed-role/Deployer/" % ACCOUNTS[2])

    if not os.environ.get("COWORKER_WAVE_TIMING"):
        return  # the wall-time comparison with one target runs on demand (it only prints a figure)
    one = tmp_path / "one"
    one.mkdir()
    aws_env.rewrite_profile(HUB, "100000000000")
    plan, digest = write_plan(one, ["300000000099"], ["us-east-1"])
    (one / "environments.yml").write_text(ENVIRONMENTS.replace('"%s"' % ACCOUNTS[0], '"300000000099"'))
    result_one, seconds_one = run_wave(aws_env, one, plan, digest)
    assert result_one.returncode == 0, output_of(result_one)
    with capsys.disabled():
        print("\nwall time: 12 targets %.1f s, 1 target %.1f s (forks 4)" % (seconds, seconds_one))


def test_a_production_account_in_the_list_refuses_everything_with_no_change_anywhere(aws_env, clean_moto, tmp_path):
    aws_env.add_account_profile(HUB, "100000000000")
    plan, digest = write_plan(tmp_path, ACCOUNTS[:2] + [PRODUCTION] + ACCOUNTS[2:3])
    with clean_moto.recording() as calls:
        result, _seconds = run_wave(aws_env, tmp_path, plan, digest)
    assert result.returncode == 2, output_of(result)
    assert "Detected environment: production" in result.stdout or "production" in result.stdout
    assert "STOPPING" in result.stdout
    # the executor's own credential setup (AssumeRole into each target) is the only write-level call
    assert [c for c in mutating_calls(calls) if c != ("sts", "AssumeRole")] == []
    assert not (tmp_path / "state" / "runs").exists()
    for account in ACCOUNTS[:3]:
        assert parameters(aws_env, account, "us-east-1") == {}


def fault(aws_env, account, region):
    """put_owner will fail in this target: its parameter already exists (and must be left as it was)."""
    session = aws_env.boto3_session(HUB)
    creds = session.client("sts").assume_role(RoleArn="arn:aws:iam::%s:role/Setup" % account,
                                              RoleSessionName="setup")["Credentials"]
    session.client("ssm", region_name=region, aws_access_key_id=creds["AccessKeyId"],
                   aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"]
                   ).put_parameter(Name="/baseline/owner", Value="keep", Type="String")


# The figure is 12 targets (6 accounts x 2 regions, batches of 4); CI runs 4 targets in batches of 3.
# COWORKER_WAVE_TARGETS=12 runs the full size.
FULL_SIZE = os.environ.get("COWORKER_WAVE_TARGETS") == "12"


def test_more_failures_than_max_errors_start_no_new_target(aws_env, tmp_path, capsys):
    aws_env.add_account_profile(HUB, "100000000000")
    accounts, regions, batch = (ACCOUNTS, REGIONS, 4) if FULL_SIZE else (ACCOUNTS[:4], ("us-east-1",), 3)
    targets = [(a, r) for a in accounts for r in regions]
    plan, digest = write_plan(tmp_path, accounts, regions)
    for account, region in targets[1:3]:  # a fault in 2 targets of the first batch
        fault(aws_env, account, region)
    result, seconds = run_wave(aws_env, tmp_path, plan, digest, "-e", "concurrency=%d" % batch, "-e", "max_errors=1")
    assert result.returncode == 2, output_of(result)
    expected = ["succeeded", "rolled_back", "rolled_back"] + ["succeeded"] * (batch - 3) \
        + ["not_started"] * (len(targets) - batch)
    report = wave_report(tmp_path)
    assert [r["status"] for r in report["rows"]] == expected
    assert [r["note"] for r in report["rows"]][:3] == ["", "failed, rolled back", "failed, rolled back"]
    for (account, region), status in zip(targets, expected):
        mine = "%s/%s" % (account, region)
        left = {"succeeded": {"/baseline/marker": mine, "/baseline/owner": mine},  # done stays done
                "rolled_back": {"/baseline/owner": "keep"},  # only what was there before the run is left
                "not_started": {}}[status]
        assert parameters(aws_env, account, region) == left
    with capsys.disabled():
        print("\nmax_errors 1, faults in 2 of %d targets (batches of %d): %s in %.1f s"
              % (len(targets), batch, report["rollup"]["progress"], seconds))


def test_a_wave_with_an_s3_state_backend_keeps_every_run_and_the_wave_report_in_the_bucket(aws_env, tmp_path):
    tooling, bucket = "444400001111", "coworker-wave-state-444400001111"
    aws_env.add_account_profile(HUB, "100000000000")
    aws_env.add_account_profile("tooling-wave", tooling)
    s3 = aws_env.boto3_session("tooling-wave").client("s3")
    s3.create_bucket(Bucket=bucket)
    backend = {"type": "s3", "bucket": bucket, "prefix": "waves-test", "region": "us-east-1",
               "profile": "tooling-wave", "account_id": tooling}
    plan, digest = write_plan(tmp_path, ACCOUNTS[:2], ["us-east-1"])
    result, _seconds = run_wave(aws_env, tmp_path, plan, digest, "-e", json.dumps({"state_backend": backend}))
    assert result.returncode == 0, output_of(result)
    for account in ACCOUNTS[:2]:
        mine = "%s/us-east-1" % account
        assert parameters(aws_env, account, "us-east-1") == {"/baseline/marker": mine, "/baseline/owner": mine}
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="waves-test/")["Contents"]}
    for account in ACCOUNTS[:2]:
        run = "waves-test/runs/w1-%s-us-east-1/" % account
        assert {run + "journal.jsonl", run + "report.json", run + "report.md"} <= keys
    report = json.loads(s3.get_object(Bucket=bucket, Key="waves-test/waves/w1/report.json")["Body"].read())
    assert report["rollup"]["progress"] == "targets: 2 done, 0 running, 0 failed, 0 waiting"
    assert report["rows"][0]["report"] == "s3://%s/waves-test/runs/w1-%s-us-east-1/report.json" % (bucket, ACCOUNTS[0])
    assert "Report: s3://%s/waves-test/waves/w1/report.md" % bucket in result.stdout
    assert not (tmp_path / "state" / "runs").exists() and not (tmp_path / "state" / "waves").exists()
