"""A journal in the state bucket, checked against its object versions and its records."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import heads, integrity
from ansible_collections.coworker.aws.plugins.module_utils.run.backend import validate
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.s3 import S3Backend
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import EMPTY, JournalTampered, seal
from ansible_collections.coworker.aws.plugins.module_utils.run.integrity import JournalUnverifiable

BUCKET, RUN = "coworker-state-tooling", "20261130T000000Z-p-eeeeee"
KEY = "team/a/runs/%s/journal.jsonl" % RUN


@pytest.fixture
def backend(s3, tmp_path):
    return S3Backend(validate({"type": "s3", "bucket": BUCKET, "prefix": "team/a", "region": "us-east-1",
                               "account_id": "123456789012"}), str(tmp_path))


def written(backend):
    integrity.record_head(backend, RUN, EMPTY, pass_open=True)
    with backend.journal(RUN, create=True) as journal:
        journal.append("run_started", plan_id="p", account_id="210987654321", region="us-east-1", dry_run=True)
        journal.append("call_succeeded", step="a", outputs={"id": "mine"})
    return journal


def test_with_versioning_a_rewrite_is_told_from_appends_by_the_previous_version(s3, backend, monkeypatch):
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    written(backend)
    monkeypatch.setattr(heads, "_KNOWN", {})
    assert backend.rewritten(RUN, backend.events(RUN)) is None  # only appends so far
    events = backend.events(RUN)
    head, data = EMPTY, b""
    for event in events:  # rewritten with a fresh chain: nothing in the object itself tells
        event = {k: v for k, v in event.items() if k not in ("seq", "prev")}
        _record, line, head = seal(dict(event, outputs={"id": "bystander"}) if "outputs" in event else event, head)
        data += line
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    integrity.record_head(backend, RUN, head, pass_open=False)  # and its head record forged to match
    with pytest.raises(JournalTampered, match="its current version .* is not its previous version .* with events "
                                              "added: the object was rewritten"):
        integrity.check(backend, RUN)


def test_without_versioning_there_is_no_history_to_compare(s3, backend):
    written(backend)
    assert backend.rewritten(RUN, backend.events(RUN)) is None


def test_a_journal_from_before_the_chain_is_refused_from_shared_state(s3, backend):
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps({"ts": "t", "run_id": RUN, "event": "run_started"}).encode()
                  + b"\n")
    with pytest.raises(JournalUnverifiable) as refused:
        integrity.check(backend, RUN)
    assert str(refused.value).startswith(
        "refused: the journal s3://%s/%s of run %s was written before journals were hash-chained, so nothing shows "
        "whether it was changed in the shared state since" % (BUCKET, KEY, RUN))
    assert "tampered" not in str(refused.value)
    assert [e["event"] for e in backend.events(RUN)] == ["run_started"]  # still readable: listed, shown
