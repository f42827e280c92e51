# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 backend: runs, locks, reports and the change log in a bucket several machines share.

Its botocore session is its own, from the profile named in ``state_backend`` (the
default credential chain when none is named): never the target account's session.
Before the first object is touched the bucket's owner is checked (the caller's
account must own it, by ListBuckets, or S3 enforces ``ExpectedBucketOwner``), and
every request carries ``ExpectedBucketOwner``; every object is written with
server-side encryption. Locks use conditional writes (``If-None-Match: *`` to take,
``If-Match`` on the ETag to renew, take over and release) and carry a lease the
holder renews while it writes its journal (see s3_journal.py).
"""

from __future__ import annotations

import os

try:
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    HAS_BOTOCORE = True
except ImportError:  # pragma: no cover - reported when an s3 backend is configured
    HAS_BOTOCORE = False

from ansible_collections.coworker.aws.plugins.module_utils.aws.botocore_data import new_session
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, RunError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import render_cli
from ansible_collections.coworker.aws.plugins.module_utils.run import journal as journals
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import checked_key
from ansible_collections.coworker.aws.plugins.module_utils.run.state_files import private_dir, write_private

PRECONDITION = ("PreconditionFailed", "412")
MISSING = ("NoSuchKey", "404", "NotFound")
DENIED = ("AccessDenied", "403")


class StateBackendError(CoworkerError):
    """The S3 state backend refused or failed a request."""


def _code(exc):
    return exc.response.get("Error", {}).get("Code", "")


def _explain(exc, what):
    error = exc.response.get("Error", {})
    request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
    return StateBackendError("state backend: %s failed: %s %s%s" % (
        what, error.get("Code"), error.get("Message", ""), " (request id %s)" % request_id if request_id else ""))


class S3Backend:
    kind = "s3"
    lease_takeover = True  # a lease that ended frees the lock: its holder stopped renewing it

    def __init__(self, config, state_dir, quick=False):
        if not HAS_BOTOCORE:
            raise StateBackendError("the s3 state backend needs botocore")
        self.config = config
        self.bucket = config["bucket"]
        self.owner = config["account_id"]
        self.prefix = config["prefix"]
        self.lease_seconds = config["lock_lease_seconds"]
        self.state_dir = state_dir
        self.cache_dir = os.path.join(state_dir, "s3-cache")
        self._client = None
        self._sts = None
        self._identity = None
        self._quick = quick  # short timeouts and one retry: the lock heartbeat must not hang (lock_keeper.py)
        self.requests = 0  # counted for the benchmark and the tests

    # --- the session and the owner check ---------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            session = new_session(self.config["profile"])
            config = Config(retries={"mode": "standard", "total_max_attempts": 2 if self._quick else 5},
                            user_agent_extra="coworker.aws",
                            **({"connect_timeout": 3, "read_timeout": 5} if self._quick else {}))
            self._client = session.create_client("s3", region_name=self.config["region"], config=config)
            self._sts = session.create_client("sts", region_name=self.config["region"], config=config)
            self._check_owner()
        return self._client

    def _check_owner(self):
        """Refuse a bucket that the configured account does not own, before any object is read or written."""
        try:
            self._identity = self._sts.get_caller_identity()
            self.requests += 1
            if self._identity["Account"] == self.owner:
                names = self._own_buckets()
                if self.bucket not in names:
                    raise StateBackendError(
                        "state backend refused: bucket %s is not a bucket of account %s (ListBuckets as %s does not "
                        "list it); check state_backend.bucket and state_backend.account_id. Nothing was written."
                        % (self.bucket, self.owner, self._identity["Arn"]))
            # another account's principal: S3 itself refuses every request whose ExpectedBucketOwner differs
            self._client.head_bucket(Bucket=self.bucket, ExpectedBucketOwner=self.owner)
            self.requests += 1
        except ClientError as exc:
            self._client = None
            raise _explain(exc, "checking bucket %s of account %s" % (self.bucket, self.owner)) from None
        except BotoCoreError as exc:
            self._client = None
            raise StateBackendError("state backend: cannot reach bucket %s: %s" % (self.bucket, exc)) from None

    def _own_buckets(self):
        names = []
        for page in self._client.get_paginator("list_buckets").paginate():
            self.requests += 1
            names += [bucket["Name"] for bucket in page.get("Buckets", [])]
        return names

    def versioning_warning(self):
        """A warning when the bucket keeps no old versions (one GetBucketVersioning, for a run that writes).

        The journal is one object rewritten in place: without versioning, a deleted or overwritten
        journal is detected but cannot be restored. Not a refusal: the bucket is the owner's choice.
        """
        try:
            status = self._call("get_bucket_versioning", "reading the versioning of").get("Status")
        except ClientError as exc:
            return "cannot tell whether state bucket %s keeps versions (%s); without versioning a deleted or " \
                "overwritten journal cannot be restored" % (self.bucket, _explain(exc, "GetBucketVersioning"))
        if status == "Enabled":
            return None
        enable = render_cli("s3", "PutBucketVersioning", {
            "Bucket": self.bucket, "VersioningConfiguration": {"Status": "Enabled"},
            "ExpectedBucketOwner": self.owner}, region=self.config["region"], profile=self.config["profile"])
        return "state bucket %s has %s: a deleted or overwritten journal cannot be restored; enable it with %s" % (
            self.bucket, "versioning suspended" if status == "Suspended" else "no versioning", enable)

    def principal(self):
        """The ARN the backend's session acts as (read with the owner check)."""
        if self.client is not None and self._identity:
            return self._identity["Arn"]
        return None

    # --- keys and objects ------------------------------------------------------------------------

    def key(self, key):
        key = checked_key(key)
        return "%s/%s" % (self.prefix, key) if self.prefix else key

    def location(self, key=""):
        return "s3://%s/%s" % (self.bucket, self.key(key) if key else self.prefix)

    def run_location(self, run_id):
        self._run_id(run_id)
        return self.location("runs/%s" % run_id)

    def journal_location(self, run_id):
        return self.location(self._journal_key(run_id))

    def _call(self, operation, what, **params):
        params.update(Bucket=self.bucket, ExpectedBucketOwner=self.owner)
        client = self.client
        self.requests += 1
        try:
            return getattr(client, operation)(**params)
        except BotoCoreError as exc:
            raise StateBackendError("state backend: %s %s failed: %s" % (what, self.location(), exc)) from None

    def _put(self, key, data, **conditions):
        extra = {"ServerSideEncryption": self.config["sse"]}
        if self.config["kms_key_id"]:
            extra["SSEKMSKeyId"] = self.config["kms_key_id"]
        return self._call("put_object", "writing", Key=self.key(key), Body=data, **dict(extra, **conditions))

    def get_versioned(self, key):
        """(bytes, ETag) of an object, or (None, None)."""
        try:
            answer = self._call("get_object", "reading", Key=self.key(key))
        except ClientError as exc:
            if _code(exc) in MISSING:
                return None, None
            raise _explain(exc, "reading %s" % self.location(key)) from None
        return answer["Body"].read(), answer["ETag"]

    def get(self, key):
        return self.get_versioned(key)[0]

    def put(self, key, data):
        try:
            self._put(key, data)
        except ClientError as exc:
            raise _explain(exc, "writing %s" % self.location(key)) from None

    def put_if(self, key, data, version):
        """Write when the object is still ``version`` (None: absent); the new ETag, or None when it is not."""
        try:
            answer = self._put(key, data, **({"IfMatch": version} if version else {"IfNoneMatch": "*"}))
        except ClientError as exc:
            if _code(exc) in PRECONDITION or (_code(exc) == "ConditionalRequestConflict"):
                return None
            raise _explain(exc, "writing %s" % self.location(key)) from None
        return answer["ETag"]

    def create(self, key, data):
        if self.put_if(key, data, None) is None and self.get(key) != data:
            raise FileExistsError(self.location(key))

    def append(self, key, data):
        """Read, add, write back only if nobody wrote in between (a few tries)."""
        for _attempt in range(5):
            old, version = self.get_versioned(key)
            if self.put_if(key, (old or b"") + data, version) is not None:
                return
        raise StateBackendError("state backend: %s kept changing while this run appended to it" % self.location(key))

    def list(self, prefix):
        """Names directly under ``prefix`` (objects and folders)."""
        base = self.key(prefix) + "/"
        names, token = set(), None
        while True:
            params = {"Prefix": base, "Delimiter": "/"}
            if token:
                params["ContinuationToken"] = token
            try:
                answer = self._call("list_objects_v2", "listing", **params)
            except ClientError as exc:
                raise _explain(exc, "listing %s" % self.location(prefix)) from None
            names.update(item["Prefix"][len(base):].rstrip("/") for item in answer.get("CommonPrefixes", []))
            names.update(item["Key"][len(base):] for item in answer.get("Contents", []))
            token = answer.get("NextContinuationToken")
            if not token:
                return sorted(names)

    def local_file(self, key):
        """The object copied into a private file of this machine's ``state_dir`` (0600, never through a symlink)."""
        data = self.get(key)
        if data is None:
            return None
        path = os.path.join(self.cache_dir, self.bucket, *self.key(key).split("/"))
        private_dir(os.path.dirname(path), levels=self.key(key).count("/") + 2)
        write_private(path, data)
        return path

    # --- locks -----------------------------------------------------------------------------------

    def lock_create(self, key, data):
        return self.put_if(key, data, None) is not None

    def lock_read(self, key):
        return self.get_versioned(key)

    def lock_replace(self, key, data, version):
        return self.put_if(key, data, version) is not None

    def lock_delete(self, key, version):
        try:
            self._call("delete_object", "removing", Key=self.key(key), IfMatch=version)
        except ClientError as exc:
            if _code(exc) in PRECONDITION + MISSING:
                return False
            raise _explain(exc, "removing %s" % self.location(key)) from None
        return True

    # --- the journal -----------------------------------------------------------------------------

    @staticmethod
    def _run_id(run_id):
        if not isinstance(run_id, str) or not journals.RUN_ID_RE.match(run_id):
            raise RunError("invalid run id %r" % (run_id,))
        return run_id

    def _journal_key(self, run_id):
        return "runs/%s/journal.jsonl" % self._run_id(run_id)

    def journal(self, run_id, create=False):
        from ansible_collections.coworker.aws.plugins.module_utils.run.backend.s3_journal import S3Journal
        return S3Journal(self, run_id, create)

    def events(self, run_id):
        """The run's events, its chain checked (JournalTampered when broken)."""
        return self.verified(run_id)[0]

    def verified(self, run_id):
        """(events, head, legacy) of the run's journal (see journal.verified_events)."""
        return journals.verified_events(self.get(self._journal_key(run_id)), self.journal_location(run_id), run_id)

    def rewritten(self, run_id, events):  # pylint: disable=unused-argument
        """How the journal's object history departs from appending, or None.

        Every write of a journal adds events to the version before it, so with versioning on, the current
        version must begin with the bytes of the previous one (one ListObjectVersions, two GETs; asked
        only when a run is opened from outside the process that wrote it). Without versions: None."""
        key = self.key(self._journal_key(run_id))
        try:
            listed = self._call("list_object_versions", "listing the versions of", Prefix=key, MaxKeys=10)
            versions = [v for v in listed.get("Versions", []) if v["Key"] == key and v.get("VersionId") != "null"]
            latest = [v for v in versions if v.get("IsLatest")]
            previous = [v for v in versions if not v.get("IsLatest")]
            if not latest or not previous:
                return None
            previous = previous[0]  # S3 lists a key's versions newest first
            now, before = (self._call("get_object", "reading", Key=key, VersionId=v["VersionId"])["Body"].read()
                           for v in (latest[0], previous))
        except ClientError as exc:
            if _code(exc) in DENIED:
                return None  # the principal may not read versions (s3:ListBucketVersions, s3:GetObjectVersion)
            raise _explain(exc, "reading the versions of %s" % self.location(self._journal_key(run_id))) from None
        if now.startswith(before):
            return None
        return ("its current version %s is not its previous version %s with events added: the object was rewritten"
                % (latest[0]["VersionId"], previous["VersionId"]))

    def check_intact(self, run_id):
        if self.get(self._journal_key(run_id)) is None:
            raise journals.JournalLost("the journal %s of run %s is gone; stopped before the next AWS call"
                                       % (self.journal_location(run_id), run_id))

    def restore(self, run_id):  # pylint: disable=unused-argument
        return None  # one object, written whole: nothing to put back together

    def run_ids(self):
        """Every run in the bucket, newest first (run ids start with their UTC start time)."""
        return sorted((n for n in self.list("runs") if journals.RUN_ID_RE.match(n)), reverse=True)

    def find_run(self, ref):
        if ref != "last":
            if self.get(self._journal_key(ref)) is None:
                raise RunError("no run %r under %s" % (ref, self.location("runs")))
            return ref
        for name in self.run_ids():  # a run killed before its first event has no journal: not a run yet
            if self.get(self._journal_key(name)) is not None:
                return name
        raise RunError("no runs under %s" % self.location("runs"))
