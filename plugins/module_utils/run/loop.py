# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run does next, after each batch of steps and after each answer: one move at a time.

The role's Run task (``run_step mode=run``) drives a bounded loop (run/driver.py); every
choice it makes comes from a function here, which only looks at its arguments:

``first_move``     where a run (a new one, a resume, a rollback run, one segment of a wave) begins
``after_batch``    once a batch of steps has run (wraps ``decide.after_batch``)
``after_answer``   once the person answered a question (``decide.after_answer`` / ``at_checkpoint``)
``after_rollback`` once the completed steps were rolled back
``after_break``    the Run task broke (an exception, a killed worker): what its rescue does
``max_moves``      the loop's bound, so that no answer or retry can keep a run going forever

A move is a plain dict:

``kind``     batch | ask | rollback | finish
``segment``  the index of the segment it belongs to (batch, ask at a checkpoint)
``steps``    batch: the steps to run now, in plan order
``question`` ask: ``{"kind": checkpoint|failure|unexpected, "step", "not_run", "asked", "note"}``
``outcome``  finish: what run_journal op=finish is told (``decide`` outcomes; ``rollback`` for a rollback run)
``status``   finish: the run's status in a word (``decide``'s: succeeded, failed, rolled_back, aborted, ...)
``final``    finish: the run's pass ends here (False: only this task's segments are done, a wave goes on)
``by_person`` finish: the run stops because a person said so at a prompt
``record``   events the driver journals before it makes the move (``[(event, fields)]``)
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.run import decide

BATCH, ASK, ROLLBACK, FINISH = "batch", "ask", "rollback", "finish"
# Person-chosen retries of one step before the loop stops offering to try again (it pauses instead).
MAX_RETRIES = 10


class Context:
    """What the loop decides with: the plan's segments and how the run was asked to behave.

    ``done`` is the set of steps that need not run again (succeeded or skipped before this task, and
    those this task completed); the driver adds to it after each batch.
    """

    def __init__(self, segments, done=(), prompts=False, dry_run=False, on_failure="ask", rollback_run=False,
                 skippable=(), only=None):
        self.segments = segments
        self.done = set(done)
        self.prompts = prompts
        self.dry_run = dry_run
        self.on_failure = decide.effective_failure_mode(on_failure, prompts)
        self.rollback_run = rollback_run
        self.skippable = set(skippable)
        self.only = None if only is None else set(only)  # a wave runs one segment per task
        self.retries = {}


def move(kind, **fields):
    base = {"kind": kind, "segment": None, "steps": [], "question": None, "outcome": "auto", "by_person": False,
            "record": [], "note": None, "status": None, "final": True}
    base.update(fields)
    return base


def finish(outcome="auto", by_person=False, record=(), note=None, status="partial", final=True):
    return move(FINISH, outcome=outcome, by_person=by_person, record=list(record), note=note, status=status,
                final=final)


def _pending(ctx, segment):
    return [step for step in segment["steps"] if step not in ctx.done]


def _checkpoint_due(ctx, segment):
    """A person is asked before a destructive segment and before each later phase (the first segment's
    phase is the one approved just before), never in a dry run."""
    return ctx.prompts and not ctx.dry_run and (segment["checkpoint"] == "destructive" or segment["index"] > 0)


def next_segment(ctx, start, record=()):
    """The first segment from ``start`` on that has steps left: its checkpoint, or its batch."""
    for segment in ctx.segments[start:]:
        if ctx.only is not None and segment["index"] not in ctx.only:
            continue
        pending = _pending(ctx, segment)
        if not pending:
            continue
        if _checkpoint_due(ctx, segment):
            question = {"kind": "checkpoint", "segment": segment["index"], "reason": segment["checkpoint"],
                        "steps": pending, "asked": 0, "note": None}
            return move(ASK, segment=segment["index"], question=question, record=list(record))
        return move(BATCH, segment=segment["index"], steps=pending, record=list(record))
    left = any(_pending(ctx, segment) for segment in ctx.segments[start:])
    return finish(record=record, status="running" if left else "succeeded", final=not left)


def first_move(ctx, checkpoint_answer=None):
    """Where the loop begins. ``checkpoint_answer``: a wave's answer to the checkpoint it asked for every target
    before this task (None: no wave checkpoint was held)."""
    if ctx.rollback_run:
        return move(ROLLBACK, outcome="rollback")
    start = next_segment(ctx, 0)
    if checkpoint_answer is None or start["kind"] == FINISH:
        return start
    return _at_checkpoint(ctx, start["segment"], checkpoint_answer, wave=True)


def _at_checkpoint(ctx, index, answer, wave=False):
    decision = decide.at_checkpoint(answer)
    segment = ctx.segments[index]
    record = [("checkpoint", dict({"answer": answer, "segment": index, "reason": segment["checkpoint"]},
                                  **({"wave": True} if wave else {})))]
    if decision["action"] != "continue":
        return finish(decision["outcome"], by_person=True, record=record, status=decision["status"])
    return move(BATCH, segment=index, steps=_pending(ctx, segment), record=record)


