"""The plan's view stays the plan's: a 30-step plan written without knowing about run tags passes.

Buckets with their tags, IAM roles whose validation counts their tags (``length(Role.Tags) ==
`1```), a VPC with subnets, security groups with ingress between them, and SSM parameters chained
on the outputs of all of them. The run adds three ``coworker:`` tags to everything it creates; the
plan's register, expect and validate never see them. The same plan completes under 30 % throttling
of every request (three seeds), and its rollback returns the account to where it was.
"""

from __future__ import annotations

import copy
import os
import time

import pytest

from moto_harness import output_of
from workflow_support import ACCOUNT, run_throttled, step_statuses, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

SEEDS = [int(s) for s in (os.environ.get("COWORKER_MIXED_SEEDS") or "11,23,37").split(",")]
POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
          '"Resource": "arn:aws:s3:::mixed-logs-%s/*"}]}' % ACCOUNT)
TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
         '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')


def step(step_id, action, params, validate, expect=(), rollback=None, register=None):
    service = action.split(":")[0]
    found = {"id": step_id, "action": action, "params": params,
             "validate": {"action": "%s:%s" % (service, validate[0]), "params": validate[1], "expect": list(expect)}}
    if rollback:  # a copy: a plan is data without YAML aliases
        found["rollback"] = {"action": "%s:%s" % (service, rollback[0]), "params": copy.deepcopy(rollback[1])}
    if register:
        found["register"] = register
    return found


def bucket(name):
    bucket_name = "mixed-%s-%s" % (name, ACCOUNT)
    return [
        step(f"create_{name}", "s3:CreateBucket", {"Bucket": bucket_name}, ("HeadBucket", {"Bucket": bucket_name}),
             rollback=("DeleteBucket", {"Bucket": bucket_name})),
        step(f"tag_{name}", "s3:PutBucketTagging",
             {"Bucket": bucket_name, "Tagging": {"TagSet": [{"Key": "team", "Value": "web"}]}},
             ("GetBucketTagging", {"Bucket": bucket_name}), ["length(TagSet) == `1`"],
             ("DeleteBucketTagging", {"Bucket": bucket_name})),
        step(f"version_{name}", "s3:PutBucketVersioning",
             {"Bucket": bucket_name, "VersioningConfiguration": {"Status": "Enabled"}},
             ("GetBucketVersioning", {"Bucket": bucket_name}), ["Status == 'Enabled'"],
             ("PutBucketVersioning", {"Bucket": bucket_name, "VersioningConfiguration": {"Status": "Suspended"}}))]


def role(name):
    role_name = f"mixed-{name}"
    return [
        step(f"create_{name}", "iam:CreateRole",
             {"RoleName": role_name, "AssumeRolePolicyDocument": TRUST, "Tags": [{"Key": "team", "Value": "web"}]},
             ("GetRole", {"RoleName": role_name}), ["length(Role.Tags) == `1`", "Role.Tags[0].Key == 'team'"],
             ("DeleteRole", {"RoleName": role_name}), {"arn": "Role.Arn"}),
        step(f"tag_{name}", "iam:TagRole", {"RoleName": role_name, "Tags": [{"Key": "owner", "Value": "ops"}]},
             ("ListRoleTags", {"RoleName": role_name}), ["length(Tags) == `2`"],
             ("UntagRole", {"RoleName": role_name, "TagKeys": ["owner"]})),
        step(f"policy_{name}", "iam:PutRolePolicy",
             {"RoleName": role_name, "PolicyName": "read-logs", "PolicyDocument": POLICY},
             ("ListRolePolicies", {"RoleName": role_name}), ["length(PolicyNames) == `1`"],
             ("DeleteRolePolicy", {"RoleName": role_name, "PolicyName": "read-logs"}))]


def network():
    vpc = "${create_vpc.vpc_id}"
    steps = [step("create_vpc", "ec2:CreateVpc",
                  {"CidrBlock": "10.60.0.0/16",
                   "TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "mixed"}]}]},
                  ("DescribeVpcs", {"VpcIds": [vpc]}), ["length(Vpcs[0].Tags) == `1`"],
                  ("DeleteVpc", {"VpcId": vpc}), {"vpc_id": "Vpc.VpcId"})]
    for n in (1, 2):
        steps.append(step(f"create_subnet_{n}", "ec2:CreateSubnet", {"VpcId": vpc, "CidrBlock": f"10.60.{n}.0/24"},
                          ("DescribeSubnets", {"SubnetIds": [f"${{create_subnet_{n}.subnet_id}}"]}),
                          ["length(Subnets[0].Tags || `[]`) == `0`"],
                          ("DeleteSubnet", {"SubnetId": f"${{create_subnet_{n}.subnet_id}}"}),
                          {"subnet_id": "Subnet.SubnetId"}))
    for name in ("web", "db"):
        group = f"${{sg_{name}.group_id}}"
        steps.append(step(f"sg_{name}", "ec2:CreateSecurityGroup",
                          {"GroupName": f"mixed-{name}", "Description": name, "VpcId": vpc,
                           "TagSpecifications": [{"ResourceType": "security-group",
                                                  "Tags": [{"Key": "Name", "Value": name}]}]},
                          ("DescribeSecurityGroups", {"GroupIds": [group]}), ["length(SecurityGroups[0].Tags) == `1`"],
                          ("DeleteSecurityGroup", {"GroupId": group}), {"group_id": "GroupId"}))
    https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
    postgres = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                 "UserIdGroupPairs": [{"GroupId": "${sg_web.group_id}"}]}]
    for step_id, group, rules in (("web_https", "sg_web", https), ("db_from_web", "sg_db", postgres)):
        steps.append(step(step_id, "ec2:AuthorizeSecurityGroupIngress",
                          {"GroupId": f"${{{group}.group_id}}", "IpPermissions": rules},
                          ("DescribeSecurityGroups", {"GroupIds": [f"${{{group}.group_id}}"]}),
                          ["length(SecurityGroups[0].IpPermissions) == `1`"],
                          ("RevokeSecurityGroupIngress", {"GroupId": f"${{{group}.group_id}}", "IpPermissions": rules})))
    return steps


