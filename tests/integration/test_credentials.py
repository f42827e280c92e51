"""The credentials checked are the credentials used (issue 10, part 2).

A profile whose credential_process answers with the target account's keys the first time
it is asked in a process, and with another account's keys every time after (botocore asks
again whenever the credentials expire within 15 minutes, i.e. on every call here). The run
must stay in the target account: not one request may be signed with the other account's key.
The execution role: the AssumeRole request carries the session policy, and the run's calls
are signed with the role's credentials.
"""

from __future__ import annotations

import configparser
import json
import re
import sys
from urllib.parse import parse_qs

import boto3

from moto_harness import mutating_calls, output_of, run_playbook
from workflow_support import ACCOUNT, ENVIRONMENTS, put_param, workflow  # noqa: F401  (fixture)

OTHER = "111111111111"
PROFILE = "sandbox-process"
KEY_RE = re.compile(r"Credential=([A-Z0-9]+)/")

# Answers with the first key set the first two times a process asks (botocore loads the
# credentials, then refreshes them at once because they expire within 15 minutes), with
# the second key set every time after.
CREDENTIAL_PROCESS = r'''
import os, sys
state, first, second = sys.argv[1], sys.argv[2], sys.argv[3]
marker = os.path.join(state, "asked-by-%d" % os.getppid())
with open(marker, "a") as log:
    log.write("x")
chosen = first if os.path.getsize(marker) <= 2 else second
with open(chosen) as handle:
    print(handle.read())
'''


def _process_output(credentials: dict, path) -> None:
    path.write_text(json.dumps({
        "Version": 1, "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"], "SessionToken": credentials["SessionToken"],
        # inside botocore's 15-minute window: without freezing, it asks again before every call
        "Expiration": credentials["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}))


def _assume(aws_env, account: str) -> dict:
    sts = aws_env.boto3_session().client("sts")
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/Any", RoleSessionName="frozen-test",
                                  DurationSeconds=900)["Credentials"]
    return credentials


def signing_keys(calls) -> set[str]:
    return {m.group(1) for c in calls for m in [KEY_RE.search(c.headers.get("Authorization", ""))] if m}


def test_credential_process_that_changes_account_after_the_check(workflow, aws_env, tmp_path):
    target, other = _assume(aws_env, ACCOUNT), _assume(aws_env, OTHER)
    state = tmp_path / "process-state"
    state.mkdir()
    _process_output(target, tmp_path / "target.json")
    _process_output(other, tmp_path / "other.json")
    script = tmp_path / "credential_process.py"
    script.write_text(CREDENTIAL_PROCESS)
    aws_env._write_config(PROFILE, {"credential_process": f"{sys.executable} {script} {state} "
                                                          f"{tmp_path / 'target.json'} {tmp_path / 'other.json'}"})
    plan = workflow.write_plan("frozen-creds", [("Config", [put_param("put_a", "/fc/a"),
                                                            put_param("put_b", "/fc/b")])])
    args = [*workflow.execute_args(plan, "-e", f"approve={plan.digest}"), "-e", f"aws_profile={PROFILE}"]
    with workflow.moto.recording() as calls:
        result = run_playbook(args, aws_env.env(profile=PROFILE), tmp_path)
    assert result.returncode == 0, output_of(result)
    used = signing_keys(calls)
    assert other["AccessKeyId"] not in used, "a request was signed with the other account's key"
    assert target["AccessKeyId"] in used
    # several processes asked (verify_environment, run_step), each exactly twice: load and freeze
    asked = {p.name: p.stat().st_size for p in state.iterdir()}
    assert len(asked) >= 2 and set(asked.values()) == {2}, asked
    assert workflow.parameter_values() == {"/fc/a": "v1", "/fc/b": "v1"}
    other_ssm = _client_as(aws_env, other, "ssm")
    assert other_ssm.describe_parameters()["Parameters"] == []
    assert ("ssm", "PutParameter") in mutating_calls(calls)


def _client_as(aws_env, credentials: dict, service: str):
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name="us-east-1",
                         ).client(service, endpoint_url=aws_env.endpoint_url)


def test_execution_role_is_assumed_with_the_session_policy(workflow, aws_env, tmp_path):
    role = f"arn:aws:iam::{ACCOUNT}:role/coworker-executor"
    workflow.environments.write_text(ENVIRONMENTS.replace(
        'regions: ["*"]}', f'regions: [us-east-1, eu-west-1], execution_role: "{role}"}}', 1))
    base_key = _profile_key(aws_env, "sandbox-wf")
    plan = workflow.write_plan("exec-role", [("Config", [put_param("put_a", "/er/a")])])
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert result.returncode == 0, output_of(result)
    assumes = [c for c in calls if c.key == ("sts", "AssumeRole")]
    assert len(assumes) == 1, [c.key for c in calls]
    form = parse_qs(assumes[0].body.decode())
    assert form["RoleArn"] == [role]
    assert KEY_RE.search(assumes[0].headers["Authorization"]).group(1) == base_key  # the verified base keys
    statements = {s["Sid"]: s for s in json.loads(form["Policy"][0])["Statement"]}
    assert statements["OnlyTheTargetAccount"]["Effect"] == "Deny"
    assert statements["OnlyTheTargetAccount"]["Condition"] == {
        "StringNotEqualsIfExists": {"aws:ResourceAccount": [ACCOUNT]}}
    assert statements["OnlyAllowedRegions"]["Condition"] == {
        "StringNotLike": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}
    # the run's changes are signed with the role's credentials, never the base profile's
    puts = [c for c in calls if c.key == ("ssm", "PutParameter")]
    put_keys = {KEY_RE.search(c.headers["Authorization"]).group(1) for c in puts}
    assert len(puts) == 1 and base_key not in put_keys
    assert workflow.parameter_values() == {"/er/a": "v1"}
    assert "assumed-role/coworker-executor/coworker-" in workflow.report(workflow.only_run())["executor_arn"]


def test_execution_role_in_another_account_is_refused(workflow, aws_env):
    role = f"arn:aws:iam::{OTHER}:role/coworker-executor"
    workflow.environments.write_text(ENVIRONMENTS.replace(
        'regions: ["*"]}', f'regions: ["*"], execution_role: "{role}"}}', 1))
    plan = workflow.write_plan("exec-role-other", [("Config", [put_param("put_a", "/er/a")])])
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert result.returncode != 0
    assert f"The execution role {role} belongs to account {OTHER}" in " ".join(output_of(result).split())
    assert mutating_calls(calls) == []
    assert workflow.parameter_values() == {}


def _profile_key(aws_env, profile: str) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(aws_env.credentials_file)
    return parser[profile]["aws_access_key_id"]
