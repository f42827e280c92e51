# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for aws_cli: aws CLI command lines -> (service, operation, params), via botocore models:
service and operation names, parsing option values of every shape, refusals, the module's imports."""

from __future__ import annotations

import ast

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan import cli as aws_cli
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import (
    cli_operation_name, cli_service_name, parse_command)
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError

from cli_support import FIELD, SOURCE, TAGS, error


# -- names ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("service, cli", [("s3", "s3api"), ("config", "configservice"), ("codedeploy", "deploy"),
                                          ("ec2", "ec2"), ("dynamodb", "dynamodb")])
def test_cli_service_name(service, cli):
    assert cli_service_name(service) == cli


@pytest.mark.parametrize("operation, cli", [
    ("CreateVpc", "create-vpc"), ("DescribeDBInstances", "describe-db-instances"),
    ("PutBucketTagging", "put-bucket-tagging"), ("RunInstances", "run-instances")])
def test_cli_operation_name(operation, cli):
    assert cli_operation_name(operation) == cli


@pytest.mark.parametrize("command, service, operation", [
    ("aws s3api create-bucket --bucket b", "s3", "CreateBucket"),
    ("aws configservice describe-config-rules", "config", "DescribeConfigRules"),
    ("aws deploy list-applications", "codedeploy", "ListApplications"),
    ("aws runtime.sagemaker invoke-endpoint --endpoint-name e --body x out.json", "sagemaker-runtime", "InvokeEndpoint"),
    ("aws ec2 describe-db-instances", None, None),
    ("aws rds describe-db-instances", "rds", "DescribeDBInstances"),
])
def test_service_aliases_and_operation_map(command, service, operation):
    if service is None:
        assert "unknown operation 'describe-db-instances'" in error(command)
    else:
        assert parse_command(command)[:2] == (service, operation)


# -- parsing: basics ------------------------------------------------------------------------------------------
def test_parse_create_vpc_with_shorthand_tags():
    command = ("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --tag-specifications "
               "'ResourceType=vpc,Tags=[{Key=Name,Value=dev},{Key=Env,Value=dev}]'")
    assert parse_command(command) == ("ec2", "CreateVpc", {
        "CidrBlock": "10.0.0.0/16", "TagSpecifications": [{"ResourceType": "vpc", "Tags": TAGS}]})


def test_option_equals_value_form():
    assert parse_command("aws ec2 create-vpc --cidr-block=10.0.0.0/16")[2] == {"CidrBlock": "10.0.0.0/16"}
    params = parse_command("aws ec2 create-security-group --group-name g --description=--odd")[2]
    assert params == {"GroupName": "g", "Description": "--odd"}


def test_operation_without_params():
    assert parse_command("aws sts get-caller-identity") == ("sts", "GetCallerIdentity", {})


@pytest.mark.parametrize("flags, expected", [
    ("--dry-run", True), ("--no-dry-run", False), ("--dry-run true", True), ("--dry-run false", False),
    ("--dry-run FALSE", False), ("--dry-run=false", False)])
def test_boolean_flags(flags, expected):
    assert parse_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 " + flags)[2]["DryRun"] is expected


@pytest.mark.parametrize("flags, message", [
    ("--dry-run maybe", "unexpected value 'maybe': options start with --"),
    ("--no-dry-run true", "--no-dry-run is a switch and takes no value"),
    ("--dry-run true false", "unexpected value 'false': options start with --"),
])
def test_boolean_flag_errors(flags, message):
    assert message in error("aws ec2 create-vpc --cidr-block 10.0.0.0/16 " + flags)


def test_overwrite_flags_for_ssm():
    base = "aws ssm put-parameter --name /app/x --value v --type String "
    assert parse_command(base + "--overwrite")[2]["Overwrite"] is True
    assert parse_command(base + "--no-overwrite")[2]["Overwrite"] is False


