"""Secrets by construction (issue 24): wrapped reads of a secret, and tokens the AWS model leaves unmarked.

Real ansible-playbook against moto. A ``register`` or ``expect`` that touches a secret anywhere in its
JMESPath tree (``reverse(Parameter.Value)``, a multi-select holding it, ``starts_with`` on it) is a plan
error before any AWS call, in a real run and under --check. An ECR authorization token (a docker login
that botocore does not mark sensitive) is refused as a step unless the class allows the operation; when
it does, a real run redacts the token and a dry run never asks for one. Each time the secret is looked for
in every file under the state directory, in the -v output and in the run statistics Ansible prints.
"""

from __future__ import annotations

import base64
import os
import re

import pytest
import yaml

from moto_harness import call_keys, mutating_calls, output_of, run_playbook
from workflow_support import ACCOUNT, unwrapped, workflow  # noqa: F401  pylint: disable=unused-import

pytestmark = pytest.mark.integration

SECRET_VALUE = "s3cr3t-Wrapped-9d2e"
# moto's token for the account: base64 of "AWS:<password>" (moto/ecr/responses.py)
ECR_PASSWORD = f"{ACCOUNT}-auth-token"
ECR_TOKEN = base64.b64encode(f"AWS:{ECR_PASSWORD}".encode()).decode()


def read_secret_step(**extra) -> dict:
    return {"id": "read_secret", "description": "Read the password", "action": "ssm:GetParameter",
            "params": {"Name": "/wrapped/db", "WithDecryption": True}, **extra}


def ecr_token_step() -> dict:
    return {"id": "docker_login", "description": "A docker login for the registry",
            "action": "ecr:GetAuthorizationToken", "params": {}, "register": {"expires": "authorizationData[0].expiresAt"}}


def allow_operations(flow, *operations) -> None:
    config = yaml.safe_load(flow.environments.read_text())
    config["environments"]["sandbox"]["allow_operations"] = list(operations)
    flow.environments.write_text(yaml.safe_dump(config))


def run_showing_stats(flow, plan, *extra):
    """execute_nonprod.yml at -v with Ansible's custom stats printed (what AWX and ansible-runner keep)."""
    env = dict(flow.env(), ANSIBLE_SHOW_CUSTOM_STATS="true")
    return run_playbook(flow.execute_args(plan, "-e", f"approve={plan.digest}", "-v", *extra), env, flow.tmp)


def assert_nowhere(flow, shown: str, *secrets: str) -> int:
    """No secret in the output nor in any file under the state directory; returns how many files were read."""
    for secret in secrets:
        assert secret not in shown, secret
    checked = 0
    for folder, _dirs, files in os.walk(flow.state_dir):
        for name in files:
            text = open(os.path.join(folder, name), encoding="utf-8", errors="replace").read()
            assert not [s for s in secrets if s in text], os.path.join(folder, name)
            checked += 1
    return checked


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_a_secret_wrapped_in_register_or_expect_is_a_plan_error_before_any_call(workflow, check):
    workflow.ssm.put_parameter(Name="/wrapped/db", Value=SECRET_VALUE, Type="SecureString")
    plan = workflow.write_plan("wrapped", [("Secrets", [read_secret_step(
        register={"backwards": "reverse(Parameter.Value)", "both": "{n: Parameter.Name, v: Parameter.Value}"},
        expect=["starts_with(Parameter.Value, 's3cr')"])])])
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}", *(["--check"] if check else []))
    shown = unwrapped(output_of(result))
    assert result.returncode != 0
    for field in ("register.backwards", "register.both"):
        assert (f"{plan.path}: phases[0].steps[0].{field}: touches Parameter.Value, a secret (a member the AWS "
                "model marks sensitive") in shown, shown
    assert (f"{plan.path}: phases[0].steps[0].expect[0]: touches Parameter.Value, a secret" in shown and
            "an expect may only compare a secret with the value the plan states" in shown)
    assert call_keys(calls) == []
    assert assert_nowhere(workflow, shown, SECRET_VALUE) == 0  # nothing was written: the plan never loaded


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_an_ecr_token_step_is_refused_unless_the_class_allows_it(workflow, check):
    plan = workflow.write_plan("ecr-refused", [("Login", [ecr_token_step()])])
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}", *(["--check"] if check else []))
    shown = unwrapped(output_of(result))
    assert result.returncode != 0
    assert ("action: ecr:GetAuthorizationToken is refused as a plan step because it issues a docker login token "
            "for the registry") in shown, shown
    assert "allow_operations" in shown
    assert [key for key in call_keys(calls) if key[0] == "ecr"] == [] and mutating_calls(calls) == []
    assert_nowhere(workflow, shown, ECR_TOKEN, ECR_PASSWORD)


