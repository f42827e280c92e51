# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The signers an approval records: checked with the class's rules when an environments file is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.run.approval_record import approval_record
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import store_copy

DEMO = Path(__file__).resolve().parents[5] / "examples" / "plans" / "s3-dev-logs.yml"


@pytest.fixture
def run(tmp_path):
    backend = LocalBackend(str(tmp_path / "state"))
    key = store_copy(backend, "r1", str(DEMO), DEMO.read_bytes())[0]
    return backend, {"run_id": "r1", "plan_copy_key": key}


def test_without_any_environments_file_the_signatures_are_recorded_as_claimed_only(run, tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKER_AWS_ENVIRONMENTS", str(tmp_path / "none.yml"))
    backend, started = run
    assert approval_record(backend, started, None) == {"signature": "unverified", "signers": [],
                                                       "claimed": ["alice@example.com"]}


def test_an_environments_file_named_but_missing_is_an_error_not_a_silent_pass(run, tmp_path):
    backend, started = run
    with pytest.raises(ConfigError, match="environments file not found"):
        approval_record(backend, started, str(tmp_path / "missing.yml"))
