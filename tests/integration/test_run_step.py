"""Running plan steps with coworker.aws.run_step, as a user's own playbook does it.

Each test writes a small playbook that starts a run (run_journal op=start), approves it
with the plan digest (op=approve token=...), runs the plan's steps one task at a time,
optionally rolls back (mode: rollback) and finishes the run (op=finish). It then checks
what a user would check: the resources in moto, the task results, the journal and
report.json. The sandbox account is moto's default account 123456789012, classified by
an environments file, as scripts/demo.sh does.
"""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import (
    DEFAULT_ACCOUNT_ID, REPO_ROOT, account_snapshot, mutating_calls, output_of, run_playbook)

pytestmark = pytest.mark.integration

PROFILE = "sandbox-tester"
EXAMPLES = REPO_ROOT / "examples" / "plans"
BUCKET = f"dev-logs-{DEFAULT_ACCOUNT_ID}"
ENVIRONMENTS = """\
environments:
  sandbox: {account_ids: ["123456789012"], account_aliases: ["*-sandbox"], profiles: ["sandbox-*"]}
  development: {account_aliases: ["*-dev"], profiles: ["dev-*"], regions: [us-east-1, us-west-2]}
  test: {account_aliases: ["*-test", "*-qa"], profiles: ["test-*", "qa-*"]}
  staging: {account_aliases: ["*-staging", "*-preprod"], profiles: ["staging-*"]}
  production: {account_aliases: ["*-prod", "*-production"], profiles: ["prod-*"]}
unknown_environment: staging
"""
PLAN_HEADER = {  # of the small plans written by the tests themselves
    "format": "coworker.aws/plan-v1", "name": "Test plan", "created": "2026-11-23T10:00:00Z",
    "target": {"environment": "sandbox", "account_id": DEFAULT_ACCOUNT_ID, "region": "us-east-1"},
    "guardrail": {"status": "PASS", "validated_at": "2026-11-23T10:02:00Z", "findings": []},
}


# ------------------------------------------------------------------------------ helpers

class Workspace:
    """A user's working directory: approved plans, environments file, state, playbooks."""

    def __init__(self, aws_env, root: Path):
        self.aws_env = aws_env
        self.root = root
        self.plans = root / "plans"
        self.state = root / "state"
        self.environments = root / "environments.yml"
        self.plans.mkdir()
        self.environments.write_text(ENVIRONMENTS)
        aws_env.add_account_profile(PROFILE, DEFAULT_ACCOUNT_ID)
        self._playbooks = 0

    def approve(self, document: dict) -> tuple[Path, str]:
        """Write the plan with a fresh approval block; returns (path, digest)."""
        document = {k: v for k, v in document.items() if k != "approval"}
        document["approval"] = approval_block(document, "tester@example.com")
        path = self.plans / f"{document['id']}.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path, document["approval"]["plan_sha256"]

    def approve_example(self, name: str) -> tuple[Path, str]:
        return self.approve(yaml.safe_load((EXAMPLES / name).read_text()))

    def run(self, plan: Path, tasks: list, digest: str | None = None, run_id: str | None = None,
            finish: bool = True, profile: str = PROFILE, flags=(), env=None):
        """Run a user playbook: start and approve a run (or continue run_id), the tasks,
        then finish the run. Returns (completed process, {register name: task result});
        the results are saved even when a task fails."""
        self._playbooks += 1
        results_file = self.root / f"results-{self._playbooks}.json"
        playbook = self.root / f"playbook-{self._playbooks}.yml"
        play = self._play(plan, tasks, digest, run_id, finish, profile, results_file)
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        result = run_playbook([*flags, playbook], env or self.aws_env.env(profile=profile), self.root)
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        return result, results

    def _play(self, plan, tasks, digest, run_id, finish, profile, results_file) -> dict:
        journal = {"state_dir": str(self.state), "run_id": run_id or "{{ run.run_id }}"}
        start = [] if run_id else [
            {"name": "Start the run", "register": "run", "coworker.aws.run_journal": {
                "op": "start", "plan": str(plan), "profile": profile, "state_dir": str(self.state)}},
            {"name": "Approve the run", "coworker.aws.run_journal": {
                "op": "approve", "token": digest, **journal}}]
        names = ([] if run_id else ["run"]) + [t["register"] for t in tasks if "register" in t]
        keep = {"name": "Keep the results", "diff": False, "ansible.builtin.copy": {
            "dest": str(results_file),
            "content": "{{ {%s} | to_json }}" % ", ".join(f"'{n}': {n} | default(None)" for n in names)}}
        finish_task = {"name": "Finish the run", "coworker.aws.run_journal": {"op": "finish", **journal}}
        return {"name": "Run plan steps", "hosts": "localhost", "connection": "local",
                "gather_facts": False,
                "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                "module_defaults": {"coworker.aws.run_step": {
                    "plan": str(plan), "profile": profile, "environments_file": str(self.environments),
                    **journal},
                    # the approval records who signed, as the guard checks it for the plan's class
                    "coworker.aws.run_journal": {"environments_file": str(self.environments)}},
                "tasks": [{"block": start + tasks, "always": [finish_task] * finish + [keep]}]}

    def run_dir(self, run_id: str) -> Path:
        return self.state / "runs" / run_id

    def journal(self, run_id: str) -> list[dict]:
        return [json.loads(line) for line in
                (self.run_dir(run_id) / "journal.jsonl").read_text().splitlines()]

    def report(self, run_id: str) -> dict:
        return json.loads((self.run_dir(run_id) / "report.json").read_text())


