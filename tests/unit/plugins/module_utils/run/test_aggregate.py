# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wave report from its targets' runs on disk: rows, passes, rollup, next actions and report names."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import (
    begin_pass, next_action, note, plan_copy_path, read_pass, rollup, store_plan, target_run_id, wave_report)
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import read_plan_bytes
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal

KEYS = ["300000000001-us-east-1", "300000000002-us-east-1", "300000000003-us-east-1"]
LOADED = {"plan": {"id": "wave-baseline", "targets": [
    {"key": k, "account_id": k[:12], "region": "us-east-1", "environment": "sandbox"} for k in KEYS]},
    "path": "/plans/baseline.yml", "sha256": "ab" * 32}


def write_run(state, key, events, reports):
    """A target's run of wave w1 as a run leaves it: its journal and the reports of its passes."""
    folder = state / "runs" / ("w1-" + key)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "journal.jsonl").write_text("".join(json.dumps({"ts": "t", "event": e, **f}) + "\n" for e, f in events))
    for name, report in reports.items():
        (folder / (name + ".json")).write_text(json.dumps(report))


def done(status, steps=2, **extra):
    return {"status": status, "steps_completed": steps, "steps_total": 2, **extra}


def rows_by_target(report):
    return {r["target"]: r for r in report["rows"]}


def test_run_id_of_a_target_and_bad_wave_ids():
    assert target_run_id("w1", KEYS[0]) == "w1-300000000001-us-east-1"
    for bad in ("", "../w1", "w 1", "-w1"):
        with pytest.raises(RunError):
            target_run_id(bad, KEYS[0])
        with pytest.raises(RunError):
            wave_report("/nowhere", bad, LOADED, write=False)


def test_each_row_reads_its_runs_latest_pass_and_keeps_the_history(tmp_path):
    write_run(tmp_path, KEYS[0], [("run_started", {}), ("run_finished", {}), ("run_resumed", {"purpose": "rollback"})],
              {"report": done("succeeded"), "report-rollback-1": done("rolled_back", rollback={"status": "done"})})
    write_run(tmp_path, KEYS[1], [("run_started", {})], {"report": done("running", 0, provisional=True)})
    report = wave_report(LocalBackend(str(tmp_path)), "w1", LOADED, write=False)
    rows = rows_by_target(report)
    assert rows[KEYS[0]]["history"] == ["succeeded", "rolled_back"] and rows[KEYS[0]]["status"] == "rolled_back"
    assert rows[KEYS[0]]["report"].endswith("runs/w1-%s/report-rollback-1.json" % KEYS[0])
    assert rows[KEYS[0]]["rollback"] == "done" and rows[KEYS[0]]["note"] == "done, then rolled back"
    assert rows[KEYS[1]]["status"] == "running" and rows[KEYS[1]]["history"] == ["running"]  # killed or running
    assert rows[KEYS[2]]["status"] == "not_started" and rows[KEYS[2]]["history"] == []
    assert report["rollup"]["progress"] == "targets: 0 done, 1 running, 1 failed (1 rolled back), 1 waiting"
    assert not (tmp_path / "waves").exists()  # write=False writes nothing


def test_an_open_pass_has_no_report_yet_and_a_released_one_takes_no_place(tmp_path):
    write_run(tmp_path, KEYS[0], [("run_started", {}), ("run_resumed", {"purpose": "resume"})],
              {"report": done("failed", 1)})
    write_run(tmp_path, KEYS[1], [("run_started", {}), ("run_resumed", {"purpose": "resume"}),
                                  ("run_released", {"outcome": "not_approved"})], {"report": done("failed", 1)})
    rows = rows_by_target(wave_report(LocalBackend(str(tmp_path)), "w1", LOADED, write=False))
    assert rows[KEYS[0]]["history"] == ["failed", "running"]
    assert rows[KEYS[1]]["history"] == ["failed"]


def test_failures_of_this_pass_are_those_whose_run_gained_a_pass_since_it_began():
    rows = [{"target": "a", "status": "rolled_back", "history": ["rolled_back"]},
            {"target": "b", "status": "failed", "history": ["failed", "failed"]},
            {"target": "c", "status": "succeeded", "history": ["succeeded"]},
            {"target": "d", "status": "not_started", "history": []}]
    counts = rollup(rows, {"a": 1, "b": 1, "c": 0, "d": 0})
    assert (counts["failed"], counts["failed_in_pass"], counts["done"], counts["waiting"]) == (2, 1, 1, 1)
    assert counts["status"] == "failed"
    assert counts["by_status"] == {"failed": 1, "not_started": 1, "rolled_back": 1, "succeeded": 1}
    assert rollup(rows)["failed_in_pass"] == 2  # no baseline: the wave's first pass
    assert counts["progress"] == "targets: 1 done, 0 running, 2 failed (1 rolled back), 1 waiting"
    assert rollup(rows[2:3])["status"] == "succeeded"
    assert rollup(rows[2:4])["status"] == "partial"


