# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to read an AWS error: classify it once, explain it the same way everywhere."""

from __future__ import annotations

try:
    from botocore.exceptions import (  # noqa: F401  pylint: disable=unused-import
        BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError, WaiterError)
except ImportError:  # pragma: no cover - the modules report missing_required_lib before any call
    # Distinct stand-ins (never raised) keep `except ClientError:` next to `except ValueError:` meaningful;
    # binding them all to Exception would make the first clause swallow everything.
    class BotoCoreError(Exception):
        """botocore is not installed."""

    class ClientError(Exception):
        """botocore is not installed."""

    class WaiterError(BotoCoreError):
        """botocore is not installed."""

    class EndpointConnectionError(BotoCoreError):
        """botocore is not installed."""

    class ConnectTimeoutError(BotoCoreError):
        """botocore is not installed."""

ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                 "AuthorizationError", "AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException",
                 "ExpiredToken", "ExpiredTokenException", "403"}
THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
             "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
             "BandwidthLimitExceeded", "SlowDown", "RequestThrottled", "PriorRequestNotComplete",
             "EC2ThrottledException"}
CONFLICT_HINTS = ("AlreadyExists", "Duplicate", "AlreadyOwnedByYou", "InUse", "Conflict", "DependencyViolation",
                  "NotEmpty")
IDENTIFYING_SUFFIXES = ("Id", "Ids", "Name", "Names", "Arn", "Bucket", "Key", "TableName", "RoleName", "GroupName")


def is_not_found(code):
    code = str(code)
    return code == "404" or code.endswith(("NotFound", "NotFoundException", "NotFoundFault", "NotFoundError")) \
        or code.startswith("NoSuch") or code in ("ResourceNotFoundException", "NoSuchEntity")


def is_already_exists(code):
    return any(part in str(code) for part in ("AlreadyExists", "Duplicate", "AlreadyOwnedByYou"))


def error_kind(code, status=None):
    code = str(code)
    if code in ACCESS_DENIED or (status == 403 and not is_not_found(code)):
        return "access_denied"
    if is_not_found(code):
        return "not_found"
    if code in THROTTLED:
        return "throttled"
    if any(hint in code for hint in CONFLICT_HINTS):
        return "conflict"
    return "other"


def describe_resource(params):
    """The parameters that name the resource, e.g. ``Bucket=dev-logs``."""
    parts = ["%s=%s" % (k, v) for k, v in sorted(params.items())
             if k.endswith(IDENTIFYING_SUFFIXES) and isinstance(v, (str, int, list))]
    return ", ".join(parts[:3]) or "(no identifying parameter)"


def _hints(kind, service, operation, profile, resource, retries):
    who = "profile %s" % profile if profile else "the default credentials"
    if kind == "access_denied":
        return ["%s %s permission for %s:%s (check its IAM policies)" % (who, "lacks" if profile else "lack",
                                                                         service, operation),
                "a service control policy (SCP) of the organisation blocks %s:%s" % (service, operation),
                "a resource policy (bucket, key, role trust) denies this caller"]
    if kind == "not_found":
        return ["the resource (%s) was already deleted" % resource,
                "it exists in another region or account than the one targeted",
                "it is named differently (check the plan's parameters and references)"]
    if kind == "throttled":
        return ["AWS throttled the call and it still failed after %s retries; wait and retry, "
                "or raise max_attempts / use retry_mode=adaptive" % retries]
    if kind == "conflict":
        return ["the resource is in a conflicting state or already exists; inspect it before retrying"]
    return ["see the AWS error code and message above"]


def classify_client_error(exc, service, operation, params, profile, retries=0):
    """A JSON-safe description of a botocore ClientError."""
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {})
    meta = response.get("ResponseMetadata", {})
    code = str(error.get("Code", "Unknown"))
    status = meta.get("HTTPStatusCode")
    retries = max(retries, meta.get("RetryAttempts", 0) or 0)
    kind = error_kind(code, status)
    resource = describe_resource(params or {})
    info = {"kind": kind, "code": code, "message": error.get("Message") or str(exc),
            "request_id": meta.get("RequestId") or meta.get("HTTPHeaders", {}).get("x-amz-request-id"),
            "http_status": status, "retries": retries, "service": service, "operation": operation,
            "resource": resource, "profile": profile,
            "hints": _hints(kind, service, operation, profile, resource, retries)}
    info["text"] = explain(info)
    return info


def classify_other_error(exc, service, operation, params, profile, kind="other"):
    """Errors that are not AWS answers: no connection, no credentials, waiter gave up."""
    info = {"kind": kind, "code": type(exc).__name__, "message": str(exc), "request_id": None,
            "http_status": None, "retries": 0, "service": service, "operation": operation,
            "resource": describe_resource(params or {}), "profile": profile,
            "hints": ["check network access to the AWS endpoint and the credentials of the profile"]
            if kind != "wait_failed" else ["the resource did not reach the awaited state in time"]}
    info["text"] = explain(info)
    return info


TITLES = {"access_denied": "ACCESS DENIED", "not_found": "NOT FOUND", "throttled": "RATE LIMITED",
          "conflict": "CONFLICT", "other": "AWS ERROR", "wait_failed": "WAIT FAILED",
          "unexpected_output": "UNEXPECTED OUTPUT", "validation_failed": "VALIDATION FAILED",
          "ambiguous": "OUTCOME UNKNOWN"}


def explain(info):
    """One paragraph a person can act on."""
    lines = ["%s: %s:%s failed with %s: %s" % (TITLES.get(info["kind"], "ERROR"), info["service"],
                                               info["operation"], info["code"], info["message"])]
    if info.get("request_id"):
        lines.append("  request id: %s" % info["request_id"])
    if info["kind"] in ("access_denied", "not_found"):
        lines.append("  resource: %s; caller: %s" % (info["resource"],
                                                     "profile %s" % info["profile"] if info["profile"]
                                                     else "default credentials"))
        lines.append("  likely causes:")
    lines.extend("   - %s" % hint for hint in info["hints"])
    return "\n".join(lines)