def step_task(step_id: str, register: str | None = None, **args) -> dict:
    return {"name": f"Step {step_id}", "register": register or step_id,
            "coworker.aws.run_step": {"steps": [step_id], **args}}


def rollback_task(**args) -> dict:
    return {"name": "Roll back", "register": "rolled",
            "coworker.aws.run_step": {"mode": "rollback", **args}}


def step_ids(plan: Path) -> list[str]:
    document = yaml.safe_load(plan.read_text())
    return [step["id"] for phase in document["phases"] for step in phase["steps"]]


def small_plan(plan_id: str, steps: list[dict]) -> dict:
    return {**PLAN_HEADER, "id": plan_id, "phases": [{"name": "Only", "steps": steps}]}


@pytest.fixture
def workspace(aws_env, tmp_path) -> Workspace:
    return Workspace(aws_env, tmp_path)


@pytest.fixture
def sandbox(aws_env):
    """boto3 session on the sandbox account, for assertions."""
    return aws_env.boto3_session()


# ------------------------------------------------------- example plans, step by step

OWNERSHIP_TAGS = {"Environment": "sandbox", "Owner": "platform-team", "CostCenter": "CC-1042",
                  "CreatedBy": "coworker.aws"}  # with Name and Application: the default required-tags rule's keys


def plan_tags(tags: dict) -> dict:
    """The tags the plan itself gives (the coworker: run tags left out)."""
    return {k: v for k, v in tags.items() if not k.startswith("coworker:")}


def s3_plan_created(snapshot, results, session=None):
    assert snapshot["s3_buckets"] == {BUCKET: {
        "versioning": "Enabled",
        "encryption": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": False}],
        "tags": dict(OWNERSHIP_TAGS, Name=BUCKET, Application="dev-logs",
                     Plan=results["run"]["run_id"])}}
    if session is not None:
        assert session.client("s3").get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True}


