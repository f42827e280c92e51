"""Report status from facts: the last pass of each step, and what may still exist."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import JournalLost
from ansible_collections.coworker.aws.plugins.module_utils.run.report import build_report, render_markdown, write_report


def _step(index, step_id, rollback=True):
    name = "/" + step_id
    return {"id": step_id, "phase": "one", "index": index,
            "call": {"service": "ssm", "operation": "PutParameter", "region": "us-east-1",
                     "params": {"Name": name, "Value": "v", "Overwrite": False}},
            "rollback": [{"service": "ssm", "operation": "DeleteParameter", "region": "us-east-1",
                          "params": {"Name": "${%s.version}-%s" % (step_id, step_id)}}] if rollback else []}


PLAN = {"plan": {"id": "p", "name": "n", "created": "2026-11-30T00:00:00Z", "guardrail": {"status": "PASS"},
                 "target": {"environment": "sandbox", "account_id": "123456789012", "region": "us-east-1"},
                 "steps": [_step(1, "put_a"), _step(2, "put_b")]},
        "path": "plan.yml", "sha256": "0" * 64}


def event(kind, step=None, **fields):
    return {"ts": "2026-11-30T00:00:00.000000Z", "event": kind, **({"step": step} if step else {}), **fields}


def ran(step, **done):
    return [event("call_started", step, mutating=True, cli="aws ssm put-parameter --name /%s" % step),
            event("call_succeeded", step, mutating=True),
            event("step_succeeded", step, retries=1, read_retries=2, outputs=done)]


def rolled(step):
    return [event("rollback_succeeded", step, calls=[{"cli": "aws ssm delete-parameter", "status": "done"}])]


def test_a_resumed_run_that_completes_after_a_rollback_is_succeeded():
    events = [event("run_started")] + ran("put_a") + rolled("put_a") + [event("run_resumed")] + ran("put_a") \
        + ran("put_b")
    report = build_report("r", PLAN, events)
    assert report["status"] == "succeeded"
    assert report["rollback"]["status"] == "not_needed"
    assert [s["retries"] for s in report["steps"]] == [3, 3]  # the call's retry and its reads' two


def test_a_refused_rollback_is_not_done_and_names_what_is_left():
    events = [event("run_started")] + ran("put_a", version=1) + [
        event("call_started", "put_b", mutating=True, cli="aws ssm put-parameter --name /put_b"),
        event("call_failed", "put_b", mutating=True, changed=True, ambiguous=True, resolved="unknown"),
        event("step_failed", "put_b", error={"kind": "ambiguous", "text": "OUTCOME UNKNOWN"})]
    report = build_report("r", PLAN, events, outcome="rollback")  # the rollback batch was refused: no events
    assert report["status"] == "partial"
    assert report["rollback"]["status"] == "not_done"
    assert report["rollback"]["left"] == ["put_a", "put_b"]
    # last step first, each with the rollback call that undoes it, filled in with what the journal holds
    assert report["rollback"]["manual_cleanup"] == [
        "put_b: may have changed the account and was not rolled back; undo it with "
        "`aws ssm delete-parameter --name '<put_b.version>-put_b' --region us-east-1`",
        "put_a: may have changed the account and was not rolled back; undo it with "
        '`aws ssm delete-parameter --name 1-put_a --region us-east-1` (outputs: {"version": 1})']
    assert report["rollback"]["undo"] == [
        {"step": "put_b", "calls": ["aws ssm delete-parameter --name '<put_b.version>-put_b' --region us-east-1"]},
        {"step": "put_a", "calls": ["aws ssm delete-parameter --name 1-put_a --region us-east-1"]}]
    assert "put-parameter" not in "".join(report["rollback"]["manual_cleanup"])


def test_a_step_without_rollback_calls_is_left_to_clean_up_by_hand_with_its_own_command():
    plan = {**PLAN, "plan": {**PLAN["plan"], "steps": [_step(1, "put_a", rollback=False), _step(2, "put_b")]}}
    events = [event("run_started", profile="dev")] + ran("put_a") + ran("put_b", version=3)
    report = build_report("r", plan, events, outcome="paused")
    assert report["status"] == "partial"
    assert report["rollback"]["undo"] == [
        {"step": "put_b", "calls": ["aws ssm delete-parameter --name 3-put_b --region us-east-1 --profile dev"]},
        {"step": "put_a", "calls": [], "by_hand": "aws ssm put-parameter --name /put_a"}]
    assert report["rollback"]["manual_cleanup"][1] == \
        "put_a: no rollback calls: clean up by hand what `aws ssm put-parameter --name /put_a` made"
    # the same after a rollback pass met the step (run/step_runner.py journals it as rollback_failed, no calls)
    events += [event("rollback_succeeded", "put_b", calls=[{"cli": "aws ssm delete-parameter", "status": "done"}]),
               event("rollback_failed", "put_a", reason="put_a: no rollback calls")]
    report = build_report("r", plan, events, outcome="rollback")
    assert report["status"] == "partial"
    assert report["rollback"]["undo"] == [{"step": "put_a", "calls": [], "by_hand": "aws ssm put-parameter --name /put_a"}]
    assert report["rollback"]["manual_cleanup"] == [
        "put_a: no rollback calls: clean up by hand what `aws ssm put-parameter --name /put_a` made"]


def test_a_succeeded_run_lists_nothing_to_undo():
    events = [event("run_started")] + ran("put_a") + ran("put_b")
    report = build_report("r", PLAN, events)
    assert report["status"] == "succeeded"
    assert report["rollback"]["manual_cleanup"] == [] and report["rollback"]["undo"] == []


def test_rollback_run_is_rolled_back_only_when_nothing_is_left():
    events = [event("run_started")] + ran("put_a") + ran("put_b") + rolled("put_b")
    assert build_report("r", PLAN, events, outcome="rollback")["status"] == "partial"
    assert build_report("r", PLAN, events + rolled("put_a"), outcome="rollback")["status"] == "rolled_back"


def test_a_report_is_never_rebuilt_from_fewer_events(tmp_path):
    events = [event("run_started")] + ran("put_a")
    write_report(LocalBackend(str(tmp_path)), "r", PLAN, events)
    assert json.loads((tmp_path / "runs" / "r" / "report.json").read_text())["journal_events"] == 4
    with pytest.raises(JournalLost, match="built from 4 journal events and the journal now has 1"):
        write_report(LocalBackend(str(tmp_path)), "r", PLAN, events[:1])
    assert json.loads((tmp_path / "runs" / "r" / "report.json").read_text())["steps"][0]["status"] == "succeeded"


def test_a_step_whose_call_was_sent_and_never_answered_is_in_flight_and_left_to_roll_back():
    events = [event("run_started", commands={"rollback": "RB", "resume": "RS"})] + ran("put_a") + [
        event("call_started", "put_b", mutating=True, cli="aws ssm put-parameter --name /put_b")]
    report = build_report("r", PLAN, events)
    assert [(s["id"], s["status"]) for s in report["steps"]] == [("put_a", "succeeded"), ("put_b", "in_flight")]
    assert report["steps"][1]["error"]["kind"] == "interrupted"
    assert report["status"] == "failed" and report["steps_completed"] == 1
    assert report["rollback"]["left"] == ["put_a", "put_b"]
    assert build_report("r", PLAN, events, outcome="interrupted")["status"] == "aborted"


SIGNERS = [{"principal": "alice@example.com", "fingerprint": "SHA256:abc", "signed_at": "2026-11-30T00:00:00Z"},
           {"principal": "bob@example.com", "fingerprint": "SHA256:def", "signed_at": "2026-11-30T01:00:00Z"}]


def test_the_report_names_who_signed_the_approval_and_never_a_signature():
    plan = {**PLAN, "plan": {**PLAN["plan"], "approval": {
        "approved_by": "alice@example.com", "plan_sha256": "0" * 64,
        "signatures": [{"principal": s["principal"], "signed_at": s["signed_at"], "signature": "-----BEGIN SSH SIG"}
                       for s in SIGNERS]}}}
    events = [event("run_started"), event("approved", sha256="0" * 64, how="token", signature="verified",
                                          signers=SIGNERS)] + ran("put_a") + ran("put_b")
    report = build_report("r", plan, events)
    assert report["approval"] == {"how": "token", "at": "2026-11-30T00:00:00.000000Z", "signature": "verified",
                                  "signers": SIGNERS, "text": "signed by alice@example.com (key SHA256:abc, signed "
                                  "2026-11-30T00:00:00Z), bob@example.com (key SHA256:def, signed 2026-11-30T01:00:00Z)"}
    assert report["plan"]["approval"]["signatures"] == [{"principal": s["principal"], "signed_at": s["signed_at"]}
                                                        for s in SIGNERS]
    assert "BEGIN SSH SIG" not in json.dumps(report)
    assert ("- Approval: the approval token at 2026-11-30T00:00:00.000000Z; signed by alice@example.com (key "
            "SHA256:abc, signed 2026-11-30T00:00:00Z), bob@example.com (key SHA256:def, signed 2026-11-30T01:00:00Z)"
            ) in render_markdown(report).splitlines()


def test_an_unsigned_approval_is_said_unsigned_and_an_unapproved_run_has_none():
    events = [event("run_started"), event("approved", sha256="0" * 64, how="prompt", signature="unsigned",
                                          signers=[], approved_by="carol")] + ran("put_a")
    report = build_report("r", PLAN, events, outcome="paused")
    assert report["approval"]["signature"] == "unsigned" and report["approval"]["signers"] == []
    unsigned = "claimed by carol, unsigned — anyone who can edit the file can write this"
    assert report["approval"]["text"] == unsigned
    assert "- Approval: a typed yes at 2026-11-30T00:00:00.000000Z; %s" % unsigned in render_markdown(report)
    refused = build_report("r", PLAN, [event("run_started"), event("not_approved", how="prompt")],
                           outcome="not_approved")
    assert refused["approval"] is None and "- Approval:" not in render_markdown(refused)


def _undone_by_plan():
    tags = dict(_step(2, "put_b", rollback=False), undone_by="put_a")
    return {**PLAN, "plan": {**PLAN["plan"], "steps": [_step(1, "put_a"), tags]}}


def test_a_step_undone_by_another_is_rolled_back_with_it_and_the_report_says_how():
    events = [event("run_started")] + ran("put_a", version=1) + ran("put_b") + rolled("put_a") + [
        event("rollback_succeeded", "put_b", calls=[], undone_by="put_a",
              reason="undone with the rollback of step put_a")]
    report = build_report("r", _undone_by_plan(), events, outcome="rollback")
    assert report["status"] == "rolled_back" and report["rollback"]["manual_cleanup"] == []
    assert "- put_b: succeeded (undone with the rollback of step put_a)" in render_markdown(report)


def test_left_in_place_it_goes_with_the_step_that_undoes_it():
    events = [event("run_started")] + ran("put_a", version=1) + ran("put_b")
    report = build_report("r", _undone_by_plan(), events, outcome="paused")
    assert report["rollback"]["manual_cleanup"] == [
        "put_b: goes with put_a: undo that step and this one is undone too",
        "put_a: may have changed the account and was not rolled back; undo it with "
        '`aws ssm delete-parameter --name 1-put_a --region us-east-1` (outputs: {"version": 1})']


def test_the_report_lists_the_cross_account_grants_the_approval_showed():
    grants = [{"step": "put_a", "field": "params.Principal", "principal": "111111111111", "effect": "Allow"}]
    plan = dict(PLAN, blast_radius={"cross_account_grants": grants})
    events = [event("run_started", account_id="123456789012")] + ran("put_a")
    report = build_report("r1", plan, events, "succeeded")
    assert report["cross_account_grants"] == grants
    text = render_markdown(report)
    assert ("## Cross-account grants\n\nCross-account grants (principals outside account 123456789012 that this plan "
            "lets in; a checkpoint comes before each of these steps):\n  - step put_a, params.Principal: Allow "
            "111111111111\n") in text
    assert "## Cross-account grants" not in render_markdown(build_report("r1", PLAN, events, "succeeded"))
