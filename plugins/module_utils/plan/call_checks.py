# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A step's calls checked against botocore's models and normalised (for plan/schema.py).

A call is ``action`` (service:Operation) with ``params``, or an aws CLI ``command``; either way
it becomes ``{service, operation, params, region, query, expect, description}``. Validate calls
must be read-only and may retry; ``register`` and ``expect`` are JMESPath checked against the
operation's output; ``wait`` names one of the service's waiters. Problems go to the schema's
checker (``check.add``) with the path of their field.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels, service_model
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import read_command
from ansible_collections.coworker.aws.plugins.module_utils.plan.command_checks import (
    check_command_profile, command_region)
from ansible_collections.coworker.aws.plugins.module_utils.plan.register_check import expect_problem, register_problem
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import REGION_RE

CALL_KEYS = {"action", "command", "params", "region", "expect", "description"}
VALIDATE_KEYS = CALL_KEYS | {"retries", "delay"}
WAIT_KEYS = {"waiter", "params", "delay", "max_attempts"}


def _jmespath_problems(expressions, path, check):
    """Each ``(where, expression)`` that does not compile is a problem at ``path.where``."""
    if not expressions:
        return
    import jmespath
    from jmespath.exceptions import JMESPathError
    for where, expr in expressions:
        try:
            jmespath.compile(expr)
        except JMESPathError as exc:
            check.add("%s.%s" % (path, where), "not a valid JMESPath expression: %s" % " ".join(str(exc).split()))


def check_call(raw, path, check, keys):
    """Normalise one call (``action`` + ``params`` or ``command``)."""
    if not isinstance(raw, dict):
        check.add(path, "a call must be a mapping with 'action' or 'command'")
        return None
    check.keys(raw, keys, path)
    if ("action" in raw) == ("command" in raw):
        check.add(path, "give exactly one of 'action' (service:Operation) or 'command' (aws ...)")
        return None
    region = check.text(raw, "region", path, required=False, pattern=REGION_RE)
    query = None
    if "command" in raw:
        command = check.text(raw, "command", path)
        if command is None:
            return None
        if "params" in raw:
            check.add(path + ".params", "'params' cannot be combined with 'command'")
        try:
            cli = read_command(command, check.source, path + ".command")
        except PlanError as exc:
            check.problems.extend(exc.problems)
            return None
        service, operation, params, query = cli.service, cli.operation, cli.params, cli.query
        region = command_region(cli.region, region, path, check)
        check_command_profile(cli.profile, path, check)
        if query is not None:
            _jmespath_problems([("command", query)], path, check)
    else:
        action = check.text(raw, "action", path)
        params = check.get(raw, "params", dict, path, required=False, default={})
        if not action:
            return None
        if action.count(":") != 1:
            check.add(path + ".action", "%r must be service:Operation, e.g. ec2:CreateVpc" % action)
            return None
        service, operation = action.split(":")
        try:
            service_model.operation_model(service, operation)
        except ValueError as exc:
            check.add(path + ".action", str(exc))
            return None
        if params is None:
            return None
    check.problems.extend(service_model.check_params(service, operation, params, path + ".params"))
    expect = check_expect(raw, "expect", path, check, (service, operation))
    return {"service": service, "operation": operation, "params": params, "region": region, "query": query,
            "expect": expect, "description": raw.get("description") or ""}


def check_expect(raw, key, path, check, action):
    """A call's ``expect`` list; ``action`` (service, operation) gives the response they test."""
    if key not in raw:
        return []
    values = check.get(raw, key, list, path, required=False, default=[])
    output = _output_shape({"service": action[0], "operation": action[1]})
    good = []
    for index, expr in enumerate(values):
        if not isinstance(expr, str) or not expr.strip():
            check.add("%s.%s[%d]" % (path, key, index), "must be a non-empty JMESPath string")
            continue
        if expect_problem(expr, output, action[0]):
            check.add("%s.%s[%d]" % (path, key, index), expect_problem(expr, output, action[0]))
        good.append(expr)
    _jmespath_problems([("%s[%d]" % (key, i), e) for i, e in enumerate(good)], path, check)
    return good


def check_calls(raw, path, check, keys):
    """A call or a list of calls."""
    items = raw if isinstance(raw, list) else [raw]
    calls = []
    for index, item in enumerate(items):
        where = "%s[%d]" % (path, index) if isinstance(raw, list) else path
        call = check_call(item, where, check, keys)
        if call is None:
            continue
        if keys is VALIDATE_KEYS:
            call["retries"] = _non_negative(item, "retries", where, check, 0)
            call["delay"] = _non_negative(item, "delay", where, check, 0)
            if not access_levels.is_read_only(call["service"], call["operation"]):
                check.add(where + ".action", "validate calls must be read-only; %s:%s changes things (AWS's "
                          "access level: %s; Read or List needed)" % (
                              call["service"], call["operation"],
                              access_levels.describe_level(call["service"], call["operation"])))
        calls.append(call)
    return calls


def _non_negative(obj, key, path, check, default):
    value = check.get(obj, key, (int, float), path, required=False, default=default)
    if value is not None and value < 0:
        check.add("%s.%s" % (path, key), "must not be negative")
        return default
    return value


def check_wait(raw, service, path, check):
    """A step's ``wait``: one of ``service``'s waiters, its params and how often to poll."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.add(path, "must be a mapping with 'waiter'")
        return None
    check.keys(raw, WAIT_KEYS, path)
    name = check.text(raw, "waiter", path)
    params = check.get(raw, "params", dict, path, required=False, default={})
    if name and service and name not in service_model.waiter_names(service):
        known = ", ".join(service_model.waiter_names(service)) or "none"
        check.add(path + ".waiter", "unknown %s waiter %r (known: %s)" % (service, name, known))
    return {"waiter": name, "params": params, "delay": _non_negative(raw, "delay", path, check, None),
            "max_attempts": _non_negative(raw, "max_attempts", path, check, None)}


def _output_shape(call):
    try:
        return service_model.operation_model(call["service"], call["operation"]).output_shape if call else None
    except (ValueError, KeyError, TypeError):
        return None  # an unknown operation is reported by the call's own check


def check_register(raw, path, check, call):
    """A step's ``register``: names for JMESPath expressions on ``call``'s response."""
    register = check.get(raw, "register", dict, path, required=False, default={})
    output = _output_shape(call)
    for name, expr in register.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            check.add("%s.register.%s" % (path, name), "register names are letters, digits and _")
        if not isinstance(expr, str):
            check.add("%s.register.%s" % (path, name), "must be a JMESPath string")
        elif register_problem(expr, output, call and call["service"]):
            check.add("%s.register.%s" % (path, name), register_problem(expr, output, call and call["service"]))
    _jmespath_problems([("register.%s" % n, e) for n, e in register.items() if isinstance(e, str)], path, check)
    return register
