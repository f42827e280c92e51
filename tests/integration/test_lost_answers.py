"""Lost answers: AWS acts on a create, but the answer never reaches the run.

The fault proxy forwards the create to moto and closes the connection unanswered, either
for the first attempt only (botocore's retry then meets "already exists") or for every
attempt (the call ends in ConnectionClosedError). The run must recognise the resource as
its own, and after the run, after rollback_run and after a resume the account must hold
exactly what the plan says - nothing left behind, nothing twice.

COWORKER_LOST_ANSWER_TRIALS sets how many (resource, fault) trials run (default 6, one per
resource; 12 covers every pair; more repeat them). Each prints a "LOST-ANSWER-TRIAL" line
(see it with -s).
"""

from __future__ import annotations

import itertools
import os

import pytest

from moto_harness import output_of
from workflow_support import PROFILE, step_statuses, unwrapped, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
         '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')
GROUP, ROLE, PARAMETER, BUCKET = "lost-web", "lost-reader", "/lost/db_host", "lost-answers-bucket"

# Each create registers what its rollback needs, so adopting the resource must recover it.
STEPS = {
    "ec2": {"id": "create_sg", "action": "ec2:CreateSecurityGroup",
            "params": {"GroupName": GROUP, "Description": "lost answer trial"},
            "register": {"group_id": "GroupId"},
            "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": [GROUP]}},
            "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupId": "${create_sg.group_id}"}}},
    "iam": {"id": "create_role", "action": "iam:CreateRole",
            "params": {"RoleName": ROLE, "AssumeRolePolicyDocument": TRUST},
            "register": {"role_arn": "Role.Arn"},
            "validate": {"action": "iam:GetRole", "params": {"RoleName": ROLE}},
            "rollback": {"action": "iam:DeleteRole", "params": {"RoleName": ROLE}}},
    "ssm": {"id": "put_host", "action": "ssm:PutParameter",
            "params": {"Name": PARAMETER, "Value": "db.lost", "Type": "String", "Overwrite": False},
            "register": {"version": "Version"},
            "validate": {"action": "ssm:GetParameter", "params": {"Name": PARAMETER},
                         "expect": ["Parameter.Value == 'db.lost'"]},
            "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": PARAMETER}}},
    "s3": {"id": "create_bucket", "action": "s3:CreateBucket", "params": {"Bucket": BUCKET},
           "validate": {"action": "s3:HeadBucket", "params": {"Bucket": BUCKET}},
           "rollback": {"action": "s3:DeleteBucket", "params": {"Bucket": BUCKET}}},
}
# A VPC has no idempotency token: botocore's retry makes a second one, which the run must find by
# its tags and remove. RunInstances has one (ClientToken), and its validate needs the lost id.
STEPS["vpc"] = {"id": "create_vpc", "action": "ec2:CreateVpc", "params": {"CidrBlock": "10.42.0.0/16"},
                "register": {"vpc_id": "Vpc.VpcId"},
                "validate": {"action": "ec2:DescribeVpcs", "params": {"VpcIds": ["${create_vpc.vpc_id}"]}},
                "rollback": {"action": "ec2:DeleteVpc", "params": {"VpcId": "${create_vpc.vpc_id}"}}}
STEPS["instance"] = {"id": "launch", "action": "ec2:RunInstances",
                     "params": {"ImageId": "<filled in>", "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"},
                     "register": {"instance_id": "Instances[0].InstanceId"},
                     "validate": {"action": "ec2:DescribeInstances",
                                  "params": {"InstanceIds": ["${launch.instance_id}"]}},
                     "rollback": {"action": "ec2:TerminateInstances",
                                  "params": {"InstanceIds": ["${launch.instance_id}"]}}}
OPERATION = {"ec2": "CreateSecurityGroup", "iam": "CreateRole", "ssm": "PutParameter", "s3": "CreateBucket",
             "vpc": "CreateVpc", "instance": "RunInstances"}
SERVICE = {"vpc": "ec2", "instance": "ec2"}
FAULTS = {"first": 1, "all": None}  # how many create answers the proxy loses


def trials() -> list[tuple[str, str]]:
    count = int(os.environ.get("COWORKER_LOST_ANSWER_TRIALS") or 6)
    # one fault per resource first (alternating), then the other fault, then repeats
    order = [("ec2", "first"), ("iam", "all"), ("ssm", "first"), ("s3", "all"), ("vpc", "first"), ("instance", "all"),
             ("ec2", "all"), ("iam", "first"), ("ssm", "all"), ("s3", "first"), ("vpc", "all"), ("instance", "first")]
    return list(itertools.islice(itertools.cycle(order), count))


def what_the_plan_makes(snapshot: dict) -> dict:
    """The resources a trial can make, by name (a security group's id differs per create)."""
    return {"groups": sorted(g["name"] for g in snapshot["ec2_security_groups"].values()),
            "roles": sorted(snapshot["iam_roles"]), "parameters": snapshot["ssm_parameters"],
            "buckets": sorted(snapshot["s3_buckets"]),
            "vpcs": sorted(v["cidr"] for v in snapshot["ec2_vpcs"].values()),
            "instances": sorted(i["state"] for i in snapshot["ec2_instances"].values())}


