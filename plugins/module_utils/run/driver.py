# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Run task's loop: make the move run/loop.py chose, journal it, ask for the next one, within a bound.

Impure on purpose and nothing else: every choice is made by ``loop``; the session (run/executor.py)
sends the calls; ``ask`` puts a question to the person (plugin_utils/prompts.py) and returns the
answer, or None when they pressed Ctrl-C; ``say`` prints a line. The journal reaches the disk before
every question, and after an answer that lets the run go on, the guard verifies the credentials
again before anything else is sent: a question may wait for minutes, and the profile's credentials
may point to another account by then (the run is refused, having sent nothing with them).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run import loop, questions, screens
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import steps_to_roll_back
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import resolved_lines


def _direct(work):
    return work()


class Driver:
    """One Run task: ``session`` is open (verified), ``ctx`` is the loop's context."""

    def __init__(self, session, ctx, ask, say, protect=_direct):
        self.session = session
        self.ctx = ctx
        self.ask = ask
        self.say = say
        self.protect = protect  # runs a batch under the stop-signal handlers (the action's run_interruptibly)
        self.batch = {}
        self.changed = False

    def run(self, checkpoint_answer=None, first=None):
        """Moves until the loop says finish (or its bound is reached); the end is journaled (``outcome``, which
        Finish reads) and returned as a dict. ``first``: the move to begin with (the rescue's), else the loop's."""
        move = first or loop.first_move(self.ctx, checkpoint_answer)
        for _move in range(loop.max_moves(self.ctx)):
            self._record(move)
            if move["kind"] == loop.FINISH:
                break
            move = self._make(move)
        else:
            move = loop.finish("paused", by_person=False, note="the run reached its bound of %d moves: paused"
                               % loop.max_moves(self.ctx))
            self._record(move)
        end = {key: move[key] for key in ("outcome", "by_person", "note", "status", "final")}
        self.session.journal.append("outcome", **end)
        self.session.commit()
        # the report says what the journal says before the task returns: a signal between this task and Finish
        # leaves a report of the whole run, not the one written when it started
        self.session.refresh_report()
        return dict(end, changed=self.changed or self.session.changed)

    def _record(self, move):
        for event, fields in move["record"]:
            self.session.journal.append(event, **fields)

    def _make(self, move):
        if move["kind"] == loop.BATCH:
            return self._batch(move)
        if move["kind"] == loop.ASK:
            return self._question(move)
        return self._rollback()

    def _refused(self, move, exc):
        """The guard refused (a step, or the credentials after a question): said once, journaled, the end."""
        self.say("REFUSED: %s" % printable(str(exc), multiline=True))
        identity = getattr(exc, "identity", None) or {}
        self.session.journal.append("refused", reason=str(exc), steps=move["steps"], account=identity.get("account"),
                                    arn=identity.get("arn"))
        return loop.after_batch(self.ctx, move, {"refused": True, "msg": str(exc), "completed": []})

    def _batch(self, move):
        try:
            self.batch = self.protect(lambda: self.session.batch(move["steps"]))
        except GuardRefusal as exc:  # a step the perimeter or a guardrail refused: nothing more is sent
            return self._refused(move, exc)
        for line in screens.batch_lines(self.batch):
            self.say(line)
        return loop.after_batch(self.ctx, move, self.batch)

    def _rollback(self):
        outcome = self.protect(self.session.rollback)
        for line in screens.rollback_lines(outcome["rollback"]):
            self.say(line)
        self.changed = self.changed or outcome["changed"]
        return loop.after_rollback(self.ctx, outcome["rollback"])

    def _question(self, move):
        text = self._text(move)
        self.session.commit()  # what the run did is on the disk before it waits for a person,
        self.session.refresh_report()  # and its report says so
        answer = self.ask(text)
        after = loop.after_answer(self.ctx, move, answer, self.batch)
        if after["kind"] in (loop.BATCH, loop.ROLLBACK):
            try:
                self.session.reverify()
            except GuardRefusal as exc:
                self._record(after)  # the answer is journaled, then the refusal that ends the run
                return self._refused(after, exc)
        return after

    def _text(self, move):
        question = move["question"]
        session = self.session
        state = session.state()
        plan = session.loaded["plan"]
        resolved = resolved_lines(plan, session.run_id, state, (state["started"] or {}).get("profile"))
        if question["kind"] == "checkpoint":
            return questions.checkpoint(question, self.ctx.segments[move["segment"]], plan["steps"], resolved)
        undo = questions.undo_lines(resolved, set(steps_to_roll_back(state)))
        return questions.failure(question, self.batch, undo)
