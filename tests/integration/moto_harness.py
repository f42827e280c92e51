"""Helpers for integration tests that run the collection against a local moto server.

Everything here talks only to 127.0.0.1: the server, the environments handed to
ansible-playbook and the boto3 sessions used for assertions. The facts this relies on
(accounts via assume_role, the recorder, reset-auth) are in /work/shared/TESTING.md.

Main pieces:
  * MotoServer / start_moto_server - one moto process, reset, IAM checks, recorder.
  * classify_request / operation_of - which (service, operation) a raw HTTP request is;
    shared by the recorder parser and the fault proxy so both name calls alike.
  * mutating_calls - the recorded calls that could have changed AWS resources.
  * AwsEnv - subprocess environments and named profiles (one per fake account).
  * run_playbook / spawn_playbook - the venv's ansible-playbook, captured or on a pty.
  * account_snapshot - what exists in an account, to prove moto was left as it was.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import functools
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.session
from botocore.exceptions import ClientError, DataNotFoundError, UnknownServiceError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
REGION = "us-east-1"
FAKE_KEY = "testing"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's account for keys it does not know

# An operation is read-only when its name starts with one of these. Anything else,
# including operations the classifier could not name ("Unknown:..."), counts as mutating,
# so a "nothing was changed" assertion errs on the side of failing. (The plugins'
# service_model also treats Check/Estimate/Preview/Validate as read-only; this list is
# deliberately the stricter one.)
READ_ONLY_PREFIXES = ("Describe", "Get", "Head", "List", "Lookup", "Query", "Scan", "Search",
                      "BatchGet", "Select")
# STS only mints temporary credentials (AssumeRole, GetSessionToken, ...) and reports who
# the caller is; it creates or changes no resource a plan could have touched, so it never
# counts as mutating even though AssumeRole does not look read-only by name.
NON_MUTATING_SERVICES = ("sts", "moto-api")

# Credential scopes name the signing name; map the few that differ from botocore's name.
_SIGNING_NAME_TO_SERVICE = {"monitoring": "cloudwatch", "states": "stepfunctions",
                            "es": "opensearch", "email": "ses", "s3express": "s3",
                            "s3-object-lambda": "s3"}
# The few query actions that are sent unsigned, so carry no credential scope.
_UNSIGNED_ACTIONS = {"AssumeRoleWithWebIdentity": "sts", "AssumeRoleWithSAML": "sts"}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


# --------------------------------------------------------------------------- network

def free_port() -> int:
    """A currently free loopback port (the OS picks it, so parallel workers never clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


# Ignore any HTTP(S)_PROXY of the developer's shell: moto is on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_call(url: str, method: str = "GET", body: bytes = b"", content_type: str | None = None,
              timeout: float = 10) -> bytes:
    """One plain HTTP request with urllib (no extra dependency); returns the response body."""
    request = urllib.request.Request(url, data=body if method != "GET" else None, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    with _OPENER.open(request, timeout=timeout) as response:
        return response.read()


def require_local_endpoint(env: dict) -> None:
    """Refuse an environment whose AWS calls could leave the machine.

    A profile or process without an endpoint goes to real AWS, so AWS_ENDPOINT_URL must be
    set and every AWS_ENDPOINT_URL* must point at loopback.
    """
    if not env.get("AWS_ENDPOINT_URL"):
        raise RuntimeError("AWS_ENDPOINT_URL is missing: refusing to run against real AWS")
    for name, value in env.items():
        if name.startswith("AWS_ENDPOINT_URL") and urlsplit(value).hostname != LOOPBACK:
            raise RuntimeError(f"{name}={value!r} is not on {LOOPBACK}: refusing")
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        raise RuntimeError("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS would send calls to real AWS")


# --------------------------------------------------------------- request classification

@dataclass(frozen=True)
class RequestKind:
    """What an AWS HTTP request is: service, operation and wire protocol."""
    service: str
    operation: str
    protocol: str  # json, query, ec2, s3, rest-json, rest-xml, smithy-rpc-v2-cbor, moto-api


def classify_request(method: str, url: str, headers, body: bytes | str | None) -> RequestKind:
    """Name the AWS operation of a raw request, as recorded by moto or seen by the proxy.

    JSON protocol: X-Amz-Target; query/EC2: Action= in the form body (or query string);
    REST protocols (S3 and others): method + path + query matched against botocore's model.
    The service comes from the SigV4 credential scope (its signing name, e.g.
    "elasticloadbalancing" for both elb and elbv2). S3 must be path-style, which botocore
    uses for an http://127.0.0.1:PORT endpoint (checked); virtual-host style is not parsed.
    """
    headers = {key.lower(): value.decode() if isinstance(value, bytes) else value
               for key, value in dict(headers).items()}
    body = body.encode() if isinstance(body, str) else (body or b"")
    parts = urlsplit(url)
    path, query = parts.path or "/", parse_qs(parts.query, keep_blank_values=True)
    if path.startswith("/moto-api/"):
        return RequestKind("moto-api", path[len("/moto-api/"):], "moto-api")
    service = _signing_service(headers, query)
    if headers.get("x-amz-target"):
        return RequestKind(service or "unknown", headers["x-amz-target"].rsplit(".", 1)[-1], "json")
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        return RequestKind(service or "unknown", path.rstrip("/").rsplit("/", 1)[-1],
                           "smithy-rpc-v2-cbor")
    action = _query_action(headers, body, query)
    if action:
        service = service or _UNSIGNED_ACTIONS.get(action, "unknown")
        return RequestKind(service, action, "ec2" if service == "ec2" else "query")
    # Unsigned requests without Target/Action are S3 (moto routes them there too).
    service = service or "s3"
    return RequestKind(service, _rest_operation(service, method, path, query, headers),
                       "s3" if service == "s3" else _protocol(service))


def operation_of(method: str, url: str, headers, body) -> tuple[str, str]:
    """(service, operation) of a raw request; see classify_request."""
    kind = classify_request(method, url, headers, body)
    return kind.service, kind.operation


def _signing_service(headers: dict, query: dict) -> str | None:
    """Service from the SigV4 credential scope (header, or query for presigned URLs)."""
    scope = headers.get("authorization", "")
    if not scope and "X-Amz-Credential" in query:
        scope = "Credential=" + query["X-Amz-Credential"][0]
    match = _CREDENTIAL_SCOPE.search(scope)
    if not match:
        return None
    return _SIGNING_NAME_TO_SERVICE.get(match.group(1), match.group(1))


def _query_action(headers: dict, body: bytes, query: dict) -> str | None:
    """Action= of a query-protocol request (form body, or the URL for GET requests)."""
    if "Action" in query:
        return query["Action"][0]
    if "x-www-form-urlencoded" in headers.get("content-type", ""):
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return form.get("Action", [None])[0]
    return None


@functools.lru_cache(maxsize=None)
def _service_model(service: str):
    try:
        return botocore.session.get_session().get_service_model(service)
    except (UnknownServiceError, DataNotFoundError):  # the caller reports Unknown:...
        return None


def _protocol(service: str) -> str:
    model = _service_model(service)
    return model.protocol if model else "unknown"


@functools.lru_cache(maxsize=None)
def _rest_routes(service: str) -> tuple:
    """Each operation's route from botocore's model: method, path regex, fixed query, etc."""
    model = _service_model(service)
    if model is None:
        return ()
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        path_template, _sep, query_template = operation.http["requestUri"].partition("?")
        routes.append(_Route(
            name=name,
            method=operation.http["method"],
            path=re.compile(_path_regex(path_template)),
            fixed_query=parse_qs(query_template, keep_blank_values=True),
            required=_required_locations(operation.input_shape),
            literal_length=len(re.sub(r"\{[^}]*\}", "", path_template)),
            deprecated=bool(operation.deprecated),
        ))
    return tuple(routes)


@dataclass(frozen=True, eq=False)
class _Route:
    """How one operation appears on the wire, and how well it fits a request."""
    name: str
    method: str
    path: re.Pattern
    fixed_query: dict
    required: tuple = ()
    literal_length: int = 0
    deprecated: bool = False

    def matches(self, method: str, path: str, query: dict, headers: dict) -> bool:
        if method != self.method or not self.path.fullmatch(path):
            return False
        for key, values in self.fixed_query.items():
            if key not in query or (values != [""] and query[key] != values):
                return False
        return all((name in query) if where == "querystring" else (name in headers)
                   for where, name in self.required)

    def specificity(self) -> tuple:
        """More fixed query keys, more required query/header members, non-deprecated and
        longer literal path win: e.g. CopyObject (needs x-amz-copy-source) over PutObject,
        GetBucketLifecycleConfiguration over the deprecated GetBucketLifecycle (same wire)."""
        return (len(self.fixed_query), len(self.required), not self.deprecated,
                self.literal_length)


def _path_regex(template: str) -> str:
    """'/{Bucket}/{Key+}' -> regex; {X+} may span slashes, {X} is one segment."""
    pieces = re.split(r"(\{[^}]+\})", template)
    return "".join(("(.+)" if piece.endswith("+}") else "([^/]+)") if piece.startswith("{")
                   else re.escape(piece) for piece in pieces)


def _required_locations(shape) -> tuple:
    """Required members carried in the query string or a header (lower-cased header name)."""
    if shape is None:
        return ()
    located = []
    for name in shape.required_members:
        serialization = shape.members[name].serialization
        where = serialization.get("location")
        if where == "querystring":
            located.append((where, serialization.get("name", name)))
        elif where == "header":
            located.append((where, serialization.get("name", name).lower()))
    return tuple(located)


def _rest_operation(service: str, method: str, path: str, query: dict, headers: dict) -> str:
    """The most specific operation in the service's model whose route fits the request.

    Exact ties go to the alphabetically first name (ListBuckets over ListDirectoryBuckets).
    """
    candidates = sorted((route for route in _rest_routes(service)
                         if route.matches(method, path, query, headers)), key=lambda r: r.name)
    if not candidates:
        return f"Unknown:{method} {path}"
    return max(candidates, key=_Route.specificity).name


# --------------------------------------------------------------------------- recorder

@dataclass(frozen=True)
class RecordedCall:
    """One request moto recorded, already named."""
    service: str
    operation: str
    method: str
    url: str
    headers: dict = field(hash=False, repr=False)
    body: bytes = field(repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.service, self.operation


def parse_recording(text: str) -> list[RecordedCall]:
    """Parse moto's download-recording output (JSON lines: method, url, headers, body).

    moto also records calls to its own /moto-api/ (reset, reset-auth); those are not AWS
    calls and are left out.
    """
    calls = []
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        body = entry.get("body") or ""
        body = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
        service, operation = operation_of(entry["method"], entry["url"], entry["headers"], body)
        if service == "moto-api":
            continue
        calls.append(RecordedCall(service, operation, entry["method"], entry["url"],
                                  entry["headers"], body))
    return calls


def _key(call) -> tuple[str, str]:
    return call.key if isinstance(call, RecordedCall) else tuple(call)


def call_keys(calls) -> list[tuple[str, str]]:
    """[(service, operation), ...] in the order the calls were made."""
    return [_key(call) for call in calls]


def is_mutating(service: str, operation: str) -> bool:
    """Could this call have changed an AWS resource? (see READ_ONLY_PREFIXES)"""
    return service not in NON_MUTATING_SERVICES and not operation.startswith(READ_ONLY_PREFIXES)


def mutating_calls(calls) -> list[tuple[str, str]]:
    """The (service, operation) of every call that was not read-only, in order.

    Accepts RecordedCall objects or (service, operation) tuples.
    """
    return [key for key in call_keys(calls) if is_mutating(*key)]


# ------------------------------------------------------------------------ moto server

class MotoServer:
    """A running `python -m moto.server` on loopback, with its control API wrapped."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path):
        self.process = process
        self.port = port
        self.log_path = log_path
        self.url = f"http://{LOOPBACK}:{port}"

    def _api(self, path: str, body: bytes = b"", content_type: str | None = None,
             method: str = "POST") -> bytes:
        return http_call(f"{self.url}/moto-api/{path}", method, body, content_type)

    def reset(self) -> None:
        """Wipe every account (global to this server; IAM checks stay as they were)."""
        self._api("reset")

    def enable_iam_checks(self) -> None:
        """Evaluate IAM policies for every later request (create users/keys first)."""
        self._api("reset-auth", b"0", "text/plain")

    def disable_iam_checks(self) -> None:
        self._api("reset-auth", b"inf", "text/plain")

    def start_recording(self) -> None:
        """Empty the recording, then record every request from any process."""
        self._api("recorder/reset-recording")
        self._api("recorder/start-recording")

    def stop_recording(self) -> None:
        self._api("recorder/stop-recording")

    def read_recording(self) -> list[RecordedCall]:
        return parse_recording(self._api("recorder/download-recording", method="GET").decode())

    def stop_and_read(self) -> list[RecordedCall]:
        self.stop_recording()
        return self.read_recording()

    @contextlib.contextmanager
    def recording(self):
        """`with server.recording() as calls:` - calls is filled when the block ends."""
        calls: list[RecordedCall] = []
        self.start_recording()
        try:
            yield calls
        finally:
            calls.extend(self.stop_and_read())

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _server_env(recording_path: Path, extra_env: dict | None) -> dict:
    """The server gets no AWS_* or MOTO_* of ours: MOTO_ACCOUNT_ID would pin every request
    (assumed roles included) to one account and break per-account isolation."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env["MOTO_RECORDER_FILEPATH"] = str(recording_path)
    env.update(extra_env or {})
    if "MOTO_ACCOUNT_ID" in env:
        raise ValueError("MOTO_ACCOUNT_ID breaks multi-account tests; use assume_role")
    return env


def start_moto_server(workdir: Path, extra_env: dict | None = None,
                      timeout: float = 30, attempts: int = 3) -> MotoServer:
    """Start moto on a free loopback port and wait until it answers.

    The port is picked before moto binds it, so another process may take it first; then
    moto exits and we try another port. extra_env e.g. MOTO_IAM_LOAD_MANAGED_POLICIES=true.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    for _attempt in range(attempts):
        port = free_port()
        log_path = workdir / f"moto-{port}.log"
        with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block moto
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
                env=_server_env(workdir / f"recording-{port}.jsonl", extra_env),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        server = MotoServer(process, port, log_path)
        if _wait_until_ready(server, timeout):
            return server
        server.stop()
    raise RuntimeError(f"moto server did not start after {attempts} attempts:\n{server.log_tail()}")


def _wait_until_ready(server: MotoServer, timeout: float) -> bool:
    """Poll until moto answers its recorder API (proving it is moto, not another service).

    reset-recording also creates the (empty) recording file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            server._api("recorder/reset-recording")
            return True
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.05)
    return False


# ------------------------------------------------------------------ env and profiles

class AwsEnv:
    """Subprocess environments and AWS profiles that can only reach the local moto server.

    Profiles live in this test's own AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE; each
    has endpoint_url set too, so even a process that loses AWS_ENDPOINT_URL stays local.
    Profiles must be (re)created after a moto reset: moto forgets assumed-role keys and
    would then put their calls in its default account.
    """

    def __init__(self, endpoint_url: str, workdir: Path, repo_root: Path = REPO_ROOT):
        if urlsplit(endpoint_url).hostname != LOOPBACK:
            raise RuntimeError(f"endpoint {endpoint_url!r} is not on {LOOPBACK}")
        self.endpoint_url = endpoint_url
        self.repo_root = repo_root
        self.workdir = workdir
        self.config_file = workdir / "aws" / "config"
        self.credentials_file = workdir / "aws" / "credentials"
        self.local_temp = workdir / "ansible" / "local"
        self.remote_temp = workdir / "ansible" / "remote"
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        # A [default] profile with the fake keys: what boto3_session() uses, and a safe
        # fallback for any process that loses the AWS_* variables.
        _update_ini(self.credentials_file, "default",
                    {"aws_access_key_id": FAKE_KEY, "aws_secret_access_key": FAKE_KEY})
        self._write_config("default", {})
        self.local_temp.mkdir(parents=True, exist_ok=True)
        self.remote_temp.mkdir(parents=True, exist_ok=True)

    # -- environment

    def env(self, profile: str | None = None, endpoint_url: str | None = None,
            **overrides: str | None) -> dict:
        """Environment for ansible-playbook / aws CLI subprocesses.

        The caller's AWS_* and ANSIBLE_* are dropped so nothing real leaks in.
        profile: sets AWS_PROFILE and drops the static fake keys, because botocore prefers
        AWS_ACCESS_KEY_ID over AWS_PROFILE (the profile would silently be ignored).
        endpoint_url: e.g. the fault proxy's URL instead of moto's.
        overrides: extra variables; a value of None removes the variable.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
        env.update({
            "AWS_ENDPOINT_URL": endpoint_url or self.endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(self.config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_file),
            "ANSIBLE_CONFIG": str(self.repo_root / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(self.local_temp),
            "ANSIBLE_REMOTE_TEMP": str(self.remote_temp),
        })
        env["NO_PROXY"] = env["no_proxy"] = ",".join(
            filter(None, [os.environ.get("NO_PROXY", ""), LOOPBACK, "localhost"]))
        if profile:
            env["AWS_PROFILE"] = profile
            del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        require_local_endpoint(env)
        return env

    # -- profiles

    def add_account_profile(self, profile: str, account_id: str, alias: str | None = None) -> dict:
        """A profile whose calls land in account_id (temporary keys from sts.assume_role).

        Returns the credentials dict from STS. alias: created in that account.
        """
        credentials = self._assume_into(account_id, profile)
        self._write_credentials(profile, credentials)
        self._write_config(profile, {})
        if alias:
            self.boto3_session(profile).client("iam").create_account_alias(AccountAlias=alias)
        return credentials

    def add_role_profile(self, profile: str, source_profile: str, account_id: str,
                         role_name: str = "Deployer") -> None:
        """A profile that assumes role_name in account_id from source_profile's keys."""
        self._write_config(profile, {"role_arn": f"arn:aws:iam::{account_id}:role/{role_name}",
                                     "source_profile": source_profile})

    def rewrite_profile(self, profile: str, account_id: str) -> dict:
        """Swap a profile's keys for another account's (credentials changing mid-run)."""
        credentials = self._assume_into(account_id, profile)
        self._write_credentials(profile, credentials)
        return credentials

    def _assume_into(self, account_id: str, profile: str) -> dict:
        """Moto gives assume_role credentials whose calls land in the role's account."""
        sts = self.boto3_session().client("sts")
        response = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/Any",
                                   RoleSessionName=f"harness-{profile}"[:64])
        return response["Credentials"]

    def _write_credentials(self, profile: str, credentials: dict) -> None:
        _update_ini(self.credentials_file, profile, {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        })

    def _write_config(self, profile: str, values: dict) -> None:
        section = profile if profile == "default" else f"profile {profile}"
        _update_ini(self.config_file, section,
                    {"region": REGION, "endpoint_url": self.endpoint_url, **values})

    # -- boto3 for assertions

    def boto3_session(self, profile: str | None = None,
                      endpoint_url: str | None = None) -> boto3.Session:
        """A boto3 Session on moto, for assertions inside the test process.

        Reads only this test's profile files; every client (also the STS client a role
        profile uses internally) is pinned to moto whatever this process's environment
        says. profile=None: the [default] profile's fake keys, which moto puts in its
        account 123456789012.
        """
        core = botocore.session.Session()
        core.set_config_variable("config_file", str(self.config_file))
        core.set_config_variable("credentials_file", str(self.credentials_file))
        core.set_config_variable("profile", profile or "default")
        core.get_component("config_store").set_config_variable(
            "endpoint_url", endpoint_url or self.endpoint_url)
        return boto3.Session(botocore_session=core)


