"""What the role's tasks print and ask: plan text shown as data (escaped, never templated), the commands with
the values the journal holds, the questions' choices."""

from __future__ import annotations

import yaml

from plan_samples import base_plan

from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan, plan_info
from ansible_collections.coworker.aws.plugins.module_utils.run import questions, screens
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import resolved_lines


def loaded_plan(tmp_path, edit=None):
    document = base_plan()
    if edit:
        edit(document)
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(document))
    return load_plan(str(path), verify=False)


def resolved(loaded, outputs=None):
    events = [{"event": "step_succeeded", "step": step, "outputs": values} for step, values in (outputs or {}).items()]
    return resolved_lines(loaded["plan"], "run-1", run_state(events))


def test_plan_text_is_shown_escaped_never_interpreted(tmp_path):
    def hostile(document):
        document["name"] = "Logs\x1b[2J{{ lookup('pipe', 'id') }}"
        document["phases"][0]["steps"][0]["description"] = "bucket\u202egnp.exe"
    loaded = loaded_plan(tmp_path, hostile)
    info = dict(plan_info(loaded["path"], verify=False), warnings_list=["approval expires\rsoon"])
    lines = screens.loading_plan(info)
    assert "  Name:      Logs\\x1b[2J{{ lookup('pipe', 'id') }}" in lines
    # an approval without a signature is said for what it is
    assert any(line.startswith("  Approval:  claimed by ") and "unsigned — anyone who can edit the file" in line
               for line in lines), lines
    assert "  WARNING:   approval expires\\x0dsoon" in lines
    plan = screens.execution_plan(loaded, "run-1", set(), resolved(loaded), None, tag_resources=False)
    assert "        description: bucket\\u202egnp.exe" in plan
    assert all("\x1b" not in line and "\u202e" not in line for line in lines + plan)


def test_the_execution_plan_shows_every_call_its_marks_and_what_is_done(tmp_path):
    def destructive(document):
        document["phases"][0]["steps"][1]["destructive"] = True
        document["phases"][0]["steps"][1].pop("rollback")
    loaded = loaded_plan(tmp_path, destructive)
    lines = screens.execution_plan(loaded, "run-1", {"create_bucket"}, resolved(loaded), "sandbox-a", True,
                                   resume_header="Resuming run run-1 at step 2 of 2")
    assert lines[:3] == ["Resuming run run-1 at step 2 of 2", "EXECUTION PLAN",
                         "  Target: environment sandbox, account 123456789012, region us-east-1, profile sandbox-a"]
    assert "    [1/2] create_bucket  (done)" in lines
    assert "    [2/2] enable_versioning  (DESTRUCTIVE)  (no rollback)" in lines
    assert "        register: create_bucket.location = Location" in lines
    assert any(line.startswith("  Tags added to what a creating call makes") for line in lines)
    assert lines[-1] == "  WARNING: AWS resources in account 123456789012 will be modified."


def test_without_a_person_the_plan_is_one_line_a_step(tmp_path):
    loaded = loaded_plan(tmp_path)
    lines = screens.compact_plan(loaded, set(), resolved(loaded))
    assert lines[0] == "PLAN: 2 steps in 1 phases; 2 changing calls, 0 destructive"
    assert lines[1].startswith("  [1] Storage / create_bucket: aws s3api create-bucket --bucket unit-123456789012")
    assert len(lines) == 3
    tagged = screens.compact_plan(loaded, set(), resolved(loaded), run_id="run-1", tag_resources=True)
    assert tagged[-1].startswith("  Tags added to what a creating call makes (where its API takes tags): "
                                 "coworker:run-id=run-1, coworker:plan-id=unit-plan")


def test_the_rollback_plan_lists_undos_last_step_first_or_says_there_is_nothing(tmp_path):
    loaded = loaded_plan(tmp_path)
    lines = screens.rollback_plan(loaded, "run-1", "failed", {"create_bucket", "enable_versioning"}, resolved(loaded))
    assert [line for line in lines if line.startswith("    undo")] == ["    undo [2] enable_versioning",
                                                                       "    undo [1] create_bucket"]
    empty = screens.rollback_plan(loaded, "run-1", None, set(), resolved(loaded))
    assert "    nothing to roll back: the journal shows no step that changed anything" in empty
    assert empty[0] == "ROLLBACK PLAN for run run-1 (status unfinished)"


def test_what_a_batch_adds_to_the_step_lines_outputs_unexpected_and_the_error_in_full():
    batch = {"failed_step": "b", "msg": "step b failed", "results": [
        {"id": "a", "outputs": {"arn": "arn:aws:s3:::x"}, "unexpected": ["register v: found nothing"]},
        {"id": "b", "error": {"text": "CONFLICT: it exists\n  hint: overwrite"}}]}
    assert screens.batch_lines(batch) == ['a outputs: {"arn": "arn:aws:s3:::x"}', "a UNEXPECTED: register v: found nothing",
                                          "b error: CONFLICT: it exists", "  hint: overwrite"]


def test_a_checkpoint_shows_each_command_with_the_values_the_journal_holds(tmp_path):
    def chained(document):
        document["phases"][0]["steps"][1]["params"]["Bucket"] = "${create_bucket.location}"
    loaded = loaded_plan(tmp_path, chained)
    segment = {"index": 1, "phase": "Storage", "phase_index": 0, "checkpoint": "destructive"}
    question = {"reason": "destructive", "steps": ["enable_versioning"]}
    text = questions.checkpoint(question, segment, loaded["plan"]["steps"],
                                resolved(loaded, {"create_bucket": {"location": "/made-1"}}))
    assert text.splitlines()[0] == "CHECKPOINT: the next step is DESTRUCTIVE:"
    assert "  enable_versioning: aws s3api put-bucket-versioning --bucket /made-1" in text
    assert text.endswith("Continue? (yes/no)\n")


def test_what_now_offers_skip_only_for_a_skippable_step_and_lists_what_rollback_undoes(tmp_path):
    loaded = loaded_plan(tmp_path)
    undo = questions.undo_lines(resolved(loaded), {"create_bucket"})
    assert undo == ["       undo create_bucket: aws s3api delete-bucket --bucket unit-123456789012 --region us-east-1"]
    text = questions.failure({"kind": "failure", "step": "enable_versioning", "note": "'x' is not one of the choices"},
                             {}, undo)
    assert text.splitlines() == ["'x' is not one of the choices — please choose again.",
                                 "Step enable_versioning failed. What now?", "  1 retry", "  3 roll back completed steps",
                                 undo[0], "  4 pause (leave everything as it is)", "Choose 1, 3 or 4"]
    skippable = questions.failure({"kind": "failure", "step": "s", "skippable": True}, {})
    assert "  2 skip and continue" in skippable and "Choose 1, 2, 3 or 4" in skippable


def test_unexpected_output_is_shown_escaped_before_its_question():
    batch = {"results": [{"id": "s", "unexpected": ["expect 'x\x1b' did not hold"]}]}
    text = questions.failure({"kind": "unexpected", "step": "s"}, batch)
    assert text == ("CHECKPOINT: step s returned unexpected output:\n  - expect 'x\\x1b' did not hold\n"
                    "Continue with the next steps? (yes/no)\n")
