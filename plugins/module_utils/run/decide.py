# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run does next, decided in one place.

The role only asks questions, includes task files and reports; every choice
of what comes next (after a batch, after an answer, at a checkpoint) and of
the status a run ends in is made here, where it can be unit-tested. A
decision is a plain dict:

``action``   continue | ask | retry | skip | rollback | pause | stop
``run_next`` the steps of the current segment to run now (retry, skip, continue)
``status``   the run's status if it ended with this decision (``running`` otherwise)
``outcome``  what run_journal op=finish is told (its ``outcome`` choices)
``choice``   what the journal records as the decision, or None when nothing was decided
``question`` failure | unexpected, when ``action`` is ask
``by_person`` the run stops because the person said so at a prompt
"""

from __future__ import annotations

FAILURE_MODES = ("ask", "rollback", "abort")
# What a person may type at "What now?"; "skip" only counts for a skippable step.
ANSWERS = {"1": "retry", "retry": "retry", "2": "skip", "skip": "skip", "3": "rollback",
           "rollback": "rollback", "4": "pause", "pause": "pause"}
# After this many answers that are not a choice, stop asking and leave everything as it is.
MAX_ASKS = 5


def _decision(action, status="running", outcome="auto", choice=None, run_next=(), **extra):
    decision = {"action": action, "status": status, "outcome": outcome, "choice": choice,
                "run_next": list(run_next), "question": None, "note": None, "step": None, "by_person": False}
    decision.update(extra)
    return decision


def effective_failure_mode(failure_mode, prompts):
    """Without a person to answer, "ask" cannot be honoured: roll back instead."""
    if failure_mode not in FAILURE_MODES:
        raise ValueError("on_failure must be one of %s, not %r" % (", ".join(FAILURE_MODES), failure_mode))
    return "rollback" if failure_mode == "ask" and not prompts else failure_mode


def batch_failure(batch, pending):
    """Why a batch did not complete, or None when it did.

    Completion needs positive evidence: every pending step in ``completed``.
    A result without it (an error of the plugin, a refusal) counts as a failure.
    """
    if batch.get("refused"):
        return "refused"
    if batch.get("interrupted"):
        return "interrupted"
    if batch.get("failed_step"):
        return "step"
    if batch.get("unexpected_step"):
        return None
    if set(pending) - set(batch.get("completed") or []):
        return "incomplete"
    return None


def after_batch(batch, pending, failure_mode, prompts, dry_run=False):
    """The decision once run_step has returned for ``pending``."""
    why = batch_failure(batch, pending)
    if why == "refused":
        return _decision("stop", "refused", "refused", choice="refused")
    if why == "interrupted":
        return _decision("stop", "aborted", "interrupted", choice="interrupted")
    if why == "incomplete":
        return _decision("stop", "failed", "auto", choice="abort", note=batch.get("msg") or "the batch did not run")
    if why == "step":
        return on_failure(batch["failed_step"], batch.get("not_run") or [], failure_mode, prompts)
    if batch.get("unexpected_step"):
        if dry_run:
            return _decision("continue", run_next=batch.get("not_run") or [])
        if prompts:
            return _decision("ask", question="unexpected", step=batch["unexpected_step"])
        return on_failure(batch["unexpected_step"], batch.get("not_run") or [], failure_mode, prompts)
    return _decision("continue")


def on_failure(step, not_run, failure_mode, prompts):
    """A step failed (or gave output the person did not accept): follow the failure mode."""
    mode = effective_failure_mode(failure_mode, prompts)
    if mode == "ask":
        return _decision("ask", question="failure", step=step)
    if mode == "rollback":
        return _decision("rollback", "rolled_back", choice="rollback", step=step)
    return _decision("stop", "failed", choice="abort", step=step, not_run=not_run)


def after_answer(question, answer, step, not_run, skippable, asked):
    """The decision once the person answered ``question`` (the ``asked``-th time)."""
    typed = (answer or "").strip().lower()
    if question == "unexpected":
        if typed == "yes":
            return _decision("continue", run_next=not_run, choice="continue", step=step)
        return _decision("ask", question="failure", step=step)
    choice = ANSWERS.get(typed)
    if choice == "skip" and not skippable:
        choice = None
    if choice is None:
        if asked >= MAX_ASKS:  # someone who cannot answer is not asked forever; nothing more changes
            return _decision("pause", "partial", "paused", choice="pause", step=step, by_person=True,
                             note="no valid answer after %d tries: paused" % asked)
        return _decision("ask", question="failure", step=step,
                         note="%r is not one of the choices" % (answer or "").strip())
    if choice == "retry":
        return _decision("retry", run_next=[step] + list(not_run), choice="retry", step=step)
    if choice == "skip":
        return _decision("skip", run_next=not_run, choice="skip", step=step)
    if choice == "rollback":
        return _decision("rollback", "rolled_back", choice="rollback", step=step)
    return _decision("pause", "partial", "paused", choice="pause", step=step, by_person=True)


def failure_choices(skippable):
    """The options offered at "What now?", in the order shown."""
    options = [("1", "retry")]
    if skippable:
        options.append(("2", "skip and continue"))
    return options + [("3", "roll back completed steps"), ("4", "pause (leave everything as it is)")]


def at_checkpoint(answer):
    """Only "yes" passes a checkpoint; anything else stops the run before the next step."""
    if (answer or "").strip().lower() == "yes":
        return _decision("continue")
    return _decision("stop", "aborted", "aborted", choice="stop_at_checkpoint", by_person=True)


def finish_outcome(outcome, skipped):
    """The outcome run_journal op=finish reports with: a plan with a skipped step did not complete.

    (``paused`` is the outcome the report maps to ``partial``.)
    """
    if outcome == "auto" and skipped:
        return "paused"
    return outcome


def ends_in_error(status, rollback_run=False, would_fail=(), warn_only=False):
    """Whether ansible-playbook must exit non-zero (a failed task) for a run that ended in ``status``.

    Only a completed run ends cleanly: for a rollback run, everything rolled back; for a dry
    run, nothing predicted certain to fail (or ``warn_only``). Every other end (declined,
    paused, stopped at a checkpoint, failed, refused, rolled back after a failure, a skipped
    step) fails the play, so that ``... && next-step`` never goes on after a plan that did not
    run or stopped half-way; its closing line says which end it was.
    """
    if status == "dry_run":
        return bool(would_fail) and not warn_only
    return status != ("rolled_back" if rollback_run else "succeeded")


ENDINGS = {"succeeded": "completed", "dry_run": "dry run: nothing was changed", "rolled_back": "rolled back",
           "partial": "stopped part-way", "failed": "failed", "aborted": "stopped", "refused": "refused",
           "not_approved": "not approved: nothing was changed"}


def summary_line(report, rollback_run=False):
    """The one line a run ends with, whatever the callback."""
    skipped = [s["id"] for s in report.get("steps", []) if s["status"] == "skipped"]
    line = "Run %s %s: %s — %d of %d steps completed" % (
        report["run_id"], "(rollback)" if rollback_run else "", report["status"].upper().replace("_", " "),
        report["steps_completed"], report["steps_total"])
    line = line.replace(" :", ":")
    if skipped:
        line += ", skipped: %s" % ", ".join(skipped)
    if report.get("would_fail"):
        line += ", a real run would fail at: %s" % ", ".join(report["would_fail"])
    refused = (report.get("rollback") or {}).get("not_ours")
    if refused:  # a journal that names what this run did not make is worth a look, whatever the status
        line += "; %d undo call%s not sent: not made by this run (see the report)" % (
            len(refused), "" if len(refused) == 1 else "s")
    return "%s (%s)" % (line, ENDINGS.get(report["status"], report["status"]))
