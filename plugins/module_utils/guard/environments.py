# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classify an AWS account as sandbox, development, test, staging or production.

The classification comes only from the user's environments file (YAML)::

    environments:
      sandbox:    {account_ids: [], account_aliases: ["*-sandbox"], profiles: ["sandbox-*"], regions: ["*"]}
      production: {account_ids: ["111111111111"], account_aliases: ["*-prod"], profiles: ["prod-*"]}
    unknown_environment: staging

Rules:

* Every signal that matches counts: the account id from STS (exact string
  compare), the IAM account alias and the profile name (case-sensitive
  ``fnmatchcase`` patterns). An alias or profile of ``None`` (unknown or
  default credentials) contributes no signal.
* The most restrictive matched class wins (production > staging > test >
  development > sandbox). No match means ``unknown_environment`` (``staging``
  when the key is absent).
* Only sandbox, development and test may execute (``EXECUTABLE``).
* ``regions`` lists the regions allowed for a class (``fnmatchcase``
  patterns). When the key is absent, sandbox, development and test allow every
  region (``["*"]``): the account classification is the guard, regions only
  narrow it. Staging and production never allow a region, whatever is listed.
* Classes missing from the file simply have no signals.
* Perimeter settings of a class (all optional, see guard/perimeter.py):
  ``source_regions`` (patterns of regions a call may only read from, e.g. the
  ``SourceRegion`` of a copy; default none beyond ``regions``),
  ``allow_operations`` (``service:Operation`` steps that issue credentials or
  act on other accounts, refused unless listed here, e.g. ``sts:AssumeRole``)
  ``max_request_bytes`` (the largest resolved request, default 1 MiB) and
  ``cross_account_grants`` (``allow``, the default: a grant to another account is listed at
  approval and its step gets a checkpoint; ``refuse``: any such grant is refused) and
  ``max_concurrency`` (the most independent steps a run of the class sends at once, 1 to 16;
  unset: the run's own ``max_concurrency`` decides, default 1).
* ``guardrails``: the policies checked against the plan's calls (guard/policy_rules.py).
* ``approval`` (optional, sandbox/development/test): signed approvals, see
  guard/approvals.py.

The file is validated strictly and every problem fails closed with a
``ConfigError`` naming the file and the key. Account ids must be quoted
12-digit strings: unquoted, YAML reads a number, dropping a leading zero (and
``012345670123`` is even octal, 1402433619), so integers are refused rather
than guessed at. The same account id in two classes is ambiguous and refused.

No Ansible imports: this runs inside module zips and in controller plugins.
"""

from __future__ import annotations

import fnmatch
import os
import re

try:
    import yaml
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib("PyYAML")
    yaml = None

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError, CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_rules import load_guardrails
from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import approval_settings
from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import load_yaml

CLASSES = ("sandbox", "development", "test", "staging", "production")
EXECUTABLE = frozenset({"sandbox", "development", "test"})
DEFAULT_PATH = "~/.config/coworker-aws/environments.yml"
ENV_VAR = "COWORKER_AWS_ENVIRONMENTS"
DEFAULT_UNKNOWN = "staging"

LIST_KEYS = ("account_ids", "account_aliases", "profiles", "regions")
PERIMETER_LIST_KEYS = ("source_regions", "allow_operations")
CLASS_KEYS = LIST_KEYS + PERIMETER_LIST_KEYS + ("max_request_bytes", "cross_account_grants", "execution_role",
                                                "guardrails", "approval", "max_concurrency")
MAX_CONCURRENCY = 16  # the most steps a run sends at once, whatever a class or a run asks
GRANT_CHOICES = ("allow", "refuse")
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
OPERATION_RE = re.compile(r"[a-z0-9][a-z0-9-]*:[A-Z][A-Za-z0-9]*")
ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}")
TOP_KEYS = ("environments", "unknown_environment", "state_backend")
ACCOUNT_ID_RE = re.compile(r"[0-9]{12}")
NOT_FOUND = ("environments file not found; create it from examples/environments.yml "
             "or set environments_file / %s" % ENV_VAR)


def resolve_path(explicit: str | None) -> str:
    """The explicit path if given, else ``$COWORKER_AWS_ENVIRONMENTS``, else ``DEFAULT_PATH``."""
    path = explicit or os.environ.get(ENV_VAR) or DEFAULT_PATH
    return os.path.expanduser(path)


def path_source(explicit, given_by=None):
    """Where the environments file's path came from, in words (``given_by``: how the explicit one was given)."""
    if explicit:
        return given_by or "the environments_file option"
    if os.environ.get(ENV_VAR):
        return "environment variable %s" % ENV_VAR
    return "the default path %s" % DEFAULT_PATH


def _read(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ConfigError(path, "", NOT_FOUND) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", "cannot read the environments file: %s" % exc) from None


def _parse(path, text):
    try:
        return load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = "line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else "unknown position"
        raise ConfigError(path, "", "invalid YAML at %s: %s" % (where, exc.problem or exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, "", "invalid YAML: %s" % exc) from None


def _string_list(path, field, value):
    if not isinstance(value, list):
        raise ConfigError(path, field, "must be a list of strings (use [] for none), got %s"
                          % type(value).__name__)
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int)) or item == "":
            raise ConfigError(path, "%s[%d]" % (field, index), "must be a non-empty string, got %r" % (item,))
    return value


def _account_ids(path, field, value):
    for index, item in enumerate(value):
        where = "%s[%d]" % (field, index)
        if isinstance(item, int):
            raise ConfigError(path, where, "account id %r must be quoted (\"...\"): YAML reads an unquoted "
                              "number and drops leading zeros" % (item,))
        if not ACCOUNT_ID_RE.fullmatch(item):
            raise ConfigError(path, where, "account id %r is not a 12-digit string" % (item,))
    return list(dict.fromkeys(value))


def _patterns(path, field, value):
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(path, "%s[%d]" % (field, index), "must be a non-empty string, got %r" % (item,))
    return list(value)


def _class_entry(path, cls, entry):
    field = "environments.%s" % cls
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        raise ConfigError(path, field, "must be a mapping with keys %s" % ", ".join(CLASS_KEYS))
    unknown = sorted(str(key) for key in entry if key not in CLASS_KEYS)
    if unknown:
        raise ConfigError(path, "%s.%s" % (field, unknown[0]),
                          "unknown key (allowed: %s)" % ", ".join(CLASS_KEYS))
    role = _execution_role(path, field, cls, entry.get("execution_role"))
    result = {"execution_role": role} if role else {}
    for key in LIST_KEYS:
        sub = "%s.%s" % (field, key)
        if key not in entry:
            result[key] = ["*"] if key == "regions" and cls in EXECUTABLE else []
            continue
        value = _string_list(path, sub, entry[key])
        result[key] = _account_ids(path, sub, value) if key == "account_ids" else _patterns(path, sub, value)
    result.update(_perimeter_entry(path, field, entry))
    if "guardrails" in entry:  # absent: the built-in defaults (guard/policies.py class_guardrails)
        result["guardrails"] = load_guardrails(path, field + ".guardrails", entry["guardrails"])
    if entry.get("approval") is not None:  # absent: today's rules (guard/approvals.py DEFAULT_SETTINGS)
        result["approval"] = approval_settings(path, field, cls in EXECUTABLE, entry["approval"])
    return result


def _perimeter_entry(path, field, entry):
    """The optional perimeter keys of one class, validated."""
    result = {}
    for key in PERIMETER_LIST_KEYS:
        sub = "%s.%s" % (field, key)
        result[key] = _patterns(path, sub, _string_list(path, sub, entry[key])) if key in entry else []
    for index, operation in enumerate(result["allow_operations"]):
        if not OPERATION_RE.fullmatch(operation):
            raise ConfigError(path, "%s.allow_operations[%d]" % (field, index),
                              "%r must be service:Operation exactly (e.g. sts:AssumeRole)" % (operation,))
    limit = entry.get("max_request_bytes", DEFAULT_MAX_REQUEST_BYTES)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ConfigError(path, "%s.max_request_bytes" % field, "must be a positive number of bytes, got %r"
                          % (limit,))
    result["max_request_bytes"] = limit
    grants = entry.get("cross_account_grants", "allow")
    if grants not in GRANT_CHOICES:
        raise ConfigError(path, "%s.cross_account_grants" % field, "must be allow (listed at approval, a checkpoint "
                          "before the step) or refuse, got %r" % (grants,))
    result["cross_account_grants"] = grants
    limit = entry.get("max_concurrency")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_CONCURRENCY):
        raise ConfigError(path, "%s.max_concurrency" % field, "must be a whole number from 1 to %d, got %r"
                          % (MAX_CONCURRENCY, limit))
    if limit is not None:
        result["max_concurrency"] = limit
    return result