def _update_ini(path: Path, section: str, values: dict) -> None:
    """Replace one section of an AWS ini file, keeping the others."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    if parser.has_section(section):
        parser.remove_section(section)
    parser[section] = values
    with open(path, "w") as handle:
        parser.write(handle)


# ------------------------------------------------------------------------- playbooks

def ansible_bin(name: str = "ansible-playbook") -> Path:
    """The venv's own ansible tool, next to the running interpreter."""
    return Path(sys.executable).parent / name


def install_built_collection(dest: Path) -> Path:
    """Build the collection's tarball and install it under ``dest`` as a user does; the collections path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    subprocess.run([str(ansible_bin("ansible-galaxy")), "collection", "build", "--output-path", str(dest / "built")],
                   cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True)
    [tarball] = (dest / "built").glob("coworker-aws-*.tar.gz")
    subprocess.run([str(ansible_bin("ansible-galaxy")), "collection", "install", "--offline", "-p",
                    str(dest / "installed"), str(tarball)], cwd=dest, env=env, capture_output=True, text=True,
                   check=True)
    return dest / "installed"


def run_playbook(args, env: dict, cwd, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ansible-playbook to completion; stdout and stderr captured as text."""
    require_local_endpoint(env)
    return subprocess.run([str(ansible_bin()), *map(str, args)], env=env, cwd=str(cwd),
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def spawn_playbook(args, env: dict, cwd):
    """ansible-playbook on a real pseudo-terminal, for driving interactive prompts.

    The wide window keeps Ansible from wrapping lines we match on. The whole transcript
    is kept in child.logfile_read (a StringIO): print it when an expect() fails.
    """
    import pexpect  # only the interactive tests need it

    require_local_endpoint(env)
    child = pexpect.spawn(str(ansible_bin()), [str(arg) for arg in args], env=env,
                          cwd=str(cwd), encoding="utf-8", dimensions=(50, 250), timeout=120)
    child.logfile_read = io.StringIO()
    return child


def latest_report_name(events: list[dict]) -> str:
    """The report a run's latest pass wrote: report, or report-resume-N / report-rollback-N for its
    N-th resume or rollback that was not refused (counted here from the journal's own events)."""
    counts: dict[str, int] = {}
    names, opened = ["report"], None
    for event in events:
        if event["event"] == "run_resumed":
            opened = event["purpose"]
            counts[opened] = counts.get(opened, 0) + 1
            names.append(f"report-{opened}-{counts[opened]}")
        elif event["event"] == "run_released" and opened:
            counts[opened] -= 1
            names.pop()
            opened = None
    return names[-1]


def output_of(result: subprocess.CompletedProcess) -> str:
    """stdout then stderr of a run_playbook result, for assertion messages."""
    return f"{result.stdout}\n--- stderr ---\n{result.stderr}"


# -------------------------------------------------------------------------- snapshots

def account_snapshot(session: boto3.Session) -> dict:
    """What exists in the session's account (and region), as plain sorted data.

    Compare two snapshots to prove a run left moto as it was. Defaults moto creates by
    itself (default VPC, its subnets and security groups, service-linked roles) are left
    out so diffs show only what tests and plans made.
    """
    return {
        "s3_buckets": _s3_buckets(session.client("s3")),
        "ec2_vpcs": _vpcs(session.client("ec2")),
        "ec2_subnets": _subnets(session.client("ec2")),
        "ec2_security_groups": _security_groups(session.client("ec2")),
        "ec2_instances": _instances(session.client("ec2")),
        "iam_roles": _roles(session.client("iam")),
        "iam_account_aliases": session.client("iam").list_account_aliases()["AccountAliases"],
        "ssm_parameters": _parameters(session.client("ssm")),
        "dynamodb_tables": _tables(session.client("dynamodb")),
    }


def _tags(tag_list) -> dict:
    return {tag["Key"]: tag["Value"] for tag in tag_list or []}


def _pages(client, operation: str, result_key: str, **params) -> list:
    return [item for page in client.get_paginator(operation).paginate(**params)
            for item in page.get(result_key, [])]


def _unless_missing(call, *missing_codes, default=None):
    """Result of call(), or default when AWS says the thing is not configured."""
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] in missing_codes:
            return default
        raise


