# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The non-production guard.

``establish_identity`` asks STS who the credentials of *this* session are and
reads the account alias; ``check_execution`` decides, from that identity and
the user's environments file only (never from a variable), whether the plan
may change anything. Anything that cannot be established refuses.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import (
    EXECUTABLE, classify, describe_signals, region_allowed)
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import (
    BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError)
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import calls_of

STOP = "STOPPING: this collection executes in non-production only."
ADVICE = "For staging/production, generate a CI/CD change instead."


def _error_text(exc):
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return "%s: %s" % (err.get("Code"), err.get("Message"))
    return str(exc)


def establish_identity(aws):
    """STS identity and IAM alias of the session's credentials; refuse if STS fails."""
    try:
        ident = aws.client("sts").get_caller_identity()
    except (EndpointConnectionError, ConnectTimeoutError) as exc:
        # not a verdict on the account: nothing answered, so say that (still nothing is changed)
        raise GuardRefusal("STOPPING: could not reach AWS endpoint %s (%s); the account could not be checked, "
                           "so nothing was changed. Check the network, the endpoint and the region, then run "
                           "again." % (getattr(exc, "kwargs", {}).get("endpoint_url") or "for STS", exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise GuardRefusal("%s The caller identity could not be established (sts:GetCallerIdentity: %s), "
                           "so the environment is unknown; nothing was changed." % (STOP, _error_text(exc))) from None
    identity = {"account": ident["Account"], "arn": ident["Arn"], "user_id": ident["UserId"],
                "profile": aws.profile, "alias": None, "alias_status": "none"}
    if getattr(aws, "source_identity", None):  # known when the executor assumed the role itself
        identity["source_identity"] = aws.source_identity
    try:
        aliases = aws.client("iam").list_account_aliases().get("AccountAliases", [])
        identity["alias"] = aliases[0] if aliases else None
        identity["alias_status"] = "found" if aliases else "none"
    except ClientError as exc:
        identity["alias_status"] = "unknown: %s" % _error_text(exc)
    except BotoCoreError as exc:
        identity["alias_status"] = "unknown: %s" % exc
    return identity


def _refusal(classification, identity, reason):
    signals = describe_signals(classification["matched"])
    detected = "Detected environment: %s (account %s%s)." % (
        classification["environment"], identity["account"], ", " + signals if signals else ", no signal matched")
    return GuardRefusal("%s %s %s %s" % (STOP, detected, reason, ADVICE))


def check_execution(config, identity, target, regions):
    """Classify the identity and refuse unless this plan may run here. Returns the classification."""
    classification = classify(config, identity["account"], identity["alias"], identity["profile"])
    env = classification["environment"]
    if env not in EXECUTABLE:
        raise _refusal(classification, identity, "Refused: %s is not a non-production class." % env)
    if env != target["environment"]:
        raise _refusal(classification, identity, "Refused: the plan was approved for %s, but this account is %s."
                       % (target["environment"], env))
    if identity["account"] != target["account_id"]:
        raise _refusal(classification, identity, "Refused: the plan was approved for account %s, but the "
                       "credentials belong to account %s." % (target["account_id"], identity["account"]))
    denied = sorted(r for r in regions if not region_allowed(config, env, r))
    if denied:
        raise _refusal(classification, identity, "Refused: region(s) %s are not allowed for %s."
                       % (", ".join(denied), env))
    return classification


def plan_regions(steps):
    """Every region a plan's calls (main, validate, rollback) may use."""
    return sorted({c["region"] for s in steps for c in calls_of(s)})
