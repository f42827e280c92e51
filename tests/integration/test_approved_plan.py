"""The plan approved is the plan executed (issue 10, part 2).

The plan file is replaced by another valid, approved plan (same step ids, other parameter
names) between "Load and verify the plan" and "Start the run", and later mid-run: the
start refuses, or the run keeps executing its own copy; the replacement never runs.
"""

from __future__ import annotations

import json
import os

import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
from moto_harness import mutating_calls, output_of, run_playbook
from workflow_support import (  # noqa: F401  pylint: disable=unused-import
    APPROVAL_WAITING, CHECKPOINT_WAITING, expect, finish, plan_document, put_param, unwrapped, workflow)


def phases(prefix: str) -> list:
    return [("Config", [put_param("put_a", f"{prefix}/a"), put_param("put_b", f"{prefix}/b")]),
            ("Access", [put_param("put_c", f"{prefix}/c")])]


def replace_plan(path, prefix: str, plan_id: str) -> str:
    """Overwrite the plan file with another valid plan, approved by whoever wrote it."""
    document = plan_document(plan_id, phases(prefix))
    document["approval"] = approval_block(document, "mallory@example.com")
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return document["approval"]["plan_sha256"]


def names_sent(calls) -> list[str]:
    return [json.loads(c.body)["Name"] for c in calls if c.key == ("ssm", "PutParameter")]


def test_plan_replaced_between_loading_and_start_is_refused(workflow, tmp_path):
    plan = workflow.write_plan("swap", phases("/ok"))
    replacement = tmp_path / "replacement.yml"
    replace_plan(replacement, "/evil", "swap")
    playbook = tmp_path / "swap_before_start.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [
            {"name": "Load and verify the plan", "register": "loaded",
             "coworker.aws.plan_info": {"plan": str(plan.path)}},
            {"name": "The file is replaced after it was shown",
             "ansible.builtin.copy": {"src": str(replacement), "dest": str(plan.path), "mode": "0644"}},
            {"name": "Start the run", "coworker.aws.run_journal": {
                "op": "start", "plan": str(plan.path), "sha256": "{{ loaded.sha256 }}",
                "state_dir": str(workflow.state_dir)}},
        ]}]))
    with workflow.moto.recording() as calls:
        result = run_playbook([playbook], workflow.env(), tmp_path)
    assert result.returncode != 0
    assert (f"the plan file {plan.path} changed after it was loaded and shown"
            in unwrapped(output_of(result))), output_of(result)
    assert f"shown {plan.digest[:12]}" in unwrapped(output_of(result))
    assert not (workflow.state_dir / "runs").exists() or workflow.run_ids() == []
    assert mutating_calls(calls) == []


def test_plan_replaced_after_start_and_mid_run_never_runs(workflow):
    plan = workflow.write_plan("swap", phases("/ok"))
    with workflow.moto.recording() as calls:
        child = workflow.spawn(plan)
        expect(child, APPROVAL_WAITING)
        replace_plan(plan.path, "/evil", "swap")  # after start, before the yes
        child.sendline("yes")
        expect(child, CHECKPOINT_WAITING)
        replace_plan(plan.path, "/evil2", "swap")  # between two batches
        child.sendline("yes")
        code, transcript = finish(child)

    assert code == 0, transcript
    assert names_sent(calls) == ["/ok/a", "/ok/b", "/ok/c"]
    assert workflow.parameter_values() == {"/ok/a": "v1", "/ok/b": "v1", "/ok/c": "v1"}
    run_id = workflow.only_run()
    copy = workflow.state_dir / "runs" / run_id / "approved-plan.yml"
    assert yaml.safe_load(copy.read_text())["approval"]["plan_sha256"] == plan.digest
    assert oct(os.stat(copy).st_mode & 0o777) == "0o600"
    report = workflow.report(run_id)
    assert report["status"] == "succeeded" and report["plan"]["sha256"] == plan.digest

    # a rollback of the run, with the file still replaced, undoes the approved steps only
    with workflow.moto.recording() as rollback_calls:
        rolled = workflow.run_rollback("-e", f"run={run_id}", "-e", f"approve={plan.digest}")
    assert rolled.returncode == 0, output_of(rolled)
    deleted = [json.loads(c.body)["Name"] for c in rollback_calls if c.key == ("ssm", "DeleteParameter")]
    assert sorted(deleted) == ["/ok/a", "/ok/b", "/ok/c"]
    assert workflow.parameter_values() == {}


# ------------------------------------------------------------------ what the person sees

ESC_PHASE = "Config\x1b[2J\x1b[H[1/1] fake_step"
ESC_DESCRIPTION = "Put a\x1b[8m hidden\r\u202eSURPRISE"
ESC_VALUE = "from-aws\x1b]0;title\x07\x1b[31m"


def test_escape_sequences_never_reach_the_terminal_or_the_report(workflow):
    workflow.ssm.put_parameter(Name="/esc/src", Value="x", Type="String", Description=ESC_VALUE)
    step_a = put_param("put_a", "/esc/a")
    step_a["description"] = ESC_DESCRIPTION
    read = {"id": "read_src", "description": ESC_DESCRIPTION, "action": "ssm:DescribeParameters",
            "params": {"ParameterFilters": [{"Key": "Name", "Values": ["/esc/src"]}]},
            "register": {"description": "Parameters[0].Description"},
            "expect": ["Parameters[0].Description == 'never'"]}  # unexpected output: a prompt shows it
    plan = workflow.write_plan("escapes", [(ESC_PHASE, [step_a]), ("Second\x1b[1A", [read])])
    child = workflow.spawn(plan)
    expect(child, APPROVAL_WAITING)
    child.sendline("yes")
    expect(child, CHECKPOINT_WAITING)
    child.sendline("yes")
    expect(child, "Continue with the next steps? (yes/no)")
    child.sendline("yes")
    code, transcript = finish(child)

    assert code == 0, transcript
    # (ansible's own pause clears its input line with CR and ESC [ K; that is not ours to judge)
    for raw in ("\x1b[2J", "\x1b[H", "\x1b[8m", "hidden\r", "\x1b]0;", "\x1b[31m", "\x1b[1A"):
        assert raw not in transcript, raw
    assert "\u202e" not in transcript and "\x07" not in transcript
    shown = transcript.replace("\\\\", "\\")  # the JSON callback (no ansible.cfg) doubles backslashes
    assert "Config\\x1b[2J\\x1b[H[1/1] fake_step" in shown  # shown, escaped
    assert "description: Put a\\x1b[8m hidden\\x0d\\u202eSURPRISE" in shown
    run_id = workflow.only_run()
    for document in (workflow.report_md(run_id), workflow.changelog()):
        assert "\x1b" not in document and "\u202e" not in document and "\x07" not in document
    assert "Config\\x1b[2J" in workflow.report_md(run_id)


def test_literal_register_is_a_plan_error_before_any_call(workflow):
    lookup = {"id": "lookup", "description": "Look up", "action": "ssm:DescribeParameters", "params": {},
              "register": {"target": '`"acme-prod-data"`'}}
    bucket = {"id": "bucket", "description": "Bucket", "action": "s3:CreateBucket",
              "params": {"Bucket": "${lookup.target}"}}
    plan = workflow.write_plan("literal", [("Storage", [lookup, bucket])])
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}")
    shown = unwrapped(output_of(result))
    assert result.returncode != 0
    assert "phases[0].steps[0].register.target: does not read the response" in shown, shown
    assert str(plan.path) in shown
    assert mutating_calls(calls) == []
    assert workflow.session.client("s3").list_buckets()["Buckets"] == []
