# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write an ``approval`` block into a plan file, leaving the rest of the file as written."""

from __future__ import annotations

import json
import os
import re

try:
    import yaml
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib("PyYAML")
    yaml = None

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block, signed_approval, verify_approval
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import (
    find_plan, is_markdown, parse_document, plans_made_from, read_document)
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.inline import inline_plan_files
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.markdown_plan import convert_markdown

_TOP_KEY = re.compile(r"^[^\s#-][^:]*:")


def _strip_yaml_approval(text, key="approval"):
    """Remove a top-level ``key:`` section (up to the next top-level key)."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if _TOP_KEY.match(line) or line.startswith("#"):
            skipping = line.startswith(key + ":")
        if not skipping:
            out.append(line)
    return "".join(out)


def with_fetched(text, path, entries):
    """The plan text with its ``fetched`` list (guard/fetched.py) replaced; an approval, now stale, is dropped."""
    if path.endswith(".json") or text.lstrip().startswith("{"):
        document = json.loads(text)
        document.pop("approval", None)
        document["fetched"] = entries
        if not entries:
            document.pop("fetched")
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    body = _strip_yaml_approval(_strip_yaml_approval(text), "fetched").rstrip("\n") + "\n"
    if not entries:
        return body
    note = "# The objects this plan's calls fetch by reference, pinned at approval (approve_plan records them)\n"
    return body + note + yaml.safe_dump({"fetched": entries}, default_flow_style=False, sort_keys=False, width=1 << 16)


def with_approval(text, path, approval):
    """The plan text with ``approval`` replaced."""
    if path.endswith(".json") or text.lstrip().startswith("{"):
        document = json.loads(text)
        document["approval"] = approval
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    body = _strip_yaml_approval(text).rstrip("\n") + "\n"
    # the dumper quotes strings that look like timestamps, so they stay strings
    return body + yaml.dump({"approval": approval}, Dumper=_approval_dumper(), default_flow_style=False,
                            sort_keys=False)


def _approval_dumper():
    """yaml.SafeDumper that writes multi-line strings (armored signatures) as literal blocks."""
    class ApprovalDumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
        pass

    def text(dumper, value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    ApprovalDumper.add_representer(str, text)
    return ApprovalDumper


def write_atomically(path, text):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def inline_files(params, check_mode=False):
    """Write the content of the files the plan's commands read (file://) into the plan file."""
    path = find_plan(params["plan"], params["plans_dir"])
    with open(path, encoding="utf-8") as handle:
        before = handle.read()
    after, inlined = inline_plan_files(before, path)
    if inlined and not check_mode:
        write_atomically(path, after)
    return dict(changed=bool(inlined), path=path, inlined=[dict(field=field, file=name) for field, name in inlined])


def converted_plan(params, check_mode=False):
    """The plan made from the Markdown ``params["plan"]``, written (not approved) into ``plans_dir``.

    A plan already made from this very Markdown (same sha256) is used as it is: the second approver of a
    two-person rule signs what the first one did. The result says which file and whether it was written."""
    source, plans_dir = params["plan"], params.get("plans_dir")
    if not plans_dir:
        raise CoworkerError("%s: plans_dir: give the directory to write the plan made from the Markdown to" % source)
    if params.get("inline_files"):
        raise CoworkerError("%s: inline_files reads file:// values of a YAML plan; a Markdown plan's commands must "
                            "carry their values themselves" % source)
    same, _older = plans_made_from(source, plans_dir) if os.path.isdir(plans_dir) else ([], [])
    if len(same) > 1:
        raise CoworkerError("%s: several plans were made from this Markdown: %s; keep one" % (
            source, ", ".join(path for path, _sha in same)))
    if same:
        path = os.path.abspath(same[0][0])
        _same_account(read_document(path), params.get("account_id"), path)
        return dict(changed=False, path=path, converted=False)
    document = convert_markdown(source, params.get("account_id"))
    path = os.path.abspath(os.path.join(plans_dir, document["id"] + ".yml"))
    if os.path.exists(path):
        raise CoworkerError("%s already exists and was not made from %s as it is now: move it away first"
                            % (path, source))
    text = ("# Made by coworker.aws approve_plan from %s (sha256 %s).\n# The approval covers this file: review it "
            "here, not in the Markdown.\n" % (document["markdown"]["file"], document["markdown"]["sha256"])) + \
        yaml.safe_dump(document, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 16)
    if not check_mode:
        os.makedirs(plans_dir, exist_ok=True)
        write_atomically(path, text)
    return dict(changed=True, path=path, converted=True)


def _same_account(document, account_id, path):
    target = document.get("target") if isinstance(document.get("target"), dict) else {}
    if account_id and target.get("account_id") != account_id:
        raise CoworkerError("%s was made from this Markdown for account %s, not %s: move it away to convert again"
                            % (path, target.get("account_id"), account_id))