def test_integers_and_floats():
    params = parse_command("aws ec2 run-instances --image-id ami-1 --count 1:3")[2]
    assert params == {"ImageId": "ami-1", "MinCount": 1, "MaxCount": 3}
    assert isinstance(params["MinCount"], int)
    alarm = parse_command("aws cloudwatch put-metric-alarm --alarm-name a --evaluation-periods 2 --threshold 80.5 "
                          "--comparison-operator GreaterThanThreshold")[2]
    assert alarm["Threshold"] == 80.5 and isinstance(alarm["Threshold"], float) and alarm["EvaluationPeriods"] == 2


@pytest.mark.parametrize("option, message", [
    ("--count three", "--count three: should be min[:max], e.g. 1 or 1:10"),
    ("--count 1.5", "--count 1.5: should be min[:max]"),
    ("--count 1:", "--count 1:: should be min[:max]"),
    ("--min-count 1", "unknown option --min-count for 'aws ec2 run-instances'"),
])
def test_integer_errors(option, message):
    assert message in error("aws ec2 run-instances --image-id ami-1 " + option)


def test_timestamp_and_blob_are_kept_as_text():
    stats = parse_command("aws cloudwatch get-metric-statistics --namespace AWS/EC2 --metric-name CPUUtilization "
                          "--start-time 2024-01-01T00:00:00Z --end-time 2024-01-02T00:00:00Z --period 300")[2]
    assert stats["StartTime"] == "2024-01-01T00:00:00Z" and stats["Period"] == 300
    assert parse_command("aws kms encrypt --key-id alias/k --plaintext hello")[2]["Plaintext"] == "hello"


def test_streaming_upload_is_refused():
    assert "--body: the CLI reads this streaming upload from a local file" in error(
        "aws s3api put-object --bucket b --key k --body ./local.txt")


def test_list_of_scalars_as_words_or_json():
    words = parse_command("aws ec2 describe-subnets --subnet-ids subnet-1 subnet-2 subnet-3 --dry-run")[2]
    assert words == {"SubnetIds": ["subnet-1", "subnet-2", "subnet-3"], "DryRun": True}
    as_json = parse_command("""aws ec2 describe-subnets --subnet-ids '["subnet-1", "subnet-2"]'""")[2]
    assert as_json == {"SubnetIds": ["subnet-1", "subnet-2"]}
    one = parse_command("aws ec2 describe-subnets --subnet-ids subnet-1")[2]
    assert one == {"SubnetIds": ["subnet-1"]}


def test_list_of_structures_as_several_shorthand_words():
    command = "aws ec2 describe-vpcs --filters Name=tag:Name,Values=dev,prod 'Name=cidr,Values=[10.0.0.0/16]'"
    assert parse_command(command)[2] == {"Filters": [{"Name": "tag:Name", "Values": ["dev", "prod"]},
                                                     {"Name": "cidr", "Values": ["10.0.0.0/16"]}]}


def test_shorthand_nested_lists_structures_and_types():
    command = ("aws ec2 authorize-security-group-ingress --group-id sg-1 --ip-permissions "
               "'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=10.0.0.0/8,Description=corp},"
               "{CidrIp=192.168.0.0/16}],UserIdGroupPairs=[]' 'IpProtocol=tcp,FromPort=22,ToPort=22'")
    assert parse_command(command)[2] == {"GroupId": "sg-1", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [],
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "corp"}, {"CidrIp": "192.168.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}]}


def test_shorthand_quotes_spaces_and_maps():
    tagging = parse_command("aws s3api put-bucket-tagging --bucket b "
                            """--tagging 'TagSet=[{Key=team, Value="a,b ]}"}]'""")
    assert tagging[2]["Tagging"] == {"TagSet": [{"Key": "team", "Value": "a,b ]}"}]}
    env = parse_command("aws lambda update-function-configuration --function-name f "
                        "--environment 'Variables={A=1,B=two words,C=x=y}'")[2]
    assert env["Environment"] == {"Variables": {"A": "1", "B": "two words", "C": "x=y"}}


def test_shorthand_single_items_become_lists_where_the_shape_wants_one():
    params = parse_command("aws ec2 describe-vpcs --filters Name=tag:Name,Values=dev")[2]
    assert params == {"Filters": [{"Name": "tag:Name", "Values": ["dev"]}]}
    vpc = parse_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --tag-specifications 'Tags={Key=a,Value=b}'")[2]
    assert vpc["TagSpecifications"] == [{"Tags": [{"Key": "a", "Value": "b"}]}]


def test_single_value_structure_shortcut():
    params = parse_command("aws ec2 modify-instance-attribute --instance-id i-1 --instance-type t3.micro")[2]
    assert params == {"InstanceId": "i-1", "InstanceType": {"Value": "t3.micro"}}


def test_json_structures_lists_and_documents():
    bucket = parse_command("aws s3api create-bucket --bucket b "
                           """--create-bucket-configuration '{"LocationConstraint": "eu-west-1"}'""")
    assert bucket == ("s3", "CreateBucket", {"Bucket": "b",
                                             "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})
    vpc = parse_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --tag-specifications "
                        """'[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "dev"}]}]'""")
    assert vpc[2]["TagSpecifications"] == [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "dev"}]}]
    doc = parse_command("aws bedrock-runtime start-async-invoke --model-id m "
                        """--model-input '{"any": [1, {"x": true}]}'""")
    assert doc[2]["modelInput"] == {"any": [1, {"x": True}]}


