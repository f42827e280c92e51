"""The non-production guard's end-to-end tests (test_guard*.py): the accounts of every class, the
environments file that lists them, and a user's workspace that writes approved plans and runs
playbooks/execute_nonprod.yml (or a playbook of its own) with moto's recorder on.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import REPO_ROOT, mutating_calls, output_of, run_playbook

EXECUTE = REPO_ROOT / "playbooks" / "execute_nonprod.yml"
STOP = "STOPPING: this collection executes in non-production only"

PRODUCTION, STAGING, DEVELOPMENT, TEST, SANDBOX = (
    "111111111111", "222222222222", "333333333333", "444444444444", "555555555555")
SANDBOX_2 = "666666666666"      # a second sandbox account
UNCLASSIFIED = "999999999999"   # listed nowhere, no alias, neutral profile name
ALIAS_ONLY = "777777777777"     # listed nowhere; only its alias says what it is
ACCOUNTS = (PRODUCTION, STAGING, DEVELOPMENT, TEST, SANDBOX, SANDBOX_2, UNCLASSIFIED, ALIAS_ONLY,
            "123456789012")
ENVIRONMENTS = {
    "environments": {
        "sandbox": {"account_ids": [SANDBOX, SANDBOX_2, "123456789012"],
                    "account_aliases": ["*-sandbox"], "profiles": ["sandbox-*"], "regions": ["*"]},
        "development": {"account_ids": [DEVELOPMENT], "account_aliases": ["*-dev"],
                        "profiles": ["dev-*"], "regions": ["us-east-1", "us-west-2"]},
        "test": {"account_ids": [TEST], "account_aliases": ["*-test", "*-qa"],
                 "profiles": ["test-*", "qa-*"]},
        "staging": {"account_ids": [STAGING], "account_aliases": ["*-staging"],
                    "profiles": ["staging-*"]},
        "production": {"account_ids": [PRODUCTION], "account_aliases": ["*-prod", "*-production"],
                       "profiles": ["prod-*"]},
    },
    "unknown_environment": "staging",
}


def bucket_step(index: int, region: str | None = None) -> dict:
    name = f"guard-${{target.account_id}}-{index}"
    step = {"id": f"create_bucket_{index}", "description": f"Create bucket {index}",
            "action": "s3:CreateBucket", "params": {"Bucket": name},
            "validate": {"action": "s3:HeadBucket", "params": {"Bucket": name}},
            "rollback": [{"action": "s3:DeleteBucket", "params": {"Bucket": name}}]}
    if region:
        step["region"] = region
        step["params"]["CreateBucketConfiguration"] = {"LocationConstraint": region}
        for call in [step["validate"], *step["rollback"]]:
            call["region"] = region
    return step


class Workspace:
    """A user's directory: environments file, approved plans, state; runs the playbook."""

    def __init__(self, aws_env, moto_server, root: Path):
        self.aws_env, self.moto, self.root = aws_env, moto_server, root
        self.environments = root / "environments.yml"
        self.state = root / "state"
        self.environments.write_text(yaml.safe_dump(ENVIRONMENTS))

    def plan(self, account: str, environment: str, phases: int = 1, region: str | None = None,
             profile: str | None = None) -> tuple[Path, str]:
        """Write an approved plan (one bucket per phase); returns (path, digest)."""
        document = {
            "format": "coworker.aws/plan-v1", "id": f"guard-{environment}-{account}",
            "name": "Guard test", "created": "2026-11-23T10:00:00Z",
            "target": {"environment": environment, "account_id": account, "region": "us-east-1"},
            "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:02:00Z", "findings": []},
            "phases": [{"name": f"Phase {i}", "steps": [bucket_step(i, region)]}
                       for i in range(1, phases + 1)]}
        if profile:
            document["target"]["profile"] = profile
        document["approval"] = approval_block(document, "tester@example.com")
        path = self.root / f"{document['id']}.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path, document["approval"]["plan_sha256"]

    def execute_args(self, plan: Path, profile: str | None, digest: str | None = None,
                     extra=()) -> list[str]:
        args = [EXECUTE, "-e", f"plan={plan}", "-e", f"environments_file={self.environments}",
                "-e", f"state_dir={self.state}", *extra]
        args += ["-e", f"aws_profile={profile}"] if profile else []
        return [str(a) for a in args + (["-e", f"approve={digest}"] if digest else [])]

    def execute(self, plan: Path, profile: str | None, digest: str | None, extra=(), env=None):
        """Run the real playbook with the recorder on; returns (result, recorded calls)."""
        with self.moto.recording() as calls:
            result = run_playbook(self.execute_args(plan, profile, digest, extra),
                                  env or self.aws_env.env(profile=profile), self.root)
        return result, calls

    def playbook(self, tasks: list, env: dict, name: str = "user.yml"):
        """Run a user's own playbook with the recorder on; returns (result, calls)."""
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
                 "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                 "tasks": tasks}]
        path = self.root / name
        path.write_text(yaml.safe_dump(play, sort_keys=False))
        with self.moto.recording() as calls:
            result = run_playbook([path], env, self.root)
        return result, calls

    def runs(self) -> list[Path]:
        return sorted((self.state / "runs").glob("*")) if (self.state / "runs").exists() else []

    def only_run(self) -> Path:
        [run] = self.runs()
        return run

    def buckets(self) -> dict:
        """{account: [bucket names]} for every account that holds a bucket."""
        found = {}
        for account in ACCOUNTS:
            creds = assume(self.aws_env, account)
            s3 = boto3.client("s3", endpoint_url=self.aws_env.endpoint_url, region_name="us-east-1",
                              aws_access_key_id=creds["AccessKeyId"],
                              aws_secret_access_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"])
            names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
            if names:
                found[account] = names
        return found


def assume(aws_env, account: str) -> dict:
    """Temporary credentials whose calls land in `account` (see TESTING.md)."""
    sts = aws_env.boto3_session().client("sts")
    return sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/Observer",
                           RoleSessionName="observer")["Credentials"]


def flat(text: str) -> str:
    """Output with line wrapping and indentation undone, for substring checks."""
    return " ".join(text.split())


def journal(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()]


def assert_refused(ws: Workspace, result, calls, *reasons: str, stop: str = STOP) -> None:
    """Non-zero exit, the STOPPING line and each reason shown, nothing changed anywhere."""
    out = flat(output_of(result))
    assert result.returncode != 0, out
    for text in (stop, *reasons):
        assert text in out, f"{text!r} not in output:\n{output_of(result)}"
    assert mutating_calls(calls) == []
    assert ws.buckets() == {}


@pytest.fixture
def ws(aws_env, moto_server, tmp_path) -> Workspace:
    return Workspace(aws_env, moto_server, tmp_path)
