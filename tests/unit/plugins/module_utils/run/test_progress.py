"""Unit tests of run/progress.py: the live step line and the heartbeat while a step waits."""

from __future__ import annotations

import threading
import time

from ansible_collections.coworker.aws.plugins.module_utils.run.progress import (
    Progress, rollback_line, silent, step_line)


def _result(**changes):
    result = {"id": "create_bucket", "index": 2, "status": "succeeded", "retries": 0, "duration_ms": 61,
              "cli": "aws s3api create-bucket --bucket b", "error": None,
              "validation": {"status": "passed", "calls": []}}
    result.update(changes)
    return result


def test_step_line_reads_as_one_sentence():
    assert step_line(_result(), 4) == ("[Step 2 of 4] create_bucket \u2014 aws s3api create-bucket --bucket b"
                                       " \u2014 SUCCEEDED in 61 ms \u2014 validation passed")


def test_step_line_names_retries_and_the_error_code():
    line = step_line(_result(status="failed", retries=3, error={"code": "AccessDenied", "kind": "access_denied"},
                             validation={"status": "not_run"}), 4)
    assert "FAILED after 3 retries (AccessDenied) in 61 ms" in line and line.endswith("validation not run")


def test_rollback_line_counts_calls_by_outcome():
    record = {"id": "create_bucket", "index": 1, "status": "rolled_back",
              "calls": [{"status": "done"}, {"status": "already_gone"}]}
    assert rollback_line(record, 3) == ("[Rollback of step 1 of 3] create_bucket \u2014 ROLLED_BACK"
                                        " \u2014 1 already gone, 1 done")


def test_heartbeat_speaks_while_the_block_runs_and_stops_after():
    lines = []
    progress = Progress(lines.append, every=0.05)
    with progress.during("wait_step", "waiting for bucket_exists"):
        time.sleep(0.28)
    said = len(lines)
    time.sleep(0.15)
    assert said >= 3 and len(lines) == said
    assert lines[0].startswith("  ... wait_step: waiting for bucket_exists (")
    assert not any(t.name == "coworker-progress" for t in threading.enumerate())


def test_silent_progress_starts_no_thread():
    before = threading.active_count()
    with Progress(silent, every=0.01).during("s", "x"):
        assert threading.active_count() == before


def test_a_dry_run_line_shows_the_validation_it_would_make():
    line = step_line(_result(status="planned", validation={"status": "not_run", "calls": [
        {"cli": "aws s3api head-bucket --bucket b", "status": "planned"}]}), 4)
    assert line.endswith("PLANNED in 61 ms \u2014 validation: aws s3api head-bucket --bucket b -> planned")
