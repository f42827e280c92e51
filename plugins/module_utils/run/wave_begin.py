# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first play of a wave: which targets, every target verified, one approval, the pass begun.

Before any target changes anything: the inventory's selection is checked against the plan (run/waves.py),
every target of the plan is verified with its own credentials (the guard sequence, one refusal refuses the
whole wave), and one approval covers every target: a typed yes (then a person is there to answer the
wave's checkpoints) or the plan's digest as a token. The pass is then begun (the wave's report and its copy of
the approved plan exist from before any target starts, so a wave killed at any moment can be rolled back).
"""

from __future__ import annotations

import os
import time

from ansible_collections.coworker.aws.plugins.module_utils.errors import RunError
from ansible_collections.coworker.aws.plugins.module_utils.guard.verification import verify_environment
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import token_matches
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run import waves
from ansible_collections.coworker.aws.plugins.module_utils.run.aggregate import (
    FIRST, begin_pass, plan_copy_path, read_pass, store_plan, wave_report, wave_targets)

QUESTIONS = {"run": "execution", "resume": "resuming wave %s", "rollback": "rolling back wave %s"}


def reopened_plan(backend, wave_id):
    """A reopened wave's own copy of the plan it ran (from any directory or machine); refused if it is missing
    or its digest is not the wave's."""
    first = read_pass(backend, wave_id)
    if first is None:
        raise RunError("no wave %r in %s; nothing was changed" % (wave_id, backend.location("waves")))
    path = plan_copy_path(backend, wave_id, first)
    loaded = load_plan(path, None, render=False)
    if loaded["sha256"] != first["sha256"]:
        raise RunError("refused: the copy %s of the plan of wave %s does not have the wave's digest (now %s, the "
                       "wave ran %s); nothing was changed" % (path, wave_id, loaded["sha256"][:12], first["sha256"][:12]))
    return loaded


def _verify_every_target(loaded, args, say):
    """Each target with its own credentials (its profile, or its role assumed from it); all refusals at once."""
    refusals = []
    for target in loaded["plan"]["targets"]:
        verdict = verify_environment({"plan": loaded["path"], "target": target["key"], "fail_on_refusal": False,
                                      "profile": args["profile"] or target.get("profile"),
                                      "environments_file": args["environments_file"]})
        if verdict.get("allowed"):
            say("  %s: %s, account %s verified" % (target["key"], verdict["environment"],
                                                   verdict["identity"]["account"]))
        else:
            refusals.append("%s: %s" % (target["key"], verdict.get("refusal") or verdict.get("msg")))
    if refusals:
        raise RunError("one target refused refuses the whole wave; nothing was changed in any target:\n%s"
                       % "\n".join(map(printable, refusals)))


def _approved(loaded, args, keys, wave_id, ask, check_mode):
    """(token, a person typed yes): the digest every target's run is approved with."""
    if check_mode:
        return loaded["sha256"], False
    if args["approve"]:
        if not token_matches(args["approve"], loaded["sha256"]):
            raise RunError("the approval token does not match the plan digest %s — no changes made in any target"
                           % loaded["sha256"][:12])
        return args["approve"], False
    total = len(loaded["plan"]["targets"])
    what = QUESTIONS[args["purpose"]] % wave_id if "%s" in QUESTIONS[args["purpose"]] else QUESTIONS[args["purpose"]]
    question = "Do you approve %s of %s on %d targets%s? (yes/no)" % (
        what, loaded["plan"]["id"], len(keys), "" if len(keys) == total else " (of its %d)" % total)
    answer = ask(question) if ask else None
    if (answer or "").strip().lower() != "yes":
        raise RunError("not approved — no changes made in any target")
    return loaded["sha256"], True


def new_wave_id(plan_id):
    return "%s-%s-%s" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), plan_id, os.urandom(3).hex())


def begin_wave(backend, args, task_vars, ask, say, check_mode):
    """Everything the first play decides; returns what add_host and the later plays need."""
    inventory, selected = waves.inventory_targets(task_vars.get("groups") or {},
                                                  task_vars.get("ansible_play_hosts_all") or [],
                                                  task_vars.get("ansible_inventory_sources") or [])
    source = (task_vars.get("hostvars") or {}).get(inventory[0], {}) if inventory else {}
    reopen, purpose = args["wave_id"] if args["purpose"] != "run" else None, args["purpose"]
    found = None
    if reopen:
        loaded = reopened_plan(backend, reopen)
        found = wave_report(backend, reopen, loaded, write=False, selected=selected if inventory else None)["rows"]
    else:
        plan = args["plan"] or source.get("coworker_wave_plan_file")
        if not plan:
            raise RunError("give the plan: -e plan=<path|id|last> (or an inventory of its targets); %s" % waves.REFUSED)
        loaded = load_plan(plan, args["plans_dir"])
    waves.check_inventory(loaded, selected, source.get("coworker_wave_plan_sha256"))
    keys = waves.wave_keys(loaded, found, inventory, selected)
    plan = loaded["plan"]
    say("PLAN %s (%s), digest %s" % (printable(plan["name"]), plan["id"], loaded["sha256"]))
    step_ids = ", ".join(s["id"] for s in plan["steps"])
    say("%d targets, %d steps each: %s" % (len(plan["targets"]), len(plan["steps"]), step_ids))
    say("This wave: %d of them%s: %s" % (len(keys), " (selected in the inventory; every target of the plan is "
                                         "verified)" if inventory else "", ", ".join(keys)))
    _verify_every_target(loaded, args, say)
    wave_id = reopen or args["new_wave_id"] or new_wave_id(plan["id"])
    token, typed = _approved(loaded, args, keys, wave_id, ask, check_mode)
    name = begin_pass(backend, wave_id, purpose)
    copy_key = None
    if name == FIRST:  # a new wave keeps the bytes shown and approved; every target runs from them
        wave_targets(loaded, None, selected if inventory else None)  # a bad selection is refused before anything
        copy_key = store_plan(backend, wave_id, loaded["path"], loaded["sha256"])
    report = wave_report(backend, wave_id, loaded, report_name=name, purpose=purpose,
                         all_or_nothing=args["all_or_nothing"], plan_copy_key=copy_key,
                         selected=selected if inventory else None)
    return {"wave_id": wave_id, "purpose": purpose, "report_name": name, "token": token, "checkpoints": typed,
            "plan_path": plan_copy_path(backend, wave_id, report) if report["plan_copy_key"] else loaded["path"],
            "rows": [{"target": r["target"], "run_id": r["run_id"], "next": r["next"]} for r in report["rows"]]}
