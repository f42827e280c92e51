# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run prints, as lists of lines: the plan loaded, the account verified, the plan to approve,
what a step added, the end.

Plain functions over plain data. Plan text never goes through Jinja; every value that came from a
plan, a file or AWS goes through ``printable`` (control characters and bidi overrides escaped). The
action plugins print these lines with Ansible's display, so they read the same under any callback
and any ansible.cfg (no JSON quoting).
"""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable
from ansible_collections.coworker.aws.plugins.module_utils.run.leftovers import undone_with


def loading_plan(info, dry_run=False):
    """LOADING PLAN: who approved which digest of which file, the warnings; in a dry run (which shows no plan to
    approve) the guardrails' verdict and the approval notes too, else they come with the plan, before the question."""
    plan = info["plan"]
    approval = plan.get("approval") or {}
    lines = ["LOADING PLAN",
             "  Name:      %s" % printable(plan["name"]),
             "  Id:        %s" % plan["id"],
             "  Created:   %s" % printable(plan.get("created"))]
    if approval.get("signatures"):
        approved = (printable(approval.get("approved_by")), printable(approval.get("approved_at")))
        lines += ["  Approved:  by %s at %s" % approved, "  Signature: %s" % printable(info["approval_text"])]
    else:  # an unsigned claim, said for what it is (guard/approvals.py unsigned_text)
        lines.append("  Approval:  %s (at %s)" % (printable(info["approval_text"]), printable(approval.get("approved_at"))))
    if plan.get("ticket"):
        lines.append("  Ticket:    %s" % printable(plan["ticket"]))
    lines.append("  Guardrail: %s (the plan's own claim)" % plan["guardrail"]["status"])
    if dry_run:
        lines += policy_lines(info, "Policies:  ")
    lines += ["  WARNING:   %s" % printable(w) for w in info.get("warnings_list") or []]
    if dry_run:
        lines += ["  %s" % printable(line) for line in info.get("approval_notes") or []]
    lines += ["  Digest:    %s" % info["sha256"], "  File:      %s" % printable(info["path"])]
    if plan.get("markdown"):
        made_from = (printable(plan["markdown"]["file"]), printable(plan["markdown"]["sha256"][:12]))
        lines.append("  Made from: %s (sha256 %s)" % made_from)
    return lines


def policy_lines(info, label):
    """The guardrail policies' verdicts (WARN/FAIL per rule, with its steps), the first line labelled."""
    found = (info.get("policies") or {}).get("lines") or []
    return ["  %s%s" % (label if number == 0 else " " * len(label), printable(line)) for number, line in enumerate(found)]


def run_lines(run):
    """The run's id and, before anything is sent, how to resume or roll it back if it is interrupted."""
    lines = ["Run id: %s (journal: %s)" % (run["run_id"], printable(run["journal"]))]
    if not run["dry_run"]:
        lines += ["If it is interrupted, resume it:  %s" % printable(run["commands"]["resume"]),
                  "or roll back what it changed:    %s" % printable(run["commands"]["rollback"])]
    if run.get("lock_note"):
        lines.append(printable(run["lock_note"]))
    return lines


def environment_lines(result):
    """The account as STS, IAM and the environments file describe it."""
    identity = result.get("identity") or {}
    alias = identity.get("alias") or ("(none)" if identity.get("alias_status") == "none"
                                      else identity.get("alias_status"))
    approval = (result.get("approval") or {}).get("text") or "unsigned"
    lines = ["Profile:     %s" % printable(identity.get("profile") or "default credentials"),
             "Account:     %s (%s)" % (identity.get("account"), printable(identity.get("arn"))),
             "Alias:       %s" % printable(alias),
             "Environment: %s — %s" % (result.get("environment"), printable(result.get("reason")))]
    if result.get("environments"):  # which file classified the account, and where its path came from
        lines.append("Classified:  by %s (%s)" % (printable(result["environments"]["path"]),
                                                  printable(result["environments"]["source"])))
    return lines + ["Approval:    %s" % printable(approval)]


def _target_line(plan, profile):
    target = plan["target"]
    return "  Target: environment %s, account %s, region %s, profile %s" % (
        target["environment"], target["account_id"], printable(target["region"]),
        printable(profile or target.get("profile") or "default credentials"))


def _marks(step, done):
    return "%s%s%s" % ("  (DESTRUCTIVE)" if step["destructive"] else "",
                       "  (no rollback)" if step["mutating"] and not step["rollback"] and not step.get("undone_by")
                       else "",
                       "  (done)" if step["id"] in done else "")


def _step_lines(step, total, done, resolved):
    lines = ["    [%d/%d] %s%s" % (step["index"], total, step["id"], _marks(step, done))]
    if step.get("description"):
        lines.append("        description: %s" % printable(step["description"]))
    lines.append("        %s" % printable(resolved["cli"]))
    lines += ["        register: %s.%s = %s" % (step["id"], name, printable(expression))
              for name, expression in step["register"].items()]
    lines += ["        validate: %s" % printable(cli) for cli in resolved["validate"]]
    lines += ["        rollback: %s" % printable(cli) for cli in resolved["rollback"]]
    if step.get("undone_by"):
        lines.append("        rollback: undone with the rollback of %s" % step["undone_by"])
    return lines


