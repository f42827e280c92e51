"""Unit tests of plugins/module_utils, one folder per package; ``plan_samples`` is shared by all."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ansible_collections.coworker.aws.plugins.module_utils.run import heads, journal  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_process_memory(monkeypatch):
    """Each test is a process of its own: no journal head remembered, nothing verified, from an earlier test
    (two tests may use the same journal location: the same bucket and run id)."""
    monkeypatch.setattr(heads, "_KNOWN", {})
    monkeypatch.setattr(journal, "_VERIFIED", {})


@pytest.fixture
def fake_aws(monkeypatch, tmp_path):
    """Fake keys of moto's default account, no profile files and no endpoint: every call stays in-process."""
    from moto import mock_aws
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with mock_aws():
        yield
