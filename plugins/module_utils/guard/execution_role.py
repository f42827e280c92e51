# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS-enforced perimeter: an execution role assumed with a session policy.

When the environments file gives the target's class an ``execution_role``, the
executor assumes it with the verified (frozen) base credentials and a session
policy that denies every action on a resource of another account
(``aws:ResourceAccount``) and every request to a region the class does not allow
(``aws:RequestedRegion``). A session policy can only narrow the role's own
permissions, so AWS itself enforces the perimeter on real accounts, whatever our
own checks miss. The assumed identity is then verified again with STS.
"""

from __future__ import annotations

import functools
import json

from ansible_collections.coworker.aws.plugins.module_utils.aws.botocore_data import new_session
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import STOP, establish_identity

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    BotoCoreError = ClientError = Exception

SESSION_NAME_LIMIT = 64


@functools.lru_cache(maxsize=1)
def global_services():
    """IAM prefixes of services that are not regional (their requests carry us-east-1 or none):
    botocore's endpoint data says which (``isRegionalized: false``)."""
    partition = new_session().get_data("endpoints")["partitions"][0]
    return tuple(sorted(name for name, svc in partition["services"].items() if svc.get("isRegionalized") is False))


def session_policy(account_id, region_patterns):
    """The session policy (JSON text) that keeps every call inside the account and the regions.

    ``...IfExists``: actions that name no resource (``ec2:DescribeRegions``) carry no
    ``aws:ResourceAccount`` and are not denied by the account statement.
    """
    statements = [
        {"Sid": "KeepRolePermissions", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "OnlyTheTargetAccount", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:ResourceAccount": [account_id]}}},
    ]
    if "*" not in region_patterns:
        statements.append({
            "Sid": "OnlyAllowedRegions", "Effect": "Deny",
            "NotAction": ["%s:*" % service for service in global_services()], "Resource": "*",
            "Condition": {"StringNotLike": {"aws:RequestedRegion": list(region_patterns)}}})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def assume_execution_role(aws, config, classification, target, run_id):
    """Return ``(context, identity)`` of the class's execution role, or ``(aws, None)`` when it has none."""
    env = classification["environment"]
    role = config["environments"].get(env, {}).get("execution_role")
    if not role:
        return aws, None
    policy = session_policy(target["account_id"], config["environments"][env].get("regions", ["*"]))
    name = ("coworker-%s" % run_id)[:SESSION_NAME_LIMIT]
    try:
        assumed = aws.assume(role, name.replace(":", "-"), policy)
    except (BotoCoreError, ClientError) as exc:
        raise GuardRefusal("%s The execution role %s of class %s could not be assumed (%s); nothing was changed."
                           % (STOP, role, env, exc)) from None
    identity = establish_identity(assumed)
    if identity["account"] != target["account_id"]:
        raise GuardRefusal("%s The execution role %s belongs to account %s, not the plan's account %s; "
                           "nothing was changed." % (STOP, role, identity["account"], target["account_id"]))
    return assumed, identity
