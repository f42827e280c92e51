# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for aws_cli: aws CLI command lines <-> (service, operation, params), via botocore models."""

from __future__ import annotations

import ast
import datetime
import json
import shlex

import pytest
from botocore import xform_name

from ansible_collections.coworker.aws.plugins.module_utils.plan import cli as aws_cli
from ansible_collections.coworker.aws.plugins.module_utils.plan import cli_options
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    ARGUMENT_RENAMES, CLI_SERVICES, HIDDEN_ALIASES)
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import (
    cli_operation_name, cli_service_name, parse_command, render_cli)
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError

SOURCE, FIELD = "plans/dev.yml", "steps[0].call.command"
TAGS = [{"Key": "Name", "Value": "dev"}, {"Key": "Env", "Value": "dev"}]


def error(command):
    """The rendered PlanError for ``command``, checked to name the source and the field."""
    with pytest.raises(PlanError) as info:
        parse_command(command, SOURCE, FIELD)
    assert [field for field, _message in info.value.problems] == [FIELD]
    text = str(info.value)
    assert text.startswith("%s: %s: " % (SOURCE, FIELD))
    return text


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


# -- CLI renames of options -----------------------------------------------------------------------------------
@pytest.mark.parametrize("command, params", [
    ("aws eks create-cluster --name c --role-arn r --kubernetes-version 1.29 --resources-vpc-config subnetIds=a,b",
     {"name": "c", "roleArn": "r", "version": "1.29", "resourcesVpcConfig": {"subnetIds": ["a", "b"]}}),
    ("aws ec2 create-network-acl-entry --network-acl-id acl-1 --rule-number 100 --protocol -1 --rule-action allow "
     "--ingress --cidr-block 0.0.0.0/0",
     {"NetworkAclId": "acl-1", "RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False,
      "CidrBlock": "0.0.0.0/0"}),
    ("aws ec2 create-image --instance-id i-1 --name n --reboot",
     {"InstanceId": "i-1", "Name": "n", "NoReboot": False}),
    ("aws ec2 create-image --instance-id i-1 --name n --no-reboot",
     {"InstanceId": "i-1", "Name": "n", "NoReboot": True}),
    ("aws sns subscribe --topic-arn t --protocol email --notification-endpoint a@example.com",
     {"TopicArn": "t", "Protocol": "email", "Endpoint": "a@example.com"}),
])
def test_cli_renamed_options(command, params):
    assert parse_command(command)[2] == params


def test_renamed_options_are_not_accepted_under_the_api_name():
    assert "unknown option --no-egress" in error("aws ec2 create-network-acl-entry --no-egress")
    # The CLI's main parser reads --endpoint as a prefix of --endpoint-url: that is why it renames it.
    assert "--endpoint-url (the CLI reads --endpoint as --endpoint-url) is not allowed in a plan" in error(
        "aws sns subscribe --endpoint x")


def test_rename_table_matches_botocore():
    """Every rename names a real service and operation, and leaves no option under its old name."""
    for (cli_service, operation, old), new in ARGUMENT_RENAMES.items():
        service = CLI_SERVICES.get(cli_service, cli_service)
        if service not in cli_options.services():
            continue  # a service botocore no longer has (awscli keeps the rename)
        operations = cli_options.operations(service)
        chosen = [operation] if operation != "*" else list(operations)
        if not set(chosen) <= set(operations):
            continue  # an operation botocore no longer has
        tables = [cli_options.options(service, name) for name in chosen]
        # ec2 switches for {"Value": bool} structures are made after the renames, as in the CLI
        # (modify-instance-attribute keeps --no-disable-api-termination).
        if HIDDEN_ALIASES.get((cli_service, operation, new)) == old:
            continue  # route53domains view-billing: renamed, and the old name kept as a hidden alias
        assert all(old not in table or isinstance(table[old].flag, dict) for table in tables), \
            (cli_service, operation, old)
        members = {xform_name(name, "-") for name in chosen_members(service, chosen)}
        assert old not in members or any(new in table for table in tables), (cli_service, operation, new)


def chosen_members(service, commands):
    model = cli_options.service_model(service)
    for command in commands:
        shape = model.operation_model(cli_options.operations(service)[command]).input_shape
        yield from (shape.members if shape is not None else ())
        yield from ("no-" + xform_name(name, "-") for name in (shape.members if shape is not None else ()))


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


# -- read as the aws CLI v1 reads them (issue 15) ---------------------------------------------------------------
@pytest.mark.parametrize("command, params", [
    ("aws sqs send-message --queue-url https://sqs.us-east-1.amazonaws.com/123456789012/q --message-body hi",
     {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "MessageBody": "hi"}),
    ("aws cloudformation validate-template --template-url https://s3.amazonaws.com/b/t.yml",
     {"TemplateURL": "https://s3.amazonaws.com/b/t.yml"}),
    # keyed by the hyphenated service id (api-gateway), which differs from the endpoint prefix (apigateway)
    ("aws apigateway put-integration --rest-api-id r --resource-id a --http-method GET --type HTTP --uri https://d.tld/p",
     {"restApiId": "r", "resourceId": "a", "httpMethod": "GET", "type": "HTTP", "uri": "https://d.tld/p"}),
    ("aws mediatailor put-playback-configuration --name c --ad-decision-server-url http://ads.example",
     {"Name": "c", "AdDecisionServerUrl": "http://ads.example"}),
])
def test_urls_the_cli_passes_as_text(command, params):
    assert parse_command(command)[2] == params


