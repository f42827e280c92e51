"""A journal that is not what its run wrote is refused before any AWS call.

The run's plan creates a security group and registers its id; the rollback deletes the group
by that id. Someone with write access to the state (the local state_dir, or the shared
bucket) edits the finished run's journal so that it names a bystander group of the same
account, in each of the ways an editor could: the id changed in place, the whole chain
recomputed after the change, an event removed, two events swapped, a forged event added
after the run's end. Each rollback_run is refused as "tampered", naming the journal (the
bucket and key on S3, never a cache path), with no AWS call (none at all with local state;
with the S3 backend only the backend's own requests to its bucket); both groups stay. The
untouched journal then rolls back: the run's own group goes, the bystander stays.
"""

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.chain import EMPTY, Head, event_hash, head_of, seal
from moto_harness import mutating_calls, output_of
from test_s3_state_backend import BUCKET, TOOLING_PROFILE, shared
from workflow_support import (
    APPROVAL_WAITING, CHECKPOINT_WAITING, EXECUTE, FAILURE_WAITING, ROLLBACK, expect, finish, put_param, unwrapped,
    workflow)

pytestmark = pytest.mark.integration
__all__ = ["shared", "workflow"]  # the fixtures, imported for pytest

SG_STEP = {"id": "make_sg", "description": "Create the app security group", "action": "ec2:CreateSecurityGroup",
           "params": {"GroupName": "wf-app", "Description": "app servers"},
           "register": {"group_id": "GroupId"},
           "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupIds": ["${make_sg.group_id}"]}},
           "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupId": "${make_sg.group_id}"}}}
PHASES = [("Network", [SG_STEP]), ("Config", [put_param("put_a", "/wf/a")])]


def lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line]


def resealed(events: list[dict]) -> bytes:
    """What an editor who knows the format writes: the events with a fresh, consistent chain."""
    head, out = EMPTY, b""
    for event in events:
        _record, line, head = seal({k: v for k, v in event.items() if k not in ("seq", "prev")}, head)
        out += line
    return out


def swap_ids(own: str, bystander: str):
    return lambda data: data.replace(own.encode(), bystander.encode())


def rechain(own: str, bystander: str):
    return lambda data: resealed([json.loads(line.replace(own.encode(), bystander.encode())) for line in lines(data)])


def remove_event(kind: str):
    def edit(data):
        kept = lines(data)
        kept.remove(next(line for line in kept if json.loads(line)["event"] == kind))
        return b"\n".join(kept) + b"\n"
    return edit


def swap_events(first: str, second: str):
    def edit(data):
        events = lines(data)
        i = next(n for n, line in enumerate(events) if json.loads(line)["event"] == first)
        j = next(n for n, line in enumerate(events) if json.loads(line)["event"] == second)
        events[i], events[j] = events[j], events[i]
        return b"\n".join(events) + b"\n"
    return edit


def forged_tail(bystander: str):
    """One more event, chained after run_finished, that says the step made the bystander."""
    def edit(data):
        last = json.loads(lines(data)[-1])
        head = Head(last["seq"] + 1, event_hash(last))
        forged = {"ts": last["ts"], "run_id": last["run_id"], "event": "step_succeeded", "step": "make_sg",
                  "outputs": {"group_id": bystander}}
        return data + seal(forged, head)[1]
    return edit


def tamperings(own, bystander):
    """{name: (edit of the journal's bytes, what the refusal says)}"""
    return {
        "id changed": (swap_ids(own, bystander), "was not written after the event now before it"),
        "chain recomputed": (rechain(own, bystander), "as the run recorded it"),
        "event removed": (remove_event("validation"), "events before it were removed, inserted or reordered"),
        "events reordered": (swap_events("validation", "step_succeeded"), "removed, inserted or reordered"),
        "forged tail": (forged_tail(bystander), "1 event(s) after event #"),
    }


def groups(ec2) -> set[str]:
    return {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"}


def bystander_group(workflow):
    """(the account's EC2 client, a security group the run has nothing to do with)."""
    ec2 = workflow.session.client("ec2")
    return ec2, ec2.create_security_group(GroupName="someone-elses", Description="not made by the run")["GroupId"]


def finished_in_bucket(workflow, machine, s3):
    """The plan run to its end from ``machine``, its state in the bucket: (plan, run id)."""
    plan = workflow.write_plan("wf", PHASES)
    done = machine.run(EXECUTE, "-e", f"plan={plan.path}", "-e", f"approve={plan.digest}")
    assert done.returncode == 0, output_of(done)
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="coworker/runs/")["Contents"]
    return plan, listed[0]["Key"].split("/")[2]


def refused_as_tampered(result, journal: str, run_id: str, says: str) -> str:
    text = unwrapped(output_of(result))
    assert result.returncode != 0, text
    refusal = f"refused: the journal {journal} of run {run_id} was tampered with:"
    assert refusal in text, text
    message = text[text.index(refusal):]
    assert says in message[:600], message[:600]
    assert "no AWS call was made" in message[:800]
    assert "digest" not in message[:800]  # no digest handed out to use instead
    return message


