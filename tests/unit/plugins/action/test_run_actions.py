"""The action plugins themselves, driven through their run() with a task of our own: Load, Approve, Finish,
the refusals that end a run before any AWS call, the rescue, and the guard's connection check."""

from __future__ import annotations

import json

import pytest
import yaml

from action_support import run_action
from plan_samples import approved, base_plan, write_yaml

from ansible_collections.coworker.aws.plugins.action import run_journal, run_step, verify_environment

ENVIRONMENTS = """\
environments:
  sandbox: {account_ids: ["123456789012"], regions: ["*"]}
  production: {account_ids: ["999999999999"]}
unknown_environment: staging
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A state dir, an environments file, an approved plan; nobody at a terminal."""
    monkeypatch.setattr(run_journal, "controller_has_terminal", lambda: False)
    monkeypatch.setattr(run_step, "controller_has_terminal", lambda: False)
    environments = tmp_path / "environments.yml"
    environments.write_text(ENVIRONMENTS)
    common = {"state_dir": str(tmp_path / "state"), "environments_file": str(environments)}
    return tmp_path, common


def journal(tmp_path, run_id):
    path = tmp_path / "state" / "runs" / run_id / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def start(tmp_path, common, document=None):
    plan = write_yaml(tmp_path, approved(document or base_plan()))
    return run_action(run_journal, dict(common, op="start", plan=str(plan), command_vars={}))


def test_load_starts_a_run_from_the_bytes_it_read_and_prints_the_plan_and_the_commands(setup, capsys):
    tmp_path, common = setup
    loaded = start(tmp_path, common)
    assert not loaded.get("failed"), loaded
    run_id = loaded["run_id"]
    started = journal(tmp_path, run_id)[0]
    copy = tmp_path / "state" / "runs" / run_id / "approved-plan.yml"
    assert started["event"] == "run_started" and started["plan_copy"] == str(copy) and copy.exists()
    assert [s["steps"] for s in loaded["segments"]] == [["create_bucket", "enable_versioning"]]
    printed = capsys.readouterr().out
    assert "LOADING PLAN" in printed and "Run id: %s" % run_id in printed
    assert "If it is interrupted, resume it:  ansible-playbook" in printed


def test_a_bad_plan_is_refused_at_load_before_anything_is_written(setup):
    tmp_path, common = setup
    document = base_plan()
    document["phases"][0]["steps"][0]["action"] = "s3:CreateBuckets"
    result = start(tmp_path, common, document)
    assert result["failed"] and "unknown operation 'CreateBuckets'" in result["msg"]
    assert not (tmp_path / "state" / "runs").exists()


def test_a_wrong_token_ends_the_run_with_its_report_and_one_closing_line(setup, capsys):
    tmp_path, common = setup
    run_id = start(tmp_path, common)["run_id"]
    result = run_action(run_journal, dict(common, op="approve", run_id=run_id, token="0" * 12, command_vars={}))
    assert result["failed"] and result["msg"].startswith("Run %s: NOT APPROVED — 0 of 2 steps completed" % run_id)
    assert [e["event"] for e in journal(tmp_path, run_id)][-2:] == ["not_approved", "run_finished"]
    printed = capsys.readouterr().out
    assert "the approval token does not match the plan digest" in printed and "no changes made" in printed
    assert "Report: %s" % (tmp_path / "state" / "runs" / run_id / "report.md") in printed
    assert not list((tmp_path / "state" / "locks").iterdir())  # the lock is given back


def test_without_a_terminal_or_a_token_nothing_is_approved(setup):
    tmp_path, common = setup
    run_id = start(tmp_path, common)["run_id"]
    result = run_action(run_journal, dict(common, op="approve", run_id=run_id, command_vars={}))
    assert result["failed"] and "NOT APPROVED" in result["msg"]


