# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's target, or its ``targets:`` list, and the one target a run executes.

A plan names one ``target`` or a list of ``targets``; with both, ``target`` gives
the defaults every entry inherits. Each entry is checked after inheriting
(environment, account_id and region required), a ``role_arn`` must be an IAM role
of the entry's own account, and two entries for the same account and region are
refused. Each entry gets a ``key`` (``<account_id>-<region>``), the name the
playbook gives its inventory host and the run uses to select it: a run always
executes exactly one target, whose values ``${target.*}`` resolve to.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError

EXECUTABLE_ENVIRONMENTS = ("sandbox", "development", "test")
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
ROLE_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::([0-9]{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}$")
TARGET_KEYS = ("environment", "account_id", "region", "profile")
ENTRY_KEYS = TARGET_KEYS + ("role_arn",)
MAX_TARGETS = 500


def target_key(target):
    """The name of one target: its account and region (unique within a plan)."""
    return "%s-%s" % (target["account_id"], target["region"])


def _fields(raw, path, check, required, allowed):
    """One target mapping's fields, checked; missing ones are None (``required`` says which must be there)."""
    check.keys(raw, set(allowed), path)
    env = check.text(raw, "environment", path, required=required)
    if env and env not in EXECUTABLE_ENVIRONMENTS:
        check.add(path + ".environment", "%r: this collection executes only in %s; for staging or production "
                  "generate a CI/CD change instead" % (env, ", ".join(EXECUTABLE_ENVIRONMENTS)))
    account = check.get(raw, "account_id", str, path, required=required)
    if account is not None and not ACCOUNT_RE.match(account):
        check.add(path + ".account_id", "must be a 12-digit string (quote it), got %r" % account)
        account = None
    values = {"environment": env, "account_id": account,
              "region": check.text(raw, "region", path, required=required, pattern=REGION_RE),
              "profile": check.text(raw, "profile", path, required=False)}
    if "role_arn" in allowed:
        values["role_arn"] = check.text(raw, "role_arn", path, required=False)
    return values


def _role_problem(entry):
    match = ROLE_ARN_RE.match(entry["role_arn"])
    if not match:
        return "%r is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)" % entry["role_arn"]
    if entry["account_id"] and match.group(2) != entry["account_id"]:
        return ("role %s is in account %s, not this target's account %s: a target's calls are made in its own "
                "account" % (entry["role_arn"], match.group(2), entry["account_id"]))
    return None


def _entry(raw, index, defaults, check):
    path = "targets[%d]" % index
    if not isinstance(raw, dict):
        check.add(path, "a target must be a mapping with environment, account_id and region")
        return None
    entry = _fields(raw, path, check, required=False, allowed=ENTRY_KEYS)
    for name in TARGET_KEYS:
        if entry[name] is None and name not in raw:
            entry[name] = defaults.get(name)
    missing = [n for n in ("environment", "account_id", "region") if entry[n] is None and n not in raw]
    for name in missing:
        check.add("%s.%s" % (path, name), "required field is missing (neither the entry nor 'target' gives it)")
    if entry["role_arn"] and _role_problem(entry):
        check.add(path + ".role_arn", _role_problem(entry))
    if any(entry[n] is None for n in ("environment", "account_id", "region")):
        return None
    entry["key"] = target_key(entry)
    return entry


def _entries(doc, defaults, check):
    raw = check.get(doc, "targets", list, "", required=False, default=[])
    if "targets" in doc and isinstance(doc["targets"], list) and not raw:
        check.add("targets", "give at least one target, or leave 'targets' out and name one 'target'")
    if len(raw) > MAX_TARGETS:
        check.add("targets", "%d targets, more than the %d one plan may have; split the plan" % (len(raw), MAX_TARGETS))
        return []
    entries, seen = [], {}
    for index, item in enumerate(raw):
        entry = _entry(item, index, defaults, check)
        if entry is None:
            continue
        if entry["key"] in seen:
            check.add("targets[%d]" % index, "account %s region %s is already targets[%d]: each target runs once"
                      % (entry["account_id"], entry["region"], seen[entry["key"]]))
            continue
        seen[entry["key"]] = index
        entries.append(entry)
    return entries


def parse_targets(doc, check):
    """``(target, targets)``: the plan's single target (or the defaults), and every entry of ``targets``.

    Without ``targets`` the list is ``[target]``. With it, ``target`` may be partial or absent.
    """
    has_list = "targets" in doc
    if has_list and doc.get("target") is None:
        defaults = {name: None for name in TARGET_KEYS}
    else:
        raw = check.get(doc, "target", dict, "", default={})
        defaults = _fields(raw, "target", check, required=not has_list, allowed=TARGET_KEYS)
    if not has_list:
        single = dict(defaults, role_arn=None)
        if all(single[n] for n in ("environment", "account_id", "region")):
            single["key"] = target_key(single)
        return single, [single]
    return defaults, _entries(doc, defaults, check)


def select_target(targets, wanted, source):
    """The entry a run executes: ``wanted`` (a key), or the only one; None when the plan has several and none
    is named (such a plan can be shown, not executed)."""
    if wanted:
        for entry in targets:
            if entry.get("key") == wanted:
                return entry
        raise PlanError(source, [("target", "no target %r in this plan (targets: %s)"
                                  % (wanted, ", ".join(t["key"] for t in targets) or "none"))])
    if len(targets) == 1:
        return targets[0]
    return None


def require_one_target(plan, source):
    """Refuse to execute a plan of several targets without naming which one: a run makes one target's calls."""
    if not plan.get("target_selected"):
        raise PlanError(source, [("target", "this plan has %d targets: a run executes one of them (target=<key>; "
                                  "keys: %s); run playbooks/execute_targets.yml to run them all"
                                  % (len(plan["targets"]), ", ".join(t["key"] for t in plan["targets"])))])
