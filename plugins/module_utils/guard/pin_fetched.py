# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""approve_plan's side of content fetched by reference: read each object and pin its SHA-256 in the plan.

guard/fetched.py says which objects a plan's calls fetch and checks them at execution; here, before
the review, ``record_in_plan`` reads them with the target's credentials and writes the plan's
``fetched`` list, and ``require_pinned`` keeps a plan whose fetched content is not pinned from being
approved.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.fetched import (
    check_recorded, pin_objects, plan_objects, s3_reader)
from ansible_collections.coworker.aws.plugins.module_utils.guard.target_session import target_context
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.writer import (
    approve, not_as_reviewed, reviewed_digest, with_fetched, write_atomically)


def _each_target(params):
    """The plan as each of its targets runs it (``${target.*}`` resolve per target)."""
    first = load_plan(params["plan"], params["plans_dir"], verify=False, render=False)
    keys = [t["key"] for t in first["plan"]["targets"]] if len(first["plan"]["targets"]) > 1 else [None]
    for key in keys:
        yield first if key is None else load_plan(params["plan"], params["plans_dir"], verify=False, render=False,
                                                  target=key)


def record_in_plan(params, check_mode=False):
    """approve_plan's ``record_fetched``: pin every object the plan's calls fetch, in the plan file, before review.

    Each target's objects are read with that target's credentials (the ``profile`` option, else the
    target's own profile; its ``role_arn`` assumed), telling S3 the bucket must be the target's. The
    file is written only when the pinned list changes (an approval of the old list no longer verifies).
    """
    entries, path, document = [], None, None
    try:
        for loaded in _each_target(params):
            path, document, target = loaded["path"], loaded["document"], loaded["plan"]["target"]
            if not plan_objects(loaded["plan"]):
                continue
            aws = target_context(target, params.get("profile") or target.get("profile"))
            for entry in pin_objects(loaded["plan"], s3_reader(aws, target["account_id"])):
                if entry not in entries:
                    entries.append(entry)
    except GuardRefusal as exc:
        raise CoworkerError("cannot pin the content the plan fetches by reference: %s" % exc) from None
    except Exception as exc:  # pylint: disable=broad-exception-caught  # AWS errors, missing credentials
        raise CoworkerError("cannot read the content the plan fetches by reference (S3 GetObject): %s; give the "
                            "profile that can read it (-e aws_profile=...), or give the content inline" % exc) from None
    changed = entries != (document.get("fetched") or []) and bool(entries or document.get("fetched"))
    if changed and not check_mode:
        with open(path, encoding="utf-8") as handle:
            write_atomically(path, with_fetched(handle.read(), path, entries))
    return {"changed": changed, "path": path, "fetched": entries}


def require_pinned(params):
    """approve_plan refuses to approve a plan whose calls fetch content it has not pinned (CoworkerError)."""
    for loaded in _each_target(params):
        try:
            check_recorded(loaded["plan"])
        except GuardRefusal as exc:
            raise CoworkerError("%s: not approved: %s" % (loaded["path"], str(exc).replace(
                "REFUSED by the perimeter: ", ""))) from None


def approve_with_pins(params, check_mode=False, diff=False):
    """approve_plan: pin the fetched content first (``record_fetched``); approve only a plan whose content is pinned.

    With ``reviewed_sha256`` and ``confirm`` the pins are only compared: pins that would change are not
    what the person reviewed, and the approval is refused with nothing written (plan/writer.py approve).
    """
    reviewed = reviewed_digest(params) if params["confirm"] else None
    if params.get("record_fetched"):
        pinned = record_in_plan(params, check_mode or reviewed is not None)
        if not params["confirm"]:
            return pinned
        if reviewed is not None and pinned["changed"]:
            raise not_as_reviewed(pinned["path"], reviewed, "pins other content than the objects its calls fetch "
                                  "now (S3)")
    if params["confirm"]:
        require_pinned(params)
    return approve(params, check_mode, diff)
