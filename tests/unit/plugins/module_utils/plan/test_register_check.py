"""Register expressions must read the response, never yield a literal, never reach a secret."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.plan.register_check import register_problem


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


@pytest.mark.parametrize("service, operation, expression, member", [
    ("iam", "CreateAccessKey", "AccessKey.SecretAccessKey", "AccessKey.SecretAccessKey"),
    ("iam", "CreateAccessKey", "AccessKey", "AccessKey"),
    ("ssm", "GetParameter", "Parameter.Value", "Parameter.Value"),
    ("ssm", "GetParameters", "Parameters[0].Value", "Parameters.Value"),
    ("sts", "AssumeRole", "Credentials.SessionToken", "Credentials.SessionToken"),
])
def test_a_path_to_a_sensitive_member_is_refused(service, operation, expression, member):
    problem = register_problem(expression, shape(service, operation))
    assert problem == ("reads %s, which the AWS model marks sensitive: secrets are never registered, journaled "
                       "or shown" % member)


def test_non_sensitive_siblings_pass():
    assert register_problem("AccessKey.AccessKeyId", shape("iam", "CreateAccessKey")) is None
    assert register_problem("Parameter.Version", shape("ssm", "GetParameter")) is None