def vpc_plan_created(snapshot, results, _session=None):
    [(vpc_id, vpc)] = snapshot["ec2_vpcs"].items()
    [(subnet_id, subnet)] = snapshot["ec2_subnets"].items()
    [(group_id, group)] = snapshot["ec2_security_groups"].items()
    assert vpc["cidr"] == "10.20.0.0/16" and vpc["tags"]["coworker:step-id"] == "create_vpc"
    assert plan_tags(vpc["tags"]) == dict(OWNERSHIP_TAGS, Name="dev-web", Application="dev-web")
    assert plan_tags(subnet["tags"]) == dict(OWNERSHIP_TAGS, Name="dev-web-private-a", Application="dev-web")
    assert plan_tags(group["tags"]) == dict(OWNERSHIP_TAGS, Name="dev-web-https", Application="dev-web")
    assert (subnet["vpc"], subnet["cidr"]) == (vpc_id, "10.20.1.0/24")
    assert (group["name"], group["vpc"]) == ("dev-web-https", vpc_id)
    assert [(r["FromPort"], r["ToPort"], [ip["CidrIp"] for ip in r["IpRanges"]])
            for r in group["ingress"]] == [(443, 443, ["10.20.0.0/16"])]
    # the outputs chain through references: each step was sent the ids the previous made
    outputs = {sid: results[sid]["results"][0]["outputs"] for sid in
               ("create_vpc", "create_subnet", "create_security_group")}
    assert outputs == {"create_vpc": {"vpc_id": vpc_id}, "create_subnet": {"subnet_id": subnet_id},
                       "create_security_group": {"group_id": group_id}}
    assert results["create_subnet"]["results"][0]["call"]["params"]["VpcId"] == vpc_id
    assert results["allow_https"]["results"][0]["call"]["params"]["GroupId"] == group_id


def ssm_plan_created(snapshot, results, session=None):
    parameters = {name: p["value"] for name, p in snapshot["ssm_parameters"].items()}
    assert parameters == {"/sandbox/app/db_host": "db.sandbox.internal",
                          "/sandbox/app/log_level": "debug"}
    assert snapshot["iam_roles"] == {"sandbox-app-config-reader": {
        "path": "/", "attached_policies": [], "inline_policies": ["read-app-config"]}}
    if session is None:
        return
    ssm = session.client("ssm")
    for name, tag in (("/sandbox/app/db_host", "app-db-host"), ("/sandbox/app/log_level", "app-log-level")):
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        assert plan_tags({t["Key"]: t["Value"] for t in tags}) == dict(OWNERSHIP_TAGS, Name=tag, Application="sandbox-app")
    tags = session.client("iam").list_role_tags(RoleName="sandbox-app-config-reader")["Tags"]
    assert plan_tags({t["Key"]: t["Value"] for t in tags}) == dict(
        OWNERSHIP_TAGS, Name="sandbox-app-config-reader", Application="sandbox-app")


@pytest.mark.parametrize("example, created", [
    ("s3-dev-logs.yml", s3_plan_created),
    ("vpc-dev-network.yml", vpc_plan_created),
    ("ssm-iam-app-config.yml", ssm_plan_created),
])
def test_example_plan_runs_step_by_step_then_rolls_back(workspace, sandbox, example, created):
    plan, digest = workspace.approve_example(example)
    steps = step_ids(plan)
    before = account_snapshot(sandbox)

    result, results = workspace.run(plan, [step_task(s) for s in steps], digest, finish=False)

    assert result.returncode == 0, output_of(result)
    created(account_snapshot(sandbox), results, sandbox)
    for step in steps:
        [outcome] = results[step]["results"]
        assert (outcome["id"], outcome["status"], outcome["validation"]["status"]) \
            == (step, "succeeded", "passed")
        assert results[step]["changed"] is True and results[step]["completed"] == [step]
    run_id = results["run"]["run_id"]

    result, results = workspace.run(plan, [rollback_task()], run_id=run_id)

    assert result.returncode == 0, output_of(result)
    assert account_snapshot(sandbox) == before
    assert [r["id"] for r in results["rolled"]["rollback"]] == steps[::-1]
    assert {r["status"] for r in results["rolled"]["rollback"]} == {"rolled_back"}
    journal = workspace.journal(run_id)
    assert [e["step"] for e in journal if e["event"] == "rollback_succeeded"] == steps[::-1]
    report = workspace.report(run_id)
    assert report["status"] == "rolled_back"
    assert [(s["id"], s["validation"]) for s in report["steps"]] == [(s, "passed") for s in steps]
    assert report["rollback"]["status"] == "succeeded"


