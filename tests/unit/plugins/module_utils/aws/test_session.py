"""AwsContext: credentials are frozen once; refreshable sources are never asked again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import NoCredentialsError

from ansible_collections.coworker.aws.plugins.module_utils.aws.session import AwsContext


class _Source:
    """A refreshable source whose answer changes on every refresh, like a credential_process would."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        # within botocore's 15-minute advisory window: it would refresh on every read
        expiry = datetime.now(timezone.utc) + timedelta(minutes=10)
        return {"access_key": "AKIA%04d" % self.calls, "secret_key": "s%d" % self.calls, "token": None,
                "expiry_time": expiry.isoformat()}


@pytest.fixture
def refreshing(monkeypatch):
    source = _Source()
    creds = RefreshableCredentials.create_from_metadata(source(), source, "custom-process")
    assert creds.get_frozen_credentials().access_key != creds.get_frozen_credentials().access_key
    # the base session (the profile) answers with the refreshable credentials
    monkeypatch.setattr(boto3.Session, "get_credentials", lambda self: creds)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return source


def test_every_client_uses_the_same_frozen_keys(refreshing):
    aws = AwsContext(region="us-east-1")
    sts = aws.client("sts")
    s3 = aws.client("s3")
    keys = {c._request_signer._credentials.access_key for c in (sts, s3)}
    frozen_at = refreshing.calls
    # reading the clients' credentials again never asks the source: they are static
    assert {c._request_signer._credentials.get_frozen_credentials().access_key for c in (sts, s3)} == keys
    assert len(keys) == 1 and refreshing.calls == frozen_at
    assert not isinstance(sts._request_signer._credentials, RefreshableCredentials)


def test_no_credentials_is_a_botocore_error_on_first_use(monkeypatch):
    monkeypatch.setattr(boto3.Session, "get_credentials", lambda self: None)
    aws = AwsContext(region="us-east-1")
    with pytest.raises(NoCredentialsError):
        aws.client("sts")


def test_the_source_identity_aws_returns_on_assume_role_is_kept_along_the_chain(monkeypatch):
    """SourceIdentity is set once (by the first assumer or the identity provider) and AWS returns it with every
    AssumeRole of the chain: the self-approval check reads it from the context (guard/self_approval.py)."""
    from botocore.stub import Stubber
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    aws = AwsContext(region="us-east-1")
    credentials = {"AccessKeyId": "ASIAEXAMPLE123456", "SecretAccessKey": "s", "SessionToken": "t",
                   "Expiration": datetime.now(timezone.utc) + timedelta(hours=1)}
    answers = [dict(Credentials=credentials, SourceIdentity="alice@example.com",
                    AssumedRoleUser={"AssumedRoleId": "AROA:x", "Arn": "arn:aws:sts::123456789012:assumed-role/R/x"}),
               dict(Credentials=credentials,
                    AssumedRoleUser={"AssumedRoleId": "AROA:y", "Arn": "arn:aws:sts::123456789012:assumed-role/S/y"})]
    with Stubber(aws.client("sts")) as stub:
        stub.add_response("assume_role", answers[0])
        first = aws.assume("arn:aws:iam::123456789012:role/R", "session-x")
    with Stubber(first.client("sts")) as stub:
        stub.add_response("assume_role", answers[1])
        second = first.assume("arn:aws:iam::123456789012:role/S", "session-y")
    assert aws.source_identity is None
    assert first.source_identity == second.source_identity == "alice@example.com"