def test_the_right_token_approves_and_finish_says_how_the_run_ended_with_its_stats(setup, capsys):
    tmp_path, common = setup
    loaded = start(tmp_path, common)
    run_id = loaded["run_id"]
    digest = journal(tmp_path, run_id)[0]["sha256"]
    approved_run = run_action(run_journal, dict(common, op="approve", run_id=run_id, token=digest[:12], command_vars={}))
    assert approved_run["approved"] and approved_run["how"] == "token"
    assert "PLAN: 2 steps in 1 phases" in capsys.readouterr().out  # no person: one line a step
    finished = run_action(run_journal, dict(common, op="finish", run_id=run_id, command_vars={}))
    assert not finished.get("failed")
    assert finished["ends_in_error"] and finished["status"] == "partial"  # approved, nothing ran
    assert finished["closing"].startswith("Run %s: PARTIAL — 0 of 2 steps completed (stopped part-way) — resume: "
                                          % run_id)
    stats = finished["ansible_stats"]["data"]["coworker_aws_run"]
    assert (stats["run_id"], stats["status"], stats["steps_total"]) == (run_id, "partial", 2)


def test_a_region_the_class_does_not_allow_is_refused_at_verify_before_any_aws_call_and_the_run_ends(
        setup, capsys, monkeypatch):
    tmp_path, common = setup
    run_id = start(tmp_path, common)["run_id"]
    (tmp_path / "environments.yml").write_text(ENVIRONMENTS.replace('regions: ["*"]', 'regions: ["eu-west-1"]'))
    monkeypatch.setattr("ansible_collections.coworker.aws.plugins.module_utils.guard.sequence.target_context",
                        lambda *a, **k: pytest.fail("an AWS session was made"))
    result = run_action(verify_environment, dict(common, run_id=run_id, command_vars={}))
    assert result["failed"] and result["refused"]
    assert result["msg"].startswith("Run %s: REFUSED — 0 of 2 steps completed" % run_id)
    refusal = "STOPPING: this collection executes in non-production only. Region(s) us-east-1 are not allowed for sandbox"
    assert capsys.readouterr().out.count(refusal) == 1  # said once; the closing line does not repeat it
    assert refusal not in result["msg"]
    assert [e["event"] for e in journal(tmp_path, run_id)][-2:] == ["refused", "run_finished"]
    report = json.loads((tmp_path / "state" / "runs" / run_id / "report.json").read_text())
    assert report["status"] == "refused" and refusal in report["refusal"]


def test_the_rescue_of_a_broken_run_leaves_everything_when_on_failure_says_so(setup):
    tmp_path, common = setup
    run_id = start(tmp_path, common)["run_id"]
    result = run_action(run_step, dict(common, mode="recover", run_id=run_id, on_failure="abort",
                                       failure="worker was found in a dead state"))
    assert (result["outcome"], result["changed"]) == ("interrupted", False)
    assert journal(tmp_path, run_id)[-2:][0]["reason"] == "worker was found in a dead state"
    assert journal(tmp_path, run_id)[-1]["event"] == "outcome"


def test_a_run_task_of_a_pass_that_has_ended_sends_nothing(setup):
    tmp_path, common = setup
    run_id = start(tmp_path, common)["run_id"]
    run_action(run_step, dict(common, mode="recover", run_id=run_id, on_failure="abort"))
    result = run_action(run_step, dict(common, mode="run", run_id=run_id, segments=[0]))
    assert (result["outcome"], result["status"]) == ("interrupted", "aborted")


def test_run_step_runs_on_the_controller_only(setup):
    _tmp_path, common = setup
    result = run_action(run_step, dict(common, mode="run", run_id="r1"), connection="ssh")
    assert result["failed"] and result["refused"] and "runs on the controller only" in result["msg"]


def test_the_role_documents_every_option_the_vars_file_maps_with_the_same_default():
    from pathlib import Path
    repo = Path(__file__).resolve().parents[4]
    spec = yaml.safe_load((repo / "roles/execute_nonprod/meta/argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    mapping = yaml.safe_load((repo / "playbooks/vars/execute_nonprod.yml").read_text())
    for name, expression in mapping.items():
        assert name in options, name
        default = expression.split("default(", 1)[1].split(")", 1)[0]
        assert yaml.safe_load(default) == options[name]["default"], (name, default)
