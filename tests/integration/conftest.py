"""Fixtures for integration tests: a moto server per xdist worker, clean state per test,
AWS/Ansible environments that can only reach it, and a fault-injecting proxy.

Typical test:

    def test_something(aws_env, moto_server, tmp_path):
        aws_env.add_account_profile("dev", "111111111111", alias="dev-alias")
        before = account_snapshot(aws_env.boto3_session("dev"))
        with moto_server.recording() as calls:
            result = run_playbook(["play.yml"], aws_env.env(profile="dev"), tmp_path)
        assert result.returncode == 0, output_of(result)
        assert mutating_calls(calls) == [("s3", "CreateBucket")]
"""

from __future__ import annotations

import pytest

from fault_proxy import FaultProxy
from moto_harness import AwsEnv, MotoServer, start_moto_server


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> MotoServer:
    """One moto server per pytest process (each xdist worker gets its own, so parallel
    tests never see each other's resets). Shared by all tests of the worker: use
    clean_moto/aws_env, or reset it yourself."""
    server = start_moto_server(tmp_path_factory.mktemp("moto-server"))
    yield server
    server.stop()


@pytest.fixture
def clean_moto(moto_server: MotoServer) -> MotoServer:
    """The worker's moto server, emptied, with IAM checks off and the recorder stopped
    (a previous test may have failed half-way and left any of these behind)."""
    moto_server.stop_recording()
    moto_server.disable_iam_checks()
    moto_server.reset()
    yield moto_server
    moto_server.disable_iam_checks()


@pytest.fixture
def aws_env(clean_moto: MotoServer, tmp_path) -> AwsEnv:
    """Environments and profiles for this test, on a freshly reset moto (see AwsEnv)."""
    return AwsEnv(clean_moto.url, tmp_path)


@pytest.fixture
def fault_proxy(moto_server: MotoServer) -> FaultProxy:
    """A fault-injecting proxy in front of the worker's moto; point clients at .url
    (e.g. aws_env.env(endpoint_url=fault_proxy.url)). Rules die with the test."""
    proxy = FaultProxy(moto_server.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def instant_retries(monkeypatch) -> None:
    """Make botocore retry without sleeping, in this test process only.

    Standard-mode backoff sleeps up to 1 + 2 + 4 s for three retries; the retry count and
    decisions stay exactly as botocore makes them. Subprocesses (ansible-playbook) still
    sleep for real, so keep injected fault counts small there.
    """
    import botocore.retries.standard
    import botocore.retryhandler

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount",
                        lambda self, context: 0)
    monkeypatch.setattr(botocore.retryhandler, "delay_exponential",
                        lambda base, growth_factor, attempts: 0)
