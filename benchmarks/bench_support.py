"""What benchmarks/run.py measures with: a moto server on 127.0.0.1 with a sandbox profile (Bench), the
approved plans of N S3 or EC2 steps it runs, and the same calls through raw boto3 and the aws CLI.

Also used by benchmarks/profile/ (floor.py, profile_run.py). Every run is checked: the resources it
should have made are counted afterwards, so a broken run cannot produce a fast number.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "integration"), str(REPO / "collections")]
from moto_harness import AwsEnv, ansible_bin, start_moto_server  # noqa: E402
from fault_proxy import FaultProxy  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan  # noqa: E402

PROFILE, ACCOUNT = "sandbox-bench", "123456789012"
# --state-backend s3: the run's state goes to a bucket of this (tooling) account
TOOLING_PROFILE, TOOLING, STATE_BUCKET = "tooling-bench", "444455556666", "coworker-bench-state-444455556666"
CLI_SAMPLE_STEPS = 10  # above 50 steps the CLI is timed on 10 steps (20 calls) and extrapolated
ENVIRONMENTS = {
    "environments": {
        "sandbox": {"account_ids": [ACCOUNT], "account_aliases": ["*-sandbox"],
                    "profiles": ["sandbox-*"], "regions": ["*"]},
        "development": {"account_aliases": ["*-dev"], "profiles": ["dev-*"]},
        "test": {"account_aliases": ["*-test", "*-qa"], "profiles": ["test-*", "qa-*"]},
        "staging": {"account_aliases": ["*-staging"], "profiles": ["staging-*"]},
        "production": {"account_aliases": ["*-prod"], "profiles": ["prod-*"]},
    },
    "unknown_environment": "staging",
}

# ----------------------------------------------------------------- the two kinds of step


def s3_step(step_id: str, name: str) -> dict:
    return {"id": step_id, "description": f"Create bucket {name}", "action": "s3:CreateBucket",
            "params": {"Bucket": name},
            "validate": {"action": "s3:HeadBucket", "params": {"Bucket": name}},
            "rollback": [{"action": "s3:DeleteBucket", "params": {"Bucket": name}}]}


def ec2_step(step_id: str, name: str) -> dict:
    group_id = "${%s.group_id}" % step_id  # no VpcId: the group lands in the default VPC
    return {"id": step_id, "description": f"Create security group {name}",
            "action": "ec2:CreateSecurityGroup",
            "params": {"GroupName": name, "Description": "benchmark"},
            "register": {"group_id": "GroupId"},
            "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupIds": [group_id]}},
            "rollback": [{"action": "ec2:DeleteSecurityGroup", "params": {"GroupId": group_id}}]}


# The same calls in raw boto3 (run in a fresh interpreter, so the import can be timed too).
RAW_CALLS = {
    "s3": "c.create_bucket(Bucket=n); c.head_bucket(Bucket=n)",
    "ec2": "g = c.create_security_group(GroupName=n, Description='benchmark')['GroupId']; "
           "c.describe_security_groups(GroupIds=[g])",
}
RAW_SCRIPT = """
import json, sys, time
start = time.perf_counter()
import boto3
imported = time.perf_counter()
c = boto3.Session().client({service!r})
for n in json.loads(sys.argv[1]):
    {calls}
