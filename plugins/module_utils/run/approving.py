# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Approve task: show what will run, then a typed "yes" or a token that matches the run's digest.

Approval is decided here from the journal's own record of the plan digest (the run's ``run_started``),
never from a variable that claims it, and recorded in the journal with who signed the plan (as the
guard verifies the signatures). A dry run needs no approval: it changes nothing.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.guard.grants import approval_notes
from ansible_collections.coworker.aws.plugins.module_utils.guard.verification import schedule
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import plan_policies
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import token_matches
from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run import drift, questions, screens
from ansible_collections.coworker.aws.plugins.module_utils.run.approval_record import approval_record
from ansible_collections.coworker.aws.plugins.module_utils.run.executor import RunSession
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import done_steps, run_state, steps_to_roll_back
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path
from ansible_collections.coworker.aws.plugins.module_utils.run.resolved import resolved_lines, resume_line

NO_TOKEN = "no approval token given: without a terminal run with -e approve=<plan digest>"


def purpose_of(state):
    """run (a new run), resume or rollback: what the latest pass of the run is for."""
    return (state["resumed"] or {}).get("purpose") or "run"


def plan_screen(loaded, state, run_id, asking, tag_resources, drift_lines=()):
    """What the person approves: the rollback plan (with its drift table), the execution plan, or one line a step
    without a person."""
    started = state["started"]
    profile = started.get("profile")
    resolved = resolved_lines(loaded["plan"], run_id, state, profile)
    purpose = purpose_of(state)
    if purpose == "rollback":
        return screens.rollback_plan(loaded, run_id, (state["finished"] or {}).get("status"),
                                     set(steps_to_roll_back(state)), resolved, drift_lines)
    done = set(done_steps(state))
    header = resume_line(run_id, loaded["plan"]["steps"], done) if purpose == "resume" else None
    if asking:
        lines = screens.execution_plan(loaded, run_id, done, resolved, profile, tag_resources, header)
    else:
        lines = screens.compact_plan(loaded, done, resolved, header, run_id, tag_resources)
    # who else the plan lets in, which steps change permissions: said whoever approved
    notes = approval_notes(loaded["plan"]["target"]["account_id"], loaded["blast_radius"])
    return lines + [printable(line) for line in notes]


def schedule_lines(environments_file, loaded, asked):
    """The review's lines on steps at the same time (guard/verification.py ``schedule``); none for one at a time."""
    try:
        config = load_environments(resolve_path(environments_file))
    except ConfigError:
        return []  # said at the policies; the Run task refuses on it
    found = schedule(config, loaded["plan"]["target"]["environment"], loaded, asked)
    return ["  " + printable(line) for line in found["lines"]]


def drift_table(backend, session_params, say):
    """A rollback run's drift check (read-only, with the guard's verified session): each resource of the run as
    it is now against what the run left, journaled (run/executor.py ``RunSession.drift``)."""
    session = RunSession(session_params, False, say=say, backend=backend)
    try:
        session.open(rollback=True, approved=False)  # shown before the question it informs
        return session.drift()
    finally:
        session.close()


def approve_run(backend, run_id, token, ask, say, environments_file=None, tag_resources=True, session_params=None):
    """Show the plan, take the approval, journal it. ``ask`` is None when nobody is at a terminal.

    ``session_params`` (the Run task's AWS settings, with ``accept_drift``): a rollback run first checks its
    drift and shows the table with the rollback plan; without a person to ask, drift that needs consent refuses
    the rollback unless accept_drift (nothing is sent). Returns ``{"approved", "how", "reason", "refused"}``;
    ``reason`` says why not (without "no changes made").
    """
    state = run_state(backend.events(run_id))
    started = state["started"]
    loaded = load_plan(run_plan_path(started, None, backend), None, verify=False, target=started.get("target"))
    if started.get("dry_run"):  # the schedule a real run would follow; the dry run itself goes one step at a time
        for line in schedule_lines(environments_file, loaded, (session_params or {}).get("max_concurrency")):
            say(line)
        say("DRY RUN: nothing is sent that could change anything, so no approval is needed")
        return {"approved": True, "how": "dry_run", "reason": None}
    digest = started["sha256"]
    loaded["policies"] = plan_policies(environments_file, loaded["plan"])  # shown with the plan, before the question
    asking = ask is not None and not token
    table = {"lines": [], "needs_consent": False}
    if session_params is not None and purpose_of(state) == "rollback":
        try:
            table = drift_table(backend, dict(session_params, run_id=run_id), say)
        except GuardRefusal as exc:  # the account or the plan, as the Run task would find them: nothing is sent
            return _refused(backend, run_id, str(exc), getattr(exc, "identity", None))
    for line in plan_screen(loaded, state, run_id, asking, tag_resources, table["lines"]):
        say(line)
    # which steps start together; a rollback's undos follow the same graph, last first
    if purpose_of(state) != "rollback":
        for line in schedule_lines(environments_file, loaded, (session_params or {}).get("max_concurrency")):
            say(line)
    if table["needs_consent"] and not asking and not session_params.get("accept_drift"):
        return _refused(backend, run_id, drift.REFUSAL % run_id)
    if token:
        approved, how = token_matches(token, digest), "token"
        reason = None if approved else "the approval token does not match the plan digest %s" % digest[:12]
    elif asking:
        answer = ask(questions.APPROVAL)
        approved, how = (answer or "").strip().lower() == "yes", "prompt"
        reason = None if approved else "not approved" if answer is not None else "not approved (interrupted)"
    else:
        approved, how, reason = False, "token", NO_TOKEN
    signed = {}
    if approved:  # who signed, as the guard verifies it: recorded with the approval and in the reports
        try:
            signed = approval_record(backend, started, environments_file)
        except (GuardRefusal, ConfigError) as exc:
            approved, reason = False, str(exc)
    with backend.journal(run_id) as journal:
        journal.append("approved" if approved else "not_approved", sha256=digest, how=how, **signed)
    return {"approved": approved, "how": how, "reason": reason}


def _refused(backend, run_id, reason, identity=None):
    identity = identity or {}
    with backend.journal(run_id) as journal:
        journal.append("refused", reason=reason, account=identity.get("account"), arn=identity.get("arn"))
    return {"approved": False, "how": "token", "reason": reason, "refused": True}


def prompts_allowed(events, has_terminal):
    """A person answers the run's questions when a person approved it at the prompt and is still there."""
    approval = next((e for e in reversed(events) if e["event"] in ("approved", "run_resumed")), None)
    return bool(has_terminal and approval and approval.get("how") == "prompt")
