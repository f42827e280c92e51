"""The one address everything talks to: 127.0.0.1, a free port, and the check that an environment
handed to a subprocess cannot reach anything else."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
REGION = "us-east-1"
FAKE_KEY = "testing"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's account for keys it does not know

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