def parameters():
    values = [("vpc_id", "${create_vpc.vpc_id}"), ("subnets", "${create_subnet_1.subnet_id},${create_subnet_2.subnet_id}"),
              ("web_sg", "${sg_web.group_id}"), ("db_sg", "${sg_db.group_id}"), ("app_role", "${create_app.arn}"),
              ("ci_role", "${create_ci.arn}"), ("logs", "mixed-logs-${target.account_id}"),
              ("endpoint", "db.internal/v${put_vpc_id.version}")]
    found = []
    for name, value in values:
        path = f"/mixed/{name}"
        found.append(step(f"put_{name}", "ssm:PutParameter",
                          {"Name": path, "Value": value, "Type": "String", "Overwrite": False},
                          ("ListTagsForResource", {"ResourceType": "Parameter", "ResourceId": path}),
                          ["length(TagList) == `0`"], ("DeleteParameter", {"Name": path}), {"version": "Version"}))
    return found


def mixed_phases():
    storage = bucket("logs") + bucket("data")
    identity = role("app") + role("worker") + role("ci")
    phases = [("Storage", storage), ("Identity", identity), ("Network", network()), ("Config", parameters())]
    assert sum(len(steps) for _name, steps in phases) == 30
    return phases


def test_a_30_step_plan_that_counts_tags_completes_with_run_tags_on_and_rolls_back(workflow):
    plan = workflow.write_plan("mixed", mixed_phases())
    before = workflow.snapshot()

    done = workflow.run(plan, "-e", f"approve={plan.digest}", "-e", "on_failure=abort")

    assert done.returncode == 0, output_of(done)
    run_id = workflow.only_run()
    report = workflow.report(run_id)
    assert report["status"] == "succeeded" and set(step_statuses(report).values()) == {"succeeded"}
    assert set(report["validation"].values()) == {"passed"}
    iam = workflow.session.client("iam")
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="mixed-app")["Tags"]}
    assert tags == {"team": "web", "owner": "ops", "coworker:run-id": run_id, "coworker:plan-id": "mixed",
                    "coworker:step-id": "create_app"}  # the run's tags are on: the plan just does not see them
    assert workflow.ssm.get_parameter(Name="/mixed/endpoint")["Parameter"]["Value"] == "db.internal/v1"

    started = time.monotonic()
    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    print(f"MIXED-PLAN rollback of 30 steps with drift and ownership checks: {time.monotonic() - started:.1f} s")

    assert rolled.returncode == 0, output_of(rolled)
    assert workflow.snapshot() == before
    rollback = workflow.report(run_id)
    assert rollback["status"] == "rolled_back" and "not_ours" not in rollback["rollback"]
    # no drift: the roles' own later tags are only judged when those later steps are undone (and then match)
    judged = {row["step"]: row["drift"] for row in rollback["drift"]["rows"] if row["drift"] != "none"}
    assert judged == dict.fromkeys(["create_app", "create_worker", "create_ci"], "rechecked at its undo")


@pytest.mark.parametrize("seed", SEEDS)
def test_the_30_step_plan_completes_under_30_percent_throttling(workflow, fault_proxy, seed):
    plan = workflow.write_plan("mixed", mixed_phases())

    done, report, counted = run_throttled(workflow, fault_proxy, plan, ("s3", "iam", "ec2", "ssm", "sts"), 0.3, seed)

    print(f"MIXED-THROTTLE seed={seed}: rc={done.returncode} {report['status']}, faults={fault_proxy.faults()}, "
          f"retries in the report={counted}")
    assert done.returncode == 0, output_of(done)
    assert report["status"] == "succeeded" and set(report["validation"].values()) == {"passed"}
    assert fault_proxy.faults() > 20  # the trial really throttled (about 30% of the ~90 requests of one guarded run)
