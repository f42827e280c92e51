"""Unit tests of run/progress.py: the live step line and the heartbeat while a step waits."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.run.progress import (
    Progress, rollback_line, step_line)


def _result(**changes):
    result = {"id": "create_bucket", "index": 2, "status": "succeeded", "retries": 0, "duration_ms": 61,
              "cli": "aws s3api create-bucket --bucket b", "error": None,
              "validation": {"status": "passed", "calls": []}}
    result.update(changes)
    return result


def test_step_line_reads_as_one_sentence():
    assert step_line(_result(), 4) == ("[Step 2 of 4] create_bucket \u2014 aws s3api create-bucket --bucket b"
                                       " \u2014 SUCCEEDED in 61 ms \u2014 validation passed")


def test_step_line_names_retries_and_leaves_the_error_to_its_one_full_print():
    line = step_line(_result(status="failed", retries=3, error={"code": "AccessDenied", "kind": "access_denied"},
                             validation={"status": "not_run"}), 4)
    assert "FAILED after 3 retries in 61 ms" in line and line.endswith("validation not run")
    assert "AccessDenied" not in line


def test_rollback_line_counts_calls_by_outcome():
    record = {"id": "create_bucket", "index": 1, "status": "rolled_back",
              "calls": [{"status": "done"}, {"status": "already_gone"}]}
    assert rollback_line(record, 3) == ("[Rollback of step 1 of 3] create_bucket \u2014 ROLLED_BACK"
                                        " \u2014 1 already gone, 1 done")


class FakeEvents:
    def __init__(self):
        self.handlers = {}

    def register(self, event, handler, unique_id):
        self.handlers[unique_id] = (event, handler)

    def unregister(self, event, unique_id):
        assert self.handlers.pop(unique_id)[0] == event


class FakeClient:
    def __init__(self):
        self.meta = type("Meta", (), {"events": FakeEvents()})()

    def poll(self):
        for event, handler in list(self.meta.events.handlers.values()):
            assert event == "before-call"
            handler(model=None, params={})


def test_a_waiter_that_polls_says_it_is_still_waiting_every_few_seconds():
    now, lines, client = [0.0], [], FakeClient()
    progress = Progress(lines.append, every=3, clock=lambda: now[0])
    with progress.polling(client, "wait_step", "waiting for bucket_exists"):
        for _second in range(10):  # a poll every second for 10 s
            client.poll()
            now[0] += 1
    assert lines == ["  ... wait_step: waiting for bucket_exists (3 s)",
                     "  ... wait_step: waiting for bucket_exists (6 s)",
                     "  ... wait_step: waiting for bucket_exists (9 s)"]
    assert client.meta.events.handlers == {}  # nothing stays registered on the shared client


def test_a_waiter_done_at_its_first_poll_says_nothing():
    lines, client = [], FakeClient()
    with Progress(lines.append).polling(client, "s", "waiting for x"):
        client.poll()
    assert lines == []


def test_a_dry_run_line_shows_the_validation_it_would_make():
    line = step_line(_result(status="planned", validation={"status": "not_run", "calls": [
        {"cli": "aws s3api head-bucket --bucket b", "status": "planned"}]}), 4)
    assert line.endswith("PLANNED in 61 ms \u2014 validation: aws s3api head-bucket --bucket b -> planned")


def test_plan_text_and_aws_text_reach_the_terminal_escaped():
    line = step_line(_result(id="s\x9b1A", cli="aws ssm put-parameter --value '\x1b[2Jgone'"), 1)
    assert "\x1b" not in line and "\x9b" not in line and "\\x1b[2Jgone" in line and "s\\x9b1A" in line
    lines = []
    Progress(lines.append).note("s", "error \x1b]0;title\x07")
    assert lines == ["  ... s: error \\x1b]0;title\\x07"]