def _s3_buckets(s3) -> dict:
    buckets = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        buckets[name] = {
            "versioning": s3.get_bucket_versioning(Bucket=name).get("Status"),
            "tags": _unless_missing(lambda: _tags(s3.get_bucket_tagging(Bucket=name)["TagSet"]),
                                    "NoSuchTagSet", default={}),
            "encryption": _unless_missing(
                lambda: s3.get_bucket_encryption(Bucket=name)[
                    "ServerSideEncryptionConfiguration"]["Rules"],
                "ServerSideEncryptionConfigurationNotFoundError"),
        }
    return dict(sorted(buckets.items()))


def _vpcs(ec2) -> dict:
    return {vpc["VpcId"]: {"cidr": vpc["CidrBlock"], "tags": _tags(vpc.get("Tags"))}
            for vpc in _pages(ec2, "describe_vpcs", "Vpcs") if not vpc.get("IsDefault")}


def _subnets(ec2) -> dict:
    return {subnet["SubnetId"]: {"vpc": subnet["VpcId"], "cidr": subnet["CidrBlock"],
                                 "az": subnet["AvailabilityZone"],
                                 "tags": _tags(subnet.get("Tags"))}
            for subnet in _pages(ec2, "describe_subnets", "Subnets")
            if not subnet.get("DefaultForAz")}