# ------------------------------------------------------------- throttling and 5xx

def test_throttled_and_failing_calls_are_retried_and_counted(workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    steps = step_ids(plan)
    fault_proxy.add_fault("ssm", "PutParameter", "throttle", count=3)  # put_db_host
    fault_proxy.add_fault("iam", "CreateRole", "error500", count=1)    # create_role
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)

    result, results = workspace.run(plan, [step_task(s) for s in steps], digest, env=env)

    assert result.returncode == 0, output_of(result)
    assert (fault_proxy.hits("ssm", "PutParameter"), fault_proxy.hits("iam", "CreateRole")) \
        == (3 + 1 + 1, 1 + 1)
    assert [results[s]["results"][0]["retries"] for s in steps] == [3, 0, 1, 0]
    report = workspace.report(results["run"]["run_id"])
    assert report["status"] == "succeeded"
    assert [(s["id"], s["retries"]) for s in report["steps"]] == list(zip(steps, [3, 0, 1, 0]))
    ssm_plan_created(account_snapshot(sandbox), results)


def test_ec2_request_limit_exceeded_is_retried(workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("vpc-dev-network.yml")
    fault_proxy.add_fault("ec2", "CreateVpc", "throttle", count=3)  # RequestLimitExceeded
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)

    result, results = workspace.run(plan, [step_task("create_vpc")], digest, env=env)

    assert result.returncode == 0, output_of(result)
    assert fault_proxy.hits("ec2", "CreateVpc") == 4
    [outcome] = results["create_vpc"]["results"]
    assert (outcome["status"], outcome["retries"]) == ("succeeded", 3)
    assert len(account_snapshot(sandbox)["ec2_vpcs"]) == 1


def test_permanent_throttling_fails_with_rate_limited_and_the_retry_count(
        workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    fault_proxy.add_fault("ssm", "PutParameter", "throttle")
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)

    # max_attempts counts every attempt: 3 attempts are 2 retries (keeps backoff short)
    result, results = workspace.run(plan, [step_task("put_db_host", max_attempts=3)], digest,
                                    env=env)

    assert result.returncode == 2, output_of(result)
    assert fault_proxy.hits("ssm", "PutParameter") == 3
    task = results["put_db_host"]
    assert task["failed"] is True and task["failed_step"] == "put_db_host"
    assert task["error"]["kind"] == "throttled" and task["error"]["retries"] == 2
    assert "RATE LIMITED: ssm:PutParameter failed with ThrottlingException: Rate exceeded" \
        in task["msg"]
    assert "still failed after 2 retries" in task["msg"]
    assert "RATE LIMITED" in result.stdout
    assert account_snapshot(sandbox)["ssm_parameters"] == {}
    report = workspace.report(results["run"]["run_id"])
    assert (report["status"], report["steps"][0]["status"]) == ("failed", "failed")


# ------------------------------------------------------------------ classified errors

def add_user_profile(aws_env, profile: str, policy: dict) -> None:
    """An IAM user of the sandbox account with an inline policy, and a profile with its key."""
    iam = aws_env.boto3_session().client("iam")
    iam.create_user(UserName=profile)
    iam.put_user_policy(UserName=profile, PolicyName="limited", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=profile)["AccessKey"]
    for path, section, values in (
            (aws_env.credentials_file, profile, {"aws_access_key_id": key["AccessKeyId"],
                                                 "aws_secret_access_key": key["SecretAccessKey"]}),
            (aws_env.config_file, f"profile {profile}", {"region": "us-east-1",
                                                         "endpoint_url": aws_env.endpoint_url})):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path)
        parser[section] = values
        with open(path, "w") as handle:
            parser.write(handle)


LIKELY_CAUSES = {
    "ACCESS DENIED": ["lacks permission for s3:CreateBucket (check its IAM policies)",
                      "a service control policy (SCP) of the organisation blocks s3:CreateBucket",
                      "a resource policy (bucket, key, role trust) denies this caller"],
    "NOT FOUND": ["was already deleted", "it exists in another region or account",
                  "it is named differently"],
}


