# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wave's checkpoint: one question for every target of a batch, before a destructive step or a later phase.

Every target of the batch has run the segment before (the linear strategy synchronises hosts at each task),
so its journal says whether it is still going. Who is here and who is not comes from those journals, never
from another host's variables; the commands shown are those the first target here will send.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run import waves
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import target_run_id
from ansible_collections.coworker.aws.plugins.module_utils.run.finish import pass_outcome
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import done_steps, run_state
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import resolved_lines


def where_targets_are(backend, wave_id, keys, segment):
    """([targets still going with steps of ``segment`` left], [(target, why it is not going on)])."""
    here, gone = [], []
    for key in keys:
        events = backend.events(target_run_id(wave_id, key))
        ended = pass_outcome(events) if events else {"status": "not started"}
        if ended:
            gone.append((key, str(ended.get("status") or ended.get("outcome")).replace("_", " ")))
        elif set(segment["steps"]) - set(done_steps(run_state(events))):
            here.append(key)
    return here, gone


def question(loaded, segment, here, gone, resolved):
    """WAVE CHECKPOINT: where the wave stands and what comes next, ending with the question."""
    if segment["checkpoint"] == "destructive":
        lines = ["WAVE CHECKPOINT: the next step is DESTRUCTIVE, on %d targets:" % len(here)]
    else:
        lines = ['WAVE CHECKPOINT: phase %d "%s" starts, on %d targets:' % (
            segment["phase_index"] + 1, printable(segment["phase"]), len(here))]
    lines += ["  %s" % ", ".join(map(printable, here)),
              "every one of them has finished the steps before it. Next (as %s will send it; each target with its "
              "own account and region):" % printable(here[0])]
    lines += ["  %s: %s" % (step["id"], printable(resolved[step["id"]]["cli"]))
              for step in loaded["plan"]["steps"] if step["id"] in segment["steps"]]
    if gone:
        lines.append("Not going on (stopped earlier or not started in this batch): %s"
                     % ", ".join("%s (%s)" % (printable(key), why) for key, why in gone))
    return "\n".join(lines + ["Continue on all %d targets? (yes/no)" % len(here)]) + "\n"


def wave_checkpoint(backend, wave_id, loaded, index, keys, purpose, checkpoints, ask):
    """Ask the batch's question when one is due: ``{"asked": bool, "answer": text or ""}``."""
    segment = loaded["segments"][index]
    here, gone = where_targets_are(backend, wave_id, keys, segment)
    if not waves.checkpoint_due(segment, purpose, checkpoints, here):
        return {"asked": False, "answer": None}
    events = backend.events(target_run_id(wave_id, here[0]))
    state = run_state(events)
    target = dict(loaded, plan=dict(loaded["plan"], target=next(
        t for t in loaded["plan"]["targets"] if t["key"] == here[0])))
    resolved = resolved_lines(target["plan"], target_run_id(wave_id, here[0]), state,
                              (state["started"] or {}).get("profile"))
    answer = ask(question(loaded, segment, here, gone, resolved))
    return {"asked": True, "answer": answer or ""}
