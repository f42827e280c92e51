"""Register expressions must read the response, never yield a literal, never reach a secret."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.plan.register_check import expect_problem, register_problem


def shape(service, operation):
    return service_model.operation_model(service, operation).output_shape


@pytest.mark.parametrize("expression", [
    '`"acme-prod-data"`', "'acme-prod-data'", "to_string(`1`)", "join('-', ['a', 'b'])", "`[1, 2]`",
])
def test_constants_are_refused(expression):
    assert "does not read the response" in register_problem(expression, shape("s3", "CreateBucket"))


@pytest.mark.parametrize("expression", [
    "Missing || `\"acme-prod\"`", "Location && 'x'", "Location | 'x'", "`{\"a\": \"x\"}`.a", "`[\"x\"]` | [0]",
    "not_null(Missing, 'x')", "[Location, 'x']", "join('', ['acme-prod-', Location])",
])
def test_a_literal_branch_is_refused(expression):
    assert "can yield a JMESPath literal" in register_problem(expression, shape("s3", "CreateBucket"))


@pytest.mark.parametrize("expression", ["Location", "@", "length(@)", "Location || Other",
                                        "Buckets[?Name=='x'].Name | [0]"])
def test_reads_of_the_response_pass(expression):
    assert register_problem(expression, shape("s3", "CreateBucket")) is None


SECRET = ("touches %s, a secret (a member the AWS model marks sensitive, or a credential or token it leaves "
          "unmarked): secrets are never registered, journaled or shown")


@pytest.mark.parametrize("service, operation, expression, member", [
    ("iam", "CreateAccessKey", "AccessKey.SecretAccessKey", "AccessKey.SecretAccessKey"),
    ("iam", "CreateAccessKey", "AccessKey", "AccessKey"),
    ("ssm", "GetParameter", "Parameter.Value", "Parameter.Value"),
    ("ssm", "GetParameters", "Parameters[0].Value", "Parameters[].Value"),
    ("sts", "AssumeRole", "Credentials.SessionToken", "Credentials.SessionToken"),
])
def test_a_path_to_a_sensitive_member_is_refused(service, operation, expression, member):
    assert register_problem(expression, shape(service, operation), service) == SECRET % member


# the attack of issue 24 and its relatives: the secret wrapped in functions, projections, multi-selects,
# filters, pipes and or-branches, or a value that holds it used whole
@pytest.mark.parametrize("expression, member", [
    ("reverse(Parameter.Value)", "Parameter.Value"),
    ("to_string(Parameter)", "Parameter"),
    ("to_array(Parameter.Value)[0]", "Parameter.Value"),
    ("length(Parameter.Value)", "Parameter.Value"),
    ("Parameter.*", "Parameter"),
    ("{n: Parameter.Name, v: Parameter.Value}", "Parameter.Value"),
    ("[Parameter.Name, Parameter.Value]", "Parameter.Value"),
    ("Parameter.Name || Parameter.Value", "Parameter.Value"),
    ("Parameter || Parameter.Name", "Parameter"),
    ("Parameter | Value", "Parameter.Value"),
    ("@", "@"),
    ("values(@)", "@"),
    ("keys(Parameter)", "Parameter"),
    ("sort_by([Parameter], &Version)", "Parameter"),
])
def test_a_secret_wrapped_anywhere_in_the_tree_is_refused(expression, member):
    assert register_problem(expression, shape("ssm", "GetParameter"), "ssm") == SECRET % member


@pytest.mark.parametrize("expression, member", [
    ("Parameters[*].Value", "Parameters[].Value"),
    ("Parameters[?Value=='x'].Name", "Parameters[].Value"),
    ("Parameters[].[Name, Value]", "Parameters[].Value"),
    ("Parameters[?Name=='x'] | [0].Value", "Parameters[].Value"),
    ("Parameters[0:1]", "Parameters[]"),
    ("map(&Name, Parameters)", "Parameters"),
    ("max_by(Parameters, &Version).Value", "Parameters"),
])
def test_a_secret_inside_lists_is_refused(expression, member):
    assert register_problem(expression, shape("ssm", "GetParameters"), "ssm") == SECRET % member


@pytest.mark.parametrize("service, operation, expression", [
    ("ssm", "GetParameter", "Parameter.Version"), ("ssm", "GetParameter", "[Parameter.Name, Parameter.ARN]"),
    ("ssm", "GetParameters", "Parameters[].Name"), ("ssm", "GetParameters", "Parameters[0:1].Name"),
    ("ssm", "GetParameters", "InvalidParameters"),
    ("iam", "CreateAccessKey", "AccessKey.AccessKeyId"),
    ("ecr", "GetAuthorizationToken", "authorizationData[0].expiresAt"),
    ("ecr", "GetAuthorizationToken", "authorizationData[].proxyEndpoint"),
    ("lambda", "GetFunction", "Configuration.FunctionArn"),
    ("apigateway", "CreateApiKey", "id"),  # API Gateway's ApiKey.id is an id; AppSync's ApiKey.id is the key
])
def test_non_sensitive_reads_pass(service, operation, expression):
    assert register_problem(expression, shape(service, operation), service) is None


@pytest.mark.parametrize("service, operation, expression, member", [
    ("ecr", "GetAuthorizationToken", "authorizationData[0].authorizationToken",
     "authorizationData[].authorizationToken"),
    ("ecr", "GetAuthorizationToken", "authorizationData[0]", "authorizationData[]"),
    ("ecr-public", "GetAuthorizationToken", "authorizationData.authorizationToken",
     "authorizationData.authorizationToken"),
    ("lambda", "GetFunction", "Code.Location", "Code.Location"),
    ("lambda", "GetFunction", "Code", "Code"),
    ("appsync", "CreateApiKey", "apiKey.id", "apiKey.id"),
    # the model marks CodeArtifact's whole output sensitive, not its members
    ("codeartifact", "GetAuthorizationToken", "authorizationToken", "authorizationToken"),
])
def test_credentials_the_model_leaves_unmarked_are_refused(service, operation, expression, member):
    assert register_problem(expression, shape(service, operation), service) == SECRET % member


EXPECT = "an expect may only compare a secret with the value the plan states"


@pytest.mark.parametrize("expression", [
    "Parameter.Value == 'db.internal'", "Parameter.Value != 'x'", "'x' == Parameter.Value",
    "Parameter.Type == 'SecureString' && Parameter.Value == `\"v1\"`", "Parameter.Version > `1`",
])
def test_an_expect_may_compare_a_secret_with_the_stated_value(expression):
    assert expect_problem(expression, shape("ssm", "GetParameter"), "ssm") is None


@pytest.mark.parametrize("expression", [
    "Parameter.Value", "starts_with(Parameter.Value, 'a')", "Parameter.Value > 'm'", "length(Parameter.Value) > `8`",
    "Parameter.Value == Parameter.Name", "contains(Parameter.Value, 'x')", "Parameter == `{}`",
    "reverse(Parameter.Value) == 'x'",
])
def test_an_expect_that_learns_about_a_secret_is_refused(expression):
    problem = expect_problem(expression, shape("ssm", "GetParameter"), "ssm")
    assert problem and EXPECT in problem, problem