@pytest.mark.parametrize("command", [
    "aws sqs create-queue --queue-name q --attributes https://example.com/a.json",
    "aws sqs send-message --queue-url q --message-body https://example.com/body",
    "aws ec2 describe-vpcs --filters file://filters.json",
    "aws ec2 describe-vpcs --filters=fileb://filters.json",
])
def test_urls_and_files_elsewhere_are_refused(command):
    assert "the CLI would read the value from a file or URL" in error(command)


def test_unique_prefixes_of_operation_options():
    params = parse_command("aws ec2 describe-nat-gateways --nat-gateway-id nat-1")[2]
    assert params == {"NatGatewayIds": ["nat-1"]}
    params = parse_command("aws ec2 describe-vpcs --filter Name=state,Values=available")[2]
    assert params == {"Filters": [{"Name": "state", "Values": ["available"]}]}
    assert "--max is ambiguous" in error("aws iam create-role --role-name r --assume-role-policy-document {} --max 1")


def test_a_repeated_option_keeps_the_last_value():
    assert parse_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --cidr-block 10.1.0.0/16")[2] == \
        {"CidrBlock": "10.1.0.0/16"}


def test_paging_options_are_refused_only_where_the_cli_pages():
    assert "the CLI pages through results itself" in error("aws iam list-users --max-items 5")
    # not paginated by the CLI: --max-items is the API's own parameter
    assert parse_command("aws route53 list-traffic-policies --max-items 5")[2] == {"MaxItems": "5"}
    assert parse_command("aws cloudfront list-anycast-ip-lists --max-items 5")[2] == {"MaxItems": 5}


def test_run_instances_count_defaults_and_interfaces():
    assert parse_command("aws ec2 run-instances --image-id ami-1")[2] == {
        "ImageId": "ami-1", "MinCount": 1, "MaxCount": 1}
    params = parse_command("aws ec2 run-instances --image-id ami-1 --count 2 --subnet-id s-1 --security-group-ids sg-1 "
                           "--associate-public-ip-address")[2]
    assert params == {"ImageId": "ami-1", "MinCount": 2, "MaxCount": 2, "NetworkInterfaces": [
        {"DeviceIndex": 0, "AssociatePublicIpAddress": True, "SubnetId": "s-1", "Groups": ["sg-1"]}]}


def test_ec2_boolean_structures_and_network_acl_protocols():
    base = "aws ec2 modify-subnet-attribute --subnet-id s-1 "
    assert parse_command(base + "--map-public-ip-on-launch")[2]["MapPublicIpOnLaunch"] == {"Value": True}
    assert parse_command(base + "--no-map-public-ip-on-launch")[2]["MapPublicIpOnLaunch"] == {"Value": False}
    assert parse_command(base + "--map-public-ip-on-launch Value=false")[2]["MapPublicIpOnLaunch"] == {"Value": False}
    assert parse_command("aws ec2 modify-instance-attribute --instance-id i-1 --no-source-dest-check")[2] == \
        {"InstanceId": "i-1", "SourceDestCheck": {"Value": False}}
    acl = parse_command("aws ec2 create-network-acl-entry --network-acl-id a --rule-number 1 --protocol udp "
                        "--rule-action allow --ingress --cidr-block 0.0.0.0/0")[2]
    assert acl["Protocol"] == "17"


def test_security_group_shortcuts():
    params = parse_command("aws ec2 authorize-security-group-ingress --group-id sg-1 --protocol tcp --port 22-23 "
                           "--cidr 203.0.113.0/24")[2]
    assert params == {"GroupId": "sg-1", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 23, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}]}
    assert "--port x: should be a port or a range" in error(
        "aws ec2 authorize-security-group-ingress --group-id sg-1 --protocol tcp --port x")


def test_cloudfront_paths_take_the_run_id_as_caller_reference():
    params = parse_command("aws cloudfront create-invalidation --distribution-id D --paths /a '/b/*'")[2]
    assert params == {"DistributionId": "D", "InvalidationBatch": {
        "CallerReference": "cli-${run.id}", "Paths": {"Quantity": 2, "Items": ["/a", "/b/*"]}}}


