"""A loopback HTTP proxy in front of moto that can inject throttling and 5xx errors.

moto never throttles or fails on its own, so retry behaviour can only be tested by
putting something between the client and moto. Clients use the proxy's URL as their
AWS_ENDPOINT_URL; requests are forwarded unchanged (Host header included, so SigV4 still
verifies) unless a fault rule matches. Error bodies are in the service's own protocol,
or botocore would not read the error code (see /work/shared/TESTING.md, "Faults").

    proxy.add_fault("s3", "CreateBucket", "throttle", count=3)   # first 3 CreateBucket
    proxy.add_fault("ec2", "*", "error500")                        # every EC2 call, forever
    proxy.add_fault("iam", "CreateRole", "drop_answer", count=1)   # moto acts, the answer is lost
    proxy.hits("s3", "CreateBucket")                               # requests seen, incl. faulted
    proxy.latency = 0.1                                             # every request waits 100 ms, as over a WAN
    proxy.timeline                                                  # (service, operation, received, answered)
    held = proxy.add_fault("ec2", "CreateSecurityGroup", "hold", count=1)  # moto acts, the answer waits...
    held.release()                                                  # ...until the test lets it go
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from moto_harness import LOOPBACK, classify_request

# Hop-by-hop headers describe one connection, not the message, so they are not passed on;
# Content-Length is recomputed each way (bodies are read whole, chunked or not), and
# Expect is already answered by http.server (botocore does not sign it).
_NOT_FORWARDED = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
                  "trailer", "upgrade", "expect", "content-length"}
_request_ids = itertools.count(1)


@dataclass
class FaultRule:
    """Fail matching requests: `remaining` more times, or forever when None."""
    service: str
    operation: str  # "*" matches every operation of the service
    # "throttle", "error500", "drop_answer" (forwarded, then the connection closes) or
    # "hold" (forwarded, and the answer kept until release(): a call in flight)
    kind: str
    remaining: int | None = None
    status: int | None = None  # overrides the protocol's usual status
    rate: float = 1.0          # the share of matching requests that fail (a seeded draw each)
    seed: int = 0
    released: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        self._draw = random.Random(self.seed).random

    def release(self) -> None:
        """Let every answer this rule holds (and will hold) go to the client."""
        self.released.set()

    def matches(self, service: str, operation: str) -> bool:
        return (self.service == service and self.operation in ("*", operation)
                and (self.remaining is None or self.remaining > 0))

    def fires(self) -> bool:
        """Whether this matching request fails (always, unless a rate below 1 was given)."""
        return self.rate >= 1.0 or self._draw() < self.rate


# (status, code, message) per protocol and fault kind. EC2 throttling is a 503 like real
# AWS; botocore's legacy retry mode only retries RequestLimitExceeded when it is a 503.
_FAULTS = {
    ("ec2", "throttle"): (503, "RequestLimitExceeded", "Request limit exceeded."),
    ("ec2", "error500"): (500, "InternalError", "An internal error has occurred."),
    ("query", "throttle"): (400, "Throttling", "Rate exceeded"),
    ("query", "error500"): (500, "InternalFailure", "Internal failure."),
    ("s3", "throttle"): (503, "SlowDown", "Please reduce your request rate."),
    ("s3", "error500"): (500, "InternalError", "We encountered an internal error."),
    ("json", "throttle"): (400, "ThrottlingException", "Rate exceeded"),
    ("json", "error500"): (500, "InternalServerError", "Internal server error."),
}
# Other protocols use the codes of their nearest relative above.
_PROTOCOL_FAMILY = {"rest-json": "json", "rest-xml": "query", "smithy-rpc-v2-cbor": "json"}


def _cbor_text(text: str) -> bytes:
    """CBOR text string (major type 3) - enough CBOR for an error body."""
    data = text.encode()
    if len(data) < 24:
        return bytes([0x60 + len(data)]) + data
    return bytes([0x79]) + len(data).to_bytes(2, "big") + data


def _cbor_body(fields: dict) -> bytes:
    """A small CBOR map of text to text, as smithy-rpc-v2-cbor errors (e.g. CloudWatch) use."""
    return bytes([0xA0 + len(fields)]) + b"".join(
        _cbor_text(key) + _cbor_text(value) for key, value in fields.items())


def fault_response(protocol: str, kind: str, status: int | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of an injected error, shaped so botocore parses its code."""
    family = protocol if protocol in ("ec2", "s3", "query", "json") else _PROTOCOL_FAMILY.get(
        protocol, "query")
    default_status, code, message = _FAULTS[(family, kind)]
    request_id = f"fault-{next(_request_ids):08d}"
    if protocol == "smithy-rpc-v2-cbor":
        body = _cbor_body({"__type": code, "message": message})
        headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor",
                   "x-amzn-RequestId": request_id}
    elif family == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code,
                   "x-amzn-RequestId": request_id}
    else:
        error = f"<Code>{code}</Code><Message>{message}</Message>"
        body = {
            "ec2": f"<Response><Errors><Error>{error}</Error></Errors>"
                   f"<RequestID>{request_id}</RequestID></Response>",
            "s3": f"<Error>{error}<RequestId>{request_id}</RequestId></Error>",
            "query": f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error>"
                     f"<RequestId>{request_id}</RequestId></ErrorResponse>",
        }[family].encode()
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    return status or default_status, headers, body