def _discard_unapproved_conversion(path):
    """A plan approve_plan made from a Markdown and nobody approved is removed when the person says no:
    it is only the review copy, and left behind it would be what ``plan=last`` finds."""
    try:
        document = read_document(path)
    except PlanError:
        return False
    if isinstance(document.get("markdown"), dict) and "approval" not in document:
        os.remove(path)
        return True
    return False


def _not_approved(params, check_mode):
    try:
        path = find_plan(params["plan"], params["plans_dir"])
    except PlanError:
        path = None
    if path and not check_mode and _discard_unapproved_conversion(path):
        return "not approved: confirm is false — %s, made from the Markdown for this review, was removed" % path
    return "not approved: confirm is false — the plan file was not changed"


def reviewed_digest(params):
    """``reviewed_sha256``: the digest the person was shown (plan_info's ``sha256``), lowercase; None if not given."""
    given = params.get("reviewed_sha256")
    if given is None:
        return None
    digest = str(given).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise CoworkerError("reviewed_sha256: give the whole digest the review showed (64 hex characters, plan_info's "
                            "sha256), not %r: not approved, nothing was written" % str(given)[:80])
    return digest


def not_as_reviewed(path, reviewed, why):
    """The refusal of an approval whose plan is not the one the person reviewed (nothing is written)."""
    return CoworkerError("%s %s (the review showed digest %s): not approved, nothing was written; run approve_plan "
                         "again to review the plan as it is now" % (path, why, reviewed))


def approve(params, check_mode=False, diff=False):
    """Validate the plan and write its approval block; return the task result.

    With ``inline_files`` the files the plan's commands read are written into the plan first; without
    ``confirm`` that is all it does (the playbook inlines, shows the plan, then asks for the approval).
    A Markdown plan is first converted into a plan in ``plans_dir`` (converted_plan); without ``confirm``
    that is all, and the plan approved is that one.

    With ``reviewed_sha256`` (the digest the review showed) and ``confirm``, the approval is refused,
    before anything is written, unless the plan file still has that digest: an edit between the review
    and the person's yes would otherwise be approved unseen. Converting, inlining (and pinning, see
    guard/pin_fetched.py) then only look: a plan they would change is not the plan reviewed.
    """
    reviewed = reviewed_digest(params) if params["confirm"] else None
    if is_markdown(params["plan"]):
        converted = converted_plan(params, check_mode or reviewed is not None)
        if reviewed is not None and converted["converted"]:
            raise not_as_reviewed(params["plan"], reviewed, "changed since the review: no plan made from it as it "
                                  "is now is in plans_dir")
        if not params["confirm"] or check_mode and converted["converted"]:
            return dict(converted, inlined=[])
        params = dict(params, plan=converted["path"])
    inlined = inline_files(params, check_mode or reviewed is not None) if params.get("inline_files") else None
    if reviewed is not None and inlined and inlined["changed"]:
        raise not_as_reviewed(inlined["path"], reviewed, "still reads files (file://) that inlining would write into "
                              "it after the review")
    if inlined is not None and (not params["confirm"] or check_mode and inlined["changed"]):
        return inlined
    if not params["confirm"]:
        raise CoworkerError(_not_approved(params, check_mode))
    if not (params["approved_by"] or "").strip():
        raise CoworkerError("approved_by must name who approves")
    try:
        loaded = load_plan(params["plan"], params["plans_dir"], verify=False)
    except PlanError as exc:
        raise CoworkerError("cannot approve an invalid plan:\n%s" % exc) from None
    if reviewed is not None and loaded["sha256"] != reviewed:
        raise not_as_reviewed(loaded["path"], reviewed, "changed since the review: it now has digest %s"
                              % loaded["sha256"])
    if loaded["plan"]["guardrail"]["status"] == "FAIL":
        raise CoworkerError("%s: guardrail.status: FAIL — a plan that failed guardrail validation cannot "
                            "be approved" % loaded["path"])
    if params.get("signing_key"):
        approval = signed_approval(loaded["document"], loaded["sha256"], params["approved_by"].strip(),
                                   (params.get("principal") or params["approved_by"]).strip(), params["signing_key"],
                                   params["expires_in_days"])
    else:
        approval = approval_block(loaded["document"], params["approved_by"].strip(),
                                  expires_in_days=params["expires_in_days"])
    with open(loaded["path"], encoding="utf-8") as handle:
        before = handle.read()
    if plan_digest(parse_document(before, loaded["path"])) != loaded["sha256"]:  # edited since load_plan read it
        raise CoworkerError("%s changed while it was being approved: not approved, nothing was written; run "
                            "approve_plan again to review the plan as it is now" % loaded["path"])
    after = with_approval(before, loaded["path"], approval)
    result = dict(changed=True, path=loaded["path"], approval=approval, sha256=approval["plan_sha256"],
                  inlined=inlined["inlined"] if inlined else [])
    if diff:
        result["diff"] = {"before": before, "after": after, "before_header": loaded["path"],
                          "after_header": loaded["path"]}
    written = parse_document(after, loaded["path"])
    verify_approval(written, loaded["plan"], plan_digest(written), loaded["path"])  # before touching the file
    if not check_mode:
        write_atomically(loaded["path"], after)
    return result
