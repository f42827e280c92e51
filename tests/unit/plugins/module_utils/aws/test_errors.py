# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classifying AWS errors once: access denied, not found, throttled, conflict, other,
and the paragraph a person reads (code, message, request id, profile, operation,
resource and what to check next)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, WaiterError

from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import (
    classify_client_error, classify_other_error, describe_resource, error_kind, is_already_exists,
    is_not_found)


def client_error(code, message="", status=400, operation="CreateBucket", request_id="REQ-1",
                 retries=0, headers=None):
    """A ClientError exactly as botocore raises it from a parsed error response."""
    meta = {"HTTPStatusCode": status, "RetryAttempts": retries, "HTTPHeaders": headers or {}}
    if request_id:
        meta["RequestId"] = request_id
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": meta},
                       operation)


@pytest.mark.parametrize("code, status, kind", [
    # access denied, whatever the service calls it; ssm/dynamodb on moto send a bare 403
    ("AccessDenied", 403, "access_denied"),
    ("AccessDeniedException", 400, "access_denied"),
    ("UnauthorizedOperation", 403, "access_denied"),
    ("AuthFailure", 401, "access_denied"),
    ("ExpiredToken", 400, "access_denied"),
    ("403", 403, "access_denied"),
    ("Forbidden", 403, "access_denied"),  # any other code sent with HTTP 403
    # not found: the bare 404 of HeadBucket, NoSuch*, *NotFound*
    ("404", 404, "not_found"),
    ("NoSuchBucket", 404, "not_found"),
    ("NoSuchEntity", 404, "not_found"),
    ("InvalidVpcID.NotFound", 400, "not_found"),
    ("InvalidGroup.NotFound", 400, "not_found"),
    ("ParameterNotFound", 400, "not_found"),
    ("ResourceNotFoundException", 400, "not_found"),
    ("ServerSideEncryptionConfigurationNotFoundError", 404, "not_found"),
    ("NoSuchKey", 403, "not_found"),  # a NotFound code wins over its 403 status
    # throttled
    ("Throttling", 400, "throttled"),
    ("ThrottlingException", 400, "throttled"),
    ("RequestLimitExceeded", 503, "throttled"),
    ("SlowDown", 503, "throttled"),
    ("TooManyRequestsException", 429, "throttled"),
    ("ProvisionedThroughputExceededException", 400, "throttled"),
    # conflict: exists already, in use, not empty
    ("EntityAlreadyExists", 409, "conflict"),
    ("BucketAlreadyOwnedByYou", 409, "conflict"),
    ("BucketAlreadyExists", 409, "conflict"),
    ("ParameterAlreadyExists", 400, "conflict"),
    ("InvalidGroup.Duplicate", 400, "conflict"),
    ("DependencyViolation", 400, "conflict"),
    ("BucketNotEmpty", 409, "conflict"),
    ("ResourceInUseException", 400, "conflict"),
    ("DeleteConflict", 409, "conflict"),
    # anything else
    ("InternalError", 500, "other"),
    ("ValidationException", 400, "other"),
    ("InvalidParameterValue", 400, "other"),
])
def test_error_kind(code, status, kind):
    assert error_kind(code, status) == kind
    assert classify_client_error(client_error(code, status=status), "s3", "CreateBucket", {},
                                 None)["kind"] == kind


@pytest.mark.parametrize("code, expected", [
    ("404", True), ("NoSuchBucket", True), ("InvalidSubnetID.NotFound", True),
    ("ResourceNotFoundException", True), ("NotFoundish", False), ("AccessDenied", False),
    ("403", False), ("ParameterAlreadyExists", False),
])
def test_is_not_found(code, expected):
    assert is_not_found(code) is expected


@pytest.mark.parametrize("code, expected", [
    ("EntityAlreadyExists", True), ("BucketAlreadyOwnedByYou", True), ("InvalidGroup.Duplicate", True),
    ("ParameterAlreadyExists", True), ("DependencyViolation", False), ("NoSuchEntity", False),
])
def test_is_already_exists(code, expected):
    assert is_already_exists(code) is expected


def lines(info):
    return info["text"].splitlines()


def test_access_denied_says_who_what_where_and_the_three_likely_causes():
    error = client_error("AccessDenied", "Access Denied", 403, request_id="7YQ2ZK")
    info = classify_client_error(error, "s3", "CreateBucket", {"Bucket": "dev-logs"}, "sandbox-ops")

    assert {k: info[k] for k in ("kind", "code", "message", "request_id", "http_status", "profile",
                                 "service", "operation", "resource")} == {
        "kind": "access_denied", "code": "AccessDenied", "message": "Access Denied",
        "request_id": "7YQ2ZK", "http_status": 403, "profile": "sandbox-ops", "service": "s3",
        "operation": "CreateBucket", "resource": "Bucket=dev-logs"}
    assert lines(info) == [
        "ACCESS DENIED: s3:CreateBucket failed with AccessDenied: Access Denied",
        "  request id: 7YQ2ZK",
        "  resource: Bucket=dev-logs; caller: profile sandbox-ops",
        "  likely causes:",
        "   - profile sandbox-ops lacks permission for s3:CreateBucket (check its IAM policies)",
        "   - a service control policy (SCP) of the organisation blocks s3:CreateBucket",
        "   - a resource policy (bucket, key, role trust) denies this caller",
    ]
    json.dumps(info)  # goes into task results and the journal as is


