"""What the Run task does next, move by move: every branch of run/loop.py, as the driver sees it."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run import decide, loop

SEGMENTS = [
    {"index": 0, "phase": "Config", "phase_index": 0, "checkpoint": "phase", "steps": ["put_a", "put_b"]},
    {"index": 1, "phase": "Access", "phase_index": 1, "checkpoint": "phase", "steps": ["put_c", "put_d"]},
    {"index": 2, "phase": "Access", "phase_index": 1, "checkpoint": "destructive", "steps": ["delete_e"]},
]
FAILED_C = {"failed_step": "put_c", "not_run": ["put_d"], "completed": [], "error": {"kind": "conflict"}}


def ctx(**options):
    options.setdefault("skippable", ["put_c"])
    return loop.Context(SEGMENTS, **options)


def batch_move(segment, steps):
    return loop.move(loop.BATCH, segment=segment, steps=steps)


def kinds(move):
    return move["kind"], move["segment"], move["steps"]


# -- where a run begins ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompts", [False, True])
def test_a_new_run_begins_with_the_first_segment_no_question_before_the_phase_just_approved(prompts):
    assert kinds(loop.first_move(ctx(prompts=prompts))) == (loop.BATCH, 0, ["put_a", "put_b"])


def test_a_first_segment_that_is_destructive_is_asked_about_first():
    context = loop.Context([dict(SEGMENTS[2], index=0)], prompts=True)
    move = loop.first_move(context)
    shown = (move["kind"], move["question"]["kind"], move["question"]["reason"])
    assert shown == (loop.ASK, "checkpoint", "destructive")


def test_a_resume_begins_where_the_run_stopped_with_the_checkpoint_of_that_phase():
    move = loop.first_move(ctx(done={"put_a", "put_b"}, prompts=True))
    assert (move["kind"], move["segment"], move["question"]["steps"]) == (loop.ASK, 1, ["put_c", "put_d"])
    assert kinds(loop.first_move(ctx(done={"put_a"}, prompts=True))) == (loop.BATCH, 0, ["put_b"])


def test_a_run_with_every_step_done_finishes_at_once():
    move = loop.first_move(ctx(done={"put_a", "put_b", "put_c", "put_d", "delete_e"}))
    assert (move["kind"], move["outcome"]) == (loop.FINISH, "auto")


def test_a_dry_run_asks_nothing():
    context = ctx(done={"put_a", "put_b"}, prompts=True, dry_run=True)
    assert kinds(loop.first_move(context)) == (loop.BATCH, 1, ["put_c", "put_d"])


def test_a_rollback_run_begins_with_the_rollback():
    move = loop.first_move(ctx(rollback_run=True))
    assert (move["kind"], move["outcome"]) == (loop.ROLLBACK, "rollback")


def test_one_segment_of_a_wave_runs_after_a_yes_at_the_wave_checkpoint_and_journals_it():
    move = loop.first_move(ctx(only=[1], done={"put_a", "put_b"}), checkpoint_answer="yes")
    assert kinds(move) == (loop.BATCH, 1, ["put_c", "put_d"])
    assert move["record"] == [("checkpoint", {"answer": "yes", "segment": 1, "reason": "phase", "wave": True})]


def test_anything_but_yes_at_the_wave_checkpoint_stops_the_target_as_the_person_chose():
    move = loop.first_move(ctx(only=[1]), checkpoint_answer="no")
    assert (move["kind"], move["outcome"], move["by_person"]) == (loop.FINISH, "aborted", True)
    assert move["record"][0][0] == "checkpoint"


def test_a_wave_segment_without_a_checkpoint_runs_only_its_own_steps():
    assert kinds(loop.first_move(ctx(only=[0]))) == (loop.BATCH, 0, ["put_a", "put_b"])
    assert loop.after_batch(ctx(only=[0]), batch_move(0, ["put_a", "put_b"]),
                            {"completed": ["put_a", "put_b"]})["kind"] == loop.FINISH


# -- after a batch ---------------------------------------------------------------------------------------------

def test_a_completed_batch_goes_on_to_the_next_segment_with_its_checkpoint_when_a_person_is_there():
    completed = {"completed": ["put_a", "put_b"], "not_run": []}
    assert kinds(loop.after_batch(ctx(), batch_move(0, ["put_a", "put_b"]), completed)) == (
        loop.BATCH, 1, ["put_c", "put_d"])
    asked = loop.after_batch(ctx(prompts=True), batch_move(0, ["put_a", "put_b"]), completed)
    assert (asked["kind"], asked["question"]["kind"], asked["segment"]) == (loop.ASK, "checkpoint", 1)


def test_the_last_batch_finishes_the_run():
    context = ctx(done={"put_a", "put_b", "put_c", "put_d"})
    move = loop.after_batch(context, batch_move(2, ["delete_e"]), {"completed": ["delete_e"]})
    assert (move["kind"], move["outcome"], move["record"]) == (loop.FINISH, "auto", [])


def test_a_failed_step_asks_what_now_when_a_person_approved():
    move = loop.after_batch(ctx(prompts=True), batch_move(1, ["put_c", "put_d"]), FAILED_C)
    question = move["question"]
    assert (move["kind"], question["kind"], question["step"], question["not_run"], question["skippable"]) == (
        loop.ASK, "failure", "put_c", ["put_d"], True)
    assert move["record"] == []  # nothing decided yet


@pytest.mark.parametrize("mode", ["ask", "rollback"])
def test_a_failed_step_without_a_person_or_with_rollback_rolls_back(mode):
    move = loop.after_batch(ctx(on_failure=mode), batch_move(1, ["put_c", "put_d"]), FAILED_C)
    assert move["kind"] == loop.ROLLBACK
    assert move["record"] == [("decision", {"step": "put_c", "choice": "rollback", "error": "conflict",
                                            "answer": None, "status": "rolled_back"})]


def test_abort_finishes_with_the_failure_for_the_report_to_say():
    move = loop.after_batch(ctx(on_failure="abort"), batch_move(1, ["put_c", "put_d"]), FAILED_C)
    assert (move["kind"], move["outcome"], move["by_person"]) == (loop.FINISH, "auto", False)
    assert move["record"][0][1]["choice"] == "abort"


@pytest.mark.parametrize("batch, outcome, choice", [
    ({"refused": True, "completed": []}, "refused", "refused"),
    ({"interrupted": True}, "interrupted", "interrupted"),
    ({"completed": ["put_c"], "msg": "boom"}, "auto", "abort"),  # put_d neither completed nor failed
])
def test_a_refusal_an_interruption_or_a_batch_without_proof_finishes(batch, outcome, choice):
    move = loop.after_batch(ctx(prompts=True), batch_move(1, ["put_c", "put_d"]), batch)
    assert (move["kind"], move["outcome"], move["record"][0][1]["choice"]) == (loop.FINISH, outcome, choice)


def test_unexpected_output_is_asked_about_or_follows_the_failure_mode_or_goes_on_in_a_dry_run():
    unexpected = {"completed": ["put_c"], "unexpected_step": "put_c", "not_run": ["put_d"]}
    asked = loop.after_batch(ctx(prompts=True), batch_move(1, ["put_c", "put_d"]), unexpected)
    assert (asked["kind"], asked["question"]["kind"]) == (loop.ASK, "unexpected")
    assert loop.after_batch(ctx(), batch_move(1, ["put_c", "put_d"]), unexpected)["kind"] == loop.ROLLBACK
    dry = loop.after_batch(ctx(dry_run=True), batch_move(1, ["put_c", "put_d"]), unexpected)
    assert kinds(dry) == (loop.BATCH, 1, ["put_d"])


# -- after an answer -------------------------------------------------------------------------------------------

def checkpoint_move(context):
    return loop.first_move(context)


def test_yes_at_a_checkpoint_runs_the_segment_and_journals_the_answer():
    context = ctx(done={"put_a", "put_b"}, prompts=True)
    move = loop.after_answer(context, checkpoint_move(context), " YES ")
    assert kinds(move) == (loop.BATCH, 1, ["put_c", "put_d"])
    assert move["record"] == [("checkpoint", {"answer": " YES ", "segment": 1, "reason": "phase"})]


@pytest.mark.parametrize("answer", ["no", "", None], ids=["no", "empty", "ctrl-c"])
def test_anything_else_at_a_checkpoint_stops_there_as_the_person_chose(answer):
    context = ctx(done={"put_a", "put_b"}, prompts=True)
    move = loop.after_answer(context, checkpoint_move(context), answer)
    assert (move["kind"], move["outcome"], move["by_person"]) == (loop.FINISH, "aborted", True)
    assert move["record"][0][0] == "checkpoint"


def asked(context):
    return loop.after_batch(context, batch_move(1, ["put_c", "put_d"]), FAILED_C)


def test_retry_runs_the_failed_step_and_the_rest_of_its_segment_again():
    context = ctx(prompts=True)
    move = loop.after_answer(context, asked(context), "1", FAILED_C)
    assert kinds(move) == (loop.BATCH, 1, ["put_c", "put_d"])
    assert move["record"] == [("decision", {"step": "put_c", "choice": "retry", "error": "conflict", "answer": "1",
                                            "status": "running"})]


def test_skip_of_a_skippable_step_journals_it_and_goes_on_without_it():
    context = ctx(prompts=True)
    move = loop.after_answer(context, asked(context), "skip", FAILED_C)
    assert kinds(move) == (loop.BATCH, 1, ["put_d"])
    assert [event for event, _fields in move["record"]] == ["decision", "step_skipped"]
    failed_d = dict(FAILED_C, failed_step="put_d", not_run=[])
    context = ctx(prompts=True, skippable=["put_d"])
    question = loop.after_batch(context, batch_move(1, ["put_d"]), failed_d)
    last = loop.after_answer(context, question, "2", failed_d)
    assert last["kind"] == loop.ASK and last["question"]["kind"] == "checkpoint"  # the next segment's checkpoint
    assert last["segment"] == 2 and [e for e, _f in last["record"]] == ["decision", "step_skipped"]


def test_skip_of_a_step_that_is_not_skippable_is_asked_again_saying_why():
    context = ctx(prompts=True, skippable=[])
    move = loop.after_answer(context, asked(context), "2", FAILED_C)
    assert (move["kind"], move["question"]["asked"], move["question"]["note"]) == (
        loop.ASK, 1, "'2' is not one of the choices")


def test_rollback_and_pause_at_what_now():
    context = ctx(prompts=True)
    assert loop.after_answer(context, asked(context), "3", FAILED_C)["kind"] == loop.ROLLBACK
    paused = loop.after_answer(context, asked(context), "pause", FAILED_C)
    assert (paused["kind"], paused["outcome"], paused["by_person"]) == (loop.FINISH, "paused", True)


def test_no_valid_answer_after_max_asks_pauses():
    context = ctx(prompts=True)
    move = asked(context)
    for _ask in range(decide.MAX_ASKS):
        move = loop.after_answer(context, move, "later", FAILED_C)
    assert (move["kind"], move["outcome"]) == (loop.FINISH, "paused")
    assert "no valid answer after 5 tries" in move["note"]


def test_ctrl_c_at_what_now_pauses_and_journals_why():
    context = ctx(prompts=True)
    move = loop.after_answer(context, asked(context), None, FAILED_C)
    assert (move["kind"], move["outcome"], move["by_person"]) == (loop.FINISH, "paused", True)
    assert move["record"][0][1]["error"] == "interrupted_at_prompt"


def test_unexpected_output_accepted_goes_on_and_refused_asks_what_now():
    context = ctx(prompts=True)
    unexpected = {"completed": ["put_c"], "unexpected_step": "put_c", "not_run": ["put_d"]}
    move = loop.after_batch(context, batch_move(1, ["put_c", "put_d"]), unexpected)
    assert kinds(loop.after_answer(context, move, "yes", unexpected)) == (loop.BATCH, 1, ["put_d"])
    refused = loop.after_answer(context, move, "no", unexpected)
    assert (refused["kind"], refused["question"]["kind"]) == (loop.ASK, "failure")


def test_a_step_retried_too_often_pauses_instead_of_offering_more():
    context = ctx(prompts=True)
    for _retry in range(loop.MAX_RETRIES):
        assert loop.after_answer(context, asked(context), "retry", FAILED_C)["kind"] == loop.BATCH
    move = loop.after_answer(context, asked(context), "retry", FAILED_C)
    assert (move["kind"], move["outcome"]) == (loop.FINISH, "paused")


# -- rollback, rescue, bound -----------------------------------------------------------------------------------

def test_after_a_rollback_the_run_finishes():
    assert loop.after_rollback(ctx(), [])["outcome"] == "auto"
    assert loop.after_rollback(ctx(rollback_run=True), [])["outcome"] == "rollback"


@pytest.mark.parametrize("mode, on_failure, prompts, last, kind", [
    ("rollback", "abort", True, None, loop.ROLLBACK),  # a rollback run goes on rolling back
    ("run", "abort", True, "rollback", loop.ROLLBACK),  # the rollback chosen before it broke goes on
    ("run", "rollback", True, None, loop.ROLLBACK),
    ("run", "ask", False, None, loop.ROLLBACK),  # nobody to ask: rollback
    ("run", "ask", True, "retry", loop.FINISH),  # a person is there: left as it is, with the commands
    ("run", "abort", False, None, loop.FINISH),
])
def test_the_rescue_of_a_broken_run_task(mode, on_failure, prompts, last, kind):
    move = loop.after_break(mode, on_failure, prompts, last)
    assert move["kind"] == kind
    if kind == loop.FINISH:
        assert move["outcome"] == "interrupted"


def test_the_loop_has_a_finite_bound_that_leaves_room_for_every_question_and_retry():
    context = ctx()
    steps = sum(len(s["steps"]) for s in SEGMENTS)
    assert 2 * len(SEGMENTS) + steps * decide.MAX_ASKS * loop.MAX_RETRIES < loop.max_moves(context) < 10 ** 4