def _security_groups(ec2) -> dict:
    return {group["GroupId"]: {"name": group["GroupName"], "vpc": group.get("VpcId"),
                               "ingress": group.get("IpPermissions", []),
                               "egress": group.get("IpPermissionsEgress", []),
                               "tags": _tags(group.get("Tags"))}
            for group in _pages(ec2, "describe_security_groups", "SecurityGroups")
            if group["GroupName"] != "default"}


def _instances(ec2) -> dict:
    instances = {}
    for reservation in _pages(ec2, "describe_instances", "Reservations"):
        for instance in reservation["Instances"]:
            if instance["State"]["Name"] != "terminated":
                instances[instance["InstanceId"]] = {
                    "state": instance["State"]["Name"], "type": instance["InstanceType"],
                    "image": instance["ImageId"], "subnet": instance.get("SubnetId"),
                    "tags": _tags(instance.get("Tags"))}
    return instances


def _roles(iam) -> dict:
    roles = {}
    for role in _pages(iam, "list_roles", "Roles"):
        if role["Path"].startswith("/aws-service-role/"):
            continue
        name = role["RoleName"]
        roles[name] = {
            "path": role["Path"],
            "attached_policies": sorted(p["PolicyArn"] for p in _pages(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)),
            "inline_policies": sorted(_pages(iam, "list_role_policies", "PolicyNames",
                                             RoleName=name)),
        }
    return dict(sorted(roles.items()))


def _parameters(ssm) -> dict:
    parameters = {}
    for parameter in _pages(ssm, "describe_parameters", "Parameters"):
        name = parameter["Name"]
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        parameters[name] = {"type": parameter["Type"], "version": parameter["Version"],
                            "value": value}
    return dict(sorted(parameters.items()))


def _tables(dynamodb) -> dict:
    tables = {}
    for name in _pages(dynamodb, "list_tables", "TableNames"):
        table = dynamodb.describe_table(TableName=name)["Table"]
        tables[name] = {"status": table["TableStatus"], "keys": table["KeySchema"],
                        "billing": table.get("BillingModeSummary", {}).get("BillingMode")}
    return dict(sorted(tables.items()))


def descendants(pid: int) -> list[int]:
    """Every live process below pid (children first found through /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found
