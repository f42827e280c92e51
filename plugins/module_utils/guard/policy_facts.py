# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The document a guardrail rule sees: one resolved call, plus facts read from it.

Every call of a step is judged: its main call, validate calls, waiter and rollback calls. Fields:
``action`` (``service:Operation``), ``service``, ``operation``, ``call`` ("" for the main call,
``validate[0]``, ``wait``, ``rollback[0]`` ...), ``params`` (resolved as far as values are known),
``step``, ``phase``, ``destructive``, ``target`` (environment, account_id, region), ``unknown`` (the
``${...}`` references whose values are not known yet), and facts that plain JMESPath cannot derive:

``creates``            the operation brings a resource into being (Create*, Run*, Put*, ...)
``tags``               the tags the resource ENDS the plan with (a map), or null when the call's input
                       shape takes none (botocore's model decides: Tags, TagSpecifications, TagList, S3
                       CreateBucketConfiguration.Tags): later calls of the plan that name it add tags,
                       replace them (S3 PutBucketTagging) or remove them (guard/tag_state.py)
``missing_tags``       required tag keys absent from ``tags`` or with an empty value (keys are
                       case-sensitive: ``name`` is not ``Name``); for a call that removes or replaces
                       tags, the required keys it leaves removed at the end of the plan
``removes_tags``       the call removes or replaces tags (UntagResource, DeleteTags, DeleteBucketTagging, ...)
``tags_removed_by``    the steps whose calls took a required key away from what this call creates
``missing_tags_text``  what required-tags shows: "missing Owner (removed by step untag)", "leaves removed Owner"
``ingress``            each ingress range: {cidr, protocol, from_port, to_port, world, web, text}
``policy_statements``  every statement of every policy document of the request (the members the
                       operation's model says carry a policy; JSON strings parsed, a single
                       Statement object made a list): {admin, source}
``bucket``             for s3:CreateBucket: {encryption, public_access_block} set in the same plan
"""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import CREATING_PREFIXES, created_resource_type
from ansible_collections.coworker.aws.plugins.module_utils.aws.service_model import DESTRUCTIVE_PREFIXES
from ansible_collections.coworker.aws.plugins.module_utils.guard.tag_state import tag_pairs
from ansible_collections.coworker.aws.plugins.module_utils.guard.values import policy_documents
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import iter_strings, references_in

TAG_MEMBERS = ("Tags", "TagList")
ALL_PROTOCOLS = ("-1", "all")
WEB_PORTS = (80, 443)
PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def unknown_references(params, context):
    """The ``${scope.name}`` references in ``params`` that ``context`` has no value for yet."""
    missing = []
    for _path, text in iter_strings(params):
        for scope, name in references_in(text):
            if name not in (context.get(scope) or {}):
                missing.append("%s.%s" % (scope, name))
    return list(dict.fromkeys(missing))


def creates(operation):
    return operation.startswith(CREATING_PREFIXES) and "Tag" not in operation


def call_tags(service, operation, params):
    """The tags a call gives, or None when its input shape cannot carry tags."""
    shape = service_model.operation_model(service, operation).input_shape
    members = shape.members if shape is not None else {}
    if "TagSpecifications" in members:
        wanted = created_resource_type(members["TagSpecifications"], operation)
        tags = {}
        for spec in params.get("TagSpecifications") or []:
            # only the tags of the resource the call makes count: tagging its network interface is not tagging it
            if isinstance(spec, dict) and (wanted is None or spec.get("ResourceType") == wanted):
                tags.update(tag_pairs(spec.get("Tags")))
        return tags
    for member in TAG_MEMBERS:
        if member in members:
            return tag_pairs(params.get(member))
    if (service, operation) == ("s3", "CreateBucket"):
        return tag_pairs((params.get("CreateBucketConfiguration") or {}).get("Tags"))
    return None


def missing_tags(tags, required):
    tags = tags or {}
    return [key for key in required if not (isinstance(tags.get(key), str) and tags[key].strip())]


def _port(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _range(protocol, from_port, to_port, cidr):
    protocol = str(protocol if protocol is not None else "").strip().lower()
    text = str(cidr).strip() if isinstance(cidr, str) else repr(cidr)
    try:
        world = ipaddress.ip_network(text, strict=False).prefixlen == 0
    except ValueError:
        world = True  # AWS would refuse it; a rule cannot tell what it means, so it counts as open
    from_port, to_port = _port(from_port), _port(to_port)
    web = protocol in ("tcp", "6") and from_port == to_port and from_port in WEB_PORTS
    ports = "all ports" if protocol in ALL_PROTOCOLS else "%s %s-%s" % (protocol or "?", from_port, to_port)
    return {"cidr": text, "protocol": protocol, "from_port": from_port, "to_port": to_port, "world": world,
            "web": web, "text": "%s from %s" % (ports, text)}


def ingress(params):
    """Every address range a security group ingress call opens, in one form."""
    ranges = []
    if params.get("CidrIp") is not None:  # the old flat form of AuthorizeSecurityGroupIngress
        ranges.append(_range(params.get("IpProtocol"), params.get("FromPort"), params.get("ToPort"), params["CidrIp"]))
    for perm in params.get("IpPermissions") or []:
        if not isinstance(perm, dict):
            continue
        cidrs = [r.get("CidrIp") for r in perm.get("IpRanges") or [] if isinstance(r, dict)]
        cidrs += [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges") or [] if isinstance(r, dict)]
        ranges.extend(_range(perm.get("IpProtocol"), perm.get("FromPort"), perm.get("ToPort"), c)
                      for c in cidrs if c is not None)
    for rule in params.get("SecurityGroupRules") or []:  # ModifySecurityGroupRules
        body = (rule or {}).get("SecurityGroupRule") if isinstance(rule, dict) else None
        if isinstance(body, dict):
            for key in ("CidrIpv4", "CidrIpv6"):
                if body.get(key) is not None:
                    ranges.append(_range(body.get("IpProtocol"), body.get("FromPort"), body.get("ToPort"), body[key]))
    return ranges


def _as_list(value):
    return [value] if not isinstance(value, list) else value


def _is_everything(values):
    return any(isinstance(v, str) and v.strip() in ("*", "*:*") for v in _as_list(values))


def _statements(name, document):
    """The statements of one policy document; an unreadable one is reported as admin (fail closed)."""
    if document is None:  # not given (or not known yet): no policy to judge
        return []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return [{"admin": True, "source": "%s (not valid JSON)" % name}]
    if not isinstance(document, dict):
        return [{"admin": True, "source": "%s (not a policy document)" % name}]
    statements = []
    for index, statement in enumerate(_as_list(document.get("Statement") or [])):
        if not isinstance(statement, dict):
            continue
        allow = str(statement.get("Effect", "")).strip().lower() == "allow"
        admin = allow and _is_everything(statement.get("Action")) and _is_everything(statement.get("Resource"))
        statements.append({"admin": admin, "source": "%s Statement[%d]" % (name, index)})
    return statements


def policy_statements(service, operation, params):
    """Statements of every policy document of the request, as the operation's model identifies them."""
    found = []
    for path, value in policy_documents(service, operation, params):
        found.extend(_statements(path, value))
    return found


