"""Redaction walks the response with botocore's output shape and its sensitive trait."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.redact import (
    REDACTED, contains_sensitive, holds_secret, redact, redact_request)


def output(service, operation):
    return service_model.operation_model(service, operation).output_shape


def test_access_key_secret_is_redacted_and_collected():
    found = set()
    body = {"AccessKey": {"UserName": "u", "AccessKeyId": "AKIA1", "SecretAccessKey": "wJalr/secret", "Status": "Active"}}
    clean = redact(body, output("iam", "CreateAccessKey"), found)
    assert clean == {"AccessKey": {"UserName": "u", "AccessKeyId": "AKIA1", "SecretAccessKey": REDACTED,
                                   "Status": "Active"}}
    assert found == {"wJalr/secret"} and body["AccessKey"]["SecretAccessKey"] == "wJalr/secret"


def test_lists_nested_members_and_session_tokens():
    params = {"Parameters": [{"Name": "/a", "Value": "one"}, {"Name": "/b", "Value": "two"}]}
    assert redact(params, output("ssm", "GetParameters")) == {
        "Parameters": [{"Name": "/a", "Value": REDACTED}, {"Name": "/b", "Value": REDACTED}]}
    creds = {"Credentials": {"AccessKeyId": "ASIA", "SecretAccessKey": "x", "SessionToken": "tok"}}
    assert redact(creds, output("sts", "AssumeRole"))["Credentials"] == {
        "AccessKeyId": "ASIA", "SecretAccessKey": REDACTED, "SessionToken": REDACTED}
    secret = redact({"Name": "n", "SecretString": "pw"}, output("secretsmanager", "GetSecretValue"))
    assert secret == {"Name": "n", "SecretString": REDACTED}


def test_a_response_without_sensitive_members_is_unchanged():
    body = {"Location": "/b"}
    assert redact(body, output("s3", "CreateBucket")) == body
    assert not contains_sensitive(output("s3", "CreateBucket"))
    assert contains_sensitive(output("iam", "CreateAccessKey"))


def test_holds_secret_looks_inside_values():
    assert holds_secret({"k": ["a", "pw"]}, {"pw"}) and not holds_secret("a", {"pw"}) and not holds_secret("pw", set())


def test_a_parameter_value_is_shown_only_when_its_own_request_types_it_plain_text():
    put = {"Name": "/app/host", "Value": "db.internal"}
    assert redact_request("ssm", "PutParameter", dict(put, Type="String"))["Value"] == "db.internal"
    assert redact_request("ssm", "PutParameter", dict(put, Type="StringList"))["Value"] == "db.internal"
    # a secret by type, no type (an overwrite keeps the type the parameter has), or a type not known yet
    for hidden in (dict(put, Type="SecureString"), put, dict(put, Type="${read.kind}"), dict(put, Type="string"),
                   dict(put, Type=["String"])):
        assert redact_request("ssm", "PutParameter", hidden)["Value"] == REDACTED, hidden
    # other sensitive members of other calls stay redacted whatever a Type member says
    assert redact_request("secretsmanager", "CreateSecret", {"Name": "n", "SecretString": "pw"})["SecretString"] == \
        REDACTED
    assert redact_request("ssm", "PutParameter", dict(put, Type="String")) is not put  # a copy, never the plan's
    # responses stay redacted: GetParameter answers with the value whatever its type
    answer = {"Parameter": {"Name": "/app/host", "Type": "String", "Value": "db.internal"}}
    assert redact(answer, output("ssm", "GetParameter"))["Parameter"]["Value"] == REDACTED