@pytest.mark.parametrize("value, message", [
    ("'ResourceType=vpc,Tags=[{Key=Name'", "--tag-specifications[0]: cannot read shorthand"),
    ("'ResourceType=vpc,Tagz=[]'", "--tag-specifications[0]: unknown key 'Tagz'; valid keys: ResourceType, Tags"),
    ("""'[{"ResourceType": "vpc",}]'""", "--tag-specifications: invalid JSON"),
    ("'=vpc'", "--tag-specifications[0]: unknown key ''"),
    ("'ResourceType=vpc,Tags=[{Key=Name,Value=dev}]x'", "expected ',' at character 45, found 'x'"),
    ("'ResourceType=vpc,Tags=[{Key=[a]}]'", "--tag-specifications[0].Tags[0].Key: expected a string, got ['a']"),
    ("'ResourceType=[a,b]'", "--tag-specifications[0].ResourceType: expected a string"),
    ("'ResourceType@=file:///etc/passwd'", "ResourceType@=... makes the CLI read a file; a plan must carry"),
])
def test_bad_structures(value, message):
    assert message in error("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --tag-specifications " + value)


def test_shell_metacharacters_stay_literal_text():
    command = "aws ec2 create-security-group --group-name 'web;rm -rf /' --description '$(id) `whoami` && echo ${HOME}'"
    params = parse_command(command)[2]
    assert params == {"GroupName": "web;rm -rf /", "Description": "$(id) `whoami` && echo ${HOME}"}
    unquoted = parse_command("aws ec2 create-security-group --group-name a;id --description $(id)")[2]
    assert unquoted == {"GroupName": "a;id", "Description": "$(id)"}


def test_references_are_kept_for_any_type():
    params = parse_command("aws ec2 run-instances --image-id '${find_ami.id}' --count 2 "
                           "--placement '${net.placement}' --subnet-id 'subnet-${net.id}'")[2]
    assert params == {"ImageId": "${find_ami.id}", "MinCount": 2, "MaxCount": 2, "Placement": "${net.placement}",
                      "SubnetId": "subnet-${net.id}"}
    alarm = parse_command("aws cloudwatch put-metric-alarm --alarm-name a --threshold '${sizing.limit}'")[2]
    assert alarm["Threshold"] == "${sizing.limit}"
    tags = parse_command("aws ec2 create-tags --resources '${create_vpc.vpc_id}' --tags Key=Name,Value=dev")[2]
    assert tags == {"Resources": ["${create_vpc.vpc_id}"], "Tags": [{"Key": "Name", "Value": "dev"}]}


# -- parsing: refusals ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["file://policy.json", "fileb://key.bin", "http://example.com/p.json",
                                   "https://example.com/p.json", "FILE://policy.json"])
def test_values_read_from_files_or_urls_are_refused(value):
    text = error("aws iam create-role --role-name r --assume-role-policy-document " + value)
    reads = "fetches this URL" if value.startswith("http") else "reads this file"
    assert "--assume-role-policy-document %s: the CLI would read the value from a file or URL (it %s)" % (
        value, reads) in text
    assert "inline_files" in text


