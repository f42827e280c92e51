"""Plans as the planner writes them (issue 26): its Markdown is approved with approve_plan.yml -e plan=<file.md>
and run with execute_nonprod.yml -e plan=<file.md>, by the real playbooks against moto.

The Markdown plans are in tests/data/markdown, written in the planner's style: a bucket with versioning,
encryption, tags and a public access block; a VPC network whose ids go from line to line through shell
variables. What a shell would do beyond that, a profile of another environment and a region outside the
class are refused with no changing request; a Markdown edited after approval does not run.
"""

from __future__ import annotations

import re

import pytest
import yaml

from moto_harness import REPO_ROOT, mutating_calls, output_of, spawn_playbook
from workflow_support import (
    ACCOUNT, ENVIRONMENTS, bare_env, expect, finish, step_statuses, unwrapped, workflow)

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

APPROVE = REPO_ROOT / "playbooks" / "approve_plan.yml"
DATA = REPO_ROOT / "tests" / "data" / "markdown"
BUCKET = f"coworker-md-logs-{ACCOUNT}"


def markdown(flow, name: str, edit=lambda text: text):
    path = flow.tmp / name
    path.write_text(edit((DATA / name).read_text()))
    return path


def approve(flow, path, *extra):
    """approve_plan.yml -e confirm=yes; the digest it printed."""
    result = flow.run_other(APPROVE, "-e", f"plan={path}", "-e", f"plans_dir={flow.tmp / 'plans'}",
                            "-e", "confirm=yes", *extra)
    assert result.returncode == 0, output_of(result)
    return re.search(r"with digest ([0-9a-f]{64})", unwrapped(result.stdout)).group(1)


def execute(flow, path, digest, *extra):
    return flow.run(None, "-e", f"plan={path}", "-e", f"plans_dir={flow.tmp / 'plans'}", "-e", f"approve={digest}",
                    *extra)


def plan_files(flow):
    plans = flow.tmp / "plans"
    return sorted(p.name for p in plans.iterdir()) if plans.exists() else []


def test_bucket_plan_reviewed_on_a_terminal_approved_and_run_by_its_markdown(workflow):
    path = markdown(workflow, "bucket.md")
    env = bare_env(workflow)  # a user's setup: no ansible.cfg of ours
    child = spawn_playbook([APPROVE, "-e", f"plan={path}", "-e", f"plans_dir={workflow.tmp / 'plans'}",
                            "-e", "approved_by=alice@example.com"], env, workflow.tmp)
    workflow.children.append(child)
    expect(child, "Approve this plan as alice@example.com? (yes/no):")
    review = unwrapped(child.logfile_read.getvalue())
    assert "Made from: bucket.md (sha256 " in review
    # the region and profile the call is made with, as the review shows the command
    assert re.search(rf"aws s3api put-bucket-versioning --bucket {BUCKET} --versioning-configuration \S+ "
                     r"--region us-east-1 --profile sandbox-wf", review), review
    assert "rollback: undone with the rollback of create_bucket" in review
    assert (f"validate: aws s3api get-bucket-versioning --bucket {BUCKET} --query Status --region us-east-1") in review
    child.sendline("yes")
    code, transcript = finish(child)
    assert code == 0, transcript
    digest = re.search(r"with digest ([0-9a-f]{64})", unwrapped(transcript)).group(1)
    [name] = plan_files(workflow)
    assert "(made from bucket.md)" in unwrapped(transcript) and name in transcript

    result = execute(workflow, path, digest)
    assert result.returncode == 0, output_of(result)
    out = unwrapped(result.stdout)
    assert "Made from: bucket.md" in out
    assert re.search(r'put_bucket_tagging --query Status: \\*"Enabled', out), out  # the displayed result
    s3 = workflow.session.client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags["CostCenter"] == "CC-1234" and tags["Application"] == "md-logs"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    report = workflow.report(workflow.only_run())
    assert report["status"] == "succeeded" and report["plan"]["id"] + ".yml" == name


