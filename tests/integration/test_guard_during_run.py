"""The non-production guard, end to end: credentials that turn to production's while a run goes on,
at the approval prompt, at a phase checkpoint, or between verification and the first step."""

from __future__ import annotations

import configparser
import json
import re
import sys

import pexpect
import pytest

from guard_support import (  # noqa: F401  (the fixture ws)  # pylint: disable=unused-import
    DEVELOPMENT, PRODUCTION, STOP, assert_refused, assume, flat, ws)
from moto_harness import mutating_calls, spawn_playbook

pytestmark = pytest.mark.integration

APPROVAL_WAITING = "Do you approve execution? (yes/no):"
CHECKPOINT_WAITING = re.compile(r"Continue\? \(yes/no\)\s*:")


# ------------------------------------------------ credentials that change during a run

@pytest.mark.parametrize("switch_at", ["approval", "checkpoint"])
def test_credentials_switched_to_production_during_the_run(ws, aws_env, switch_at):
    """Verified as development, then the profile's keys become production's: at the approval
    prompt (before any step) or at the phase-2 checkpoint (after phase 1 ran)."""
    aws_env.add_account_profile("dev-deployer", DEVELOPMENT)
    plan, _digest = ws.plan(DEVELOPMENT, "development", phases=2)
    with ws.moto.recording() as calls:
        child = spawn_playbook(ws.execute_args(plan, "dev-deployer"),
                               aws_env.env(profile="dev-deployer"), ws.root)
        child.expect_exact(APPROVAL_WAITING)
        assert "Environment: development" in flat(child.logfile_read.getvalue())
        if switch_at == "checkpoint":
            child.sendline("yes")
            child.expect(CHECKPOINT_WAITING)
        aws_env.rewrite_profile("dev-deployer", PRODUCTION)
        child.sendline("yes")
        child.expect(pexpect.EOF)
        child.close()
    transcript = flat(child.logfile_read.getvalue())
    assert child.exitstatus != 0, transcript
    assert f"{STOP}. Detected environment: production (account 111111111111" in transcript, transcript
    phase_1 = switch_at == "checkpoint"
    assert mutating_calls(calls) == [("s3", "CreateBucket")] * phase_1
    assert ws.buckets() == ({DEVELOPMENT: [f"guard-{DEVELOPMENT}-1"]} if phase_1 else {})


def test_refused_run_is_finished_with_a_refused_report(ws, aws_env):
    """Credentials that turn to production between verification and the first step (a
    credential_process answering dev first, production after): the run must end refused."""
    keys = [{"Version": 1, **{k: c[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}}
            for c in (assume(aws_env, DEVELOPMENT), assume(aws_env, PRODUCTION))]
    script = ws.root / "creds.py"
    script.write_text(
        "import json, pathlib\n"
        f"counter, keys = pathlib.Path({str(ws.root / 'calls')!r}), {keys!r}\n"
        "n = int(counter.read_text()) if counter.exists() else 0\n"
        "counter.write_text(str(n + 1))\n"
        "print(json.dumps(keys[min(n, 1)]))\n")
    add_config(aws_env, "rotating", credential_process=f"{sys.executable} {script}")
    plan, digest = ws.plan(DEVELOPMENT, "development")
    result, calls = ws.execute(plan, "rotating", digest)
    assert_refused(ws, result, calls, "Detected environment: production (account 111111111111")
    run = ws.only_run()
    assert json.loads((run / "report.json").read_text())["status"] == "refused"
    assert "refused" in (ws.state / "changelog.md").read_text()
    assert list((ws.state / "locks").glob("*.lock")) == []


def add_config(aws_env, profile: str, **values: str) -> None:
    """A profile section written as a user would (moto endpoint included)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(aws_env.config_file)
    config[f"profile {profile}"] = {"region": "us-east-1", "endpoint_url": aws_env.endpoint_url,
                                    **values}
    with open(aws_env.config_file, "w") as handle:
        config.write(handle)