@pytest.mark.parametrize("command", ["aws s3 cp ./a s3://bucket/a", "aws s3 mb s3://bucket", "aws s3 ls",
                                     "aws s3 create-bucket --bucket b"])
def test_s3_high_level_commands_are_refused(command):
    text = error(command)
    assert "high-level S3 command, not an API call" in text and "aws s3api" in text


@pytest.mark.parametrize("command, message", [
    ("aws ec2 create-vcp --cidr-block 10.0.0.0/16",
     "unknown operation 'create-vcp' for 'aws ec2' (did you mean create-vpc"),
    ("aws ec2 CreateVpc", "the CLI spells the operation 'create-vpc', not 'CreateVpc'"),
    ("aws ecc2 create-vpc", "unknown AWS service 'ecc2' (did you mean ec2"),
    ("aws notaservice at-all", "unknown AWS service 'notaservice'"),
    ("aws ec2 create-vpc --cidr-blok 10.0.0.0/16", "unknown option --cidr-blok for 'aws ec2 create-vpc' "
                                                   "(did you mean --cidr-block"),
    ("aws ec2 create-vpc --cidr-blocks 10.0.0.0/16", "valid options: --amazon-provided-ipv6-cidr-block, --cidr-block,"),
    ("aws ec2 describe-vpcs --dry 1", "unexpected value '1'"),
    ("aws ec2 create-vpc --ipv6 x", "--ipv6 is ambiguous for 'aws ec2 create-vpc': it could be --ipv6-cidr-block,"),
    ("aws ec2 create-vpc --cidr-block", "--cidr-block needs a value"),
    ("aws ec2 create-vpc --cidr-block --dry-run", "--cidr-block needs a value"),
    ("aws ec2 create-vpc --cidr-block a b", "--cidr-block takes one value, got 2: 'a' 'b'"),
    ("aws ec2 create-vpc --cidr-block=a b", "unexpected value 'b': options start with --"),
    ("aws ec2 create-vpc stray --cidr-block a", "unexpected value 'stray': options start with --"),
    ("aws ec2 create-vpc --dry-run --no-dry-run", "--dry-run and --no-dry-run both set DryRun: give one of them"),
    ("aws ec2", "expected 'aws <service> <operation> [--option value ...]'"),
    ("aws --cidr-block x", "expected 'aws <service> <operation>"),
    ("ec2 create-vpc", "must start with 'aws'"),
    ("", "must start with 'aws'"),
    ("aws ec2 create-vpc --cidr-block '10.0.0.0/16", "cannot split the command line: No closing quotation"),
])
def test_parse_errors_name_the_field(command, message):
    assert message in error(command)


def test_non_string_command_is_refused():
    with pytest.raises(PlanError, match="steps\\[0\\].call.command: must be a string"):
        parse_command(["aws", "ec2"], SOURCE, FIELD)


def test_default_source_and_field():
    with pytest.raises(PlanError) as info:
        parse_command("aws s3 ls")
    assert str(info.value).startswith("<plan>: command: ")


# -- performance and hygiene ----------------------------------------------------------------------------------
def test_module_imports_only_stdlib_botocore_and_our_own():
    path = aws_cli.__file__
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    tree = ast.parse(source)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    allowed = {"__future__", "difflib", "functools", "json", "re", "shlex", "typing", "botocore", "botocore.session",
               "ansible_collections.coworker.aws.plugins.module_utils.errors",
               "ansible_collections.coworker.aws.plugins.module_utils.plan",
               "ansible_collections.coworker.aws.plugins.module_utils.plan.cli_globals",
               "ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names",
               "ansible_collections.coworker.aws.plugins.module_utils.plan.cli_render",
               "ansible_collections.coworker.aws.plugins.module_utils.plan.cli_shorthand"}
    assert imported <= allowed, imported - allowed
    assert "# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)" in source
    assert "from __future__ import annotations" in source and ast.get_docstring(tree)
