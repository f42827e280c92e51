# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""boto3 sessions and clients: one frozen set of credentials per invocation, retries left to botocore.

botocore asks a refreshable source (``credential_process``, SSO, a role profile)
again whenever its credentials come within 15 minutes of expiry, i.e. possibly on
every call, and the answer may belong to another account. So the credentials are
frozen once (``get_frozen_credentials()``) and every client is built from that
static copy: the credentials STS verified are the only ones any call can use. If
they expire mid-batch, the call fails with AWS's error and the batch stops there.
"""

from __future__ import annotations

import threading

from ansible_collections.coworker.aws.plugins.module_utils.aws.botocore_data import new_session

try:
    import boto3
    from botocore import xform_name
    from botocore.config import Config
    from botocore.exceptions import NoCredentialsError
    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    HAS_BOTO3 = False


def frozen_session(base, profile, region):
    """A boto3 session with static copies of ``base``'s current credentials.

    The profile still supplies its configuration (endpoint_url, retry settings);
    explicit keys take precedence over any credential source it names, and static
    credentials are never refreshed.
    """
    credentials = base.get_credentials()
    if credentials is None:
        raise NoCredentialsError()
    frozen = credentials.get_frozen_credentials()
    return boto3.Session(aws_access_key_id=frozen.access_key, aws_secret_access_key=frozen.secret_key,
                         aws_session_token=frozen.token, profile_name=profile or None, region_name=region,
                         botocore_session=new_session())


class AwsContext:
    """One frozen set of credentials and its clients, reused for every call.

    The guard verifies the identity of exactly this context, so every later call
    is made with the credentials that were checked. The credentials are frozen on
    the first client, so a failure to obtain them (a credential_process that
    fails) happens inside the guard's STS check and refuses there.
    """

    def __init__(self, profile=None, region=None, retry_mode="standard", max_attempts=5, session=None):
        self.region = region
        self._base = boto3.Session(profile_name=profile or None, region_name=region, botocore_session=new_session())
        # the profile really in use, also when it comes from AWS_PROFILE: it is a classification signal
        self.profile = profile or self._base._session.get_config_variable("profile") or None
        self.config = Config(retries={"mode": retry_mode, "total_max_attempts": max_attempts},
                             user_agent_extra="coworker.aws")
        self.session = session
        self.assumed_role = None
        # the SourceIdentity AWS returned when this context's role was assumed (None: not set, or not ours to see)
        self.source_identity = None
        self.budget = None  # a RequestBudget (aws/request_budget.py): every call waits for its slot
        self._clients = {}
        self._lock = threading.Lock()  # steps at the same time (run/together.py): one client per service and region

    def _frozen(self):
        if self.session is None:
            self.session = frozen_session(self._base, self.profile, self.region)
        return self.session

    def client(self, service, region=None):
        key = (service, region or self.region)
        if key not in self._clients:
            with self._lock:  # a botocore session is not thread-safe; its clients are
                if key not in self._clients:
                    self._clients[key] = self._frozen().client(service, region_name=key[1], config=self.config)
        return self._clients[key]

    def call(self, service, operation, params, region=None):
        """Make one API call by its botocore operation name; return the response dict."""
        if self.budget is not None:
            self.budget.take()
        return getattr(self.client(service, region), xform_name(operation))(**params)

    def assume(self, role_arn, session_name, policy=None):
        """A new context whose frozen credentials are those of ``role_arn``, assumed with these
        credentials and restricted by the session ``policy`` when one is given."""
        request = dict(RoleArn=role_arn, RoleSessionName=session_name)
        if policy:
            request["Policy"] = policy
        answer = self.client("sts").assume_role(**request)
        creds = answer["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"], profile_name=self.profile,
                                region_name=self.region, botocore_session=new_session())
        assumed = AwsContext(self.profile, self.region, session=session)
        assumed.config, assumed.assumed_role, assumed.budget = self.config, role_arn, self.budget
        assumed.source_identity = answer.get("SourceIdentity") or self.source_identity
        return assumed


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