def test_a_tampered_local_journal_is_refused_before_any_call(workflow):
    ec2, bystander = bystander_group(workflow)
    plan = workflow.write_plan("wf", PHASES)
    done = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert done.returncode == 0, output_of(done)
    run_id = workflow.only_run()
    own = workflow.report(run_id)["steps"][0]["outputs"]["group_id"]
    journal = workflow.state_dir / "runs" / run_id / "journal.jsonl"
    copy = workflow.state_dir / "journal-copies" / f"{run_id}.jsonl"
    original = journal.read_bytes()
    assert copy.read_bytes() == original

    cases = tamperings(own, bystander)
    # the editor who also knows the copy edits both; one who does not is caught by the copy
    cases["chain recomputed, journal only"] = (rechain(own, bystander), f"it differs from its copy {copy}")
    cases["event removed, journal only"] = (remove_event("validation"), f"it is shorter than its copy {copy}")
    for name, (edit, says) in cases.items():
        journal.write_bytes(edit(original))
        if "journal only" not in name:
            copy.write_bytes(edit(original))
        with workflow.moto.recording() as calls:
            refused = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
        refused_as_tampered(refused, str(journal), run_id, says)
        assert calls == [], (name, [c.key for c in calls])  # not one AWS call
        assert groups(ec2) == {own, bystander}, name
        journal.write_bytes(original)
        copy.write_bytes(original)

    rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    assert groups(ec2) == {bystander}


def test_a_tampered_journal_in_the_state_bucket_is_refused_naming_the_object(workflow, shared):
    machine_a, machine_b, s3 = shared
    ec2, bystander = bystander_group(workflow)
    plan, run_id = finished_in_bucket(workflow, machine_a, s3)
    key = f"coworker/runs/{run_id}/journal.jsonl"
    original = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    own = json.loads(s3.get_object(Bucket=BUCKET, Key=f"coworker/runs/{run_id}/report.json")["Body"].read())[
        "steps"][0]["outputs"]["group_id"]
    tooling_key = workflow.aws_env.boto3_session(TOOLING_PROFILE).get_credentials().access_key

    for name, (edit, says) in tamperings(own, bystander).items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=edit(original))
        with workflow.moto.recording() as calls:
            refused = machine_b.run(ROLLBACK, "-e", f"run={run_id}", "-e", f"approve={plan.digest}")
        message = refused_as_tampered(refused, f"s3://{BUCKET}/{key}", run_id, says)
        assert ".coworker" not in message[:600]  # the object, not machine B's cache of it
        signed_by = {re.search(r"Credential=([^/]+)/", c.headers.get("Authorization", "")).group(1) for c in calls}
        assert signed_by == {tooling_key}, (name, [c.key for c in calls])  # only the backend's own requests
        assert groups(ec2) == {own, bystander}, name
    s3.put_object(Bucket=BUCKET, Key=key, Body=original)

    rolled = machine_b.run(ROLLBACK, "-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    assert groups(ec2) == {bystander}


def test_with_bucket_versioning_a_journal_rewritten_with_its_head_record_and_reports_is_refused(workflow, shared):
    """The editor rewrites the journal with a fresh chain and every record of its head to match: the
    object's previous version still shows the run's own journal, and this one does not extend it."""
    machine_a, machine_b, s3 = shared
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    ec2, bystander = bystander_group(workflow)
    plan, run_id = finished_in_bucket(workflow, machine_a, s3)
    prefix = f"coworker/runs/{run_id}/"
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=prefix + "report.json")["Body"].read())
    own = report["steps"][0]["outputs"]["group_id"]
    forged = rechain(own, bystander)(s3.get_object(Bucket=BUCKET, Key=prefix + "journal.jsonl")["Body"].read())
    events = [json.loads(line) for line in lines(forged)]
    head = head_of(events)
    s3.put_object(Bucket=BUCKET, Key=prefix + "journal.jsonl", Body=forged)
    s3.put_object(Bucket=BUCKET, Key=prefix + "journal-head.json",
                  Body=json.dumps(dict(head, run_id=run_id, open=False)).encode())
    s3.put_object(Bucket=BUCKET, Key=prefix + "report.json",
                  Body=json.dumps(dict(report, journal_head=head_of(events[:report["journal_events"]]))).encode())

    refused = machine_b.run(ROLLBACK, "-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    message = refused_as_tampered(refused, f"s3://{BUCKET}/{prefix}journal.jsonl", run_id,
                                  "is not its previous version")
    assert head["sha256"] not in message  # the forged chain's head is never offered as the one to use
    assert groups(ec2) == {own, bystander}


def test_a_journal_changed_while_the_run_waits_at_a_prompt_is_refused_by_the_live_run(workflow):
    """The run waits at "What now?"; meanwhile someone appends a well-chained event saying the group step
    made the bystander. Nothing written outside the journal would tell (the run's head record is open while
    it runs, its lock is held); the run's own memory of its last event does: "roll back" is refused."""
    ec2, bystander = bystander_group(workflow)
    workflow.block_put_c()
    plan = workflow.write_plan("wf", [("Network", [SG_STEP]), ("Config", [put_param("put_c", "/wf/c")])])
    child = workflow.spawn(plan)
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)
    child.sendline("yes")
    expect(child, FAILURE_WAITING)
    run_id = workflow.only_run()
    own = workflow.report(run_id)["steps"][0]["outputs"]["group_id"]
    journal = workflow.state_dir / "runs" / run_id / "journal.jsonl"
    copy = workflow.state_dir / "journal-copies" / f"{run_id}.jsonl"
    for path in (journal, copy):
        path.write_bytes(forged_tail(bystander)(path.read_bytes()))
    with workflow.moto.recording() as calls:
        child.sendline("3")  # roll back completed steps
        code, transcript = finish(child)
    text = unwrapped(transcript)
    assert code != 0
    assert (f"refused: the journal {journal} of run {run_id} was tampered with: it has 1 event(s) after event #"
            in text), text
    assert mutating_calls(calls) == []
    assert groups(ec2) == {own, bystander}