def test_elb_instances_escaped_quotes_hidden_aliases_and_cli_only_commands():
    assert parse_command("aws elb register-instances-with-load-balancer --load-balancer-name l --instances i-1 i-2")[2] \
        == {"LoadBalancerName": "l", "Instances": [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}]}
    tagging = parse_command(r"""aws s3api put-bucket-tagging --bucket b --tagging 'TagSet=[{Key=a,Value="x \" y"}]'""")
    assert tagging[2]["Tagging"] == {"TagSet": [{"Key": "a", "Value": 'x " y'}]}
    commas = parse_command(r"aws ec2 create-tags --resources r-1 --tags 'Key=a,Value=b\,c'")[2]
    assert commas["Tags"] == [{"Key": "a", "Value": "b,c"}]
    assert parse_command("aws deploy list-application-revisions --application-name a --s-3-bucket b")[2] == \
        {"applicationName": "a", "s3Bucket": "b"}
    assert parse_command("aws rds add-option-to-option-group --option-group-name g --options OptionName=x "
                         "--apply-immediately") == ("rds", "ModifyOptionGroup", {
                             "OptionGroupName": "g", "OptionsToInclude": [{"OptionName": "x"}], "ApplyImmediately": True})
    assert "unknown option --options-to-remove" in error(
        "aws rds add-option-to-option-group --option-group-name g --options-to-remove x")


def test_streaming_output_takes_an_outfile_that_the_plan_does_not_keep():
    assert parse_command("aws s3api get-object --bucket b --key k out.txt") == ("s3", "GetObject",
                                                                                {"Bucket": "b", "Key": "k"})
    assert "needs an output file name" in error("aws s3api get-object --bucket b --key k")
    assert render_cli("s3", "GetObject", {"Bucket": "b", "Key": "k"}) == "aws s3api get-object --bucket b --key k /dev/null"


def test_render_cli_v1_forms():
    assert render_cli("ec2", "RunInstances", {"ImageId": "a", "MinCount": 2, "MaxCount": 2}) == \
        "aws ec2 run-instances --count 2 --image-id a"
    assert render_cli("ec2", "ModifySubnetAttribute", {"SubnetId": "s", "MapPublicIpOnLaunch": {"Value": False}}) == \
        "aws ec2 modify-subnet-attribute --subnet-id s --no-map-public-ip-on-launch"
    # Plaintext is sensitive: shown redacted, and rendered as the CLI reads blobs when revealed
    assert render_cli("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"hello"}) == \
        "aws kms encrypt --key-id k --plaintext '<redacted: sensitive>'"
    assert render_cli("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"hello"}, reveal=True) == \
        "aws kms encrypt --key-id k --plaintext hello"
    assert render_cli("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"\xff\x00"}, reveal=True) == \
        "aws kms encrypt --key-id k --plaintext /wA="
    import decimal
    assert render_cli("cloudwatch", "PutMetricData", {"Namespace": "n", "MetricData": [
        {"MetricName": "m", "Value": decimal.Decimal("1.5")}]}) == \
        """aws cloudwatch put-metric-data --namespace n --metric-data '[{"MetricName":"m","Value":1.5}]'"""


def test_put_metric_data_shortcuts_and_emr_cluster_states():
    params = parse_command("aws cloudwatch put-metric-data --namespace N --metric-name Buffers --unit Bytes "
                           "--value 231434333 --dimensions InstanceID=1-23456789,InstanceType=m1.small")[2]
    assert params == {"Namespace": "N", "MetricData": [{"MetricName": "Buffers", "Unit": "Bytes", "Value": 231434333.0,
                                                        "Dimensions": [{"Name": "InstanceID", "Value": "1-23456789"},
                                                                       {"Name": "InstanceType", "Value": "m1.small"}]}]}
    assert "--dimensions a: should be Name=Value" in error("aws cloudwatch put-metric-data --namespace N --dimensions a")
    assert parse_command("aws emr list-clusters --failed")[2] == {"ClusterStates": ["TERMINATED_WITH_ERRORS"]}
    assert "both set ClusterStates" in error("aws emr list-clusters --active --cluster-states RUNNING")


def test_split_words_is_shlex_split():
    """The fast splitter gives exactly shlex.split's words (or its error) on random text."""
    import random
    alphabet = ["a", "b", " ", "\t", "\n", "'", '"', "\\", "$", "=", "{", "\u00a0", "\x0b", "#", ";"]
    rnd = random.Random(15)
    for _case in range(20000):
        text = "".join(rnd.choice(alphabet) for _char in range(rnd.randint(0, 16)))
        try:
            expected = shlex.split(text)
        except ValueError:
            with pytest.raises(ValueError):
                aws_cli.split_words(text)
        else:
            assert aws_cli.split_words(text) == expected, repr(text)


def test_ses_send_email_shortcuts():
    params = parse_command("aws ses send-email --from a@example.com --to b@example.com c@example.com "
                           "--subject Hi --text 'Hello there'")[2]
    assert params == {"Source": "a@example.com", "Destination": {"ToAddresses": ["b@example.com", "c@example.com"]},
                      "Message": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello there"}}}}
    assert render_cli("ses", "SendEmail", {"Source": "a@example.com"}) == "aws ses send-email --from a@example.com"