done = time.perf_counter()
print(json.dumps({{"import_s": imported - start, "calls_s": done - imported}}))
"""


def cli_calls(kind: str, name: str, run_cli) -> None:
    """One create and one validate, each its own aws CLI process."""
    if kind == "s3":
        run_cli(["s3api", "create-bucket", "--bucket", name])
        run_cli(["s3api", "head-bucket", "--bucket", name])
    else:
        group_id = run_cli(["ec2", "create-security-group", "--group-name", name,
                            "--description", "benchmark", "--query", "GroupId", "--output", "text"])
        run_cli(["ec2", "describe-security-groups", "--group-ids", group_id.strip()])


def count_resources(session, kind: str, prefix: str) -> int:
    if kind == "s3":
        names = [b["Name"] for b in session.client("s3").list_buckets().get("Buckets", [])]
    else:
        pages = session.client("ec2").get_paginator("describe_security_groups").paginate()
        names = [g["GroupName"] for page in pages for g in page["SecurityGroups"]]
    return sum(name.startswith(prefix) for name in names)


# ------------------------------------------------------------------------- the bench


class Bench:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.server = start_moto_server(workdir / "moto")
        self.aws = AwsEnv(self.server.url, workdir)
        # A sandbox profile with moto's default-account keys, as scripts/demo.sh writes it.
        with open(self.aws.config_file, "a") as config:
            config.write(f"\n[profile {PROFILE}]\nregion = us-east-1\n"
                         f"endpoint_url = {self.server.url}\n")
        with open(self.aws.credentials_file, "a") as credentials:
            credentials.write(f"\n[{PROFILE}]\naws_access_key_id = testing\n"
                              "aws_secret_access_key = testing\n")
        environments = workdir / "environments.yml"
        environments.write_text(yaml.safe_dump(ENVIRONMENTS))
        self.env = self.aws.env(profile=PROFILE, COWORKER_AWS_ENVIRONMENTS=str(environments))
        self.session = self.aws.boto3_session()

    def fresh(self, kind: str, steps: int, label: str) -> tuple[str, Path]:
        """Reset moto; a name prefix unique to this run and a scratch directory."""
        self.server.reset()
        self.state_backend = None
        prefix = f"bench-{secrets.token_hex(3)}-{kind}{steps}-"
        return prefix, Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self.workdir))

    def expect(self, kind: str, prefix: str, wanted: int, after: str) -> None:
        found = count_resources(self.session, kind, prefix)
        if found != wanted:
            raise SystemExit(f"BROKEN RUN: {found} {kind} resources after {after}, expected {wanted}")

    def playbook(self, args: list, log: Path) -> tuple[float, float]:
        """Run ansible-playbook; (wall seconds, peak RSS MiB). Fails loudly on a non-zero exit."""
        with open(log, "w") as out:
            start = time.perf_counter()
            process = subprocess.Popen([str(ansible_bin()), *map(str, args)], env=self.env,
                                       cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
            _pid, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"{args[0]} exited {process.returncode}; log: {log}")
        return wall, usage.ru_maxrss / 1024

    def write_plan(self, kind: str, steps: int, prefix: str, where: Path) -> tuple[Path, str]:
        """An approved one-phase plan of `steps` steps; its path and digest."""
        make_step = s3_step if kind == "s3" else ec2_step
        doc = {"format": "coworker.aws/plan-v1", "id": prefix.rstrip("-"),
               "name": f"Benchmark {kind} x{steps}", "created": "2026-01-01T00:00:00Z",
               "target": {"environment": "sandbox", "account_id": ACCOUNT,
                          "region": "us-east-1", "profile": PROFILE},
               "guardrail": {"status": "PASS", "validated_at": "2026-01-01T00:00:00Z",
                             "findings": []},
               "phases": [{"name": "Benchmark", "steps": [
                   make_step(f"step_{i:05d}", f"{prefix}{i:05d}") for i in range(steps)]}]}
        doc["approval"] = approval_block(doc, "benchmark@example.com")
        path = where / "plan.yml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path, doc["approval"]["plan_sha256"]

    def s3_state_backend(self) -> list:
        """A state bucket in the tooling account (after a reset moto forgets the profile's keys)."""
        self.aws.add_account_profile(TOOLING_PROFILE, TOOLING)
        self.aws.boto3_session(TOOLING_PROFILE).client("s3").create_bucket(Bucket=STATE_BUCKET)
        backend = {"type": "s3", "bucket": STATE_BUCKET, "prefix": "bench", "region": "us-east-1",
                   "profile": TOOLING_PROFILE, "account_id": TOOLING}
        return ["-e", json.dumps({"state_backend": backend})]

    def ours_on(self, backend: str, kind: str, steps: int) -> dict:
        """A real run with its state on ``backend`` (local or s3), moto recording every request."""
        prefix, tmp = self.fresh(kind, steps, f"ours-{backend}")
        plan, digest = self.write_plan(kind, steps, prefix, tmp)
        extra = self.s3_state_backend() if backend == "s3" else []
        args = ["playbooks/execute_nonprod.yml", "-e", f"plan={plan}", "-e", f"approve={digest}",
                "-e", f"state_dir={tmp / 'state'}", *extra]
        with self.server.recording() as calls:
            wall, rss = self.playbook(args, tmp / "run.log")
        self.expect(kind, prefix, steps, f"our run on the {backend} backend")
        state = [c for c in calls if STATE_BUCKET in c.url]
        target = [c for c in calls if STATE_BUCKET not in c.url]
        operations = {}
        for call in state:
            operations[call.operation] = operations.get(call.operation, 0) + 1
        return {"kind": kind, "steps": steps, "backend": backend, "wall_s": wall, "peak_rss_mib": rss,
                "ms_per_step": wall / steps * 1000, "state_requests": len(state),
                "state_requests_per_step": len(state) / steps, "state_operations": operations,
                "target_requests": len(target)}

    def ours(self, kind: str, steps: int) -> dict:
        """(a) the real run and (e) its rollback, then (d) a --check run on a fresh moto."""
        prefix, tmp = self.fresh(kind, steps, "ours")
        plan, digest = self.write_plan(kind, steps, prefix, tmp)
        approved, state = ["-e", f"plan={plan}", "-e", f"approve={digest}"], f"state_dir={tmp / 'state'}"
        wall, rss = self.playbook(["playbooks/execute_nonprod.yml", *approved, "-e", state],
                                  tmp / "run.log")
        self.expect(kind, prefix, steps, "our run")
        rollback, _rss = self.playbook(["playbooks/rollback_run.yml", "-e", "run=last",
                                        "-e", f"approve={digest}", "-e", state], tmp / "rollback.log")
        self.expect(kind, prefix, 0, "our rollback")
        self.server.reset()
        check, _rss = self.playbook(["playbooks/execute_nonprod.yml", "--check", *approved,
                                     "-e", f"state_dir={tmp / 'check-state'}"], tmp / "check.log")
        self.expect(kind, prefix, 0, "our --check run")
        return {"ours_s": wall, "peak_rss_mib": rss, "rollback_s": rollback, "check_s": check}

    def raw_boto3(self, kind: str, steps: int) -> dict:
        """(b) the same create+validate calls in one fresh Python process."""
        prefix, _plan = self.fresh(kind, steps, "raw")
        names = json.dumps([f"{prefix}{i:05d}" for i in range(steps)])
        script = RAW_SCRIPT.format(service=kind, calls=RAW_CALLS[kind])
        out = subprocess.run([sys.executable, "-c", script, names], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        timing = json.loads(out)
        self.expect(kind, prefix, steps, "raw boto3")
        return {"boto3_s": timing["calls_s"], "boto3_import_s": timing["calls_s"] + timing["import_s"]}

    def aws_cli(self, kind: str, steps: int) -> dict:
        """(c) the same calls through the aws CLI, one process per call."""
        aws = str(Path(sys.executable).parent / "aws")
        if not Path(aws).exists():
            return {}
        sample = steps if steps <= 50 else CLI_SAMPLE_STEPS
        prefix, _plan = self.fresh(kind, steps, "cli")

        def run_cli(args):
            return subprocess.run([aws, *args], env=self.env, check=True,
                                  capture_output=True, text=True).stdout

        start = time.perf_counter()
        for i in range(sample):
            cli_calls(kind, f"{prefix}{i:05d}", run_cli)
        elapsed = time.perf_counter() - start
        self.expect(kind, prefix, sample, "aws CLI")
        return {"cli_s": elapsed * steps / sample, "cli_extrapolated_from_calls": (
            2 * sample if sample < steps else None)}

    def concurrent(self, kind: str, steps: int, limit: int, latency_ms: float) -> dict:
        """A real run with ``max_concurrency=limit``, every request answered ``latency_ms`` late (a proxy in front
        of moto, as a WAN round trip); the phase's time is from its first request to its last answer."""
        prefix, tmp = self.fresh(kind, steps, f"concurrency{limit}")
        plan, digest = self.write_plan(kind, steps, prefix, tmp)
        proxy = FaultProxy(self.server.url).start()
        proxy.latency = latency_ms / 1000
        env, self.env = self.env, dict(self.env, AWS_ENDPOINT_URL=proxy.url)
        try:
            wall, _rss = self.playbook(["playbooks/execute_nonprod.yml", "-e", f"plan={plan}", "-e", f"approve={digest}",
                                        "-e", f"state_dir={tmp / 'state'}", "-e", f"max_concurrency={limit}"],
                                       tmp / "run.log")
        finally:
            self.env = env
            proxy.stop()
        self.expect(kind, prefix, steps, f"our run with max_concurrency={limit}")
        # the phase: from the first step's call (the review's ListBuckets comes before the question) to the last answer
        create = "CreateBucket" if kind == "s3" else "CreateSecurityGroup"
        calls = [(op, start, end) for service, op, start, end in proxy.timeline if service == kind]
        first = min(start for op, start, _end in calls if op == create)
        spans = [(start, end) for _op, start, end in calls if start >= first]
        return {"kind": kind, "steps": steps, "max_concurrency": limit, "latency_ms": latency_ms, "wall_s": wall,
                "phase_s": max(e for _s, e in spans) - first, "requests": len(spans)}

    def stop(self) -> None:
        self.server.stop()


# ---------------------------------------------------------------- plan load, reporting


def plan_load(bench: Bench, steps: int = 10_000) -> dict:
    """Load+validation time of a big plan: benchmarks/plan_load.py if present, else inline."""
    script = REPO / "benchmarks" / "plan_load.py"
    if script.exists():  # it prints "N steps: X ms" (best of 3)
        done = subprocess.run([sys.executable, str(script), str(steps)], cwd=REPO,
                              capture_output=True, text=True, timeout=600, check=False)
        found = re.search(r"(\d+) steps: ([\d.]+) ms", done.stdout)
        if done.returncode == 0 and found and int(found[1]) == steps:
            return {"source": "benchmarks/plan_load.py (best of 3)", "steps": steps,
                    "seconds": float(found[2]) / 1000}
    tmp = Path(tempfile.mkdtemp(prefix="plan-load-", dir=bench.workdir))
    path, _digest = bench.write_plan("s3", steps, "bench-load-", tmp)
    start = time.perf_counter()
    loaded = load_plan(str(path), max_steps=None)
    seconds = time.perf_counter() - start
    assert len(loaded["plan"]["steps"]) == steps
    return {"source": "inline, one run", "steps": steps, "seconds": seconds}