def test_access_denied_names_profile_operation_and_likely_causes(
        workspace, sandbox, moto_server):
    plan, digest = workspace.approve_example("s3-dev-logs.yml")
    add_user_profile(workspace.aws_env, "sandbox-limited", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Resource": "*",
        "Action": ["sts:GetCallerIdentity", "iam:ListAccountAliases", "s3:ListBucket",
                   "s3:HeadBucket"]}]})
    moto_server.enable_iam_checks()

    result, results = workspace.run(plan, [step_task("create_bucket")], digest,
                                    profile="sandbox-limited")

    moto_server.disable_iam_checks()
    assert result.returncode == 2, output_of(result)
    task = results["create_bucket"]
    assert task["identity"]["profile"] == "sandbox-limited"
    assert task["error"]["kind"] == "access_denied" and task["error"]["code"] == "AccessDenied"
    message = task["msg"]
    assert "ACCESS DENIED: s3:CreateBucket failed with AccessDenied" in message
    assert f"resource: Bucket={BUCKET}; caller: profile sandbox-limited" in message
    assert "request id: " in message
    assert "profile sandbox-limited lacks permission" in message
    for cause in LIKELY_CAUSES["ACCESS DENIED"]:
        assert cause in message
    assert account_snapshot(sandbox)["s3_buckets"] == {}


def test_not_found_names_the_resource_and_likely_causes(workspace, sandbox):
    # not S3: a bucket the account does not own is refused by the perimeter before any call
    group = "sg-0123456789abcdef0"
    plan, digest = workspace.approve(small_plan("tag-missing-group", [{
        "id": "tag_group", "action": "ec2:CreateTags",
        "params": {"Resources": [group], "Tags": [{"Key": "team", "Value": "web"}]},
        "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupIds": [group]}},
        "rollback": {"action": "ec2:DeleteTags", "params": {"Resources": [group]}}}]))

    result, results = workspace.run(plan, [step_task("tag_group")], digest)

    assert result.returncode == 2, output_of(result)
    task = results["tag_group"]
    assert (task["error"]["kind"], task["error"]["code"]) == ("not_found", "InvalidGroup.NotFound")
    message = task["msg"]
    assert "NOT FOUND: ec2:CreateTags failed with InvalidGroup.NotFound" in message
    assert f"The security group '{{'{group}'}}' does not exist" in message
    assert f"caller: profile {PROFILE}" in message
    for cause in LIKELY_CAUSES["NOT FOUND"]:
        assert cause in message
    assert "NOT FOUND" in result.stdout
    # the step changed nothing, so a rollback of the run has nothing to undo
    journal = workspace.journal(results["run"]["run_id"])
    assert [e["changed"] for e in journal if e["event"] == "call_failed"] == [False]


# ---------------------------------------------------------------- rollback and retry

def test_rollback_of_a_resource_already_gone_counts_as_done(workspace, sandbox):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    before = account_snapshot(sandbox)
    result, results = workspace.run(
        plan, [step_task("put_db_host"), step_task("put_log_level")], digest, finish=False)
    assert result.returncode == 0, output_of(result)
    run_id = results["run"]["run_id"]
    sandbox.client("ssm").delete_parameter(Name="/sandbox/app/db_host")  # behind the plan's back

    result, results = workspace.run(plan, [rollback_task()], run_id=run_id)

    assert result.returncode == 0, output_of(result)
    rolled = {r["id"]: r for r in results["rolled"]["rollback"]}
    assert list(rolled) == ["put_log_level", "put_db_host"]
    assert {sid: r["status"] for sid, r in rolled.items()} \
        == {"put_log_level": "rolled_back", "put_db_host": "rolled_back"}
    assert [c["status"] for c in rolled["put_log_level"]["calls"]] == ["done"]
    assert [(c["status"], c["code"]) for c in rolled["put_db_host"]["calls"]] \
        == [("already_gone", "ParameterNotFound")]
    assert results["rolled"].get("failed") is not True and results["rolled"]["manual_cleanup"] == []
    assert account_snapshot(sandbox) == before
    report = workspace.report(run_id)
    assert (report["status"], report["rollback"]["status"]) == ("rolled_back", "succeeded")


