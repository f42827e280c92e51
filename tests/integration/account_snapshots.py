"""What exists in an account, as plain sorted data: compare two snapshots to prove a run left moto as it was."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

# -------------------------------------------------------------------------- snapshots


def account_snapshot(session: boto3.Session) -> dict:
    """What exists in the session's account (and region), as plain sorted data.

    Compare two snapshots to prove a run left moto as it was. Defaults moto creates by
    itself (default VPC, its subnets and security groups, service-linked roles) are left
    out so diffs show only what tests and plans made.
    """
    return {
        "s3_buckets": _s3_buckets(session.client("s3")),
        "ec2_vpcs": _vpcs(session.client("ec2")),
        "ec2_subnets": _subnets(session.client("ec2")),
        "ec2_security_groups": _security_groups(session.client("ec2")),
        "ec2_instances": _instances(session.client("ec2")),
        "iam_roles": _roles(session.client("iam")),
        "iam_account_aliases": session.client("iam").list_account_aliases()["AccountAliases"],
        "ssm_parameters": _parameters(session.client("ssm")),
        "dynamodb_tables": _tables(session.client("dynamodb")),
    }


def _tags(tag_list) -> dict:
    return {tag["Key"]: tag["Value"] for tag in tag_list or []}


def _pages(client, operation: str, result_key: str, **params) -> list:
    return [item for page in client.get_paginator(operation).paginate(**params)
            for item in page.get(result_key, [])]


def _unless_missing(call, *missing_codes, default=None):
    """Result of call(), or default when AWS says the thing is not configured."""
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] in missing_codes:
            return default
        raise


def _s3_buckets(s3) -> dict:
    buckets = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        buckets[name] = {
            "versioning": s3.get_bucket_versioning(Bucket=name).get("Status"),
            "tags": _unless_missing(lambda: _tags(s3.get_bucket_tagging(Bucket=name)["TagSet"]),
                                    "NoSuchTagSet", default={}),
            "encryption": _unless_missing(
                lambda: s3.get_bucket_encryption(Bucket=name)[
                    "ServerSideEncryptionConfiguration"]["Rules"],
                "ServerSideEncryptionConfigurationNotFoundError"),
        }
    return dict(sorted(buckets.items()))


def _vpcs(ec2) -> dict:
    return {vpc["VpcId"]: {"cidr": vpc["CidrBlock"], "tags": _tags(vpc.get("Tags"))}
            for vpc in _pages(ec2, "describe_vpcs", "Vpcs") if not vpc.get("IsDefault")}


def _subnets(ec2) -> dict:
    return {subnet["SubnetId"]: {"vpc": subnet["VpcId"], "cidr": subnet["CidrBlock"],
                                 "az": subnet["AvailabilityZone"],
                                 "tags": _tags(subnet.get("Tags"))}
            for subnet in _pages(ec2, "describe_subnets", "Subnets")
            if not subnet.get("DefaultForAz")}


def _security_groups(ec2) -> dict:
    return {group["GroupId"]: {"name": group["GroupName"], "vpc": group.get("VpcId"),
                               "ingress": group.get("IpPermissions", []),
                               "egress": group.get("IpPermissionsEgress", []),
                               "tags": _tags(group.get("Tags"))}
            for group in _pages(ec2, "describe_security_groups", "SecurityGroups")
            if group["GroupName"] != "default"}


def _instances(ec2) -> dict:
    instances = {}
    for reservation in _pages(ec2, "describe_instances", "Reservations"):
        for instance in reservation["Instances"]:
            if instance["State"]["Name"] != "terminated":
                instances[instance["InstanceId"]] = {
                    "state": instance["State"]["Name"], "type": instance["InstanceType"],
                    "image": instance["ImageId"], "subnet": instance.get("SubnetId"),
                    "tags": _tags(instance.get("Tags"))}
    return instances


def _roles(iam) -> dict:
    roles = {}
    for role in _pages(iam, "list_roles", "Roles"):
        if role["Path"].startswith("/aws-service-role/"):
            continue
        name = role["RoleName"]
        roles[name] = {
            "path": role["Path"],
            "attached_policies": sorted(p["PolicyArn"] for p in _pages(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)),
            "inline_policies": sorted(_pages(iam, "list_role_policies", "PolicyNames",
                                             RoleName=name)),
        }
    return dict(sorted(roles.items()))


def _parameters(ssm) -> dict:
    parameters = {}
    for parameter in _pages(ssm, "describe_parameters", "Parameters"):
        name = parameter["Name"]
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        parameters[name] = {"type": parameter["Type"], "version": parameter["Version"],
                            "value": value}
    return dict(sorted(parameters.items()))


def _tables(dynamodb) -> dict:
    tables = {}
    for name in _pages(dynamodb, "list_tables", "TableNames"):
        table = dynamodb.describe_table(TableName=name)["Table"]
        tables[name] = {"status": table["TableStatus"], "keys": table["KeySchema"],
                        "billing": table.get("BillingModeSummary", {}).get("BillingMode")}
    return dict(sorted(tables.items()))
