"""Unit tests of plugins/module_utils, one folder per package; ``plan_samples`` is shared by all."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402

from ansible_collections.coworker.aws.plugins.module_utils.run import heads, journal  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_process_memory(monkeypatch):
    """Each test is a process of its own: no journal head remembered, nothing verified, from an earlier test
    (two tests may use the same journal location: the same bucket and run id)."""
    monkeypatch.setattr(heads, "_KNOWN", {})
    monkeypatch.setattr(journal, "_VERIFIED", {})