def _execution_role(path, field, cls, value):
    """Optional role ARN the executor assumes for this class (only non-production classes execute)."""
    if value is None:
        return None
    where = field + ".execution_role"
    if cls not in EXECUTABLE:
        raise ConfigError(path, where, "only sandbox, development and test execute; %s cannot have one" % cls)
    if not isinstance(value, str) or not ROLE_ARN_RE.fullmatch(value):
        raise ConfigError(path, where, "must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>), "
                          "got %r" % (value,))
    return value


def _check_unique_accounts(path, environments):
    owner = {}
    for cls in CLASSES:
        for account in environments[cls]["account_ids"]:
            if account in owner:
                raise ConfigError(path, "environments.%s.account_ids" % cls,
                                  "account id %s is also listed under %s; an account belongs to exactly "
                                  "one class" % (account, owner[account]))
            owner[account] = cls


def _environments(path, data):
    if "environments" not in data:
        raise ConfigError(path, "environments", "missing (a mapping of class name to signals)")
    raw = data["environments"]
    if not isinstance(raw, dict):
        raise ConfigError(path, "environments", "must be a mapping of class name to signals")
    for name in raw:
        if name not in CLASSES:
            raise ConfigError(path, "environments.%s" % (name,),
                              "unknown environment class (allowed: %s)" % ", ".join(CLASSES))
    environments = {cls: _class_entry(path, cls, raw.get(cls)) for cls in CLASSES}
    _check_unique_accounts(path, environments)
    return environments


