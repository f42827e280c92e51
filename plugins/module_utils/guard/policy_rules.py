# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guardrail rules as data, and the ``guardrails`` key of a class in the environments file.

A rule is JMESPath over one resolved call of the plan (see guard/policy_facts.py for the
document it sees)::

    {id: no-public-buckets, description: ..., severity: FAIL | WARN,
     applies_to: ["s3:*"], when: <JMESPath, optional>, require: <JMESPath that must be truthy>,
     detail: <JMESPath, optional: what is shown next to a step that breaks the rule>}

Three more kinds cannot be said in JMESPath over one call and are configured, not written:
``max_resources`` (counts over the whole plan), ``change_window`` (the clock) and
``ticket`` (the plan's top-level ``ticket``). Per class::

    guardrails:
      required_tags: [Name, Environment, Owner]   # makes required-tags FAIL (default keys: WARN)
      severity: {s3-public-access-block: FAIL}    # raise or lower a built-in rule
      disable: [s3-public-access-block]           # turn a rule off
      rules: [ ...user rules... ]
      max_resources: {"ec2:RunInstances": 10}     # RunInstances counts MaxCount
      change_window: {days: [Mon, Tue, Wed, Thu, Fri], start: "09:00", end: "17:00", timezone: Europe/Paris}
      ticket: required                            # optional: ticket_pattern: "CHG-[0-9]+"

No Ansible imports: this runs inside module zips and in controller plugins.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError

DEFAULT_TAG_KEYS = ("Name", "Environment", "Owner", "CostCenter", "Application", "CreatedBy")
SEVERITIES = ("FAIL", "WARN")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KEYS = ("required_tags", "severity", "disable", "rules", "max_resources", "change_window", "ticket",
        "ticket_pattern")
RULE_KEYS = ("id", "description", "severity", "applies_to", "when", "require", "detail")
RULE_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
APPLIES_RE = re.compile(r"[a-z0-9*?][a-z0-9*?-]*:[A-Za-z0-9*?]+")
OPERATION_RE = re.compile(r"[a-z0-9][a-z0-9-]*:[A-Z][A-Za-z0-9]*")
CLOCK_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

# The built-in set. Each is on by default; the severities are the defaults (see docs/policies.md).
BUILTIN_RULES = (
    {"id": "required-tags", "severity": "WARN",
     "description": "what a creating call makes ends the plan with the required tag keys (non-empty values), "
                    "and no call leaves one removed",
     "applies_to": ["*:*"], "when": "tags != null && (creates || removes_tags)",
     "require": "length(missing_tags) == `0`",
     "detail": "missing_tags_text"},
    {"id": "s3-bucket-encryption", "severity": "WARN",
     "description": "a plan that creates a bucket also sets its default encryption (s3:PutBucketEncryption)",
     "applies_to": ["s3:CreateBucket"], "require": "bucket.encryption"},
    {"id": "s3-public-access-block", "severity": "WARN",
     "description": "a plan that creates a bucket also blocks public access (s3:PutPublicAccessBlock, all four settings)",
     "applies_to": ["s3:CreateBucket"], "require": "bucket.public_access_block"},
    {"id": "no-open-ingress", "severity": "FAIL",
     "description": "no security group ingress from 0.0.0.0/0 or ::/0 except TCP 80 and 443",
     "applies_to": ["ec2:AuthorizeSecurityGroupIngress", "ec2:ModifySecurityGroupRules"],
     "require": "!(ingress[?world && !web])", "detail": "join(', ', ingress[?world && !web].text)"},
    {"id": "iam-no-admin-wildcard", "severity": "FAIL",
     "description": "no policy document allows Action \"*\" on Resource \"*\"",
     "applies_to": ["*:*"], "when": "policy_statements != `[]`", "require": "!(policy_statements[?admin])",
     "detail": "join(', ', policy_statements[?admin].source)"},
)
BUILTIN_IDS = tuple(rule["id"] for rule in BUILTIN_RULES)
KIND_IDS = ("max-resources", "change-window", "ticket-reference")


def _compile(path, field, expression):
    try:
        import jmespath
        from jmespath.exceptions import JMESPathError
    except ImportError:  # pragma: no cover - jmespath is a runtime requirement
        raise ConfigError(path, field, "the jmespath library is needed to read guardrail rules") from None
    if not isinstance(expression, str) or not expression.strip():
        raise ConfigError(path, field, "must be a JMESPath expression (a non-empty string)")
    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        raise ConfigError(path, field, "not valid JMESPath: %s" % str(exc).splitlines()[0]) from None
    return expression


def _strings(path, field, value, pattern=None, what="a non-empty string"):
    if not isinstance(value, list):
        raise ConfigError(path, field, "must be a list, got %s" % type(value).__name__)
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item or (pattern is not None and not pattern.fullmatch(item)):
            raise ConfigError(path, "%s[%d]" % (field, index), "must be %s, got %r" % (what, item))
    return list(dict.fromkeys(value))


def _user_rule(path, field, rule):
    if not isinstance(rule, dict):
        raise ConfigError(path, field, "a rule is a mapping with keys %s" % ", ".join(RULE_KEYS))
    unknown = sorted(str(key) for key in rule if key not in RULE_KEYS)
    if unknown:
        raise ConfigError(path, "%s.%s" % (field, unknown[0]), "unknown key (allowed: %s)" % ", ".join(RULE_KEYS))
    for key in ("id", "require", "applies_to"):
        if key not in rule:
            raise ConfigError(path, "%s.%s" % (field, key), "required")
    if not isinstance(rule["id"], str) or not RULE_ID_RE.fullmatch(rule["id"]):
        raise ConfigError(path, field + ".id", "must match %s, got %r" % (RULE_ID_RE.pattern, rule["id"]))
    severity = rule.get("severity", "FAIL")
    if severity not in SEVERITIES:
        raise ConfigError(path, field + ".severity", "must be FAIL or WARN, got %r" % (severity,))
    description = rule.get("description", rule["id"])
    if not isinstance(description, str):
        raise ConfigError(path, field + ".description", "must be a string")
    result = {"id": rule["id"], "severity": severity, "description": description,
              "applies_to": _strings(path, field + ".applies_to", rule["applies_to"], APPLIES_RE,
                                     "a service:Operation pattern such as ec2:Create* or s3:*")}
    for key in ("when", "require", "detail"):
        if key in rule:
            result[key] = _compile(path, "%s.%s" % (field, key), rule[key])
    return result


def _user_rules(path, field, value):
    if not isinstance(value, list):
        raise ConfigError(path, field, "must be a list of rules")
    rules, seen = [], set(BUILTIN_IDS + KIND_IDS)
    for index, rule in enumerate(value):
        parsed = _user_rule(path, "%s[%d]" % (field, index), rule)
        if parsed["id"] in seen:
            raise ConfigError(path, "%s[%d].id" % (field, index), "rule id %r is already taken" % parsed["id"])
        seen.add(parsed["id"])
        rules.append(parsed)
    return rules


def _severity(path, field, value):
    if not isinstance(value, dict):
        raise ConfigError(path, field, "must be a mapping of rule id to FAIL or WARN")
    for rule, severity in value.items():
        if rule not in BUILTIN_IDS:
            raise ConfigError(path, "%s.%s" % (field, rule), "not a built-in rule (%s)" % ", ".join(BUILTIN_IDS))
        if severity not in SEVERITIES:
            raise ConfigError(path, "%s.%s" % (field, rule), "must be FAIL or WARN, got %r" % (severity,))
    return dict(value)


def _max_resources(path, field, value):
    if not isinstance(value, dict):
        raise ConfigError(path, field, "must be a mapping of service:Operation to a number")
    for operation, limit in value.items():
        where = "%s.%s" % (field, operation)
        if not isinstance(operation, str) or not OPERATION_RE.fullmatch(operation):
            raise ConfigError(path, where, "must be service:Operation exactly (e.g. ec2:RunInstances)")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ConfigError(path, where, "must be a number of resources (0 or more), got %r" % (limit,))
    return dict(value)


def _change_window(path, field, value):
    if not isinstance(value, dict):
        raise ConfigError(path, field, "must be a mapping with days, start, end and timezone")
    unknown = sorted(str(key) for key in value if key not in ("days", "start", "end", "timezone"))
    if unknown:
        raise ConfigError(path, "%s.%s" % (field, unknown[0]), "unknown key (allowed: days, start, end, timezone)")
    days = _strings(path, field + ".days", value.get("days", list(DAYS)), re.compile("|".join(DAYS)),
                    "one of %s" % ", ".join(DAYS))
    for key in ("start", "end"):
        if not isinstance(value.get(key), str) or not CLOCK_RE.fullmatch(value[key]):
            raise ConfigError(path, "%s.%s" % (field, key), "must be a time \"HH:MM\" (24-hour), got %r"
                              % (value.get(key),))
    zone = value.get("timezone", "UTC")
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(zone)
    except Exception:  # pylint: disable=broad-exception-caught  # ValueError, ZoneInfoNotFoundError, TypeError
        raise ConfigError(path, field + ".timezone", "unknown time zone %r (an IANA name such as UTC or "
                          "Europe/Paris)" % (zone,)) from None
    return {"days": days, "start": value["start"], "end": value["end"], "timezone": zone}


def _ticket(path, field, value):
    ticket = value.get("ticket", "optional")
    if ticket not in ("required", "optional"):
        raise ConfigError(path, field + ".ticket", "must be required or optional, got %r" % (ticket,))
    pattern = value.get("ticket_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ConfigError(path, field + ".ticket_pattern", "not a regular expression: %s" % exc) from None
    return ticket, pattern


def load_guardrails(path, field, value):
    """The validated ``guardrails`` of one class (``None`` or absent: the built-in defaults)."""
    value = {} if value is None else value
    if not isinstance(value, dict):
        raise ConfigError(path, field, "must be a mapping with keys %s" % ", ".join(KEYS))
    unknown = sorted(str(key) for key in value if key not in KEYS)
    if unknown:
        raise ConfigError(path, "%s.%s" % (field, unknown[0]), "unknown key (allowed: %s)" % ", ".join(KEYS))
    severity = _severity(path, field + ".severity", value.get("severity", {}))
    if "required_tags" in value:  # a class that names its tags means them: FAIL unless severity says otherwise
        severity.setdefault("required-tags", "FAIL")
    disable = _strings(path, field + ".disable", value.get("disable", []))
    known = BUILTIN_IDS + KIND_IDS + tuple(r.get("id") for r in value.get("rules") or [] if isinstance(r, dict))
    for index, rule in enumerate(disable):
        if rule not in known:
            raise ConfigError(path, "%s.disable[%d]" % (field, index), "no rule %r (built-in: %s)"
                              % (rule, ", ".join(BUILTIN_IDS)))
    ticket, pattern = _ticket(path, field, value)
    window = value.get("change_window")
    return {
        "required_tags": _strings(path, field + ".required_tags", value.get("required_tags", list(DEFAULT_TAG_KEYS))),
        "severity": severity,
        "disable": disable,
        "rules": _user_rules(path, field + ".rules", value.get("rules", [])),
        "max_resources": _max_resources(path, field + ".max_resources", value.get("max_resources", {})),
        "change_window": _change_window(path, field + ".change_window", window) if window is not None else None,
        "ticket": ticket,
        "ticket_pattern": pattern,
    }


def active_rules(guardrails):
    """The JMESPath rules in force for a class: the built-in set with its severities, then the user's."""
    rules = []
    for rule in BUILTIN_RULES + tuple(guardrails["rules"]):
        if rule["id"] in guardrails["disable"]:
            continue
        rules.append(dict(rule, severity=guardrails["severity"].get(rule["id"], rule["severity"])))
    return rules
