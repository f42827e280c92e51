# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tag what a run creates with the run, plan and step it came from.

A create whose answer was lost leaves a resource whose id nobody knows; with
these tags it can be found again (a service's own ``tag:`` filters, or the
Resource Groups Tagging API) and adopted or removed. Whether a call can carry
tags, and in which form, is read from the operation's botocore input shape:
``TagSpecifications`` (EC2: a resource type and its tags), a ``Tags`` list of
Key/Value pairs (IAM, SSM, DynamoDB, ...) or a ``Tags`` map (Lambda, ...).
The plan's own tags are kept; a tag of the plan with one of our keys wins.

What a plan's ``register``, ``expect`` and ``validate`` see is the answer without these
tags (``plan_view``): a plan written without knowing about them (``length(Tags) == `1```)
reads the same answer with the run's tags on or off.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model

PREFIX = "coworker:"
RUN_KEY, PLAN_KEY, STEP_KEY = PREFIX + "run-id", PREFIX + "plan-id", PREFIX + "step-id"
OUR_KEYS = frozenset((RUN_KEY, PLAN_KEY, STEP_KEY))
# Verbs of operations that bring a resource into being; others (TagResource, Update*) only
# change an existing one, which must not gain our tags.
CREATING_PREFIXES = ("Create", "Run", "Allocate", "Import", "Copy", "Put", "Register", "Request")


def run_tags(run_id, plan_id, step_id):
    return {RUN_KEY: run_id, PLAN_KEY: plan_id, STEP_KEY: step_id}


def with_run_tags(service, operation, params, tags):
    """``params`` with ``tags`` added where the operation's input shape takes tags; else unchanged."""
    if not operation.startswith(CREATING_PREFIXES) or "Tag" in operation:
        return params  # CreateTags, PutBucketTagging, ...: they tag what exists, ours must not spread
    shape = service_model.operation_model(service, operation).input_shape
    if shape is None:
        return params
    members = shape.members
    if "TagSpecifications" in members:
        return _tag_specifications(members["TagSpecifications"], operation, params, tags)
    if "Tags" in members and not _refuses_tags(service, operation, params):
        merged = _merge(members["Tags"], params.get("Tags"), tags)
        return dict(params, Tags=merged) if merged is not None else params
    return params


def _refuses_tags(service, operation, params):
    # SSM answers ValidationException to Tags with Overwrite=true (an update, not a create)
    return service == "ssm" and operation == "PutParameter" and params.get("Overwrite") is True


def _merge(tags_shape, given, ours):
    """Our tags added to the plan's, in the shape's own form (a Key/Value list or a map)."""
    if tags_shape.type_name == "map":
        return dict(ours, **(given or {}))
    member = getattr(tags_shape, "member", None)
    if tags_shape.type_name != "list" or member is None or not {"Key", "Value"} <= set(member.members):
        return None
    given = list(given or [])
    taken = {t.get("Key") for t in given if isinstance(t, dict)}
    return given + [{"Key": k, "Value": v} for k, v in ours.items() if k not in taken]


def _tag_specifications(spec_shape, operation, params, tags):
    """EC2: tag the resource the operation creates, named by the ResourceType enum."""
    resource_type = created_resource_type(spec_shape, operation)
    if resource_type is None:
        return params
    specs = [dict(s) for s in params.get("TagSpecifications") or []]
    tags_shape = spec_shape.member.members["Tags"]
    for spec in specs:
        if spec.get("ResourceType") == resource_type:
            spec["Tags"] = _merge(tags_shape, spec.get("Tags"), tags)
            break
    else:
        specs.append({"ResourceType": resource_type, "Tags": _merge(tags_shape, [], tags)})
    return dict(params, TagSpecifications=specs)


def created_resource_type(spec_shape, operation):
    """``CreateSecurityGroup`` -> ``security-group``, ``RunInstances`` -> ``instance``, if the enum has it."""
    member = spec_shape.member.members.get("ResourceType")
    allowed = set(getattr(member, "enum", None) or [])
    noun = re.sub(r"^(%s)" % "|".join(CREATING_PREFIXES), "", operation)
    kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", noun).lower()
    for candidate in (kebab, kebab[:-1] if kebab.endswith("s") else None):
        if candidate in allowed:
            return candidate
    return None


def plan_view(body):
    """``body`` as the plan sees it: every tag with one of our keys left out of its tag list or map.

    A tag list is a list under a member whose name says tags (``Tags``, ``TagList``, ``TagSet``,
    ``tags``) whose items are Key/Value pairs (any case); a tag map is a mapping under such a name.
    Returns a copy; the answer itself (journaled and reported as AWS gave it) is left as it is.
    """
    if isinstance(body, dict):
        return {key: _without_ours(value) if _names_tags(key) else plan_view(value) for key, value in body.items()}
    if isinstance(body, list):
        return [plan_view(item) for item in body]
    return body


def _without_ours(value):
    if isinstance(value, list):
        return [plan_view(item) for item in value if _tag_key(item) not in OUR_KEYS]
    if isinstance(value, dict) and not ({"Key", "key"} & set(value)):
        return {key: plan_view(item) for key, item in value.items() if key not in OUR_KEYS}
    return plan_view(value)


def _names_tags(member):
    name = member.lower()
    return name.endswith(("tags", "taglist", "tagset")) or name == "tag"


def _tag_key(item):
    return item.get("Key", item.get("key")) if isinstance(item, dict) else None


def tags_of(body, _tagged=False):
    """Every tag in a describe or tag-read answer as a dict (Key/Value lists and tag maps alike)."""
    found = {}
    if isinstance(body, dict):
        for key, value in body.items():
            tagged = _names_tags(key)
            if tagged and isinstance(value, dict) and not ({"Key", "key"} & set(value)):
                found.update({k: v for k, v in value.items() if isinstance(v, str)})
            else:
                found.update(tags_of(value, tagged))
    elif isinstance(body, list):
        for item in body:
            if _tagged and _tag_key(item) is not None:
                found[_tag_key(item)] = item.get("Value", item.get("value"))
            else:
                found.update(tags_of(item))
    return found
