# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tags a resource ends the plan with: later calls add, replace and remove tags.

The required-tags rule judges the end state, not only the creating call: a later
``PutBucketTagging`` replaces the bucket's whole tag set (S3 does not merge), and
``DeleteBucketTagging``, ``UntagResource``, ``DeleteTags`` (EC2; without ``Tags`` it removes
them all), ``RemoveTagsFromResource``, ``RemoveTags`` ... take keys away. A call changes the
tags of a resource when it names it: the creating step's output (``${make.vpc_id}``) or the
same literal name (the bucket, the role name); the creating call then breaks the rule, naming
the steps that took the key away. A call that removes (or replaces away) a required key of a
resource the plan did not create breaks the rule itself, unless a later call gives the key back:
the resource ends without it.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.plan.references import iter_strings, references_in

ADDING_RE = re.compile(r"(Tag[A-Z]\w*|TagResource|CreateTags|AddTags\w*)")
REMOVING_RE = re.compile(r"(Untag\w*|DeleteTags|RemoveTags\w*|DeleteBucketTagging)")
REPLACING = frozenset({("s3", "PutBucketTagging")})
# members that carry tags or tag keys (not what the call names)
TAG_MEMBER_RE = re.compile(r"(tags?|taglist|tagkeys?|tagkeylist|tagging|tagset|keys)", re.I)
# members of a create that give the new resource its name (ids come back as the step's outputs)
NAME_MEMBER_RE = re.compile(r"\w*name|bucket", re.I)
EVERY_KEY = "*"


def tag_pairs(value):
    """A Key/Value list (either case) or a map, as a map; anything else gives no tags."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        pairs = {}
        for tag in value:
            if isinstance(tag, dict):
                key = tag.get("Key", tag.get("key"))
                if isinstance(key, str):
                    pairs[key] = tag.get("Value", tag.get("value"))
        return pairs
    return {}


def _removed_keys(operation, params):
    if operation == "DeleteBucketTagging" or (operation == "DeleteTags" and not params.get("Tags")):
        return EVERY_KEY  # EC2 DeleteTags without Tags removes every tag
    keys = []
    for name, value in params.items():
        if not TAG_MEMBER_RE.fullmatch(name):
            continue
        if isinstance(value, list):
            keys.extend(v if isinstance(v, str) else (v.get("Key") or v.get("key")) for v in value
                        if isinstance(v, (str, dict)))
    return [key for key in keys if isinstance(key, str)]


def tag_change(service, operation, params):
    """``("add"|"replace", {key: value})``, ``("remove", keys or "*")``, or None for a call that does not tag."""
    if (service, operation) in REPLACING:
        return "replace", tag_pairs((params.get("Tagging") or {}).get("TagSet"))
    if REMOVING_RE.fullmatch(operation):
        return "remove", _removed_keys(operation, params)
    if ADDING_RE.fullmatch(operation):
        added = {}
        for name, value in params.items():
            if TAG_MEMBER_RE.fullmatch(name):
                added.update(tag_pairs(value))
        return "add", added
    return None


def names(params, raw):
    """What a tagging call names a resource by: its top-level texts, and ``@step`` for each step output it uses."""
    found = set()
    for key, value in params.items():
        if TAG_MEMBER_RE.fullmatch(key):
            continue
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not text.startswith("<"):
                found.add(text)
    for _path, text in iter_strings({k: v for k, v in raw.items() if not TAG_MEMBER_RE.fullmatch(k)}):
        found.update("@" + scope for scope, _name in references_in(text))
    return found


def created_names(step, params):
    """What a creating call's resource is named by: ``@step`` (its outputs) and the names it is given."""
    return {"@" + step} | {value for key, value in params.items()
                           if NAME_MEMBER_RE.fullmatch(key) and isinstance(value, str) and not value.startswith("<")}


def _present(tags, key):
    return isinstance(tags.get(key), str) and bool(tags[key].strip())


def _apply(tags, change):
    kind, what = change
    if kind == "replace":
        tags.clear()
        tags.update(what)
    elif kind == "add":
        tags.update(what)
    else:
        for key in list(tags) if what == EVERY_KEY else what:
            tags.pop(key, None)


def end_states(calls, required):
    """Per call index, what the required-tags rule sees at the end of the plan.

    ``calls``: ``[{step, service, operation, params, raw, creates, tags}]`` in plan order (``tags``: what
    a creating call gives, None when it takes none). A creating call gets ``{"tags", "removed_by"}``; a
    call that removes or replaces tags gets ``{"removes": [required keys it leaves removed]}``.
    """
    changes, by_name = {}, {}
    for index, call in enumerate(calls):
        change = tag_change(call["service"], call["operation"], call["params"])
        if change:
            changes[index] = (call["step"], change, names(call["params"], call["raw"]))
            for name in changes[index][2]:
                by_name.setdefault(name, []).append(index)
    facts, of_created = {}, set()
    for index, call in enumerate(calls):
        if call["creates"] and call["tags"] is not None:
            later = _later(by_name, created_names(call["step"], call["params"]), index)
            facts[index] = _end_of_created(dict(call["tags"]), [changes[j] for j in later], required)
            of_created.update(later)
    for index, (_step, change, named) in changes.items():
        if change[0] in ("remove", "replace") and index not in of_created:  # a resource the plan did not create
            later = _later(by_name, named, index)
            facts[index] = {"removes": _left_removed(change, [changes[j] for j in later], required)}
    return facts


def _later(by_name, named, index):
    """The indexes of the tagging calls after ``index`` that name one of ``named``, in plan order."""
    return sorted({j for name in named for j in by_name.get(name, ()) if j > index})


def _end_of_created(tags, later, required):
    removed_by = []
    for step, change, _named in later:
        had = {key for key in required if _present(tags, key)}
        _apply(tags, change)
        if any(not _present(tags, key) for key in had):
            removed_by.append(step)
    return {"tags": tags, "removed_by": removed_by}


def _left_removed(change, later, required):
    kind, what = change
    if kind == "replace":
        gone = [key for key in required if not _present(what, key)]
    else:
        gone = [key for key in required if what == EVERY_KEY or key in what]
    for _step, (later_kind, later_what), _named in later:
        if later_kind in ("add", "replace"):
            gone = [key for key in gone if not _present(later_what, key)]
    return gone