def test_targets_a_person_stopped_at_a_checkpoint_are_stopped_not_failed_and_resumable():
    rows = [{"target": "a", "status": "aborted", "history": ["aborted"]},
            {"target": "b", "status": "aborted", "history": ["aborted"]},
            {"target": "c", "status": "not_started", "history": []}]
    counts = rollup(rows)
    assert (counts["failed"], counts["stopped"], counts["failed_in_pass"], counts["status"]) == (0, 2, 0, "stopped")
    assert counts["progress"] == "targets: 0 done, 0 running, 0 failed, 2 stopped, 1 waiting"
    assert [next_action(r, "resume") for r in rows] == ["resume", "resume", "start"]
    failed = rows[:1] + [{"target": "b", "status": "failed", "history": ["failed"]}]
    assert rollup(failed)["status"] == "failed"  # a failure anywhere is what the wave's status says


def test_a_rollback_pass_counts_the_targets_rolled_back_and_those_not():
    rows = [{"target": "a", "status": "rolled_back", "history": ["succeeded", "rolled_back"]},
            {"target": "b", "status": "not_started", "history": []}]
    counts = rollup(rows, purpose="rollback")
    assert counts["status"] == "rolled_back"
    assert counts["progress"] == "targets: 1 rolled back, 0 running, 0 not rolled back, 1 never started"
    rows.append({"target": "c", "status": "rollback_failed", "history": ["failed", "rollback_failed"]})
    rows.append({"target": "d", "status": "succeeded", "history": ["succeeded"]})
    assert rollup(rows, purpose="rollback")["status"] == "failed"
    assert rollup(rows, purpose="rollback")["progress"] == \
        "targets: 1 rolled back, 0 running, 2 not rolled back, 1 never started"
    rows.append({"target": "e", "status": "running", "history": ["succeeded", "running"]})
    assert rollup(rows, purpose="rollback")["status"] == "running"


@pytest.mark.parametrize("status, run, resume, rollback", [
    ("not_started", "start", "start", "skip"),
    ("running", "start", "resume", "rollback"),
    ("failed", "start", "resume", "rollback"),
    ("rolled_back", "start", "resume", "skip"),
    ("rollback_failed", "start", "resume", "rollback"),
    ("succeeded", "start", "skip", "rollback"),
])
def test_what_each_pass_does_with_a_target(status, run, resume, rollback):
    row = {"status": status}
    assert [next_action(row, p) for p in ("run", "resume", "rollback")] == [run, resume, rollback]


def test_notes_tell_failed_from_done_targets_that_were_rolled_back():
    assert note({"status": "rolled_back", "history": ["rolled_back"]}) == "failed, rolled back"
    assert note({"status": "rolled_back", "history": ["failed", "rolled_back"]}) == "failed, rolled back"
    assert note({"status": "rolled_back", "history": ["succeeded", "rolled_back"]}, True) == \
        "done, then rolled back (all or nothing)"
    assert note({"status": "succeeded", "history": ["succeeded"]}, True) == ""


def test_each_pass_writes_its_own_report_and_never_over_the_first(tmp_path):
    state = LocalBackend(str(tmp_path))
    assert begin_pass(state, "w1", "run") == "report"
    first = wave_report(state, "w1", LOADED, report_name="report")
    assert read_pass(state, "w1")["baseline"] == dict.fromkeys(KEYS, 0)
    with pytest.raises(RunError, match="wave w1 already exists"):
        begin_pass(state, "w1", "run")
    write_run(tmp_path, KEYS[0], [("run_started", {})], {"report": done("failed", 1)})
    name = begin_pass(state, "w1", "resume")
    assert name == "report-resume-1"
    wave_report(state, "w1", LOADED, report_name=name, purpose="resume")
    write_run(tmp_path, KEYS[0], [("run_started", {}), ("run_resumed", {"purpose": "resume"})],
              {"report": done("failed", 1), "report-resume-1": done("failed", 1)})
    later = wave_report(state, "w1", LOADED, report_name=name, purpose="resume")
    assert later["baseline"][KEYS[0]] == 1 and later["rollup"]["failed_in_pass"] == 1
    assert [r["next"] for r in later["rows"]] == ["resume", "start", "start"]
    assert begin_pass(state, "w1", "resume") == "report-resume-2"
    assert begin_pass(state, "w1", "rollback") == "report-rollback-1"
    assert read_pass(state, "w1")["rows"] == first["rows"]
    folder = tmp_path / "waves" / "w1"
    assert sorted(os.listdir(folder)) == ["report-resume-1.json", "report-resume-1.md", "report.json", "report.md"]
    assert stat.S_IMODE(os.stat(folder / "report.json").st_mode) == 0o600
    assert "# Wave w1: FAILED (resume 1)" in (folder / "report-resume-1.md").read_text()