def test_bare_http_403_of_json_services_reads_as_access_denied():
    error = client_error("403", "Forbidden", 403, operation="PutParameter", request_id=None)
    info = classify_client_error(error, "ssm", "PutParameter", {"Name": "/app/x", "Value": "v"}, None)

    assert info["kind"] == "access_denied" and info["request_id"] is None
    assert lines(info)[0] == "ACCESS DENIED: ssm:PutParameter failed with 403: Forbidden"
    assert "  resource: Name=/app/x; caller: default credentials" in lines(info)
    assert not any("request id" in line for line in lines(info))


def test_not_found_names_the_resource_and_three_likely_causes():
    error = client_error("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist", 400,
                         operation="CreateSubnet")
    info = classify_client_error(error, "ec2", "CreateSubnet",
                                 {"VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"}, "dev-ops")

    assert lines(info) == [
        "NOT FOUND: ec2:CreateSubnet failed with InvalidVpcID.NotFound: The vpc ID 'vpc-1' does not exist",
        "  request id: REQ-1",
        "  resource: VpcId=vpc-1; caller: profile dev-ops",
        "  likely causes:",
        "   - the resource (VpcId=vpc-1) was already deleted",
        "   - it exists in another region or account than the one targeted",
        "   - it is named differently (check the plan's parameters and references)",
    ]


def test_throttled_reports_how_many_retries_botocore_made():
    error = client_error("ThrottlingException", "Rate exceeded", 400, retries=4)
    info = classify_client_error(error, "ssm", "PutParameter", {"Name": "/a"}, "p")

    assert (info["kind"], info["retries"]) == ("throttled", 4)
    assert lines(info)[0] == "RATE LIMITED: ssm:PutParameter failed with ThrottlingException: Rate exceeded"
    assert "still failed after 4 retries" in info["text"]
    assert "retry_mode=adaptive" in info["text"]
    # a larger count known to the caller is kept
    assert classify_client_error(error, "ssm", "PutParameter", {}, "p", retries=6)["retries"] == 6


@pytest.mark.parametrize("code, title, hint", [
    ("EntityAlreadyExists", "CONFLICT", "already exists; inspect it before retrying"),
    ("InternalError", "AWS ERROR", "see the AWS error code and message above"),
])
def test_conflict_and_other_errors(code, title, hint):
    info = classify_client_error(client_error(code, "m"), "iam", "CreateRole", {"RoleName": "r"}, "p")
    assert lines(info)[0] == "%s: iam:CreateRole failed with %s: m" % (title, code)
    assert hint in info["text"]
    assert "likely causes" not in info["text"]


def test_request_id_falls_back_to_the_s3_header_and_message_to_the_exception():
    error = client_error("NoSuchBucket", "", 404, request_id=None,
                         headers={"x-amz-request-id": "S3REQ"})
    info = classify_client_error(error, "s3", "PutBucketVersioning", {"Bucket": "b"}, "p")
    assert info["request_id"] == "S3REQ"
    assert info["message"] == str(error)


def test_error_without_metadata_still_classifies():
    error = ClientError({"Error": {"Code": "AccessDenied"}}, "GetRole")
    info = classify_client_error(error, "iam", "GetRole", None, None)
    assert (info["kind"], info["http_status"], info["retries"], info["resource"]) \
        == ("access_denied", None, 0, "(no identifying parameter)")


@pytest.mark.parametrize("params, expected", [
    ({"Bucket": "b", "VersioningConfiguration": {"Status": "Enabled"}}, "Bucket=b"),
    ({"CidrBlock": "10.0.0.0/16"}, "(no identifying parameter)"),
    ({"VpcIds": ["vpc-1"]}, "VpcIds=['vpc-1']"),
    ({"RoleName": "r", "PolicyName": "p", "PolicyDocument": "{}"}, "PolicyName=p, RoleName=r"),
    ({"AName": "1", "BName": "2", "CName": "3", "DName": "4"}, "AName=1, BName=2, CName=3"),
])
def test_describe_resource(params, expected):
    assert describe_resource(params) == expected


@pytest.mark.parametrize("exc, kind, title, hint", [
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "other", "AWS ERROR",
     "check network access"),
    (NoCredentialsError(), "other", "AWS ERROR", "credentials of the profile"),
    (WaiterError(name="BucketExists", reason="Max attempts exceeded", last_response={}),
     "wait_failed", "WAIT FAILED", "did not reach the awaited state"),
])
def test_errors_that_are_not_aws_answers(exc, kind, title, hint):
    info = classify_other_error(exc, "s3", "CreateBucket", {"Bucket": "b"}, "p", kind=kind)
    assert (info["kind"], info["code"], info["request_id"]) == (kind, type(exc).__name__, None)
    assert lines(info)[0] == "%s: s3:CreateBucket failed with %s: %s" % (title, type(exc).__name__, exc)
    assert hint in info["text"]