def _failure_record(batch, decision, answer=None):
    error = (batch.get("error") or {}).get("kind") or ("unexpected_output" if batch.get("unexpected_step")
                                                       else "unknown")
    return [("decision", {"step": decision["step"], "choice": decision["choice"], "error": error,
                          "answer": answer, "status": decision["status"]})]


def _from_decision(ctx, current, decision, batch, answer=None, asked=0):
    """A ``decide`` decision as the loop's next move."""
    action = decision["action"]
    record = _failure_record(batch, decision, answer) if decision["choice"] else []
    if action == "ask":
        question = {"kind": decision["question"], "step": decision["step"], "asked": asked,
                    "not_run": list(batch.get("not_run") or []), "note": decision.get("note"),
                    "skippable": decision["step"] in ctx.skippable}
        return move(ASK, segment=current, question=question, record=record)
    if action == "rollback":
        return move(ROLLBACK, segment=current, record=record)
    if action in ("stop", "pause"):
        return finish(decision["outcome"], by_person=decision["by_person"], record=record, note=decision.get("note"),
                      status=decision["status"])
    if action == "skip":
        record.append(("step_skipped", {"step": decision["step"]}))
        ctx.done.add(decision["step"])
    if action == "retry":
        ctx.retries[decision["step"]] = ctx.retries.get(decision["step"], 0) + 1
        if ctx.retries[decision["step"]] > MAX_RETRIES:
            return finish("paused", by_person=True, record=record,
                          note="step %s was retried %d times: paused" % (decision["step"], MAX_RETRIES))
    steps = [s for s in decision["run_next"] if s not in ctx.done]
    if steps:
        return move(BATCH, segment=current, steps=steps, record=record)
    return next_segment(ctx, current + 1, record)


def after_batch(ctx, current, batch):
    """The move once ``current`` (a batch move) has run and returned ``batch`` (run_step's result)."""
    ctx.done.update(batch.get("completed") or [])
    decision = decide.after_batch(batch, current["steps"], ctx.on_failure, ctx.prompts, ctx.dry_run)
    return _from_decision(ctx, current["segment"], decision, batch)


def after_answer(ctx, current, answer, batch=None):
    """The move once the person answered ``current``'s question (None: they pressed Ctrl-C, then A or C)."""
    question = current["question"]
    if answer is None:
        return _interrupted_at(ctx, current)
    if question["kind"] == "checkpoint":
        return _at_checkpoint(ctx, current["segment"], answer)
    asked = question["asked"] + 1
    decision = decide.after_answer(question["kind"], answer, question["step"], question["not_run"],
                                   question.get("skippable", False), asked)
    return _from_decision(ctx, current["segment"], decision, batch or {}, answer=answer, asked=asked)


def _interrupted_at(ctx, current):
    """Ctrl-C at a question: the run stops there as the person chose, everything left as it is."""
    question = current["question"]
    if question["kind"] == "checkpoint":
        return _at_checkpoint(ctx, current["segment"], "")
    record = [("decision", {"step": question["step"], "choice": "pause", "error": "interrupted_at_prompt",
                            "answer": None, "status": "partial"})]
    return finish("paused", by_person=True, record=record, note="interrupted at the question: paused")


def after_rollback(ctx, records):
    """The rollback has run (``records``: one per step undone); the run ends."""
    del records  # the report reads what each undo did from the journal
    return finish("rollback" if ctx.rollback_run else "auto", status="rolled_back")


def after_break(mode, on_failure, prompts, last_choice):
    """The Run task broke (its result is a failure, not an outcome): roll back, or leave everything as it is.

    A rollback run goes on rolling back; a rollback the person (or on_failure) had already chosen goes on;
    a run whose failure mode is rollback is rolled back (on_failure=ask without a person is rollback too).
    Otherwise nothing more is sent: the closing line gives the resume and rollback commands.
    """
    if mode == "rollback" or last_choice == "rollback":
        return move(ROLLBACK, outcome="rollback" if mode == "rollback" else "auto")
    if decide.effective_failure_mode(on_failure, prompts) == "rollback":
        return move(ROLLBACK, record=[("decision", {"step": None, "choice": "rollback", "error": "interrupted",
                                                    "answer": None, "status": "rolled_back"})])
    return finish("interrupted", status="aborted")


def max_moves(ctx):
    """The loop's bound: a checkpoint and a batch per segment, and for each step its questions and retries."""
    steps = sum(len(segment["steps"]) for segment in ctx.segments)
    return 2 * len(ctx.segments) + steps * (decide.MAX_ASKS + 2) * (MAX_RETRIES + 1) + 4
