# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""boto3 sessions and clients: one session per invocation, retries left to botocore."""

from __future__ import annotations

try:
    import boto3
    from botocore import xform_name
    from botocore.config import Config
    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    HAS_BOTO3 = False


class AwsContext:
    """One boto3 session (one set of credentials) and its clients, reused for every call.

    The guard verifies the identity of exactly this session, so every later
    call is made with the credentials that were checked.
    """

    def __init__(self, profile=None, region=None, retry_mode="standard", max_attempts=5):
        self.region = region
        self.session = boto3.Session(profile_name=profile or None, region_name=region)
        # the profile really in use, also when it comes from AWS_PROFILE: it is a classification signal
        self.profile = profile or self.session._session.get_config_variable("profile") or None
        self.config = Config(retries={"mode": retry_mode, "total_max_attempts": max_attempts},
                             user_agent_extra="coworker.aws")
        self._clients = {}

    def client(self, service, region=None):
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1], config=self.config)
        return self._clients[key]

    def call(self, service, operation, params, region=None):
        """Make one API call by its botocore operation name; return the response dict."""
        return getattr(self.client(service, region), xform_name(operation))(**params)


def response_body(response):
    """The response without its transport metadata, JSON-safe (datetimes as ISO text, bytes dropped)."""
    return _json_safe({k: v for k, v in (response or {}).items() if k != "ResponseMetadata"})


def retry_attempts(response):
    return ((response or {}).get("ResponseMetadata") or {}).get("RetryAttempts", 0) or 0


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return "<%d bytes>" % len(value)
    if hasattr(value, "read"):
        return "<stream>"
    return value
