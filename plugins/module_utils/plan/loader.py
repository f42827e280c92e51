# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read plan documents as plain data and find them by path, id or ``last``.

Plans are data. YAML is read with a safe loader that knows no tags, no
aliases and no timestamps (a timestamp stays the string it was, so the digest
is computed over exactly what the planner wrote), and refuses duplicate keys,
which YAML would otherwise silently collapse.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.timeutil import parse_time
from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import (
    NotPlainData, TooDeep, YAMLError, load_yaml, yaml_events)

PLAN_SUFFIXES = (".yml", ".yaml", ".json")
MARKDOWN_SUFFIXES = (".md", ".markdown")
PLAN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_PLAN_BYTES = 32 * 1024 * 1024
# A plan, params included, is a few levels deep; past this it is an attack or a mistake.
# Whichever layer notices first (libyaml's own limit, Python's recursion limit, or this
# walk), the person gets the same message.
MAX_NESTING = 100
TOO_DEEP = "nested too deeply to be a plan (more than %d levels)" % MAX_NESTING


_PLAIN_TYPES = (dict, list, str, int, float, bool, type(None))


def _check_plain_data(data, source):
    """Only JSON's types (an explicit YAML tag such as !!binary, !!set, !!timestamp builds something
    else), and no deeper than MAX_NESTING."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, _PLAIN_TYPES):
            raise PlanError(source, [("", "a value of type %s (an explicit YAML tag?) is not plain data"
                                      % type(item).__name__)])
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth >= MAX_NESTING:
            raise PlanError(source, [("", TOO_DEEP)])
        stack.extend((child, depth + 1) for child in children)


def _reject_aliases(text, source):
    """Anchors and aliases are refused outright (no billion laughs, no hidden sharing)."""
    if "&" not in text and "*" not in text:
        return
    for event in yaml_events(text):
        if event.__class__.__name__ == "AliasEvent" or getattr(event, "anchor", None):
            raise PlanError(source, [("", "YAML anchors and aliases are not allowed in a plan (line %d)"
                                      % (event.start_mark.line + 1))])


def _json_object(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate key %r" % key)
        result[key] = value
    return result


def parse_document(text, source):
    """Parse plan text (JSON or YAML) into plain dicts, lists and scalars."""
    stripped = text.lstrip()
    as_json = str(source).endswith(".json") or stripped.startswith("{")
    try:
        if as_json:
            data = json.loads(text, object_pairs_hook=_json_object)
        else:
            _reject_aliases(text, source)
            data = load_yaml(text, MAX_NESTING)  # plain data, depth checked, in the same walk
    except NotPlainData as exc:
        raise PlanError(source, [("", "a value of type %s (an explicit YAML tag?) is not plain data"
                                  % exc.type_name)]) from None
    except TooDeep:
        raise PlanError(source, [("", TOO_DEEP)]) from None
    except YAMLError as exc:
        if "maximum nesting depth" in str(exc):  # libyaml (PyYAML >= 6.0.2) stops deep flow nesting itself
            raise PlanError(source, [("", TOO_DEEP)]) from None
        raise PlanError(source, [("", "not valid YAML: %s" % " ".join(str(exc).split()))]) from None
    except ValueError as exc:
        raise PlanError(source, [("", "not valid JSON: %s" % exc)]) from None
    except RecursionError:
        raise PlanError(source, [("", TOO_DEEP)]) from None
    if not isinstance(data, dict):
        raise PlanError(source, [("", "a plan must be a mapping at the top level, got %s"
                                  % type(data).__name__)])
    if as_json:
        _check_plain_data(data, source)
    return data


def read_document(path):
    """Read and parse one plan file."""
    try:
        size = os.path.getsize(path)
        if size > MAX_PLAN_BYTES:
            raise PlanError(path, [("", "file is %d bytes, more than the %d allowed" % (size, MAX_PLAN_BYTES))])
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise PlanError(path, [("", "cannot read plan file: %s" % exc.strerror)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(path, [("", "not UTF-8 text: %s" % exc)]) from None
    return parse_document(text, path)


def _candidates(plans_dir):
    try:
        names = sorted(os.listdir(plans_dir))
    except OSError as exc:
        raise PlanError(plans_dir, [("plans_dir", "cannot list plans directory: %s" % exc.strerror)]) from None
    return [os.path.join(plans_dir, n) for n in names if n.endswith(PLAN_SUFFIXES)]


def _peek(path):
    """Return (id, created) of a plan file, or None when it cannot be read."""
    try:
        doc = read_document(path)
    except PlanError:
        return None
    return doc.get("id"), doc.get("created")


def is_markdown(ref):
    """A plan reference that names the planner's Markdown rather than a plan."""
    return isinstance(ref, str) and ref.strip().lower().endswith(MARKDOWN_SUFFIXES)


