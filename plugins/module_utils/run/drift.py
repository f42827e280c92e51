# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift: how the account differs from what a past run left, before that run is undone.

Each resource is described again with its step's first validate call (the call whose answer
the journal recorded as the step's ``after`` state) and compared with the state the run left:
the latest answer the journal holds for that same call, since a later step of the run may have
changed the resource again. Lists are compared as sets (AWS does not promise an order). What was
created since that depends on a resource (objects in a bucket, network interfaces and instances
in a subnet, rules of other groups that name a security group) and that the run did not make is
listed too: an undo never deletes a resource that holds what others made.

Everything here is pure: the step runner makes the calls (run/undo.py) and passes the answers.
"""

from __future__ import annotations

import json

from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import RUN_KEY, tags_of
from ansible_collections.coworker.aws.plugins.module_utils.run.outcome import ABSENT

try:
    import jmespath
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    jmespath = None

NONE, CHANGED, GONE, UNKNOWN, NOT_DESCRIBED = "none", "changed", "gone", "unknown", "not described"
# changed, and a later step of the run (undone first) changed the same resource: judged again at its own undo
LATER = "rechecked at its undo"
# drift a person must accept before the undo (gone: the undo finds nothing to do, which is harmless)
NEEDS_CONSENT = (CHANGED, UNKNOWN)
WIDTH = 30


def _filter(name, value):
    return {"Filters": [{"Name": name, "Values": [value]}]}


def _not_default(items):
    return [i for i in items if i.get("GroupName") != "default"]


def _live(items):
    return [i for i in items if (i.get("State") or {}).get("Name") not in ("terminated", "shutting-down")]


# (service, identifying member) -> what may depend on the resource it names:
# (what, operation, request, where the items are, the id of an item, keep only these items)
DEPENDENTS = {
    ("s3", "Bucket"): [("objects", "ListObjectsV2", lambda v: {"Bucket": v, "MaxKeys": 100}, "Contents", "Key", None)],
    ("ec2", "SubnetId"): [
        ("network interfaces", "DescribeNetworkInterfaces", lambda v: _filter("subnet-id", v), "NetworkInterfaces",
         "NetworkInterfaceId", None),
        ("instances", "DescribeInstances", lambda v: _filter("subnet-id", v), "Reservations[].Instances[]",
         "InstanceId", _live)],
    ("ec2", "GroupId"): [
        ("security groups whose rules name it", "DescribeSecurityGroups",
         lambda v: _filter("ip-permission.group-id", v), "SecurityGroups", "GroupId", None),
        ("network interfaces", "DescribeNetworkInterfaces", lambda v: _filter("group-id", v), "NetworkInterfaces",
         "NetworkInterfaceId", None)],
    ("ec2", "GroupName"): [
        ("security groups whose rules name it", "DescribeSecurityGroups",
         lambda v: _filter("ip-permission.group-name", v), "SecurityGroups", "GroupName", None),
        ("network interfaces", "DescribeNetworkInterfaces", lambda v: _filter("group-name", v), "NetworkInterfaces",
         "NetworkInterfaceId", None)],
    ("ec2", "VpcId"): [
        ("subnets", "DescribeSubnets", lambda v: _filter("vpc-id", v), "Subnets", "SubnetId", None),
        ("security groups", "DescribeSecurityGroups", lambda v: _filter("vpc-id", v), "SecurityGroups", "GroupId",
         _not_default),
        ("instances", "DescribeInstances", lambda v: _filter("vpc-id", v), "Reservations[].Instances[]",
         "InstanceId", _live)],
}


def dependent_lookups(service, member, value):
    """``[(what, operation, params, items_path, id_path, keep)]``: the reads that list what depends on it."""
    return [(what, operation, request(value), items, ident, keep)
            for what, operation, request, items, ident, keep in DEPENDENTS.get((service, member), [])]


def foreign_items(answer, items_path, id_path, keep, run_id, own, itself):
    """Ids of the listed items the run did not make: not tagged with its run id, not named by its calls."""
    items = [i for i in (jmespath.search(items_path, answer) or []) if isinstance(i, dict)]
    items = keep(items) if keep else items
    found = []
    for item in items:
        ident = jmespath.search(id_path, item)
        if ident in own or ident == itself or tags_of(item).get(RUN_KEY) == run_id or _goes_with(item, own):
            continue
        found.append(ident)
    return found


def _goes_with(item, own):
    """Whether the item belongs to a resource the run made: an instance of the run's primary network interface
    (device 0, which cannot be detached from it) or one deleted on its termination is the run's too, not
    something others made. Anything else attached to it since is others'."""
    attachment = item.get("Attachment") or {}
    return attachment.get("InstanceId") in own and (
        attachment.get("DeleteOnTermination") is True or attachment.get("DeviceIndex") == 0)