def _blast_line(radius):
    actions = ", ".join("%s x%d" % (action, count) for action, count in radius["by_action"].items())
    return "  Blast radius: %d changing calls, %d destructive; %s" % (
        radius["mutating_steps"], radius["destructive_steps"], actions)


def execution_plan(loaded, run_id, done, resolved, profile, tag_resources, resume_header=None):
    """EXECUTION PLAN: every call as an aws CLI line (with the outputs the journal holds), phase by phase."""
    plan = loaded["plan"]
    lines = [printable(resume_header)] if resume_header else []
    lines += ["EXECUTION PLAN", _target_line(plan, profile)]
    phase = None
    for step in plan["steps"]:
        if step["phase"] != phase:
            phase = step["phase"]
            lines.append("  Phase %d: %s" % (step["phase_index"] + 1, printable(phase)))
        lines += _step_lines(step, len(plan["steps"]), done, resolved[step["id"]])
    lines.append(_blast_line(loaded["blast_radius"]))
    if tag_resources:
        lines.append(_tags_line(run_id, plan))
    lines += policy_lines(loaded, "Policies: ")
    lines.append("  WARNING: AWS resources in account %s will be modified." % plan["target"]["account_id"])
    return lines


def _tags_line(run_id, plan):
    return ("  Tags added to what a creating call makes (where its API takes tags): coworker:run-id=%s, "
            "coworker:plan-id=%s, coworker:step-id=<step id>; -e tag_resources=false sends the calls exactly as "
            "shown." % (run_id, plan["id"]))


def compact_plan(loaded, done, resolved, resume_header=None, run_id=None, tag_resources=False):
    """The plan one line a step, for a run that asks nobody (the step lines show each call as sent)."""
    plan = loaded["plan"]
    lines = [printable(resume_header)] if resume_header else []
    radius = loaded["blast_radius"]
    lines.append("PLAN: %d steps in %d phases; %d changing calls, %d destructive" % (
        len(plan["steps"]), len({s["phase_index"] for s in plan["steps"]}), radius["mutating_steps"],
        radius["destructive_steps"]))
    for step in plan["steps"]:
        shown = (step["index"], printable(step["phase"]), step["id"], _marks(step, done),
                 printable(resolved[step["id"]]["cli"]))
        lines.append("  [%d] %s / %s%s: %s" % shown)
    return lines + ([_tags_line(run_id, plan)] if tag_resources else []) + policy_lines(loaded, "Policies: ")


def rollback_plan(loaded, run_id, previous_status, to_undo, resolved, drift_lines=()):
    """ROLLBACK PLAN: what a rollback run will undo, last step first, each with its calls; then the drift table
    (run/drift.py: each resource as it is now against what the run left)."""
    plan = loaded["plan"]
    target = plan["target"]
    lines = ["ROLLBACK PLAN for run %s (status %s)" % (run_id, previous_status or "unfinished"),
             "  Target: environment %s, account %s, region %s" % (
                 target["environment"], target["account_id"], printable(target["region"]))]
    steps = [s for s in reversed(plan["steps"]) if s["id"] in to_undo]
    for step in steps:
        lines.append("    undo [%d] %s" % (step["index"], step["id"]))
        calls = resolved[step["id"]]["rollback"]
        if calls:
            lines += ["        %s" % printable(call) for call in calls]
        elif step.get("undone_by"):
            lines.append("        %s" % undone_with(step["undone_by"]))
        else:
            lines.append("        (no rollback calls: needs manual clean-up) %s"
                         % printable(resolved[step["id"]]["sent"] or resolved[step["id"]]["cli"]))
    if not steps:
        lines.append("    nothing to roll back: the journal shows no step that changed anything")
    lines += ["  %s" % printable(line) for line in drift_lines]
    lines.append("  WARNING: AWS resources in account %s will be deleted or changed back." % target["account_id"])
    return lines


def batch_lines(batch):
    """What the step lines printed as each step ended do not say: outputs, unexpected output, the error in full."""
    lines = []
    for result in batch.get("results") or []:
        if result.get("outputs"):
            lines.append("%s outputs: %s" % (result["id"], printable(json.dumps(result["outputs"], sort_keys=True))))
        lines += query_lines(result)
        lines += ["%s UNEXPECTED: %s" % (result["id"], printable(item)) for item in result.get("unexpected") or []]
        if result.get("error"):
            error = result["error"]
            text = printable(error.get("text") or error.get("message"), multiline=True)
            lines += ("%s error: %s" % (result["id"], text)).split("\n")
    if batch.get("msg") and not batch.get("failed_step"):
        lines += printable(batch["msg"], multiline=True).split("\n")
    return lines


def query_lines(result):
    """What a command's --query selects of the answer (the step's call, then its validate calls), as the person
    asked to see it: ``put_west --query Parameter.Name: "/wf/west"``."""
    calls = [result] + list((result.get("validation") or {}).get("calls") or [])
    return ["%s --query %s: %s" % (result["id"], printable(call["shown"]["query"]),
                                   printable(json.dumps(call["shown"]["value"], sort_keys=True)))
            for call in calls if call.get("shown")]


def rollback_lines(records):
    """Each undo's calls with their outcome, and what is left to clean up by hand."""
    lines = []
    for record in records:
        lines += ["  %s  -> %s" % (printable(call["cli"]), call["status"]) for call in record.get("calls") or []]
        if record.get("manual"):
            lines.append("  %s" % printable(record["manual"]))
    return lines