def test_step_rerun_in_the_same_run_recognises_what_its_first_attempt_created(
        workspace, sandbox):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    tasks = [step_task("put_db_host"), step_task("put_log_level"),
             step_task("put_log_level", register="again"), rollback_task()]

    result, results = workspace.run(plan, tasks, digest)

    assert result.returncode == 0, output_of(result)
    # AlreadyExists after this run's own create: validation decides, and it passes
    [again] = results["again"]["results"]
    assert (again["status"], again["validation"]["status"], again["changed"]) \
        == ("succeeded", "passed", True)
    assert again["error"] is None and "earlier attempt of this run" in again["recovered"]
    assert [r["id"] for r in results["rolled"]["rollback"]] == ["put_log_level", "put_db_host"]
    assert account_snapshot(sandbox)["ssm_parameters"] == {}


def test_rerun_of_a_step_with_journaled_outputs_recovers_them(workspace):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    tasks = [step_task("put_db_host"),
             {**step_task("put_db_host", register="again"), "ignore_errors": True}]

    result, results = workspace.run(plan, tasks, digest)

    assert "outputs were not journaled" not in results["again"].get("msg", "")
    [again] = results["again"]["results"]
    assert (again["status"], again["outputs"]) == ("succeeded", {"version": 1})


def test_what_a_first_attempt_created_is_rolled_back_after_a_failed_retry(
        workspace, sandbox, fault_proxy):
    plan, digest = workspace.approve_example("ssm-iam-app-config.yml")
    env = workspace.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)
    # first attempt: the parameter is created, but every read of it is throttled, so the
    # step fails validation (describe before, validate, describe after)
    fault_proxy.add_fault("ssm", "GetParameter", "throttle", count=3)
    result, results = workspace.run(plan, [step_task("put_db_host", max_attempts=1)], digest,
                                    finish=False, env=env)
    assert result.returncode == 2 and "VALIDATION FAILED" in results["put_db_host"]["msg"]
    assert "/sandbox/app/db_host" in account_snapshot(sandbox)["ssm_parameters"]
    run_id = results["run"]["run_id"]
    # the person retries the step; AWS answers with a 500; then they roll back
    fault_proxy.add_fault("ssm", "PutParameter", "error500")
    retry = {**step_task("put_db_host", max_attempts=1), "ignore_errors": True}

    result, results = workspace.run(plan, [retry, rollback_task()], run_id=run_id, env=env)

    assert result.returncode == 0, output_of(result)
    assert results["put_db_host"]["error"]["code"] == "InternalServerError"
    assert account_snapshot(sandbox)["ssm_parameters"] == {}
    assert [r["id"] for r in results["rolled"]["rollback"]] == ["put_db_host"]


# ----------------------------------------------------------------- check and diff

def run_role(workspace, plan: Path, digest: str, *flags):
    """playbooks/execute_nonprod.yml, non-interactive, approved by token."""
    return run_playbook([REPO_ROOT / "playbooks" / "execute_nonprod.yml", *flags,
                         "-e", f"plan={plan}", "-e", f"approve={digest}",
                         "-e", f"environments_file={workspace.environments}",
                         "-e", f"aws_profile={PROFILE}", "-e", f"state_dir={workspace.state}"],
                        workspace.aws_env.env(profile=PROFILE), workspace.root)


def displayed(stdout: str) -> str:
    """Ansible's YAML output folds long strings over lines and doubles single quotes:
    undo both, so a line of the display can be matched as the user reads it."""
    return re.sub(r"\s*\n\s*", " ", stdout).replace("''", "'")