def test_an_allowed_ecr_token_is_redacted_everywhere_in_a_real_run(workflow):
    allow_operations(workflow, "ecr:GetAuthorizationToken")
    plan = workflow.write_plan("ecr-run", [("Login", [ecr_token_step()])])
    with workflow.moto.recording() as calls:
        result = run_showing_stats(workflow, plan)
    shown = output_of(result)
    assert result.returncode == 0, shown
    assert ("ecr", "GetAuthorizationToken") in call_keys(calls)  # the token was really issued
    assert "coworker_aws_run" in shown and "CUSTOM STATS" in shown  # the stats were printed, so looked at
    # what the run shows of the answer: the step's line and the output the plan registered (the response itself
    # is journaled redacted, and printed nowhere)
    assert "[Step 1 of 1] docker_login" in shown and re.search(r"""docker_login outputs: \{"expires": "2015-01-01""", shown)
    run_id = workflow.only_run()
    assert workflow.report(run_id)["steps"][0]["outputs"]["expires"].startswith("2015-01-01")
    assert assert_nowhere(workflow, shown, ECR_TOKEN, ECR_PASSWORD) >= 4  # journal, reports, plan copy, change log


def test_a_dry_run_never_asks_for_an_allowed_token(workflow):
    allow_operations(workflow, "ecr:GetAuthorizationToken")
    plan = workflow.write_plan("ecr-check", [("Login", [ecr_token_step()])])
    with workflow.moto.recording() as calls:
        result = run_showing_stats(workflow, plan, "--check")
    shown = output_of(result)
    assert result.returncode == 0, shown
    assert [key for key in call_keys(calls) if key[0] == "ecr"] == []
    assert ("not sent in a dry run: it issues a docker login token for the registry"
            in unwrapped(shown))
    assert "coworker_aws_run" in shown
    assert_nowhere(workflow, shown, ECR_TOKEN, ECR_PASSWORD)


def test_a_dry_run_reading_a_secure_string_shows_and_keeps_it_nowhere(workflow):
    """--check sends read-only steps: the decrypted value comes back and must be redacted like in a run."""
    workflow.ssm.put_parameter(Name="/wrapped/db", Value=SECRET_VALUE, Type="SecureString")
    plan = workflow.write_plan("secure-check", [("Secrets", [read_secret_step(
        register={"version": "Parameter.Version"}, expect=[f"Parameter.Value == '{SECRET_VALUE}'"])])])
    with workflow.moto.recording() as calls:
        result = run_showing_stats(workflow, plan, "--check")
    shown = output_of(result)
    assert result.returncode == 0, shown
    assert ("ssm", "GetParameter") in call_keys(calls)
    assert "[Step 1 of 1] read_secret" in shown and "coworker_aws_run" in shown
    # the expect names the value the plan states (allowed): only that text, from the plan, is shown
    shown_without_plan_text = shown.replace(f"Parameter.Value == '{SECRET_VALUE}'", "")
    assert SECRET_VALUE not in shown_without_plan_text
    for folder, _dirs, files in os.walk(workflow.state_dir):
        for name in files:
            text = open(os.path.join(folder, name), encoding="utf-8", errors="replace").read()
            assert SECRET_VALUE not in text.replace(f"Parameter.Value == '{SECRET_VALUE}'", ""), name
