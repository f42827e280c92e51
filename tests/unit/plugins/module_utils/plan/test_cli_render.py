# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for aws_cli's rendering: (service, operation, params) -> an aws CLI line (quoting, redaction,
input it cannot fit), and round trips through parse_command."""

from __future__ import annotations

import datetime
import json
import shlex

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import (
    cli_operation_name, cli_service_name, parse_command, render_cli)

from cli_support import TAGS


# -- rendering ------------------------------------------------------------------------------------------------
def test_render_simple_with_region_and_profile():
    assert render_cli("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16"}, region="us-east-1", profile="dev-admin") == \
        "aws ec2 create-vpc --cidr-block 10.0.0.0/16 --region us-east-1 --profile dev-admin"
    assert render_cli("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16"}) == "aws ec2 create-vpc --cidr-block 10.0.0.0/16"


def test_render_shapes():
    line = render_cli("ec2", "RunInstances", {
        "ImageId": "${find_ami.id}", "MinCount": 1, "MaxCount": 2, "SecurityGroupIds": ["sg-1", "sg-2"],
        "DryRun": False,
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "a b"}]}]})
    assert line == ("aws ec2 run-instances --count 1:2 --image-id '${find_ami.id}' "
                    "--security-group-ids sg-1 sg-2 --no-dry-run --tag-specifications "
                    "'[{\"ResourceType\":\"instance\",\"Tags\":[{\"Key\":\"Name\",\"Value\":\"a b\"}]}]'")


def test_render_service_alias_and_booleans():
    versioning = {"Bucket": "b", "VersioningConfiguration": {"Status": "Enabled"}}
    assert render_cli("s3", "PutBucketVersioning", versioning) == \
        """aws s3api put-bucket-versioning --bucket b --versioning-configuration '{"Status":"Enabled"}'"""
    assert render_cli("ssm", "PutParameter", {"Name": "/x", "Overwrite": True}) == \
        "aws ssm put-parameter --name /x --overwrite"
    assert render_cli("ec2", "CreateNetworkAclEntry", {"Egress": False}) == "aws ec2 create-network-acl-entry --ingress"
    assert render_cli("eks", "CreateCluster", {"version": "1.29"}) == "aws eks create-cluster --kubernetes-version 1.29"


def test_render_redacts_what_the_model_marks_sensitive_at_any_depth():
    line = render_cli("ssm", "PutParameter", {"Name": "/db/pw", "Value": "hunter2-secret", "Type": "SecureString"})
    assert "hunter2-secret" not in line
    assert shlex.split(line)[3:7] == ["--name", "/db/pw", "--value", "<redacted: sensitive>"]
    nested = render_cli("rds", "CreateDBInstance", {"DBInstanceIdentifier": "d", "MasterUserPassword": "pw-9f8e7d",
                                                    "Engine": "mysql", "DBInstanceClass": "db.t3.micro"})
    assert "pw-9f8e7d" not in nested and "--master-user-password '<redacted: sensitive>'" in nested
    deep = render_cli("secretsmanager", "CreateSecret", {"Name": "s", "SecretString": '{"password": "zz-top-1"}'})
    assert "zz-top-1" not in deep
    # asked for explicitly (the differential test, which sends nothing and shows nothing), the value stays
    assert "hunter2-secret" in render_cli("ssm", "PutParameter", {"Name": "/x", "Value": "hunter2-secret"}, reveal=True)


def test_render_quotes_shell_metacharacters():
    line = render_cli("ec2", "CreateSecurityGroup", {"GroupName": "a;id", "Description": "$(id) it's"})
    assert shlex.split(line)[-3:] == ["a;id", "--description", "$(id) it's"]
    assert "'a;id'" in line


def test_render_never_fails_on_bad_input():
    assert render_cli("ec2", "CreateVpc", {"CidrBlok": "10.0.0.0/16", "DryRun": "yes"}) == \
        "aws ec2 create-vpc --cidr-blok '\"10.0.0.0/16\"' --dry-run '\"yes\"'"
    assert render_cli("ec2", "CreateVpc", {"TagSpecifications": "not a list", "CidrBlock": {"a": 1}}) == \
        "aws ec2 create-vpc --tag-specifications '\"not a list\"' --cidr-block '{\"a\":1}'"
    assert render_cli("nosuch", "DoThing", {"Some": [1, None]}) == "aws nosuch do-thing --some '[1,null]'"
    assert render_cli("ec2", "NoSuchOperation", {"X": object()}).startswith("aws ec2 no-such-operation --x ")
    assert render_cli("ec2", "CreateVpc", ["not", "a", "dict"]) == \
        """aws ec2 create-vpc --cli-input-json '["not","a","dict"]'"""
    assert render_cli("ec2", "CreateVpc", None) == "aws ec2 create-vpc"


def test_render_values_that_look_like_options_or_dates():
    line = render_cli("ec2", "CreateSecurityGroup", {"GroupName": "g", "Description": "--odd"})
    assert line == "aws ec2 create-security-group --group-name g --description=--odd"
    when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert render_cli("cloudwatch", "GetMetricStatistics", {"StartTime": when}) == \
        "aws cloudwatch get-metric-statistics --start-time 2024-01-01T00:00:00+00:00"


# -- round trips ----------------------------------------------------------------------------------------------
ROUND_TRIPS = [
    ("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16", "TagSpecifications": [{"ResourceType": "vpc", "Tags": TAGS}],
                          "AmazonProvidedIpv6CidrBlock": False}),
    ("ec2", "CreateSubnet", {"VpcId": "${create_vpc.vpc_id}", "CidrBlock": "10.0.1.0/24",
                             "AvailabilityZone": "eu-west-1a",
                             "TagSpecifications": [{"ResourceType": "subnet", "Tags": TAGS[:1]}]}),
    ("ec2", "CreateSecurityGroup", {"GroupName": "web", "Description": "web tier; $(id) stays text",
                                    "VpcId": "${create_vpc.vpc_id}"}),
    ("ec2", "AuthorizeSecurityGroupIngress", {"GroupId": "${create_sg.group_id}", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "corp"}], "Ipv6Ranges": []},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}]}]}),
    ("ec2", "RunInstances", {"ImageId": "ami-123", "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 3,
                             "SecurityGroupIds": ["sg-1", "sg-2"], "SubnetId": "subnet-1", "DryRun": True}),
    ("ec2", "CreateNetworkAclEntry", {"NetworkAclId": "acl-1", "RuleNumber": 100, "Protocol": "-1",
                                      "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"}),
    ("ec2", "DescribeVpcs", {"Filters": [{"Name": "tag:Name", "Values": ["dev", "a,b"]}], "VpcIds": ["vpc-1"]}),
    ("s3", "CreateBucket", {"Bucket": "my-bucket", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}),
    ("s3", "PutBucketVersioning", {"Bucket": "my-bucket", "VersioningConfiguration": {"Status": "Enabled"}}),
    ("s3", "PutBucketTagging", {"Bucket": "my-bucket", "Tagging": {"TagSet": TAGS}}),
    ("s3", "PutBucketEncryption", {"Bucket": "my-bucket", "ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/app"},
         "BucketKeyEnabled": True}]}}),
    ("iam", "CreateRole", {"RoleName": "app", "MaxSessionDuration": 3600, "Tags": TAGS,
                           "AssumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
                               {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]})}),
    ("ssm", "PutParameter", {"Name": "/app/db/url", "Value": "postgres://h:5432/db?x=1&y=2", "Type": "String",
                             "Overwrite": True}),
    ("ssm", "PutParameter", {"Name": "/app/flag", "Value": "-1", "Type": "String", "Overwrite": False}),
    ("dynamodb", "CreateTable", {"TableName": "t", "BillingMode": "PROVISIONED",
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                 "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}),
    ("cloudwatch", "PutMetricAlarm", {"AlarmName": "cpu", "Threshold": 80.5, "EvaluationPeriods": 2,
                                      "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]}),
    ("eks", "CreateCluster", {"name": "c", "version": "1.29", "roleArn": "arn:aws:iam::1:role/r",
                              "resourcesVpcConfig": {"subnetIds": ["a", "b"]}}),
    ("sts", "GetCallerIdentity", {}),
]


@pytest.mark.parametrize("service, operation, params", ROUND_TRIPS,
                         ids=["%s:%s" % (s, o) for s, o, _params in ROUND_TRIPS])
def test_round_trip(service, operation, params):
    line = render_cli(service, operation, params, reveal=True)
    assert line.startswith("aws %s %s" % (cli_service_name(service), cli_operation_name(operation)))
    assert parse_command(line) == (service, operation, params)


def test_round_trip_of_parse_output():
    command = ("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --tag-specifications "
               "'ResourceType=vpc,Tags=[{Key=Name,Value=dev}]' --no-dry-run")
    parsed = parse_command(command)
    assert parse_command(render_cli(*parsed, reveal=True)) == parsed
