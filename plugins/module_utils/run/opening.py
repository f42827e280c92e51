# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Load task: read the plan once, check it, and start a run of it (or reopen a past run).

``start_run`` reads the plan file's bytes exactly once: the digest shown, the checks made and the
copy the run keeps are all of those bytes. ``open_run`` reopens a past run for a resume or a
rollback run: its own copy of the plan, whose digest must still be the run's. Both check the plan
(and its approval) before they take the lock or write anything, so a bad plan changes nothing.

``keeper`` (plugin_utils/lock_keeper.py, given by the action) is what keeps the lock while the run goes
on: the lease to take it with, and the heartbeat of ansible-playbook's own process that renews it
(``hold``). Without one the lock is taken with the backend's lease and nobody renews it.
"""

from __future__ import annotations

import functools
import os

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal, RunError
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import plan_policies
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import approval_environments, plan_info
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import find_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import require_one_target
from ansible_collections.coworker.aws.plugins.module_utils.run import integrity
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import EMPTY
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import (
    RUN_ID_RE, done_steps, new_run_id, run_state, steps_to_roll_back)
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import acquire, lock_key
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import (
    check_shown, read_plan_bytes, run_plan_path, store_copy)
from ansible_collections.coworker.aws.plugins.module_utils.run.report import write_report
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import resume_line


def checked_run_id(run_id):
    if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
        raise RunError("invalid run id %r" % (run_id,))
    return run_id


def _info(path, args, document=None, target=None):
    """The plan as the person is shown it: its approval verified, signatures by the class's rules, guardrails."""
    environments = args["environments_file"]
    return plan_info(path, args["plans_dir"], True, args["profile"], approval_environments(environments),
                     functools.partial(plan_policies, environments), target, document=document)


def _holder():
    # the ansible-playbook process whose worker takes the lock: alive as long as the run can go on
    return os.getppid()


class _NoKeeper:
    """Nobody renews the lock: it is taken with the backend's own lease."""

    @staticmethod
    def lease_for(backend):
        return None  # the backend's own

    @staticmethod
    def hold(backend, key, run_id):
        return False


def _lock(backend, key, run_id, args, keeper, head=None):
    """Take the run's lock (a note when one was taken over) and have it renewed while the run goes on."""
    keeper = keeper or _NoKeeper
    note = acquire(backend, key, run_id, _holder(), args["force_unlock"], keeper.lease_for(backend),
                   head.as_dict() if head is not None else None)
    keeper.hold(backend, key, run_id)
    return note


def start_run(backend, args, dry_run, commands_of, keeper=None):
    """A new run of ``args["plan"]``: (what the task returns, the plan as shown)."""
    source = find_plan(args["plan"], args["plans_dir"])
    raw, document, digest = read_plan_bytes(source)
    check_shown(source, digest, args.get("sha256"))
    info = _info(source, args, document, args["target"])
    require_one_target(info["plan"], source)
    plan = info["plan"]
    run_id = checked_run_id(args["run_id"] or new_run_id(plan["id"]))
    note = None
    if not dry_run:
        lock = lock_key(plan["target"]["account_id"], plan["target"]["region"], plan["id"])
        note = _lock(backend, lock, run_id, args, keeper)
    # from here on the run reads only these bytes, whose digest was taken above
    copy_key, copy = store_copy(backend, run_id, source, raw)
    commands = commands_of(run_id)
    integrity.record_head(backend, run_id, EMPTY, pass_open=True)  # before the first event: the chain starts here
    with backend.journal(run_id, create=True) as journal:
        journal.append("run_started", plan_id=plan["id"], plan_path=source, plan_copy=copy, plan_copy_key=copy_key,
                       state_backend=backend.kind, sha256=digest, commands=commands,
                       account_id=plan["target"]["account_id"], region=plan["target"]["region"],
                       environment=plan["target"]["environment"], target=args["target"],
                       profile=args["profile"] or plan["target"]["profile"], dry_run=dry_run, lock_note=note)
    if not dry_run:  # an interrupted run has a report from its first second on
        write_report(backend, run_id, dict(info, path=copy), backend.events(run_id), provisional=True)
    run = {"run_id": run_id, "purpose": "run", "reopened": False, "dry_run": dry_run, "lock_note": note,
           "sha256": digest, "commands": commands}
    return run, info


def open_run(backend, args, purpose, commands_of, keeper=None):
    """Reopen a past run to resume it or roll it back; its plan copy must have the run's digest."""
    run_id = backend.find_run(args["run_id"] or "last")
    restored = backend.restore(run_id)  # a journal deleted or cut short under the run comes back whole
    events, head, unverified = integrity.check(backend, run_id)  # what the run wrote, or refused here
    state = run_state(events)
    started = state["started"]
    if started is None or started.get("dry_run"):
        raise GuardRefusal("run %s %s" % (run_id, "is a dry run: nothing to %s" % purpose
                                          if started else "has no run_started event"))
    path = run_plan_path(started, None, backend)
    info = _info(path, args, target=started.get("target"))
    if info["sha256"] != started["sha256"]:
        raise GuardRefusal("refused: the plan file %s changed since run %s (digest now %s, the run used %s); "
                           "nothing was changed" % (path, run_id, info["sha256"][:12], started["sha256"][:12]))
    lock = lock_key(started["account_id"], started["region"], started["plan_id"])
    note = _lock(backend, lock, run_id, args, keeper, head)
    integrity.record_head(backend, run_id, head, pass_open=True)  # events after this head are this pass's
    with backend.journal(run_id) as journal:
        for text in filter(None, [restored, unverified]):
            journal.append("note", text=text)
        journal.append("run_resumed", purpose=purpose, lock_note=note)
    done = done_steps(state)
    run = {"run_id": run_id, "purpose": purpose, "reopened": True, "dry_run": False,
           "lock_note": "; ".join(filter(None, [restored, unverified, note])) or None, "sha256": info["sha256"],
           "commands": commands_of(run_id), "target": started.get("target"), "done": done,
           "resume_header": resume_line(run_id, info["plan"]["steps"], done),
           "rollback_steps": steps_to_roll_back(state),
           "previous_status": (state["finished"] or {}).get("status")}
    return run, info
