"""The resource perimeter's attack workspace, shared by the test_perimeter_*.py files.

A sandbox identity on a moto server that also holds a production account with data in it. A
plan is written, approved and run with the real playbooks/execute_nonprod.yml; the moto
recorder shows every request of every account. ``assert_refused`` is what an attack must end
with: a non-zero exit, the refusal's text, no request that could change anything (by AWS's own
access levels) in any account, production unchanged. ``control`` sends the same request with
boto3 as the sandbox identity, straight to moto: it must go through, which proves the refusal is
the perimeter's and not moto's.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ansible_collections.coworker.aws.plugins.module_utils.aws.access_levels import is_read_only
from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import REPO_ROOT, call_keys, mutating_calls, output_of, run_playbook

EXECUTE = REPO_ROOT / "playbooks" / "execute_nonprod.yml"
APPROVE = REPO_ROOT / "playbooks" / "approve_plan.yml"
SANDBOX, PRODUCTION, DEVELOPMENT, TOOLING = "555555555555", "111111111111", "333333333333", "888888888888"
SANDBOX_PROFILE, DEV_PROFILE = "sandbox-perimeter", "dev-perimeter"
PROD_BUCKET = "acme-prod-data"
ENVIRONMENTS = {
    "environments": {
        "sandbox": {"account_ids": [SANDBOX], "profiles": ["sandbox-*"], "regions": ["*"]},
        "development": {"account_ids": [DEVELOPMENT], "profiles": ["dev-*"], "regions": ["us-east-1", "us-west-2"]},
        "production": {"account_ids": [PRODUCTION], "profiles": ["prod-*"]},
    },
    "unknown_environment": "staging",
}


def prod_arn(service: str, resource: str, region: str = "us-east-1") -> str:
    return f"arn:aws:{service}:{region}:{PRODUCTION}:{resource}"


def flat(text: str) -> str:
    return " ".join(text.split())


def step(step_id: str, action: str, params: dict, **extra) -> dict:
    return {"id": step_id, "description": f"{step_id} ({action})", "action": action, "params": params, **extra}


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Perimeter:
    """A sandbox user's directory on a moto holding a production account with data in it."""

    def __init__(self, aws_env, moto, root: Path):
        self.aws_env, self.moto, self.root = aws_env, moto, root
        self.environments = root / "environments.yml"
        self.environments.write_text(yaml.safe_dump(ENVIRONMENTS))
        self.state = root / "state"
        self.empty_cfg = root / "empty.cfg"
        self.empty_cfg.write_text("")
        aws_env.add_account_profile(SANDBOX_PROFILE, SANDBOX)
        aws_env.add_account_profile(DEV_PROFILE, DEVELOPMENT)
        aws_env.add_account_profile("prod-observer", PRODUCTION)
        self.prod = aws_env.boto3_session("prod-observer")
        self.prod.client("s3").create_bucket(Bucket=PROD_BUCKET)
        self.prod_objects = []
        self.put_prod_object("ledger.csv", b"1,2,3")

    def put_prod_object(self, key: str, body: bytes) -> None:
        """Production data (an attack must leave it as it is: assert_refused compares)."""
        self.prod.client("s3").put_object(Bucket=PROD_BUCKET, Key=key, Body=body)
        self.prod_objects = sorted(set(self.prod_objects) | {key})

    def set_class(self, environment: str = "sandbox", **entries) -> None:
        """Change one class of the environments file (e.g. cross_account_grants="refuse", guardrails={...})."""
        config = yaml.safe_load(self.environments.read_text())
        config["environments"][environment].update(entries)
        self.environments.write_text(yaml.safe_dump(config))

    def plan(self, steps: list, account: str = SANDBOX, environment: str = "sandbox", approve: bool = True,
             **top) -> tuple[Path, str]:
        document = {
            "format": "coworker.aws/plan-v1", "id": f"perimeter-{steps[0]['id']}", "name": "Perimeter test",
            "created": "2026-11-23T10:00:00Z",
            "target": {"environment": environment, "account_id": account, "region": "us-east-1"},
            "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:02:00Z", "findings": []},
            "phases": [{"name": "Only", "steps": json.loads(json.dumps(steps))}], **top}  # no YAML aliases
        if approve:
            document["approval"] = approval_block(document, "tester@example.com")
        path = self.root / f"{document['id']}.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path, document.get("approval", {}).get("plan_sha256", "")

    def env(self, profile: str = SANDBOX_PROFILE, empty_cfg: bool = True) -> dict:
        env = self.aws_env.env(profile=profile)
        if empty_cfg:  # no repo ansible.cfg: the default callback prints JSON, messages must still read
            env.update(ANSIBLE_CONFIG=str(self.empty_cfg), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"))
        return env

    def run(self, path: Path, digest: str, profile: str = SANDBOX_PROFILE, extra=(), empty_cfg: bool = True):
        """Run playbooks/execute_nonprod.yml on a written plan non-interactively; (result, recorded calls)."""
        args = [str(EXECUTE), "-e", f"plan={path}", "-e", f"environments_file={self.environments}",
                "-e", f"state_dir={self.state}", "-e", f"aws_profile={profile}", "-e", f"approve={digest}",
                "-e", "on_failure=rollback", *extra]
        with self.moto.recording() as calls:
            result = run_playbook(args, self.env(profile, empty_cfg), self.root)
        return result, calls

    def execute(self, steps: list, profile: str = SANDBOX_PROFILE, extra=(), empty_cfg: bool = True, **plan_args):
        """Write, approve and run a plan; returns (result, recorded calls)."""
        path, digest = self.plan(steps, **plan_args)
        return self.run(path, digest, profile, extra, empty_cfg)

    def approve(self, path: Path, profile: str = SANDBOX_PROFILE):
        """playbooks/approve_plan.yml -e confirm=yes (it pins the content the plan fetches); returns the result."""
        args = [str(APPROVE), "-e", f"plan={path}", "-e", "approved_by=tester@example.com", "-e", "confirm=yes",
                "-e", f"aws_profile={profile}"]
        return run_playbook(args, self.env(profile), self.root)

    def control(self, action: str, params: dict, profile: str = SANDBOX_PROFILE):
        """Send one request straight to moto with boto3, as ``profile``: moto must accept it."""
        service, operation = action.split(":")
        client = self.aws_env.boto3_session(profile).client(service, region_name="us-east-1")
        from botocore import xform_name
        return getattr(client, xform_name(operation))(**params)

    def sandbox(self, service: str):
        return self.aws_env.boto3_session(SANDBOX_PROFILE).client(service, region_name="us-east-1")

    def prod_state(self) -> dict:
        s3 = self.prod.client("s3")
        objects = [o["Key"] for o in s3.list_objects_v2(Bucket=PROD_BUCKET).get("Contents", [])]
        try:
            bucket_policy = s3.get_bucket_policy(Bucket=PROD_BUCKET)["Policy"]
        except s3.exceptions.ClientError:
            bucket_policy = None
        return {"buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]], "objects": objects,
                "policy": bucket_policy}


def changing_calls(calls) -> list:
    """Every recorded call that is not Read/List by AWS's access levels (and by name)."""
    by_level = [key for key in call_keys(calls) if key[0] != "moto-api" and not is_read_only(*key)]
    return sorted(set(by_level) | set(mutating_calls(calls)))


def assert_refused(ws: Perimeter, result, calls, *texts: str) -> None:
    out = flat(output_of(result))
    assert result.returncode != 0, out
    for text in texts:
        assert text in out, f"{text!r} not in output:\n{output_of(result)}"
    assert changing_calls(calls) == []
    assert ws.prod_state() == {"buckets": [PROD_BUCKET], "objects": ws.prod_objects, "policy": None}
