"""Which AWS call a raw HTTP request is, and what moto's recorder saw.

``classify_request`` / ``operation_of`` name a request (service, operation, protocol) from its
signature, target header, query action or REST route, with botocore's own service models: the
recorder parser and the fault proxy both use it, so both name calls alike. ``mutating_calls``
keeps the recorded calls that could have changed AWS resources.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import botocore.session
from botocore.exceptions import DataNotFoundError, UnknownServiceError

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
