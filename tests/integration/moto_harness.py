"""Helpers for integration tests that run the collection against a local moto server.

Everything here talks only to 127.0.0.1: the server, the environments handed to
ansible-playbook and the boto3 sessions used for assertions. The facts this relies on
(accounts via assume_role, the recorder, reset-auth) are in /work/shared/TESTING.md.

Main pieces (each in its own module, all importable from here):
  * MotoServer / start_moto_server - one moto process, reset, IAM checks, recorder (this module).
  * run_playbook / spawn_playbook - the venv's ansible-playbook, captured or on a pty (this module).
  * moto_net - 127.0.0.1, free ports, require_local_endpoint.
  * aws_requests - classify_request / operation_of: which (service, operation) a raw HTTP request is,
    shared by the recorder parser and the fault proxy; mutating_calls: the recorded calls that could
    have changed AWS resources.
  * aws_profiles - AwsEnv: subprocess environments and named profiles (one per fake account).
  * account_snapshots - account_snapshot: what exists in an account, to prove moto was left as it was.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from account_snapshots import account_snapshot  # noqa: F401  (re-exported)  # pylint: disable=unused-import
from aws_profiles import AwsEnv  # noqa: F401  (re-exported)  # pylint: disable=unused-import
from aws_requests import (  # noqa: F401  (re-exported)  # pylint: disable=unused-import
    RecordedCall, RequestKind, call_keys, classify_request, is_mutating, mutating_calls, operation_of,
    parse_recording)
from moto_net import (  # noqa: F401  (re-exported)  # pylint: disable=unused-import
    DEFAULT_ACCOUNT_ID, FAKE_KEY, LOOPBACK, REGION, REPO_ROOT, free_port, http_call, require_local_endpoint)

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