def _blocks_everything(config):
    return isinstance(config, dict) and all(config.get(key) is True for key in PAB_KEYS)


def bucket_companions(calls):
    """Bucket name -> what the plan does for it: encryption, public access block."""
    buckets = {}
    for call in calls:
        bucket = call["params"].get("Bucket")
        if call["service"] != "s3" or not isinstance(bucket, str):
            continue
        entry = buckets.setdefault(bucket, {"encryption": False, "public_access_block": False})
        if call["operation"] == "PutBucketEncryption":
            entry["encryption"] = True
        elif call["operation"] == "PutPublicAccessBlock":
            entry["public_access_block"] = entry["public_access_block"] or _blocks_everything(
                call["params"].get("PublicAccessBlockConfiguration"))
    return buckets


def call_document(call, params, unknown, target, required_tags, plan_facts):
    """The document the rules of one call are evaluated against.

    ``call``: ``{step, label, service, operation, region}`` (label "" for the step's main call,
    ``validate[0]``, ``rollback[0]``, ``wait`` for the others); ``plan_facts``: what the whole plan does
    (``buckets``: bucket_companions, ``tags``: guard/tag_state.end_states of this call, or None).
    """
    step, service, operation = call["step"], call["service"], call["operation"]
    doc = {"action": "%s:%s" % (service, operation), "service": service, "operation": operation, "call": call["label"],
           "params": params, "step": step["id"], "phase": step["phase"], "target": target, "unknown": unknown,
           "destructive": step["destructive"] if not call["label"] else operation.startswith(DESTRUCTIVE_PREFIXES),
           "creates": creates(operation), "bucket": None, "removes_tags": False, "tags_removed_by": [],
           "ingress": ingress(params), "policy_statements": policy_statements(service, operation, params)}
    tags = call_tags(service, operation, params)
    if (service, operation) == ("s3", "CreateBucket"):
        companions = plan_facts["buckets"].get(params.get("Bucket"), {"encryption": False,
                                                                      "public_access_block": False})
        doc["bucket"] = {"encryption": companions["encryption"], "public_access_block": companions["public_access_block"]}
        tags = tags or {}  # a bucket always takes tags: CreateBucketConfiguration.Tags or a later PutBucketTagging
    end = plan_facts.get("tags")
    if end and "removes" in end:
        doc.update(removes_tags=True, tags={}, missing_tags=list(end["removes"]),
                   missing_tags_text="leaves removed %s" % ", ".join(end["removes"]))
        return doc
    if end and tags is not None:
        tags, doc["tags_removed_by"] = end["tags"], end["removed_by"]
    doc["tags"] = tags
    doc["missing_tags"] = missing_tags(tags, required_tags) if tags is not None else []
    doc["missing_tags_text"] = "missing %s%s" % (", ".join(doc["missing_tags"]), " (removed by step %s)" % ", ".join(
        doc["tags_removed_by"]) if doc["tags_removed_by"] else "")
    return doc