class FaultProxy:
    """The proxy server, its rules and its per-operation hit counts (thread-safe)."""

    def __init__(self, upstream_url: str):
        upstream = urlsplit(upstream_url)
        self.upstream = (upstream.hostname, upstream.port)
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._hits: Counter = Counter()
        self._faults: Counter = Counter()
        self.latency = 0.0  # seconds every request waits before it is forwarded (a real endpoint's round trip)
        self.timeline: list[tuple[str, str, float, float]] = []  # (service, operation, received, answered)
        # http.server builds a handler per request from a class: give it one bound to us.
        handler = type("BoundProxyHandler", (_ProxyHandler,), {"proxy": self})
        self._server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        # A short poll interval keeps stop() (called per test) from waiting 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name=f"fault-proxy-{self.port}")

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            for rule in self._rules:
                rule.release()  # a held answer must not keep a handler thread alive
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def add_fault(self, service: str, operation: str, kind: str = "throttle",
                  count: int | None = None, status: int | None = None, rate: float = 1.0,
                  seed: int = 0) -> FaultRule:
        """Fail the first `count` matching requests (None: all of them) with `kind`; with
        `rate` below 1, only that share of them (seeded, so a trial can be replayed)."""
        if kind not in ("throttle", "error500", "drop_answer", "hold"):
            raise ValueError(f"unknown fault kind {kind!r}")
        rule = FaultRule(service, operation, kind, count, status, rate, seed)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Drop all rules and hit counts."""
        with self._lock:
            self._rules.clear()
            self._hits.clear()
            self._faults.clear()

    def hits(self, service: str, operation: str) -> int:
        """How many requests for this operation reached the proxy (faulted or not)."""
        with self._lock:
            return self._hits[(service, operation)]

    def take_fault(self, service: str, operation: str) -> FaultRule | None:
        """Count the request; return the rule that fails it, using up one of its count."""
        with self._lock:
            self._hits[(service, operation)] += 1
            for rule in self._rules:
                if rule.matches(service, operation) and rule.fires():
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self._faults[(service, operation)] += 1
                    return rule
        return None

    def faults(self, service: str | None = None, operation: str | None = None) -> int:
        """How many requests were answered with a fault (of one service/operation, or all)."""
        with self._lock:
            return sum(n for (svc, op), n in self._faults.items()
                       if service in (None, svc) and operation in (None, op))


class _ProxyHandler(BaseHTTPRequestHandler):
    """Forwards one request to moto, or answers with an injected fault."""

    protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects; needs Content-Length
    proxy: FaultProxy

    def do_request(self) -> None:
        """Every HTTP method: classify, count, then fault or forward."""
        received = time.monotonic()
        body = self._read_body()
        kind = classify_request(self.command, self.path, dict(self.headers.items()), body)
        try:
            self._answer(kind, body)
        finally:
            with self.proxy._lock:  # pylint: disable=protected-access
                self.proxy.timeline.append((kind.service, kind.operation, received, time.monotonic()))

    def _answer(self, kind, body: bytes) -> None:
        if self.proxy.latency:
            time.sleep(self.proxy.latency)
        rule = self.proxy.take_fault(kind.service, kind.operation)
        if rule and rule.kind == "hold":
            answer = self._forward(body)  # moto has acted; the client waits for its answer
            rule.released.wait(timeout=120)
            self._reply(*answer)
        elif rule and rule.kind == "drop_answer":
            # moto really does the work; the client sees the connection close unanswered
            self._forward(body)
            self.close_connection = True
        elif rule:
            self._reply(*fault_response(kind.protocol, rule.kind, rule.status))
        else:
            self._reply(*self._forward(body))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_request

    def _read_body(self) -> bytes:
        """The request body, whether sent with Content-Length or chunked."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # skip trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _forward(self, body: bytes) -> tuple[int, list, bytes]:
        """Send the same request to moto (same Host header) and return its answer."""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(*self.proxy.upstream, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _reply(self, status: int, headers, body: bytes) -> None:
        """Answer with a fresh Content-Length (moto may have sent chunked); a HEAD answer
        keeps moto's, which is the size of the body it leaves out."""
        headers = list(headers.items() if isinstance(headers, dict) else headers)
        lengths = [v for k, v in headers if k.lower() == "content-length"]
        length = (lengths[0] if lengths else "0") if self.command == "HEAD" else str(len(body))
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in _NOT_FORWARDED:
                self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 - keep pytest output clean
        pass