def _unknown_environment(path, data):
    value = data.get("unknown_environment", DEFAULT_UNKNOWN)
    if value not in CLASSES:
        raise ConfigError(path, "unknown_environment", "%r is not one of %s" % (value, ", ".join(CLASSES)))
    return value


def load_environments(path: str) -> dict:
    """Read, validate and normalise the environments file at ``path``; ``ConfigError`` on any problem."""
    data = _parse(path, _read(path))
    if not isinstance(data, dict):
        raise ConfigError(path, "", "the top level must be a mapping with keys %s" % ", ".join(TOP_KEYS))
    unknown = sorted(str(key) for key in data if key not in TOP_KEYS)
    if unknown:
        raise ConfigError(path, unknown[0], "unknown key (allowed: %s)" % ", ".join(TOP_KEYS))
    return {"environments": _environments(path, data),
            "unknown_environment": _unknown_environment(path, data),
            # where runs keep their state: checked by run/backend when a run opens it
            "state_backend": data.get("state_backend"),
            "source": path}


def _first_match(value, patterns):
    return next((pattern for pattern in patterns if fnmatch.fnmatchcase(value, pattern)), None)


def _signal_matches(config, signal, value, key):
    matches = []
    for cls in CLASSES:
        entries = config["environments"].get(cls, {}).get(key, [])
        if key == "account_ids":
            pattern = value if value in entries else None
        else:
            pattern = _first_match(value, entries)
        if pattern is not None:
            matches.append({"signal": signal, "value": value, "environment": cls, "pattern": pattern})
    return matches


def classify(config: dict, account_id: str, alias: str | None, profile: str | None) -> dict:
    """Classify one identity; the most restrictive matched class wins."""
    matched = []
    for signal, value, key in (("account id", account_id, "account_ids"), ("alias", alias, "account_aliases"),
                               ("profile", profile, "profiles")):
        if value is not None and value != "":
            matched.extend(_signal_matches(config, signal, str(value), key))
    if matched:
        environment = max((m["environment"] for m in matched), key=CLASSES.index)
        reason = "matched: " + ", ".join("%s %s (%s)" % (m["signal"], m["value"], m["environment"])
                                         for m in matched)
    else:
        environment = config.get("unknown_environment", DEFAULT_UNKNOWN)
        reason = "no signal matched; unknown_environment is %s" % environment
    return {"environment": environment, "matched": matched, "reason": reason,
            "executable": environment in EXECUTABLE}


def region_allowed(config: dict, environment: str, region: str) -> bool:
    """Whether ``region`` may be used in ``environment``; staging and production never."""
    if environment not in EXECUTABLE or not region:
        return False
    patterns = config["environments"].get(environment, {}).get("regions", ["*"])
    return _first_match(region, patterns) is not None


def concurrency(config: dict, environment: str, asked) -> tuple:
    """(how many steps a run sends at once, why it is fewer than asked or None): the run's ``max_concurrency``,
    else the class's (its default and its ceiling), else 1; never more than 16."""
    if isinstance(asked, bool) or not isinstance(asked, (int, type(None))) or (asked or 0) < 0:
        raise CoworkerError("max_concurrency must be 0 (the class's setting) or a whole number of steps, got %r"
                            % (asked,))
    ceiling = config["environments"].get(environment, {}).get("max_concurrency")
    wanted = asked if asked else (ceiling or 1)
    if ceiling is not None and wanted > ceiling:
        return ceiling, "max_concurrency %d asked; the class %s allows %d" % (wanted, environment, ceiling)
    if wanted > MAX_CONCURRENCY:
        return MAX_CONCURRENCY, "max_concurrency %d asked; at most %d" % (wanted, MAX_CONCURRENCY)
    return wanted, None


def describe_signals(matched: list) -> str:
    """Short text for refusals, e.g. ``matched: account id, alias acme-prod`` ("" when nothing matched).

    The account id itself is left out (the refusal shows it already). When the
    signals point at different classes, each is followed by its class.
    """
    if not matched:
        return ""
    mixed = len({m["environment"] for m in matched}) > 1
    parts = []
    for m in matched:
        text = m["signal"] if m["signal"] == "account id" else "%s %s" % (m["signal"], m["value"])
        parts.append("%s (%s)" % (text, m["environment"]) if mixed else text)
    return "matched: " + ", ".join(dict.fromkeys(parts))
