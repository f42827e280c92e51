"""The non-production guard, end to end, failing closed: STS refuses the credentials or cannot be
reached, or the environments file is missing or broken; nothing is changed anywhere."""

from __future__ import annotations

import pytest

from guard_support import (  # noqa: F401  (the fixture ws)  # pylint: disable=unused-import
    SANDBOX, STOP, assert_refused, flat, ws)
from moto_harness import free_port, output_of

pytestmark = pytest.mark.integration


# ------------------------------------------------------------- failing closed

def test_sts_rejects_the_credentials(ws, aws_env, moto_server):
    """Fail closed when STS answers with an error. (An IAM policy cannot deny
    sts:GetCallerIdentity, in AWS as in moto; unknown keys are what STS refuses.)"""
    plan, digest = ws.plan("123456789012", "sandbox")
    env = aws_env.env(AWS_ACCESS_KEY_ID="AKIAREVOKEDKEY000000", AWS_SECRET_ACCESS_KEY="revoked")
    moto_server.enable_iam_checks()
    try:
        result, calls = ws.execute(plan, None, digest, env=env)
    finally:
        moto_server.disable_iam_checks()
    assert_refused(ws, result, calls, "could not be established",
                   "sts:GetCallerIdentity: InvalidClientTokenId")


def test_sts_unreachable(ws, aws_env):
    aws_env.add_account_profile("sandbox-ci", SANDBOX)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    closed = f"http://127.0.0.1:{free_port()}"
    result, calls = ws.execute(plan, "sandbox-ci", digest,
                               env=aws_env.env(profile="sandbox-ci", endpoint_url=closed))
    assert_refused(ws, result, calls, f'(Could not connect to the endpoint URL: "{closed}/")', "nothing was changed",
                   stop=f"STOPPING: could not reach AWS endpoint {closed}/")
    assert STOP not in flat(output_of(result))  # not worded as a production refusal


@pytest.mark.parametrize("content, message", [
    (None, "environments file not found"),
    ("environments:\n  production: {account_ids: [111111111111]}\n",
     ": environments.production.account_ids[0]: account id 111111111111 must be quoted"),
], ids=["missing", "unquoted-account-id"])
def test_broken_environments_file(ws, aws_env, content, message):
    aws_env.add_account_profile("sandbox-ci", SANDBOX)
    plan, digest = ws.plan(SANDBOX, "sandbox")
    ws.environments.unlink()
    if content:
        ws.environments.write_text(content)
    result, calls = ws.execute(plan, "sandbox-ci", digest)
    assert_refused(ws, result, calls, stop=f"{ws.environments}: " + message.lstrip(": "))
