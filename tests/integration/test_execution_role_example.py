"""The shipped execution role (issue 23, defence in depth): the example plan and the CloudFormation template
make the same role, and a class that names it has every call of a run made as that role.

Both are run for real against moto: the plan with playbooks/execute_nonprod.yml, the template with
CloudFormation. (moto does not evaluate trust or session policies; test_credentials.py shows the session
policy the executor asks for.)
"""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import load_embedded_yaml
from moto_harness import DEFAULT_ACCOUNT_ID, REPO_ROOT, AwsEnv, call_keys, output_of, start_moto_server
from perimeter_support import Perimeter, step

pytestmark = pytest.mark.integration

PLAN = REPO_ROOT / "examples" / "plans" / "execution-role.yml"
TEMPLATE = REPO_ROOT / "examples" / "cloudformation" / "execution-role.yml"
PROFILE = "sandbox-operator"
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/coworker-executor"


@pytest.fixture
def ws(tmp_path) -> Perimeter:
    """A moto of its own that knows AWS's managed policies (PowerUserAccess), which the role attaches."""
    server = start_moto_server(tmp_path / "moto", extra_env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
    try:
        aws_env = AwsEnv(server.url, tmp_path)
        workspace = Perimeter(aws_env, server, tmp_path)
        aws_env.add_account_profile(PROFILE, DEFAULT_ACCOUNT_ID)
        workspace.set_class(account_ids=[DEFAULT_ACCOUNT_ID])
        yield workspace
    finally:
        server.stop()


def _role(iam, name="coworker-executor"):
    role = iam.get_role(RoleName=name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = yaml.safe_load(trust) if isinstance(trust, str) else trust  # moto's CloudFormation writes a repr
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    inline = iam.get_role_policy(RoleName=name, PolicyName="manage-app-roles")["PolicyDocument"]
    inline = yaml.safe_load(inline) if isinstance(inline, str) else inline
    return ([s["Principal"] for s in trust["Statement"]], attached,
            sorted(inline["Statement"][0]["Action"]), inline["Statement"][0]["Resource"])


def test_the_example_plan_makes_the_role_and_a_class_that_names_it_runs_as_the_role(ws):
    copy = ws.root / "execution-role.yml"
    copy.write_text(PLAN.read_text())
    digest = yaml.safe_load(copy.read_text())["approval"]["plan_sha256"]
    result, calls = ws.run(copy, digest, profile=PROFILE)
    assert result.returncode == 0, output_of(result)
    iam = ws.aws_env.boto3_session(PROFILE).client("iam")
    operator = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/operator"
    principals, attached, actions, resource = _role(iam)
    assert principals == [{"AWS": operator}]
    assert attached == ["arn:aws:iam::aws:policy/PowerUserAccess"]
    assert "iam:PassRole" in actions and resource == f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/app/*"
    assert "Cross-account grants (principals" not in output_of(result)  # the operator is of the same account

    ws.set_class(execution_role=ROLE_ARN)
    plan, digest = ws.plan([step("put", "ssm:PutParameter", {"Name": "/as/role", "Value": "v", "Type": "String"})],
                           account=DEFAULT_ACCOUNT_ID)
    result, calls = ws.run(plan, digest, profile=PROFILE)
    assert result.returncode == 0, output_of(result)
    assert ("sts", "AssumeRole") in call_keys(calls)
    report = json.loads(next((ws.state / "runs").glob("*perimeter-put*/report.json")).read_text())
    assert "assumed-role/coworker-executor/" in report["executor_arn"]


def test_the_cloudformation_template_makes_the_same_role(ws):
    operator = "arn:aws:iam::999999999999:role/operator"
    cfn = ws.aws_env.boto3_session(PROFILE).client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="coworker-executor", TemplateBody=TEMPLATE.read_text(),
                     Capabilities=["CAPABILITY_NAMED_IAM"],
                     Parameters=[{"ParameterKey": "OperatorPrincipalArn", "ParameterValue": operator}])
    outputs = cfn.describe_stacks(StackName="coworker-executor")["Stacks"][0]["Outputs"]
    assert {o["OutputKey"]: o["OutputValue"] for o in outputs} == {"RoleArn": ROLE_ARN}
    principals, _attached, actions, resource = _role(ws.aws_env.boto3_session(PROFILE).client("iam"))
    planned = yaml.safe_load(yaml.safe_load(PLAN.read_text())["phases"][0]["steps"][2]["params"]["PolicyDocument"])
    assert principals == [{"AWS": operator}]
    # moto's CloudFormation does not attach ManagedPolicyArns: the template itself says it
    role = load_embedded_yaml(TEMPLATE.read_text())["Resources"]["ExecutionRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/PowerUserAccess"]
    assert actions == sorted(planned["Statement"][0]["Action"])  # the plan's role, the template's role: the same
    assert resource == f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/app/*"
