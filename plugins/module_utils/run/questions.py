# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text of every question a run asks a person, built from plain data (no Jinja, control characters escaped).

The loop (run/loop.py) decides when a question is asked; these functions say what it shows: the
commands with every value the journal already holds (run/resolved.py), what a rollback would undo,
and the choices that count as an answer.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run import decide
from ansible_collections.coworker.aws.plugins.module_utils.run.leftovers import undone_with

APPROVAL = "Do you approve execution? (yes/no)"


def checkpoint(question, segment, steps, resolved):
    """CHECKPOINT before a destructive step or a new phase, with each command as it will be sent."""
    if question["reason"] == "destructive":
        lines = ["CHECKPOINT: the next step is DESTRUCTIVE:"]
    else:
        lines = ['CHECKPOINT: phase %d "%s" starts with:' % (segment["phase_index"] + 1, printable(segment["phase"]))]
    for step in steps:
        if step["id"] in question["steps"]:
            lines.append("  %s: %s" % (step["id"], printable(resolved[step["id"]]["cli"])))
    return "\n".join(lines + ["Continue? (yes/no)"]) + "\n"


def undo_lines(resolved, left):
    """What "roll back" would undo now, last step first, each with its resolved rollback calls."""
    lines = []
    for step_id in reversed([sid for sid in resolved if sid in left]):
        calls = resolved[step_id]["rollback"] or [undone_with(resolved[step_id].get("undone_by"))]
        lines += ["       undo %s: %s" % (step_id, printable(call)) for call in calls]
    return lines


def failure(question, batch, undo=()):
    """"Step X failed. What now?" with its choices, or the unexpected output to accept."""
    lines = ["%s — please choose again." % printable(question["note"])] if question.get("note") else []
    if question["kind"] == "unexpected":
        unexpected = ((batch.get("results") or [{}])[-1]).get("unexpected") or []
        lines.append("CHECKPOINT: step %s returned unexpected output:" % question["step"])
        return "\n".join(lines + ["  - %s" % printable(item) for item in unexpected]
                         + ["Continue with the next steps? (yes/no)"]) + "\n"
    options = decide.failure_choices(question.get("skippable", False))
    lines.append("Step %s failed. What now?" % question["step"])
    for key, label in options:
        lines.append("  %s %s" % (key, label))
        lines += list(undo) if key == "3" else []
    keys = [key for key, _label in options]
    lines.append("Choose %s or %s" % (", ".join(keys[:-1]), keys[-1]))
    return "\n".join(lines) + "\n"