def test_answering_no_approves_nothing_and_leaves_no_plan_behind(workflow):
    path = markdown(workflow, "network.md")
    child = spawn_playbook([APPROVE, "-e", f"plan={path}", "-e", f"plans_dir={workflow.tmp / 'plans'}",
                            "-e", "approved_by=alice@example.com"], bare_env(workflow), workflow.tmp)
    workflow.children.append(child)
    expect(child, "Approve this plan as alice@example.com? (yes/no):")
    assert len(plan_files(workflow)) == 1  # the plan under review
    child.sendline("no")
    code, transcript = finish(child)
    assert code != 0
    assert "made from the Markdown for this review, was removed" in unwrapped(transcript)
    assert plan_files(workflow) == []


def network_resources(flow) -> dict:
    """The non-default VPCs, subnets, gateways and route tables, and the SSM parameters."""
    ec2 = flow.session.client("ec2")
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    return {
        "vpcs": vpcs,
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] in vpcs],
        "gateways": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]],
        "route_tables": [r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"] if r["VpcId"] in vpcs],
        "parameters": flow.parameter_values(),
    }


def test_network_plan_chains_its_ids_through_shell_variables(workflow):
    path = markdown(workflow, "network.md")
    result = execute(workflow, path, approve(workflow, path))
    assert result.returncode == 0, output_of(result)
    ec2 = workflow.session.client("ec2")
    [vpc] = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    [subnet] = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    [gateway] = ec2.describe_internet_gateways()["InternetGateways"]
    assert gateway["Attachments"] == [{"State": "available", "VpcId": vpc["VpcId"]}]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
    [public] = [t for t in tables if not any(a.get("Main") for a in t.get("Associations", []))]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway["InternetGatewayId"]}.items() <= \
        next(r for r in public["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0").items()
    assert [a["SubnetId"] for a in public["Associations"]] == [subnet["SubnetId"]]
    assert workflow.parameter_values() == {"/md-net/vpc-id": vpc["VpcId"]}
    out = unwrapped(result.stdout)
    assert "WARNING: guardrail WARN: medium: the public subnet routes 0.0.0.0/0" in out


def test_a_failure_in_phase_2_rolls_back_to_the_state_before_the_run(workflow):
    path = markdown(workflow, "network.md")
    digest = approve(workflow, path)
    workflow.ssm.put_parameter(Name="/md-net/vpc-id", Value="kept", Type="String")  # the last step fails
    before = network_resources(workflow)
    result = execute(workflow, path, digest, "-e", "on_failure=rollback")
    assert result.returncode != 0
    assert network_resources(workflow) == before == {"vpcs": [], "subnets": [], "gateways": [], "route_tables": [],
                                                     "parameters": {"/md-net/vpc-id": "kept"}}
    run_id = workflow.only_run()
    report = workflow.report(run_id)
    assert report["status"] == "rolled_back", report
    statuses = step_statuses(report)
    assert statuses["put_parameter"] == "failed"
    assert all(status == "rolled_back" for step, status in statuses.items() if step != "put_parameter"), statuses
    undone = {e["step"]: e.get("reason") for e in workflow.journal(run_id) if e["event"] == "rollback_succeeded"}
    assert undone["create_route"] == "undone with the rollback of step create_route_table"
    assert undone["modify_vpc_attribute"] == "undone with the rollback of step create_vpc"
    assert report["rollback"]["manual_cleanup"] == []


REFUSED_FORMS = {
    "pipe": "aws ec2 describe-vpcs --profile sandbox-wf | jq -r '.Vpcs[].VpcId'",
    "and": "aws ssm put-parameter --name /md/a --value v --type String && echo done",
    "redirect": "aws ssm put-parameter --name /md/b --value v --type String > out.json",
    "loop": "for name in a b; do aws ssm delete-parameter --name /md/$name; done",
    "jq": "jq -r .Parameter.Value out.json",
    "substitution": "aws ssm put-parameter --name /md/c --type String --value $(date +%s)",
    "backquotes": "aws ssm put-parameter --name /md/d --type String --value \"`hostname`\"",
    "braces": "aws ssm put-parameter --name /md/e --type String --value ${NAME:-x}",
    "placeholder": "aws ec2 delete-vpc --vpc-id {vpc-id}",
    "angle placeholder": "aws ec2 delete-security-group --group-id <security-group-id>",
    "unset variable": "aws ec2 delete-subnet --subnet-id $SUBNET_ID",
}


def test_every_refused_form_is_named_by_its_markdown_line_and_nothing_is_written_or_called(workflow):
    forms = "\n".join(REFUSED_FORMS.values())
    path = markdown(workflow, "bucket.md", lambda text: text.replace(
        "# Block public access\n", forms + "\n# Block public access\n"))
    lines = path.read_text().splitlines()
    with workflow.moto.recording() as calls:
        result = workflow.run_other(APPROVE, "-e", f"plan={path}", "-e", f"plans_dir={workflow.tmp / 'plans'}",
                                    "-e", "confirm=yes")
    assert result.returncode != 0
    out = unwrapped(output_of(result))
    for form, command in REFUSED_FORMS.items():
        number = lines.index(command) + 1
        assert f"{path}: line {number}: " in out, (form, out)
    assert plan_files(workflow) == [] and calls == []


def test_another_environments_profile_is_refused_before_any_request(workflow):
    path = markdown(workflow, "bucket.md", lambda text: text.replace(
        "--versioning-configuration Status=Enabled --profile sandbox-wf",
        "--versioning-configuration Status=Enabled --profile prod-admin"))
    with workflow.moto.recording() as calls:
        result = workflow.run_other(APPROVE, "-e", f"plan={path}", "-e", f"plans_dir={workflow.tmp / 'plans'}",
                                    "-e", "confirm=yes")
    assert result.returncode != 0 and calls == [] and plan_files(workflow) == []
    number = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "put-bucket-versioning" in line)
    assert (f"{path}: line {number}: --profile prod-admin is not the target's profile (sandbox-wf)"
            in unwrapped(output_of(result)))


