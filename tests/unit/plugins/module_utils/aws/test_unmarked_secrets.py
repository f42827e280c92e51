"""Every secret the AWS models leave unmarked is where the list says, and every credential operation exists.

Read from botocore's own models: an entry whose service, operation, path, shape or member moved in a
botocore upgrade fails here instead of silently redacting nothing.
"""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.redact import REDACTED, redact
from ansible_collections.coworker.aws.plugins.module_utils.aws.unmarked_secrets import (
    CREDENTIAL_OPERATIONS, UNMARKED)


def member_at(service, operation, path):
    """The structure that holds the last member of ``path`` in the operation's output, and that member."""
    shape = service_model.operation_model(service, operation).output_shape
    parent = None
    for part in path.split("."):
        while shape.type_name == "list":
            shape = shape.member
        parent, shape = shape, shape.members[part.rstrip("[]")]
    return parent, shape


@pytest.mark.parametrize("entry", UNMARKED, ids=["%s:%s %s" % e[:3] for e in UNMARKED])
def test_each_unmarked_secret_is_in_the_model_where_listed(entry):
    parent, member = member_at(entry.service, entry.operation, entry.path)
    assert parent.name == entry.shape and entry.path.rstrip("[]").endswith(entry.member)
    assert member.type_name == "string"
    assert entry.reason


@pytest.mark.parametrize("service, operation", sorted(CREDENTIAL_OPERATIONS))
def test_each_credential_operation_exists(service, operation):
    assert service_model.operation_model(service, operation).name == operation
    assert CREDENTIAL_OPERATIONS[(service, operation)].startswith("it ")


def test_an_ecr_token_is_redacted_and_collected():
    body = {"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA==", "proxyEndpoint": "https://x",
                                   "expiresAt": "2026-12-07T12:00:00"}]}
    found = set()
    output = service_model.operation_model("ecr", "GetAuthorizationToken").output_shape
    assert redact(body, output, found, "ecr") == {"authorizationData": [
        {"authorizationToken": REDACTED, "proxyEndpoint": "https://x", "expiresAt": "2026-12-07T12:00:00"}]}
    assert found == {"QVdTOnNlY3JldA=="}


def test_only_the_listed_service_is_affected():
    """API Gateway's ApiKey.id is an id (kept); AppSync's ApiKey.id is the key (redacted)."""
    gateway = service_model.operation_model("apigateway", "CreateApiKey").output_shape
    assert redact({"id": "abc", "value": "k"}, gateway, None, "apigateway") == {"id": "abc", "value": REDACTED}
    appsync = service_model.operation_model("appsync", "CreateApiKey").output_shape
    assert redact({"apiKey": {"id": "da2-key", "expires": 1}}, appsync, None, "appsync") == {
        "apiKey": {"id": REDACTED, "expires": 1}}


def test_an_output_the_model_marks_sensitive_as_a_whole_is_redacted_member_by_member():
    output = service_model.operation_model("codeartifact", "GetAuthorizationToken").output_shape
    assert output.metadata.get("sensitive")
    assert redact({"authorizationToken": "t", "expiration": "x"}, output, None, "codeartifact") == {
        "authorizationToken": REDACTED, "expiration": REDACTED}


def test_a_list_of_sensitive_strings_is_redacted_item_by_item():
    """Before, each item was walked as a plain string and kept (chime-sdk-voice's credential user names)."""
    output = service_model.operation_model("chime-sdk-voice", "ListVoiceConnectorTerminationCredentials").output_shape
    found = set()
    assert redact({"Usernames": ["sip-user"]}, output, found, "chime-sdk-voice") == {"Usernames": [REDACTED]}
    assert found == {"sip-user"}