def file_sha256(path):
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise PlanError(path, [("", "cannot read the Markdown plan: %s" % exc.strerror)]) from None
    return digest.hexdigest()


def plans_made_from(markdown_path, plans_dir):
    """``(plans recording this Markdown as it is now, other plans made from a file of the same name)``:
    each a list of ``(path, sha256 recorded)``; plans_dir's files that cannot be read are skipped."""
    sha256, name = file_sha256(markdown_path), os.path.basename(markdown_path)
    same, older = [], []
    for path in _candidates(os.path.expanduser(plans_dir)):
        try:
            record = read_document(path).get("markdown")
        except PlanError:
            continue
        if not isinstance(record, dict):
            continue
        if record.get("sha256") == sha256:
            same.append((path, sha256))
        elif record.get("file") == name:
            older.append((path, str(record.get("sha256"))))
    return same, older


def find_markdown_plan(markdown_path, plans_dir):
    """The plan made (by approve_plan) from this Markdown exactly as it is now, in ``plans_dir``."""
    if not plans_dir:
        raise PlanError(markdown_path, [("plan", "a Markdown plan runs as the plan approved from it: set plans_dir "
                                                 "to the directory approve_plan wrote it to")])
    same, older = plans_made_from(markdown_path, plans_dir)
    if len(same) == 1:
        return os.path.abspath(same[0][0])
    if same:
        raise PlanError(markdown_path, [("plan", "several plans were made from this Markdown: %s; keep one"
                                         % ", ".join(path for path, _sha in same))])
    earlier = "; ".join("%s was made from it when its sha256 was %s" % (path, sha[:12]) for path, sha in older)
    raise PlanError(markdown_path, [("plan", "no plan in %s was approved from this Markdown as it is now (sha256 %s): "
                                             "it was never approved, or it changed since%s. Review and approve it: "
                                             "ansible-playbook playbooks/approve_plan.yml -e plan=%s" % (
                                                 plans_dir, file_sha256(markdown_path)[:12],
                                                 " (%s)" % earlier if earlier else "", markdown_path))])


def find_plan(ref, plans_dir=None):
    """Turn ``plan`` (a path, a plan id in ``plans_dir`` or ``last``) into a file path.

    A Markdown file (``.md``) stands for the plan approved from it: the plan in ``plans_dir`` that
    records this file's sha256 (see find_markdown_plan)."""
    if not isinstance(ref, str) or not ref.strip():
        raise PlanError("<plan>", [("plan", "give a plan file path, a plan id or 'last'")])
    ref = ref.strip()
    if os.path.isfile(os.path.expanduser(ref)):
        path = os.path.abspath(os.path.expanduser(ref))
        return find_markdown_plan(path, plans_dir) if is_markdown(path) else path
    if ref != "last" and not PLAN_ID_RE.match(ref):
        raise PlanError(ref, [("plan", "no such file, and not a valid plan id")])
    if not plans_dir:
        raise PlanError(ref, [("plan", "no such file; to find a plan by id or 'last', set plans_dir")])
    plans_dir = os.path.expanduser(plans_dir)
    found = [(path, _peek(path)) for path in _candidates(plans_dir)]
    found = [(path, meta) for path, meta in found if meta is not None]
    if ref == "last":
        dated = [(parse_time(meta[1]), path) for path, meta in found if isinstance(meta[1], str)]
        dated = [(when, path) for when, path in dated if when is not None]
        if not dated:
            raise PlanError(plans_dir, [("plan", "'last' found no readable plan with a 'created' time")])
        return os.path.abspath(max(dated)[1])
    matches = [path for path, meta in found if meta[0] == ref]
    if not matches:
        raise PlanError(plans_dir, [("plan", "no plan with id %r in this directory" % ref)])
    if len(matches) > 1:
        raise PlanError(plans_dir, [("plan", "plan id %r is in several files: %s" % (ref, ", ".join(matches)))])
    return os.path.abspath(matches[0])
