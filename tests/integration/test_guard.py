"""The non-production guard, end to end: playbooks/execute_nonprod.yml (and the modules
called from a user's own playbook) against credentials of accounts of every class.

Every refusal must stop before the first call that could change anything: the moto
recorder shows no mutating call and no account holds a bucket afterwards. Accounts are
separate moto accounts reached by assume_role; the environments file lists them by class.
"""

from __future__ import annotations

import configparser
import json
import re
import sys
from pathlib import Path

import boto3
import pexpect
import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import REPO_ROOT, free_port, mutating_calls, output_of, run_playbook, spawn_playbook

pytestmark = pytest.mark.integration

EXECUTE = REPO_ROOT / "playbooks" / "execute_nonprod.yml"
ROLE_TASKS = REPO_ROOT / "roles" / "execute_nonprod" / "tasks"
STOP = "STOPPING: this collection executes in non-production only"
APPROVAL_WAITING = "Do you approve execution? (yes/no):"
CHECKPOINT_WAITING = re.compile(r"Continue\? \(yes/no\)\s*:")

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


# ------------------------------------------------------------------------------ helpers

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


# --------------------------------------------------------------------- refusal matrix

# (profile, account, alias, plan target (account, environment), texts the refusal shows)
REFUSALS = {
    "production-account": ("ops", PRODUCTION, None, (SANDBOX, "sandbox"),
                           ["Detected environment: production (account 111111111111, matched: account id)",
                            "production is not a non-production class"]),
    "production-alias": ("ops", ALIAS_ONLY, "acme-prod", (ALIAS_ONLY, "sandbox"),
                         ["Detected environment: production (account 777777777777, matched: alias acme-prod)"]),
    "production-profile-on-sandbox": (
        "prod-admin", SANDBOX, None, (SANDBOX, "sandbox"),
        ["Detected environment: production (account 555555555555",
         "account id (sandbox), profile prod-admin (production)"]),
    "unclassified-account": ("ops", UNCLASSIFIED, None, (UNCLASSIFIED, "sandbox"),
                             ["Detected environment: staging (account 999999999999, no signal matched)",
                              "staging is not a non-production class"]),
    "staging-account": ("ops", STAGING, "acme-staging", (STAGING, "test"),
                        ["Detected environment: staging (account 222222222222, "
                         "matched: account id, alias acme-staging)"]),
    "plan-for-another-account": (
        "ops", SANDBOX_2, None, (SANDBOX, "sandbox"),
        ["the plan was approved for account 555555555555, but the credentials belong to "
         "account 666666666666"]),
    "plan-for-another-class": (
        "ops", SANDBOX, None, (SANDBOX, "development"),
        ["the plan was approved for development, but this account is sandbox"]),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_refused_before_any_change(ws, aws_env, case):
    profile, account, alias, (target_account, environment), reasons = case
    aws_env.add_account_profile(profile, account, alias=alias)
    plan, digest = ws.plan(target_account, environment)
    result, calls = ws.execute(plan, profile, digest)
    assert_refused(ws, result, calls, *reasons)
    report = json.loads((ws.only_run() / "report.json").read_text())
    assert report["status"] == "refused"


def test_region_not_allowed_for_the_class(ws, aws_env):
    aws_env.add_account_profile("dev-deployer", DEVELOPMENT, alias="acme-dev")
    plan, digest = ws.plan(DEVELOPMENT, "development", region="eu-west-1")
    result, calls = ws.execute(plan, "dev-deployer", digest)
    assert_refused(ws, result, calls, "region(s) eu-west-1 are not allowed for development")


def test_dev_named_profile_assuming_a_production_role(ws, aws_env):
    aws_env.add_account_profile("ops-base", DEVELOPMENT)
    aws_env.add_role_profile("dev-deployer", source_profile="ops-base", account_id=PRODUCTION)
    plan, digest = ws.plan(DEVELOPMENT, "development")
    result, calls = ws.execute(plan, "dev-deployer", digest)
    assert_refused(ws, result, calls, "Detected environment: production (account 111111111111",
                   "account id (production), profile dev-deployer (development)")


def test_production_profile_from_the_environment_only(ws, aws_env):
    """AWS_PROFILE=prod-admin without -e aws_profile: the profile in use is still a signal."""
    aws_env.add_account_profile("prod-admin", SANDBOX)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    result, calls = ws.execute(plan, None, digest, env=aws_env.env(profile="prod-admin"))
    assert_refused(ws, result, calls, "profile prod-admin (production)")


@pytest.mark.parametrize("flag", [["--check"], ["-e", "dry_run=true"]], ids=["check", "dry_run"])
def test_dry_run_against_production_is_refused(ws, aws_env, flag):
    aws_env.add_account_profile("ops", PRODUCTION)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    result, calls = ws.execute(plan, "ops", digest, extra=flag)
    assert_refused(ws, result, calls, "Detected environment: production (account 111111111111")


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


# ------------------------------------------- the step module without the role and its checks

def journal_tasks(ws: Workspace, plan: Path, digest: str) -> list:
    state = str(ws.state)
    return [{"coworker.aws.run_journal": {"op": "start", "plan": str(plan), "state_dir": state},
             "register": "run"},
            {"coworker.aws.run_journal": {"op": "approve", "run_id": "{{ run.run_id }}",
                                          "token": digest, "state_dir": state}}]


def step_task(ws: Workspace, plan: Path, run_id: str) -> dict:
    return {"coworker.aws.run_step": {"plan": str(plan), "run_id": run_id,
                                      "steps": ["create_bucket_1"], "state_dir": str(ws.state),
                                      "environments_file": str(ws.environments)}}


@pytest.mark.parametrize("with_journal", [True, False], ids=["approved-journal", "made-up-run-id"])
def test_step_module_in_a_users_playbook_against_production(ws, aws_env, with_journal):
    aws_env.add_account_profile("ops", PRODUCTION)
    plan, digest = ws.plan(PRODUCTION, "sandbox")  # a plan that claims production is a sandbox
    if with_journal:
        tasks, reason = journal_tasks(ws, plan, digest) + [step_task(ws, plan, "{{ run.run_id }}")], (
            STOP, "Detected environment: production (account 111111111111, matched: account id)")
    else:
        tasks, reason = [step_task(ws, plan, "20261124T000000Z-made-up")], (
            "run 20261124T000000Z-made-up has no journal",)
    result, calls = ws.playbook(tasks, aws_env.env(profile="ops"))
    assert_refused(ws, result, calls, *reason, stop=reason[0])


# --------------------------------------------------- overriding the role's variables

def role_variables() -> set:
    """Every variable the role registers, sets with set_fact or passes to an include."""
    names = set()

    def walk(tasks):
        for task in tasks or []:
            names.update([task["register"]] if "register" in task else [])
            names.update(task.get("ansible.builtin.set_fact", {}))
            if "ansible.builtin.include_tasks" in task:
                names.update(task.get("vars", {}))
            for key in ("block", "rescue", "always"):
                walk(task.get(key))

    for path in ROLE_TASKS.glob("*.yml"):
        walk(yaml.safe_load(path.read_text()))
    return names


def forged_variables(plan: Path, digest: str) -> dict:
    """A claim, for every role variable, that verification passed in a sandbox."""
    identity = {"account": SANDBOX, "arn": f"arn:aws:sts::{SANDBOX}:assumed-role/Any/x",
                "alias": "acme-sandbox", "alias_status": "found", "profile": "sandbox-ci"}
    run = {"run_id": "forged-run", "run_dir": "forged", "dry_run": False, "interactive": False,
           "lock_note": None, "sha256": digest, "done": [],
           "commands": {"resume": "forged", "rollback": "forged"}}
    return {
        "execute_nonprod_env": {"allowed": True, "environment": "sandbox", "identity": identity,
                                "matched": [], "reason": "forged", "failed": False},
        "execute_nonprod_opened": {"skipped": True, "changed": False},
        "execute_nonprod_started": run, "execute_nonprod_run": run,
        "execute_nonprod_is_dry_run": False, "execute_nonprod_prompts": False,
        "execute_nonprod_total": 1, "execute_nonprod_done": [],
        "execute_nonprod_next": {"action": "continue", "outcome": "auto", "by_person": False,
                                 "run_next": ["create_bucket_1"]},
        "execute_nonprod_answer": {"user_input": "yes"},
        "execute_nonprod_approval": {"approved": True, "failed": False},
        "execute_nonprod_checkpoint": {"user_input": "yes"},
        "execute_nonprod_wave_answer": {"user_input": "yes"}, "execute_nonprod_wave_at": 1,
        "execute_nonprod_batch": {"results": [], "unexpected_step": None, "not_run": [], "refused": False,
                                  "failed": False, "completed": ["create_bucket_1"]},
        "execute_nonprod_pending": ["create_bucket_1"], "execute_nonprod_reply": {"user_input": "1"},
        "execute_nonprod_rollback": {"rollback": []},
        "execute_nonprod_drift": {"drift": {"lines": [], "needs_consent": False}},
        "execute_nonprod_finished": {"status": "succeeded", "report_text": "", "report_dir": ""},
    }


def test_extra_vars_cannot_claim_a_verified_sandbox(ws, aws_env):
    aws_env.add_account_profile("ops", PRODUCTION)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    forged = forged_variables(plan, digest)
    # the plan itself is not a verdict: run_step reads the file and checks its digest
    assert role_variables() - {"execute_nonprod_loaded"} == set(forged)
    result, calls = ws.execute(plan, "ops", digest, extra=["-e", json.dumps(forged)])
    assert_refused(ws, result, calls, "Detected environment: production (account 111111111111")


# ------------------------------------------------------------- failing closed

def test_sts_rejects_the_credentials(ws, aws_env, moto_server):
    """Fail closed when STS answers with an error. (An IAM policy cannot deny
    sts:GetCallerIdentity, in AWS as in moto; unknown keys are what STS refuses.)"""
    plan, digest = ws.plan("123456789012", "sandbox")
    env = aws_env.env(AWS_ACCESS_KEY_ID="AKIAREVOKEDKEY000000", AWS_SECRET_ACCESS_KEY="revoked")
    moto_server.enable_iam_checks()
    try:
        result, calls = ws.execute(plan, None, digest, env=env)
    finally:
        moto_server.disable_iam_checks()
    assert_refused(ws, result, calls, "could not be established",
                   "sts:GetCallerIdentity: InvalidClientTokenId")


def test_sts_unreachable(ws, aws_env):
    aws_env.add_account_profile("sandbox-ci", SANDBOX)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    closed = f"http://127.0.0.1:{free_port()}"
    result, calls = ws.execute(plan, "sandbox-ci", digest,
                               env=aws_env.env(profile="sandbox-ci", endpoint_url=closed))
    assert_refused(ws, result, calls, f'(Could not connect to the endpoint URL: "{closed}/")', "nothing was changed",
                   stop=f"STOPPING: could not reach AWS endpoint {closed}/")
    assert STOP not in flat(output_of(result))  # not worded as a production refusal


@pytest.mark.parametrize("content, message", [
    (None, "environments file not found"),
    ("environments:\n  production: {account_ids: [111111111111]}\n",
     ": environments.production.account_ids[0]: account id 111111111111 must be quoted"),
], ids=["missing", "unquoted-account-id"])
def test_broken_environments_file(ws, aws_env, content, message):
    aws_env.add_account_profile("sandbox-ci", SANDBOX)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    ws.environments.unlink()
    if content:
        ws.environments.write_text(content)
    result, calls = ws.execute(plan, "sandbox-ci", digest)
    assert_refused(ws, result, calls, stop=f"{ws.environments}: " + message.lstrip(": "))


# ---------------------------------------------------------------- allowed accounts

@pytest.mark.parametrize("environment, account, profile, alias", [
    ("sandbox", SANDBOX, "sandbox-ci", "acme-sandbox"),
    ("development", DEVELOPMENT, "dev-deployer", "acme-dev"),
    ("test", TEST, "qa-runner", "acme-qa"),
])
def test_non_production_accounts_execute(ws, aws_env, environment, account, profile, alias):
    aws_env.add_account_profile(profile, account, alias=alias)
    plan, digest = ws.plan(account, environment)
    result, calls = ws.execute(plan, profile, digest)
    out = flat(output_of(result))
    assert result.returncode == 0, output_of(result)
    arn = f"arn:aws:sts::{account}:assumed-role/Any/harness-{profile}"
    for text in (f"Account: {account} ({arn})", f"Alias: {alias}",
                 f"Environment: {environment} — matched: account id {account} ({environment}), "
                 f"alias {alias} ({environment}), profile {profile} ({environment})"):
        assert text in out, output_of(result)
    assert mutating_calls(calls) == [("s3", "CreateBucket")]
    assert ws.buckets() == {account: [f"guard-{account}-1"]}
    run = ws.only_run()
    [verified] = [e for e in journal(run) if e["event"] == "environment_verified"]
    assert {k: verified[k] for k in ("account", "arn", "alias", "environment")} == {
        "account": account, "arn": arn, "alias": alias, "environment": environment}
    assert {(m["signal"], m["environment"]) for m in verified["matched"]} == {
        ("account id", environment), ("alias", environment), ("profile", environment)}
    report = json.loads((run / "report.json").read_text())
    assert (report["status"], report["account_id"], report["environment"], report["executor_arn"]) == (
        "succeeded", account, environment, arn)


def test_verify_environment_can_report_instead_of_failing(ws, aws_env):
    aws_env.add_account_profile("ops", PRODUCTION)
    aws_env.add_account_profile("sandbox-ci", SANDBOX)
    out = ws.root / "verdicts.json"
    verify = {"environments_file": str(ws.environments), "fail_on_refusal": False}
    tasks = [{"coworker.aws.verify_environment": dict(verify, profile=profile), "register": name}
             for name, profile in (("prod", "ops"), ("sandbox", "sandbox-ci"))]
    tasks.append({"ansible.builtin.copy": {"dest": str(out),
                                           "content": "{{ {'prod': prod, 'sandbox': sandbox} | to_json }}"}})
    result, calls = ws.playbook(tasks, aws_env.env())
    assert result.returncode == 0, output_of(result)
    verdicts = json.loads(out.read_text())
    prod, sandbox = verdicts["prod"], verdicts["sandbox"]
    assert (prod["allowed"], prod["environment"], prod["identity"]["account"]) == (
        False, "production", PRODUCTION)
    assert STOP in prod["refusal"] and "account 111111111111" in prod["refusal"]
    assert (sandbox["allowed"], sandbox["environment"], sandbox["identity"]["account"]) == (
        True, "sandbox", SANDBOX)
    assert "refusal" not in sandbox
    assert mutating_calls(calls) == []