def _canonical(value):
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def flatten(value, path=""):
    """``{path: scalar}`` of a described state; list items are ordered by their content first, and an empty
    list or mapping is no field at all (AWS leaves some out when empty)."""
    if isinstance(value, dict):
        flat = {}
        for key in sorted(value):
            flat.update(flatten(value[key], "%s.%s" % (path, key) if path else str(key)))
        return flat
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(sorted(value, key=_canonical)):
            flat.update(flatten(item, "%s[%d]" % (path, index)))
        return flat
    return {path: value}


def changes(after, now):
    """``[(path, value after the run, value now)]`` for every leaf that differs (absent: None)."""
    left, right = flatten(after), flatten(now)
    return [(path, left.get(path), right.get(path)) for path in sorted(set(left) | set(right))
            if left.get(path) != right.get(path)]


def compare(after, now):
    """(drift, changes) of a resource: how ``now`` differs from the ``after`` state the run left."""
    if after is None or after == ABSENT:
        return NOT_DESCRIBED, []
    if now == ABSENT:
        return GONE, []
    if not isinstance(now, dict) or "error" in now:
        return UNKNOWN, []
    found = changes(after, now)
    return (CHANGED if found else NONE), found


def drift_row(step_id, resource, after, now):
    """One row of the drift table (also journaled, so the report shows what was seen)."""
    drift, found = compare(after, now)
    row = {"step": step_id, "resource": resource, "drift": drift, "changes": [list(c) for c in found[:20]]}
    if drift == UNKNOWN:
        row["error"] = (now or {}).get("error") if isinstance(now, dict) else None
    return row


def short(value):
    text = value if isinstance(value, str) else _canonical(value)
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."  # one column of the table


def _field(path):
    """A changed field as the table names it: without the wrapper of the one resource described."""
    return path.split(".", 1)[1] if "." in path else path


def _cells(row):
    """(after the run, now, drift) as the table shows them."""
    if row["drift"] == CHANGED:
        first, count = row["changes"][0], len(row["changes"])
        return (short("%s=%s" % (_field(first[0]), short(first[1]))), short("%s=%s" % (_field(first[0]), short(first[2]))),
                "CHANGED (%d field%s)" % (count, "" if count == 1 else "s"))
    if row["drift"] == LATER:
        first = row["changes"][0]
        return ("as described", short("%s=%s" % (_field(first[0]), short(first[2]))),
                "a later step of this run changed it: rechecked at its undo")
    return {NONE: ("as described", "the same", "none"), GONE: ("as described", "not found", "gone (nothing to undo)"),
            UNKNOWN: ("as described", short("cannot describe: %s" % row.get("error")), "UNKNOWN"),
            NOT_DESCRIBED: ("not recorded", "-", "cannot tell (no recorded state)")}[row["drift"]]


