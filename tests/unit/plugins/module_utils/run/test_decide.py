"""What a run does next: after a batch, after the person's answer, at a checkpoint, and the
status and exit it ends with. Every branch of run/decide.py, as the role sees it."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import decide

PENDING = ["put_c", "put_d"]
FAILED_C = {"failed_step": "put_c", "not_run": ["put_d"], "completed": [], "error": {"kind": "conflict"}}


def test_a_batch_that_completed_every_pending_step_continues():
    decision = decide.after_batch({"completed": PENDING, "not_run": []}, PENDING, "ask", prompts=True)
    assert (decision["action"], decision["status"], decision["run_next"], decision["choice"]) == (
        "continue", "running", [], None)


@pytest.mark.parametrize("batch", [
    {},  # a result without evidence (a plugin error under failed_when: false)
    {"completed": ["put_c"], "msg": "boom"},  # put_d neither completed nor failed
], ids=["empty", "partly-completed"])
def test_a_batch_without_proof_of_completion_stops_as_failed(batch):
    decision = decide.after_batch(batch, PENDING, "ask", prompts=True)
    assert (decision["action"], decision["status"], decision["run_next"]) == ("stop", "failed", [])


def test_a_refusal_stops_whatever_the_failure_mode():
    for mode in decide.FAILURE_MODES:
        decision = decide.after_batch({"refused": True, "failed_step": None}, PENDING, mode, prompts=True)
        assert (decision["action"], decision["status"], decision["outcome"]) == ("stop", "refused", "refused")


def test_an_interrupted_batch_stops_as_aborted():
    decision = decide.after_batch({"interrupted": True}, PENDING, "ask", prompts=True)
    assert (decision["action"], decision["status"], decision["outcome"]) == ("stop", "aborted", "interrupted")


def test_a_failed_step_with_a_person_to_ask_asks():
    decision = decide.after_batch(FAILED_C, PENDING, "ask", prompts=True)
    assert (decision["action"], decision["question"], decision["step"], decision["choice"]) == (
        "ask", "failure", "put_c", None)


@pytest.mark.parametrize("mode, prompts, action, status", [
    ("ask", False, "rollback", "rolled_back"),  # nobody to ask: roll back
    ("rollback", True, "rollback", "rolled_back"),
    ("rollback", False, "rollback", "rolled_back"),
    ("abort", True, "stop", "failed"),
    ("abort", False, "stop", "failed"),
])
def test_a_failed_step_follows_the_failure_mode(mode, prompts, action, status):
    decision = decide.after_batch(FAILED_C, PENDING, mode, prompts)
    assert (decision["action"], decision["status"], decision["run_next"]) == (action, status, [])
    assert decision["choice"] == ("rollback" if action == "rollback" else "abort")
    assert decision["by_person"] is False


def test_an_unknown_failure_mode_is_an_error():
    with pytest.raises(ValueError, match="on_failure must be one of ask, rollback, abort"):
        decide.after_batch(FAILED_C, PENDING, "ignore", prompts=True)


def test_unexpected_output_asks_a_person_continues_a_dry_run_and_fails_otherwise():
    batch = {"unexpected_step": "put_c", "completed": ["put_c"], "not_run": ["put_d"]}
    assert decide.after_batch(batch, PENDING, "ask", True)["question"] == "unexpected"
    dry = decide.after_batch(batch, PENDING, "ask", False, dry_run=True)
    assert (dry["action"], dry["run_next"]) == ("continue", ["put_d"])
    unattended = decide.after_batch(batch, PENDING, "abort", False)
    assert (unattended["action"], unattended["status"], unattended["step"]) == ("stop", "failed", "put_c")


@pytest.mark.parametrize("answer, action, run_next, status", [
    ("1", "retry", ["put_c", "put_d"], "running"),
    (" Retry ", "retry", ["put_c", "put_d"], "running"),
    ("2", "skip", ["put_d"], "running"),
    ("skip", "skip", ["put_d"], "running"),
    ("3", "rollback", [], "rolled_back"),
    ("rollback", "rollback", [], "rolled_back"),
    ("4", "pause", [], "partial"),
    ("PAUSE", "pause", [], "partial"),
])
def test_each_answer_at_what_now(answer, action, run_next, status):
    decision = decide.after_answer("failure", answer, "put_c", ["put_d"], skippable=True, asked=1)
    assert (decision["action"], decision["run_next"], decision["status"], decision["choice"]) == (
        action, run_next, status, action)
    assert decision["by_person"] is (action == "pause")


@pytest.mark.parametrize("answer", ["2", "skip"])
def test_skip_is_not_a_choice_for_a_step_the_plan_does_not_mark_skippable(answer):
    decision = decide.after_answer("failure", answer, "put_c", ["put_d"], skippable=False, asked=1)
    assert (decision["action"], decision["question"], decision["choice"]) == ("ask", "failure", None)
    assert decision["note"] == "%r is not one of the choices" % answer


@pytest.mark.parametrize("answer", ["", "5", "yes", "retry please"])
def test_a_wrong_answer_asks_again(answer):
    decision = decide.after_answer("failure", answer, "put_c", [], skippable=True, asked=2)
    assert (decision["action"], decision["status"], decision["choice"]) == ("ask", "running", None)


def test_after_five_wrong_answers_the_run_pauses_leaving_everything_as_it_is():
    decision = decide.after_answer("failure", "x", "put_c", ["put_d"], skippable=True, asked=decide.MAX_ASKS)
    assert (decision["action"], decision["status"], decision["outcome"], decision["run_next"]) == (
        "pause", "partial", "paused", [])
    assert decision["by_person"] is True and "after 5 tries" in decision["note"]


def test_unexpected_output_accepted_continues_with_the_rest_and_refused_becomes_a_failure():
    accepted = decide.after_answer("unexpected", "yes", "put_c", ["put_d"], skippable=False, asked=1)
    assert (accepted["action"], accepted["run_next"], accepted["choice"]) == ("continue", ["put_d"], "continue")
    refused = decide.after_answer("unexpected", "no", "put_c", ["put_d"], skippable=False, asked=1)
    assert (refused["action"], refused["question"], refused["choice"]) == ("ask", "failure", None)


def test_failure_choices_offer_skip_only_for_a_skippable_step():
    assert [k for k, _label in decide.failure_choices(False)] == ["1", "3", "4"]
    assert [k for k, _label in decide.failure_choices(True)] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("answer, action, status", [
    ("yes", "continue", "running"), (" YES ", "continue", "running"),
    ("no", "stop", "aborted"), ("", "stop", "aborted"), ("y", "stop", "aborted")])
def test_only_yes_passes_a_checkpoint(answer, action, status):
    decision = decide.at_checkpoint(answer)
    assert (decision["action"], decision["status"]) == (action, status)
    assert decision["by_person"] is (action == "stop")


def test_a_run_with_a_skipped_step_does_not_finish_as_succeeded():
    assert decide.finish_outcome("auto", ["put_c"]) == "paused"  # reported as partial
    assert decide.finish_outcome("auto", []) == "auto"
    assert decide.finish_outcome("refused", ["put_c"]) == "refused"


@pytest.mark.parametrize("status, rollback_run, error", [
    ("succeeded", False, False),
    ("dry_run", False, False),
    ("failed", False, True),
    ("rolled_back", False, True),  # rolled back after a failure
    ("refused", False, True),
    ("not_approved", False, True),  # a person's "no" (or no token): the plan did not run
    ("partial", False, True),  # a skipped step, or paused by the person
    ("aborted", False, True),  # "no" at a checkpoint: the plan stopped half-way
    ("rolled_back", True, False),  # rollback_run did what it was asked
    ("partial", True, True),  # rollback_run left manual clean-up
])
def test_every_end_but_success_fails_the_play(status, rollback_run, error):
    assert decide.ends_in_error(status, rollback_run) is error


def test_a_dry_run_that_predicts_a_certain_failure_fails_the_play_unless_only_warned():
    assert decide.ends_in_error("dry_run", would_fail=["make_group"]) is True
    assert decide.ends_in_error("dry_run", would_fail=["make_group"], warn_only=True) is False
    assert decide.ends_in_error("dry_run", would_fail=[]) is False
    report = {"run_id": "R1", "status": "dry_run", "steps_completed": 0, "steps_total": 3, "steps": [],
              "would_fail": ["make_group"]}
    assert decide.summary_line(report) == ("Run R1: DRY RUN — 0 of 3 steps completed, a real run would fail at: "
                                           "make_group (dry run: nothing was changed)")


def test_summary_line_is_one_line_with_status_counts_and_skips():
    report = {"run_id": "R1", "status": "partial", "steps_completed": 3, "steps_total": 4,
              "steps": [{"id": "put_c", "status": "skipped"}]}
    line = decide.summary_line(report)
    assert line == "Run R1: PARTIAL — 3 of 4 steps completed, skipped: put_c (stopped part-way)"
    assert "\n" not in line


def test_summary_line_of_a_rollback_counts_the_undo_calls_not_sent_for_what_the_run_did_not_make():
    report = {"run_id": "R1", "status": "rolled_back", "steps_completed": 0, "steps_total": 2, "steps": [],
              "rollback": {"not_ours": ["create_sg: `aws ec2 delete-security-group --group-id sg-x`: ..."]}}
    assert decide.summary_line(report, rollback_run=True) == (
        "Run R1 (rollback): ROLLED BACK — 0 of 2 steps completed; 1 undo call not sent: not made by this run "
        "(see the report) (rolled back)")
