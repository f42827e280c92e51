# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws CLI's global options on a plan's command line: read as the CLI's main parser reads them
(anywhere, unambiguous prefixes, last one wins), kept, dropped or refused as the contract says."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import parse_command, read_command
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_globals import REFUSED, read_global_options
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import GLOBAL_OPTIONS

VPC = {"CidrBlock": "10.0.0.0/16"}


def error(command):
    with pytest.raises(PlanError) as caught:
        read_command(command, "plans/dev.yml", "phases[0].steps[0].command")
    assert str(caught.value).startswith("plans/dev.yml: phases[0].steps[0].command: ")
    return str(caught.value)


@pytest.mark.parametrize("command", [
    "aws ec2 create-vpc --cidr-block 10.0.0.0/16 --region eu-west-1 --profile dev-admin",
    "aws --region eu-west-1 --profile dev-admin ec2 create-vpc --cidr-block 10.0.0.0/16",
    "aws ec2 --region=eu-west-1 create-vpc --profile=dev-admin --cidr-block 10.0.0.0/16",
    "aws ec2 create-vpc --reg eu-west-1 --prof dev-admin --cidr-block 10.0.0.0/16",  # argparse prefixes
    "aws ec2 create-vpc --region us-east-1 --cidr-block 10.0.0.0/16 --region eu-west-1 --profile dev-admin",
])
def test_region_and_profile_anywhere_are_kept_with_the_call(command):
    call = read_command(command)
    assert (call.service, call.operation, call.params) == ("ec2", "CreateVpc", VPC)
    assert (call.region, call.profile, call.query) == ("eu-west-1", "dev-admin", None)


@pytest.mark.parametrize("words", [
    "--output text", "--output=json", "--output table", "--output yaml", "--out text", "--color off",
    "--no-paginate", "--no-cli-pager", "--no-pag", "--output text --no-cli-pager --color on"])
def test_display_options_are_read_and_dropped(words):
    call = read_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 " + words)
    assert call == ("ec2", "CreateVpc", VPC, None, None, None)


def test_query_is_kept_as_the_displayed_result():
    call = read_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --query 'Vpc.VpcId' --output text")
    assert call.query == "Vpc.VpcId" and call.params == VPC
    assert read_command("aws ec2 describe-vpcs --q Vpcs[].VpcId").query == "Vpcs[].VpcId"


@pytest.mark.parametrize("option", sorted(REFUSED))
def test_every_option_that_changes_how_requests_are_sent_is_refused(option):
    takes_value = dict(GLOBAL_OPTIONS, **{"cli-binary-format": ()}).get(option, None) is not None
    text = error("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --%s%s" % (option, " x" if takes_value else ""))
    assert "--%s is not allowed in a plan: %s" % (option, REFUSED[option]) in text


@pytest.mark.parametrize("word, read_as", [
    ("--endpoint https://127.0.0.1:9", "endpoint-url"), ("--no-verify", "no-verify-ssl"), ("--deb", "debug"),
    ("--ca x", "ca-bundle"), ("--cli-r 5", "cli-read-timeout"), ("--no-s", "no-sign-request"),
    ("--endpoint-u=https://x", "endpoint-url")])
def test_prefixes_of_refused_options_are_refused_naming_what_the_cli_reads(word, read_as):
    text = error("aws sns list-topics " + word)
    written = word.split()[0].split("=")[0]
    assert "--%s (the CLI reads %s as --%s) is not allowed in a plan" % (read_as, written, read_as) in text


@pytest.mark.parametrize("command, fragment", [
    ("aws ec2 describe-vpcs --no x", "--no is ambiguous: the CLI could read it as --no-paginate, "
                                     "--no-sign-request, --no-verify-ssl"),
    ("aws ec2 describe-vpcs --output xml", "--output xml: must be one of json, text, table, yaml, yaml-stream"),
    ("aws ec2 describe-vpcs --color maybe", "--color maybe: must be one of on, off, auto"),
    ("aws ec2 describe-vpcs --region", "--region needs a value"),
    ("aws ec2 describe-vpcs --region --profile dev-admin", "--region needs a value"),
    ("aws ec2 describe-vpcs --query ''", "--query must not be empty"),
    ("aws ec2 describe-vpcs --no-paginate=yes", "--no-paginate is a switch and takes no value"),
    ("aws ec2 describe-vpcs -- --region x", "'--' is not allowed in a plan command"),
])
def test_global_options_the_cli_would_not_read_are_refused(command, fragment):
    assert fragment in error(command)


def test_an_operation_option_that_only_starts_like_a_global_one_is_the_operations():
    # --query-string is no prefix of --query (it is longer): the main parser leaves it to the operation
    call = read_command("aws apigateway test-invoke-method --rest-api-id a --resource-id b --http-method GET "
                        "--path-with-query-string /x --region eu-west-1")
    assert call.params["pathWithQueryString"] == "/x" and call.region == "eu-west-1"
    # a value with a space is never an option, even one that starts like --region
    assert read_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --tag-specifications "
                        "'ResourceType=vpc,Tags=[{Key=a,Value=--region x}]'").region is None


def test_spans_say_which_words_each_option_took():
    words = "ec2 create-vpc --query Vpc.VpcId --cidr-block 10.0.0.0/16 --output=text".split()
    kept, options = read_global_options(words)
    assert kept == ["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"]
    assert options.spans == {"query": [(2, 4)], "output": [(6, 7)]}


def test_parse_command_keeps_its_three_values():
    assert parse_command("aws ec2 create-vpc --cidr-block 10.0.0.0/16 --region eu-west-1") == ("ec2", "CreateVpc", VPC)