def test_a_pass_of_a_wave_that_does_not_exist_and_bad_names_are_refused(tmp_path):
    with pytest.raises(RunError, match="no wave 'w9'"):
        begin_pass(LocalBackend(str(tmp_path)), "w9", "rollback")
    with pytest.raises(RunError, match="purpose must be one of"):
        begin_pass(LocalBackend(str(tmp_path)), "w9", "undo")
    for bad in ("report-../x", "report-resume-0", "summary", ""):
        with pytest.raises(RunError, match="invalid report name"):
            wave_report(LocalBackend(str(tmp_path)), "w1", LOADED, report_name=bad)
    assert not (tmp_path / "waves").exists()


def test_the_markdown_shows_control_characters_of_the_plan_escaped(tmp_path):
    loaded = dict(LOADED, path="/plans/\x1b[31mred.yml", plan=dict(LOADED["plan"], id="wave\x07"))
    wave_report(LocalBackend(str(tmp_path)), "w1", loaded)
    text = (tmp_path / "waves" / "w1" / "report.md").read_text()
    assert "\x1b" not in text and "\x07" not in text
    assert "| 1 | 300000000001-us-east-1 | sandbox | not_started | 0/? | w1-300000000001-us-east-1 | - |  |" in text


def test_a_wave_keeps_the_approved_bytes_once_and_refuses_another_digest_or_no_copy(tmp_path):
    source = tmp_path / "plan.yml"
    source.write_text("format: coworker.aws/plan-v1\nid: p\n")
    backend = LocalBackend(str(tmp_path / "state"))
    shown = read_plan_bytes(str(source))[2]
    with pytest.raises(GuardRefusal, match="changed after it was loaded and shown"):
        store_plan(backend, "w1", str(source), "0" * 64)
    with pytest.raises(RunError, match="the approved copy of the plan of wave w1 is missing"):
        plan_copy_path(backend, "w1", {})
    key = store_plan(backend, "w1", str(source), shown)
    assert key == "waves/w1/approved-plan.yml"
    path = plan_copy_path(backend, "w1", {"plan_copy_key": key})
    assert open(path, "rb").read() == source.read_bytes() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(GuardRefusal, match="wave folder .* already holds a plan: start a new wave"):
        store_plan(backend, "w1", str(source), shown)
    report = wave_report(backend, "w1", {**LOADED, "path": path}, plan_copy_key=key)
    assert report["plan_copy_key"] == key and report["plan_path"] == path
    later = wave_report(backend, "w1", {**LOADED, "path": "/elsewhere.yml"}, report_name="report-resume-1",
                        purpose="resume")
    assert later["plan_copy_key"] == key and later["plan_path"] == path  # shown as the wave's first pass had it


def test_a_slice_records_its_targets_and_every_later_pass_covers_exactly_those(tmp_path):
    state = LocalBackend(str(tmp_path))
    first = wave_report(state, "w1", LOADED, report_name=begin_pass(state, "w1", "run"), selected=[KEYS[2], KEYS[0]])
    assert first["targets"] == [KEYS[0], KEYS[2]]  # in the plan's order, whatever the inventory's
    assert [r["target"] for r in first["rows"]] == [KEYS[0], KEYS[2]] and first["rollup"]["waiting"] == 2
    assert "This wave runs 2 of the plan's 3 targets" in (tmp_path / "waves" / "w1" / "report.md").read_text()
    # later calls name no selection: the recorded one holds (KEYS[1] is not "not_started" in this wave)
    name = begin_pass(state, "w1", "rollback")
    later = wave_report(state, "w1", LOADED, report_name=name, purpose="rollback")
    assert [r["target"] for r in later["rows"]] == [KEYS[0], KEYS[2]]
    assert wave_report(state, "w1", LOADED, write=False, selected=[KEYS[0], KEYS[2]])["targets"] == [KEYS[0], KEYS[2]]
    for other in ([KEYS[0]], KEYS, [KEYS[1]]):  # a resume or rollback may not change the wave's targets
        with pytest.raises(RunError, match="this wave ran .* but the inventory selects"):
            wave_report(state, "w1", LOADED, report_name=name, purpose="rollback", selected=other)


def test_a_selection_with_keys_not_in_the_plan_or_none_is_refused_and_nothing_is_written(tmp_path):
    state = LocalBackend(str(tmp_path))
    with pytest.raises(RunError, match="300000000009-us-east-1 is not a target of plan wave-baseline"):
        wave_report(state, "w1", LOADED, selected=[KEYS[0], "300000000009-us-east-1"])
    with pytest.raises(RunError, match="no target of plan wave-baseline is selected"):
        wave_report(state, "w1", LOADED, selected=[])
    assert not (tmp_path / "waves").exists()


def test_a_wave_recorded_without_its_targets_is_every_target_of_the_plan(tmp_path):
    state = LocalBackend(str(tmp_path))
    wave_report(state, "w1", LOADED)
    path = tmp_path / "waves" / "w1" / "report.json"
    older = json.loads(path.read_text())
    del older["targets"]  # as written before waves could be sliced
    path.write_text(json.dumps(older))
    assert [r["target"] for r in wave_report(state, "w1", LOADED, write=False)["rows"]] == KEYS
    with pytest.raises(RunError, match="this wave ran"):
        wave_report(state, "w1", LOADED, write=False, selected=KEYS[:2])