def created(service: str) -> dict:
    expected = {"groups": [], "roles": [], "parameters": {}, "buckets": [], "vpcs": [], "instances": []}
    if service == "ec2":
        expected["groups"] = [GROUP]
    elif service == "iam":
        expected["roles"] = [ROLE]
    elif service == "ssm":
        expected["parameters"] = {PARAMETER: {"type": "String", "version": 1, "value": "db.lost"}}
    elif service == "vpc":
        expected["vpcs"] = ["10.42.0.0/16"]
    elif service == "instance":
        expected["instances"] = ["running"]
    else:
        expected["buckets"] = [BUCKET]
    return expected


@pytest.mark.parametrize("service, fault", trials(), ids=lambda v: v)
def test_a_create_whose_answer_is_lost_is_adopted_rolled_back_and_resumed(workflow, fault_proxy, service, fault):
    step = dict(STEPS[service], description="lost answer trial")
    if service == "instance":
        image = workflow.session.client("ec2").describe_images()["Images"][0]["ImageId"]
        step["params"] = dict(step["params"], ImageId=image)
    plan = workflow.write_plan("lost", [("Only", [step])])
    workflow.env = lambda: workflow.aws_env.env(profile=PROFILE, endpoint_url=fault_proxy.url)
    empty = what_the_plan_makes(workflow.snapshot())
    fault_proxy.add_fault(SERVICE.get(service, service), OPERATION[service], "drop_answer", count=FAULTS[fault])

    ran = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "max_attempts=3")
    run_id = workflow.only_run()
    after_run = what_the_plan_makes(workflow.snapshot())
    report = workflow.report(run_id)
    lost = [e for e in workflow.journal(run_id) if e["event"] == "call_failed"]
    fault_proxy.clear()

    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    after_rollback = what_the_plan_makes(workflow.snapshot())
    rollback_status = workflow.report(run_id)["status"]

    resumed = workflow.run(None, "-e", f"resume={run_id}", "-e", f"approve={plan.digest}")
    after_resume = what_the_plan_makes(workflow.snapshot())
    resumed_report = workflow.report(run_id)
    print(f"LOST-ANSWER-TRIAL {service}/{fault}: run rc={ran.returncode} {report['status']}, "
          f"rollback rc={rolled.returncode} {rollback_status}, resume rc={resumed.returncode} "
          f"{resumed_report['status']}, journaled {[(e['error']['code'], e.get('resolved')) for e in lost]}")

    assert ran.returncode == 0, output_of(ran)
    assert after_run == created(service)
    assert step_statuses(report) == {step["id"]: "succeeded"}
    twins = [e["event"] for e in workflow.journal(run_id) if e["event"].startswith("twin_")]
    if service in ("instance", "vpc") and fault == "first":
        # the retry's answer arrived; its first attempt's resource is a twin, found by its tags and removed
        # (moto 5.2.1 ignores RunInstances' ClientToken, so there the retry makes a second instance too)
        assert (lost, twins) == ([], ["twin_found", "twin_removed"])
    elif service == "s3" and fault == "first":
        assert lost == []  # in us-east-1 S3 answers a retried CreateBucket of one's own bucket with success
    else:
        assert [(e["changed"], e["ambiguous"], e["resolved"]) for e in lost] == [(True, True, "adopted")]
    assert rolled.returncode == 0, output_of(rolled)
    assert (after_rollback, rollback_status) == (empty, "rolled_back")
    assert resumed.returncode == 0, output_of(resumed)
    assert after_resume == created(service)
    assert resumed_report["status"] == "succeeded"


def test_creates_carry_the_run_tags_shown_in_the_dry_run_and_off_on_request(workflow):
    plan = workflow.write_plan("tagged", [("Only", [dict(STEPS["ec2"], description="tagged"),
                                                    dict(STEPS["iam"], description="tagged")])])
    dry = workflow.run(plan, "--check")
    shown = output_of(dry)
    assert dry.returncode == 0, shown
    dry_id = workflow.only_run()
    planned = {e["step"]: e["cli"] for e in workflow.journal(dry_id) if e["event"] == "step_planned"}
    assert f'{{"Key":"coworker:run-id","Value":"{dry_id}"}}' in planned["create_sg"]
    assert '{"Key":"coworker:step-id","Value":"create_role"}' in planned["create_role"]
    # the dry run's step lines show the tags sent (quotes come escaped where Ansible prints JSON)
    assert planned["create_sg"] in unwrapped(shown).replace('\\"', '"')

    ran = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert ran.returncode == 0, output_of(ran)
    run_id = [r for r in workflow.run_ids() if r != dry_id][0]
    # the execution plan shown before the approval says what is added
    assert f"coworker:run-id={run_id}, coworker:plan-id=tagged" in unwrapped(output_of(ran))
    ours = {"coworker:run-id": run_id, "coworker:plan-id": "tagged"}
    group = next(iter(workflow.snapshot()["ec2_security_groups"].values()))
    role_tags = {t["Key"]: t["Value"] for t in workflow.session.client("iam").list_role_tags(RoleName=ROLE)["Tags"]}
    assert group["tags"] == dict(ours, **{"coworker:step-id": "create_sg"})
    assert role_tags == dict(ours, **{"coworker:step-id": "create_role"})

    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    untagged = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "tag_resources=false")
    assert untagged.returncode == 0, output_of(untagged)
    assert next(iter(workflow.snapshot()["ec2_security_groups"].values()))["tags"] == {}
