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
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import find_plan, parse_document
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.inline import inline_plan_files
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan

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


def approve(params, check_mode=False, diff=False):
    """Validate the plan and write its approval block; return the task result.

    With ``inline_files`` the files the plan's commands read are written into the plan first; without
    ``confirm`` that is all it does (the playbook inlines, shows the plan, then asks for the approval).
    """
    inlined = inline_files(params, check_mode) if params.get("inline_files") else None
    if inlined is not None and (not params["confirm"] or check_mode and inlined["changed"]):
        return inlined
    if not params["confirm"]:
        raise CoworkerError("not approved: confirm is false — the plan file was not changed")
    if not (params["approved_by"] or "").strip():
        raise CoworkerError("approved_by must name who approves")
    try:
        loaded = load_plan(params["plan"], params["plans_dir"], verify=False)
    except PlanError as exc:
        raise CoworkerError("cannot approve an invalid plan:\n%s" % exc) from None
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
