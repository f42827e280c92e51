# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a wave decides, in one place: which targets it runs, whether the next target may start, which targets
all-or-nothing undoes, whether to hold a checkpoint, and how the wave ended.

Plain functions over the inventory's names, the plan and the wave's rows (run/aggregate.py), each
unit-tested like run/decide.py. playbooks/execute_targets.yml only selects targets and runs the role per
target; every choice it needs comes from here, through the wave_report plugin.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import DONE, ROLLED_BACK

GROUP = "coworker_wave_targets"
TARGETS_SOURCE = re.compile(r"[.]coworker_targets[.]ya?ml$")
REFUSED = "refused, nothing was changed"


def inventory_targets(groups, play_hosts, sources):
    """(the inventory's target hosts, those this run selects). An inventory of plan targets that added no host
    (it failed to parse), or one of which this run selects none (--limit), is refused."""
    inventory = list(groups.get(GROUP) or [])
    parsed = [s for s in sources or [] if TARGETS_SOURCE.search(str(s))]
    if not inventory and parsed:
        raise RunError("the inventory source %s added no target (it failed to parse: see the warning above); %s"
                       % (", ".join(map(str, parsed)), REFUSED))
    selected = [host for host in inventory if host in set(play_hosts)]
    if inventory and not selected:
        raise RunError("the inventory has %d targets in group %s and this run selects none of them (see --limit); %s"
                       % (len(inventory), GROUP, REFUSED))
    return inventory, selected


def check_inventory(loaded, selected, built_from):
    """The selected hosts are targets of this plan, and an inventory built from a plan was built from this one
    (``built_from``: the digest the plan_targets inventory recorded, None for a user's own inventory)."""
    keys = [t["key"] for t in loaded["plan"]["targets"]]
    unknown = [host for host in selected if host not in keys]
    if unknown:
        raise RunError("the inventory selects %s, not %s of plan %s (%s; its targets: %s); %s" % (
            ", ".join(map(printable, unknown)), "a target" if len(unknown) == 1 else "targets", loaded["plan"]["id"],
            loaded["path"], ", ".join(keys), REFUSED))
    if built_from and built_from != loaded["sha256"]:
        raise RunError("the inventory was built from the plan with digest %s, but the plan run has digest %s: update "
                       "the inventory source; %s" % (built_from, loaded["sha256"], REFUSED))


def wave_keys(loaded, found_rows, inventory, selected):
    """The targets of this pass: a reopened wave's own, else those the inventory selects, else every target."""
    if found_rows is not None:
        return [row["target"] for row in found_rows]
    keys = [t["key"] for t in loaded["plan"]["targets"]]
    return [key for key in keys if key in set(selected)] if inventory else keys


def stopped_by_person(rows, baseline=None):
    """A person answered something other than yes at a wave checkpoint of this pass: a target's stop counts once
    its run gained a pass since ``baseline`` ({target: passes when the wave's pass began}); the stop that a resume
    of the wave goes on from does not stop it again."""
    baseline = baseline or {}
    return any(row.get("stopped_by_person") and len(row.get("history") or [None]) > baseline.get(row.get("target"), 0)
               for row in rows)


def may_start(row, rollup, purpose, max_errors, stopped):
    """Whether one more target starts: not when this pass has nothing for it, not after more than
    ``max_errors`` targets failed in this pass or a person stopped the wave (a rollback goes on through
    every target: each one left as it was is one more to clean up by hand)."""
    if row["next"] == "skip":
        return False
    if purpose == "rollback":
        return True
    return rollup["failed_in_pass"] <= max_errors and not stopped


def undo_due(row, rollup, purpose, all_or_nothing):
    """All or nothing: once a target failed, every target already done is rolled back."""
    return bool(all_or_nothing) and purpose != "rollback" and rollup["failed"] > 0 and row["status"] in DONE


def checkpoint_due(segment, purpose, checkpoints, here):
    """One question for every target of the batch: before a destructive step or a later phase, when a person
    approved the wave, on a pass that runs steps, and while some target of the batch is still going."""
    return bool(checkpoints and purpose != "rollback" and here
                and (segment["checkpoint"] == "destructive" or segment["index"] > 0))


def verdict(rollup, purpose, stopped, commands, check_mode=False):
    """How the wave ended: ``ok`` (every target done, or for a rollback every one rolled back or never started)
    and the lines to print before the one closing message."""
    ok = rollup["status"] == (ROLLED_BACK if purpose == "rollback" else "succeeded")
    lines = []
    if not ok and purpose != "rollback" and not check_mode:
        lines.append("Stopped at the wave checkpoint, as you chose: nothing after it ran on any target."
                     if stopped and rollup["status"] == "stopped" else "The wave did not complete.")
        lines += ["Resume:    %s" % commands["resume"], "Roll back: %s" % commands["rollback"]]
    return ok, lines