def tags_option(option: str, name: str, application: str, resource_type: str | None = None) -> str:
    """The CLI option an example's ownership tags render as (the plan's own order; no run tags)."""
    tags = ",".join('{"Key":"%s","Value":"%s"}' % pair for pair in (
        ("Name", name), ("Environment", "sandbox"), ("Owner", "platform-team"), ("CostCenter", "CC-1042"),
        ("Application", application), ("CreatedBy", "coworker.aws")))
    value = '{"ResourceType":"%s","Tags":[%s]}' % (resource_type, tags) if resource_type else tags
    return "%s '[%s]'" % (option, value)


CHECK_MODE_LINES = {
    "s3-dev-logs.yml": [
        f"aws s3api create-bucket --bucket {BUCKET} --region us-east-1 --profile {PROFILE}",
        f"aws s3api put-public-access-block --bucket {BUCKET} --public-access-block-configuration "
        f"'{{\"BlockPublicAcls\":true,\"IgnorePublicAcls\":true,\"BlockPublicPolicy\":true,"
        f"\"RestrictPublicBuckets\":true}}' --region us-east-1 --profile {PROFILE}",
        f"aws s3api get-public-access-block --bucket {BUCKET} --region us-east-1 --profile {PROFILE} -> planned",
        f"aws s3api put-bucket-versioning --bucket {BUCKET} --versioning-configuration "
        f"'{{\"Status\":\"Enabled\"}}' --region us-east-1 --profile {PROFILE}",
        f"aws s3api head-bucket --bucket {BUCKET} --region us-east-1 --profile {PROFILE} -> planned",
    ],
    "vpc-dev-network.yml": [
        f"aws ec2 create-subnet --vpc-id '<create_vpc.vpc_id>' --cidr-block 10.20.1.0/24 "
        f"--availability-zone us-east-1a "
        f"{tags_option('--tag-specifications', 'dev-web-private-a', 'dev-web', 'subnet')} "
        f"--region us-east-1 --profile {PROFILE}",
        f"aws ec2 create-security-group --group-name dev-web-https --description "
        f"'HTTPS from the VPC' --vpc-id '<create_vpc.vpc_id>' "
        f"{tags_option('--tag-specifications', 'dev-web-https', 'dev-web', 'security-group')} "
        f"--region us-east-1 --profile {PROFILE}",
        f"aws ec2 describe-security-groups --group-ids '<create_security_group.group_id>' "
        f"--region us-east-1 --profile {PROFILE} -> planned",
    ],
    "ssm-iam-app-config.yml": [
        f"aws ssm put-parameter --name /sandbox/app/db_host --value db.sandbox.internal "
        f"--type String --no-overwrite {tags_option('--tags', 'app-db-host', 'sandbox-app')} "
        f"--region us-east-1 --profile {PROFILE}",
        f"aws ssm put-parameter --name /sandbox/app/log_level --value debug --type String "
        f"--no-overwrite {tags_option('--tags', 'app-log-level', 'sandbox-app')} --region us-east-1 --profile {PROFILE}",
        f"aws iam get-role --role-name sandbox-app-config-reader --region us-east-1 "
        f"--profile {PROFILE} -> planned",
    ],
}