def test_a_region_outside_the_class_is_refused_with_no_changing_request(workflow):
    workflow.environments.write_text(ENVIRONMENTS.replace('regions: ["*"]}', "regions: [us-east-1]}", 1))
    path = markdown(workflow, "bucket.md", lambda text: text.replace(
        "--versioning-configuration Status=Enabled --profile sandbox-wf --region us-east-1",
        "--versioning-configuration Status=Enabled --profile sandbox-wf --region eu-west-1"))
    digest = approve(workflow, path)  # a valid region: the class decides at run time
    with workflow.moto.recording() as calls:
        result = execute(workflow, path, digest)
    assert result.returncode != 0
    # refused by the guard from the plan and the class, before any AWS call (guard/sequence.py)
    assert "region(s) eu-west-1 are not allowed for sandbox" in unwrapped(output_of(result)).lower()
    assert mutating_calls(calls) == []
    assert BUCKET not in [b["Name"] for b in workflow.session.client("s3").list_buckets()["Buckets"]]


def test_a_markdown_edited_after_approval_or_never_approved_does_not_run(workflow):
    path = markdown(workflow, "bucket.md")
    digest = approve(workflow, path)
    path.write_text(path.read_text().replace("Key=CostCenter,Value=CC-1234", "Key=CostCenter,Value=CC-9999"))
    fresh = markdown(workflow, "network.md")
    for edited in (path, fresh):
        with workflow.moto.recording() as calls:
            result = execute(workflow, edited, digest)
        assert result.returncode != 0 and calls == []
        assert (f"{edited}: plan: no plan in {workflow.tmp / 'plans'} was approved from this Markdown as it is now"
                in unwrapped(output_of(result)))
    assert workflow.run_ids() == []
    # the approved plan itself still runs by its id, and as the last plan
    [name] = [n for n in plan_files(workflow) if n.startswith("bucket-")]
    plan_id = yaml.safe_load((workflow.tmp / "plans" / name).read_text())["id"]
    for reference in (plan_id, "last"):
        result = execute(workflow, reference, digest, "--check")
        assert result.returncode == 0, output_of(result)
