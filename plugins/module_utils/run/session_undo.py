# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run session's rollback: the drift table first, then the undo of what the run changed, last first, and the sweep.

Mixed into ``RunSession`` (run/executor.py), which verifies and holds the journal and the step runner. The undo
of one step is the runner's (run/undo.py); here is the order: reverse plan order one at a time, or with
``max_concurrency`` above 1 reverse dependency order a phase at a time, independent undos together
(run/together.py). A step ``undone_by`` an earlier one is recorded right after that one's rollback.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.run import drift
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import steps_to_roll_back
from ansible_collections.coworker.aws.plugins.module_utils.run.progress import rollback_line, sweep_line
from ansible_collections.coworker.aws.plugins.module_utils.run.together import phases_of, undo_order


class SessionUndo:
    """Needs the RunSession's state, select, _follow, loaded, policies, runner, journal, say, total, params, check_mode,
    changed, _limit, graph, _together (which serializes say and the journal) and _check_alive."""

    def rollback(self, step_ids=None):
        """Undo ``step_ids`` (None: every step the journal shows as changed and not undone), last first; a step
        ``undone_by`` another is undone with that one's rollback (run/undo.py); then what still carries the run's
        tag is swept (run/sweep.py). Only what the run made, as the run left it, is touched."""
        state = self.state()
        self._follow(state)
        steps = self.select(steps_to_roll_back(state) if step_ids is None else step_ids)
        self.policies.before_rollback(steps, self.runner.context)  # the guardrails judge the rollback calls too
        return self.undo(steps, state["steps"])

    def undo(self, steps, state_steps):
        """The rollback calls of ``steps`` (last first), then the sweep; the batch's outcome."""
        records = self._undo(steps)
        swept = [] if self.check_mode else self.runner.sweep(self.loaded["plan"]["steps"], {s["id"] for s in steps},
                                                             state_steps)
        for found in swept:
            self.say(sweep_line(found))
        manual = [r["manual"] for r in records if r.get("manual")] + [_left_line(s) for s in swept
                                                                      if s["status"] == "left"]
        changed = any(c["status"] == "done" for r in records + swept for c in r.get("calls", []))
        self.changed = self.changed or changed
        return {"results": [], "completed": [], "failed_step": None, "unexpected_step": None,
                "rollback": records, "swept": swept, "manual_cleanup": manual, "changed": changed}

    def _undo(self, steps):
        """Last first: in reverse plan order, or with max_concurrency above 1 in reverse dependency order, the
        independent undos at the same time (run/together.py). A step ``undone_by`` an earlier one is recorded
        right after that one's rollback, or at the end when that was undone, or not, before this pass."""
        records, waiting = [], {}
        for step in reversed(steps):
            if step.get("undone_by"):
                waiting.setdefault(step["undone_by"], []).append(step)
        own = [s for s in reversed(steps) if not s.get("undone_by")]

        def ended(result):
            records.append(result)
            self.say(rollback_line(result, self.total))
            for covered in waiting.pop(result["id"], []):
                records.append(self.runner.rollback_with(covered, result))
                self.say(rollback_line(records[-1], self.total))
            return False  # an undo that fails does not stop the others

        limit = self._limit()
        if limit > 1 and len(own) > 1:
            for phase in phases_of(own):  # the last phase first; in each, what depends on a step before it
                self._together(phase, undo_order(phase, self.graph()), limit, self._check_alive, ended,
                               lambda runner, step: runner.rollback(step))
        else:
            for step in own:
                self._check_alive(step)
                ended(self.runner.rollback(step))
        for covered in [s for group in waiting.values() for s in group]:
            ended(self.runner.rollback_with(covered))
        return records

    def drift(self, step_ids=None):
        """The drift table of the steps a rollback would undo (read-only): each resource of an earlier pass as
        it is now against what the run left, and what others made inside it. Journaled; ``needs_consent``
        says whether a person (or accept_drift) must accept it before the undo."""
        state = self.state()
        self._follow(state)
        steps = self.select(steps_to_roll_back(state) if step_ids is None else step_ids)
        runner = self.runner
        rows, dependents, undone_first = [], [], set()
        for step in reversed(steps):
            if step["id"] in runner.past.steps:
                row = runner.drift_row(step)
                if row["drift"] == drift.CHANGED and runner.names(step) & undone_first:
                    row["drift"] = drift.LATER  # its undo comes after theirs: the change may be theirs
                rows.append(row)
                dependents += runner.dependents(step)
            undone_first |= runner.names(step)
        consent = drift.needs_consent(rows, dependents)
        self.journal.append("drift_checked", rows=rows, dependents=dependents, needs_consent=consent,
                            accepted=bool(self.params.get("accept_drift")))
        return {"rows": rows, "dependents": dependents, "needs_consent": consent,
                "lines": drift.table_lines(rows, dependents) if rows else []}


def _left_line(swept):
    """A resource the sweep found carrying the run's tag and left, for the manual clean-up list."""
    reason = swept.get("reason") or "; ".join(c.get("error") or c.get("reason") or "" for c in swept.get("calls", [])
                                              if c["status"] in ("failed", "left"))
    return "%s: %s carries this run's tags and was left: %s" % (swept["step"], swept["resource"], reason)


def drifted(session, step_ids=None):
    """A drift check as a task result: refused (failed) when the table needs consent and accept_drift is not set."""
    table = session.drift(step_ids)
    outcome = {"results": [], "completed": [], "failed_step": None, "unexpected_step": None, "changed": False,
               "drift": table}
    if table["needs_consent"] and not session.params.get("accept_drift"):  # the rows are in the journal
        outcome.update(failed=True, refused=True, msg="\n".join(table["lines"] + [drift.REFUSAL % session.run_id]))
    return outcome