@pytest.mark.parametrize("example", sorted(CHECK_MODE_LINES))
def test_check_mode_changes_nothing_and_shows_the_commands(workspace, sandbox, moto_server,
                                                           example):
    plan, digest = workspace.approve_example(example)
    before = account_snapshot(sandbox)

    with moto_server.recording() as calls:
        # the plan's own lines: tags a run adds are shown and tested in test_lost_answers.py
        result = run_role(workspace, plan, digest, "--check", "-e", "tag_resources=false")

    assert result.returncode == 0, output_of(result)
    assert mutating_calls(calls) == []
    assert calls, "the recorder saw no call at all: it did not record"
    assert account_snapshot(sandbox) == before
    shown = displayed(result.stdout)
    for line in CHECK_MODE_LINES[example]:
        assert line in shown, line
    # our own example passes our own default guardrails: "Loading plan" lists no WARN, only passes
    loading = shown[shown.index("LOADING PLAN"):shown.index("Digest:")]
    assert "Policies: 5 rules passed" in re.sub(" +", " ", loading), loading
    assert "WARN required-tags" not in shown and "WARN s3-" not in shown
    [run_dir] = (workspace.state / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    assert (report["status"], report["dry_run"]) == ("dry_run", True)
    assert {s["status"] for s in report["steps"]} == {"planned"}
    assert not (workspace.state / "changelog.md").exists()


OLD_PARAMETER = "/sandbox/app/old"


def delete_old_parameter(validate: dict) -> dict:
    return {"id": "delete_old", "action": "ssm:DeleteParameter", "params": {"Name": OLD_PARAMETER},
            "validate": validate,
            "rollback": {"action": "ssm:PutParameter",
                         "params": {"Name": OLD_PARAMETER, "Value": "legacy", "Type": "String"}}}


def diff_of(stdout: str, step_id: str) -> str:
    """The diff Ansible displayed for one step (empty when it showed none)."""
    match = re.search(rf"^--- before: {step_id} \(before\)\n\+\+\+ after: {step_id} \(after\)\n"
                      rf"(.*?)(?=^(?:changed|ok|fatal): \[)", stdout, re.M | re.S)
    return match.group(1) if match else ""


def test_diff_shows_before_and_after_of_a_create_and_a_delete(workspace, sandbox):
    sandbox.client("ssm").put_parameter(Name=OLD_PARAMETER, Value="legacy", Type="String")
    plan, digest = workspace.approve(small_plan("replace-parameter", [
        {"id": "put_new", "action": "ssm:PutParameter",
         "params": {"Name": "/sandbox/app/new", "Value": "fresh", "Type": "String"},
         "validate": {"action": "ssm:GetParameter", "params": {"Name": "/sandbox/app/new"}},
         "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": "/sandbox/app/new"}}},
        delete_old_parameter({"action": "ssm:DescribeParameters",
                              "params": {"ParameterFilters": [{"Key": "Name",
                                                               "Values": [OLD_PARAMETER]}]},
                              "expect": ["length(Parameters) == `0`"]}),
    ]))

    result, results = workspace.run(plan, [step_task("put_new"), step_task("delete_old")],
                                    digest, flags=["--diff"])

    assert result.returncode == 0, output_of(result)
    created = diff_of(result.stdout, "put_new")
    assert re.search(r"^-absent$", created, re.M), result.stdout
    assert re.search(r"^\+ +Name: /sandbox/app/new$", created, re.M)
    # SSM marks every parameter value sensitive in its model: the diff shows it redacted
    assert re.search(r"^\+ +Value: '?<redacted: sensitive>'?$", created, re.M)
    deleted = diff_of(result.stdout, "delete_old")
    assert re.search(rf"^- +Name: {OLD_PARAMETER}$", deleted, re.M), result.stdout
    assert re.search(r"^\+ +Parameters: \[\]$", deleted, re.M)
    assert set(account_snapshot(sandbox)["ssm_parameters"]) == {"/sandbox/app/new"}


def test_delete_step_validated_by_reading_the_resource_succeeds_and_shows_absent(
        workspace, sandbox):
    sandbox.client("ssm").put_parameter(Name=OLD_PARAMETER, Value="legacy", Type="String")
    plan, digest = workspace.approve(small_plan("delete-parameter", [delete_old_parameter(
        {"action": "ssm:GetParameter", "params": {"Name": OLD_PARAMETER}})]))

    result, results = workspace.run(plan, [step_task("delete_old")], digest, flags=["--diff"])

    assert account_snapshot(sandbox)["ssm_parameters"] == {}  # the delete itself worked
    [outcome] = results["delete_old"]["results"]
    assert (outcome["before"]["Parameter"]["Value"], outcome["after"]) == ("<redacted: sensitive>", "absent")
    assert (outcome["status"], outcome["validation"]["status"]) == ("succeeded", "passed")
    assert result.returncode == 0, output_of(result)
    deleted = diff_of(result.stdout, "delete_old")
    assert re.search(r"^- +Value: '?<redacted: sensitive>'?$", deleted, re.M) and re.search(r"^\+absent$", deleted, re.M)
