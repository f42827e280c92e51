# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A step ``undone_by`` another is undone when that step's rollback is, after it, and says so; when that
rollback fails (or never ran) it is left, with its clean-up line."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ansible_collections.coworker.aws.plugins.module_utils.run.executor import RunSession
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events, run_state

from run_samples import FakeAws, plan_steps, runner

BUCKET = [
    {"id": "create_bucket", "action": "s3:CreateBucket", "params": {"Bucket": "b"},
     "rollback": {"action": "s3:DeleteBucket", "params": {"Bucket": "b"}}},
    {"id": "put_tags", "action": "s3:PutBucketTagging", "params": {"Bucket": "b", "Tagging": {"TagSet": []}},
     "undone_by": "create_bucket"},
    {"id": "put_versioning", "action": "s3:PutBucketVersioning",
     "params": {"Bucket": "b", "VersioningConfiguration": {"Status": "Enabled"}}, "undone_by": "create_bucket"},
]
NOT_EMPTY = ClientError({"Error": {"Code": "BucketNotEmpty", "Message": "not empty"},
                         "ResponseMetadata": {"HTTPStatusCode": 409}}, "DeleteBucket")


def rolled_back(tmp_path, aws, previous=None, steps=None):
    step_runner, journal = runner(tmp_path, aws, buckets=["b"])
    step_runner.previous = previous or {}
    lines = []
    session = RunSession({"run_id": "run-1"}, check_mode=False, say=lines.append, backend=object())
    steps = steps or plan_steps(BUCKET)
    session.runner, session.journal = step_runner, journal
    session.loaded = {"plan": {"steps": plan_steps(BUCKET)}}  # total 3; the sweep afterwards finds nothing tagged
    outcome = session.undo(steps, previous or {})
    return outcome, lines, read_events(str(tmp_path / "journal.jsonl"))


def changing(aws):
    """The calls sent but the sweep's search for what still carries the run's tags (read-only)."""
    return [call for call in aws.calls if call[0] != "GetResources"]


def test_steps_undone_by_another_follow_its_rollback_and_send_nothing(tmp_path):
    aws = FakeAws({"DeleteBucket": {}})
    outcome, lines, events = rolled_back(tmp_path, aws)
    assert [r["id"] for r in outcome["rollback"]] == ["create_bucket", "put_versioning", "put_tags"]
    assert [r["status"] for r in outcome["rollback"]] == ["rolled_back"] * 3
    assert changing(aws) == [("DeleteBucket", {"Bucket": "b", "ExpectedBucketOwner": "123456789012"})]
    assert lines[1].startswith("[Rollback of step 3 of 3] put_versioning") and "ROLLED_BACK" in lines[1]
    assert outcome["manual_cleanup"] == []
    assert {e["step"]: e.get("reason") for e in events if e["event"] == "rollback_succeeded"} == {
        "create_bucket": None, "put_versioning": "undone with the rollback of step create_bucket",
        "put_tags": "undone with the rollback of step create_bucket"}
    assert {sid: s["status"] for sid, s in run_state(events)["steps"].items()} == dict.fromkeys(
        ("create_bucket", "put_versioning", "put_tags"), "rolled_back")


def test_when_that_rollback_fails_the_step_is_left_with_its_clean_up_line(tmp_path):
    outcome, _lines, events = rolled_back(tmp_path, FakeAws({"DeleteBucket": NOT_EMPTY}))
    assert [r["status"] for r in outcome["rollback"]] == ["rollback_failed"] * 3
    tags = outcome["rollback"][2]
    assert tags["manual"].startswith("put_tags: no rollback calls: clean up by hand what `aws s3api put-bucket-tagging")
    assert tags["manual"].endswith("(it is undone only with the rollback of step create_bucket, which is rollback "
                                   "failed)")
    assert run_state(events)["steps"]["put_tags"]["status"] == "rollback_failed"


def test_undone_in_an_earlier_pass_the_journal_says(tmp_path):
    steps = plan_steps(BUCKET)[1:]
    aws = FakeAws({})
    outcome, _lines, _events = rolled_back(tmp_path, aws, {"create_bucket": {"status": "rolled_back"}}, steps)
    assert [r["status"] for r in outcome["rollback"]] == ["rolled_back", "rolled_back"] and changing(aws) == []
    outcome, _lines, _events = rolled_back(tmp_path, aws, {"create_bucket": {"status": "failed"}}, steps)
    assert outcome["rollback"][0]["manual"].endswith("which is failed)")


def test_a_dry_run_plans_it(tmp_path):
    step_runner, _journal = runner(tmp_path, FakeAws({}), check_mode=True)
    record = step_runner.rollback_with(plan_steps(BUCKET)[1], {"status": "planned"})
    assert record == {"id": "put_tags", "index": 2, "calls": [], "undone_by": "create_bucket", "status": "planned"}
