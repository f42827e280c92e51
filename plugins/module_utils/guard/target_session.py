# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credentials that make one target's calls: its profile, or its ``role_arn`` assumed from it.

A target of a plan's ``targets:`` list may name a ``role_arn``; the executor then
assumes that role with the (frozen) credentials of the base profile and makes the
target's calls as the role. The guard verifies exactly that context with STS, so
the identity classified is the identity that calls. This AssumeRole is the
executor's own credential setup, before the guard; a plan may never contain one
as a step (the perimeter refuses ``sts:AssumeRole*``).
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import BotoCoreError, ClientError
from ansible_collections.coworker.aws.plugins.module_utils.aws.session import AwsContext
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import STOP

SESSION_NAME_LIMIT = 64


def session_name(run_id):
    """An STS session name from the run id (64 characters of [\\w+=,.@-] at most)."""
    return ("coworker-%s" % (run_id or "verify"))[:SESSION_NAME_LIMIT].replace(":", "-")


def target_context(target, profile, retry_mode="standard", max_attempts=5, run_id=None):
    """An AwsContext for ``target``: the profile's own, or the target's role assumed from it."""
    aws = AwsContext(profile, target["region"], retry_mode, max_attempts)
    role = target.get("role_arn")
    if not role:
        return aws
    try:
        return aws.assume(role, session_name(run_id))
    except (BotoCoreError, ClientError) as exc:
        raise GuardRefusal("%s The role %s of target %s could not be assumed with %s (%s); nothing was changed."
                           % (STOP, role, target.get("key") or target["account_id"],
                              "profile %s" % aws.profile if aws.profile else "the default credentials", exc)) from None
