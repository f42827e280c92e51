# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for aws_cli: command lines read as the aws CLI v1 reads them (issue 15): its renamed options,
URLs passed as text, option prefixes, paging, its own shortcuts and forms, and its word splitting."""

from __future__ import annotations

import shlex

import pytest
from botocore import xform_name

from ansible_collections.coworker.aws.plugins.module_utils.plan import cli as aws_cli
from ansible_collections.coworker.aws.plugins.module_utils.plan import cli_options
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    ARGUMENT_RENAMES, CLI_SERVICES, HIDDEN_ALIASES)
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import parse_command, render_cli

from cli_support import error


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