def table_lines(rows, dependents):
    """The drift table and what depends on each resource, as a person reads them before the question."""
    lines = ["DRIFT since the run: each resource as the run left it (journal) and as the account shows it now"]
    lines.append("  %-*s %-*s %-*s %s" % (WIDTH, "resource", WIDTH, "after the run", WIDTH, "now", "drift"))
    for row in rows:
        after, now, drift = _cells(row)
        resource = short("%s %s" % (row["step"], row["resource"]))
        lines.append("  %-*s %-*s %-*s %s" % (WIDTH, resource, WIDTH, after, WIDTH, now, drift))
        lines += ["      %s: %s -> %s" % (_field(path), short(old), short(new)) for path, old, new in row["changes"][1:5]]
    if dependents:
        lines.append("Created since the run, depending on these resources, and not made by this run "
                     "(never deleted by a rollback: the resource that holds them is left):")
        lines += ["  %s %s: %d %s: %s" % (d["step"], d["resource"], len(d["items"]), d["what"],
                                          ", ".join(map(str, d["items"][:5])) + (", ..." if len(d["items"]) > 5 else ""))
                  for d in dependents]
    return lines


def needs_consent(rows, dependents=()):
    """Whether anything shown must be accepted by a person (or -e accept_drift=true) before the undo."""
    return bool(dependents) or any(row["drift"] in NEEDS_CONSENT for row in rows)


class PastRun:
    """What the journal says about the passes before the current one (a rollback_run, a resume).

    ``steps``: steps whose last outcome was recorded before this pass reopened the run (their
    resources may have been changed since); ``after``: each step's last recorded ``after``
    state; ``latest``: the last state recorded for each describe call (by its CLI line), since a
    later step may describe, and change, the same resource; ``accepted``: a person typed yes to
    this pass after its drift table was shown; ``checked`` and ``dependents``: what that table found.
    """

    def __init__(self, events):
        start = max((i for i, e in enumerate(events) if e["event"] == "run_resumed"), default=None)
        self.steps, self.after, self.latest, last_seen, describe_cli = set(), {}, {}, {}, {}
        for index, event in enumerate(events):
            step = event.get("step")
            if not step:
                continue
            last_seen[step] = index
            if event["event"] == "validation" and event.get("calls"):
                describe_cli[step] = event["calls"][0].get("cli")
            if event["event"] in ("step_succeeded", "step_failed") and event.get("after") is not None:
                self.after[step] = event["after"]
                if describe_cli.get(step):
                    self.latest[describe_cli[step]] = event["after"]
        if start is not None:
            self.steps = {step for step, index in last_seen.items() if index < start}
        shown = [i for i, e in enumerate(events[start or 0:]) if e["event"] == "drift_checked"]
        self.accepted = bool(start is not None and shown and any(
            e["event"] == "approved" and e.get("how") == "prompt" for e in events[start + shown[-1]:]))
        # what this pass's drift table found, step by step (its rows "rechecked at its undo" judged nothing yet)
        last = events[start + shown[-1]] if start is not None and shown else {}
        self.checked = {row.get("step"): row for row in last.get("rows") or [] if row.get("drift") != LATER}
        self.rechecked = {row.get("step") for row in last.get("rows") or [] if row.get("drift") == LATER}
        self.dependents = {}
        for found in last.get("dependents") or []:
            self.dependents.setdefault(found.get("step"), []).append(found)

    def states_left(self, step_id, describe_cli):
        """The states the run left for a step's resource: its own, then the latest for its describe call."""
        return [s for s in (self.after.get(step_id), self.latest.get(describe_cli)) if s is not None]


def unchanged_since(states, now):
    """Whether the resource is now as one of the states the run left (a later step's undo may restore one)."""
    return any(compare(state, now)[0] == NONE for state in states)


REFUSAL = ("refused: resources of run %s changed, or others made something in them, since the run (above); without "
           "a person to ask, a rollback does not undo them blind, and nothing was changed. Read the table, then run "
           "again on a terminal to be asked, or with -e accept_drift=true to roll back the resources as they are now "
           "(what others made inside them is never deleted)")
