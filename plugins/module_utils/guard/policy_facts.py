# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The document a guardrail rule sees: one resolved call, plus facts read from it.

Fields: ``action`` (``service:Operation``), ``service``, ``operation``, ``params`` (resolved as
far as values are known), ``step``, ``phase``, ``destructive``, ``target`` (environment,
account_id, region), ``unknown`` (the ``${...}`` references whose values are not known yet),
and facts that plain JMESPath cannot derive:

``creates``            the operation brings a resource into being (Create*, Run*, Put*, ...)
``tags``               the tags the call gives (a map), or null when its input shape takes none
                       (botocore's model decides: Tags, TagSpecifications, TagList, S3
                       CreateBucketConfiguration.Tags; an S3 bucket also counts the plan's
                       PutBucketTagging of the same bucket)
``missing_tags``       required tag keys absent from ``tags`` or with an empty value (keys are
                       case-sensitive: ``name`` is not ``Name``)
``ingress``            each ingress range: {cidr, protocol, from_port, to_port, world, web, text}
``policy_statements``  every statement of every policy document in the params (JSON strings
                       parsed, a single Statement object made a list): {admin, source}
``bucket``             for s3:CreateBucket: {encryption, public_access_block} set in the same plan
"""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import CREATING_PREFIXES, created_resource_type
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


def _tag_map(value):
    """A Key/Value list or a map, as a map; anything else gives no tags."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return {t["Key"]: t.get("Value") for t in value if isinstance(t, dict) and isinstance(t.get("Key"), str)}
    return {}


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
                tags.update(_tag_map(spec.get("Tags")))
        return tags
    for member in TAG_MEMBERS:
        if member in members:
            return _tag_map(params.get(member))
    if (service, operation) == ("s3", "CreateBucket"):
        return _tag_map((params.get("CreateBucketConfiguration") or {}).get("Tags"))
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


def policy_statements(params):
    """Statements of every policy document among the params (PolicyDocument, Policy, ...)."""
    found = []
    for key, value in params.items():
        if key.endswith("PolicyDocument") or key == "Policy":
            found.extend(_statements(key, value))
    return found


def _blocks_everything(config):
    return isinstance(config, dict) and all(config.get(key) is True for key in PAB_KEYS)


def bucket_companions(calls):
    """Bucket name -> what the plan does for it: encryption, public access block, tags."""
    buckets = {}
    for call in calls:
        bucket = call["params"].get("Bucket")
        if call["service"] != "s3" or not isinstance(bucket, str):
            continue
        entry = buckets.setdefault(bucket, {"encryption": False, "public_access_block": False, "tags": {}})
        if call["operation"] == "PutBucketEncryption":
            entry["encryption"] = True
        elif call["operation"] == "PutPublicAccessBlock":
            entry["public_access_block"] = entry["public_access_block"] or _blocks_everything(
                call["params"].get("PublicAccessBlockConfiguration"))
        elif call["operation"] == "PutBucketTagging":
            entry["tags"].update(_tag_map((call["params"].get("Tagging") or {}).get("TagSet")))
    return buckets


def call_document(step, params, unknown, target, required_tags, buckets):
    """The document the rules of one call are evaluated against."""
    call = step["call"]
    service, operation = call["service"], call["operation"]
    tags = call_tags(service, operation, params)
    doc = {"action": "%s:%s" % (service, operation), "service": service, "operation": operation,
           "params": params, "step": step["id"], "phase": step["phase"], "destructive": step["destructive"],
           "target": target, "unknown": unknown, "creates": creates(operation), "bucket": None,
           "ingress": ingress(params), "policy_statements": policy_statements(params)}
    if (service, operation) == ("s3", "CreateBucket"):
        companions = buckets.get(params.get("Bucket"), {"encryption": False, "public_access_block": False, "tags": {}})
        doc["bucket"] = {"encryption": companions["encryption"], "public_access_block": companions["public_access_block"]}
        tags = dict(companions["tags"], **(tags or {}))
    doc["tags"] = tags
    doc["missing_tags"] = missing_tags(tags, required_tags) if tags is not None else []
    return doc
