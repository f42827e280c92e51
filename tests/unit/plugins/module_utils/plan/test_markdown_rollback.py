# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``If Phase N fails`` blocks become the rollback of the steps that made what they undo."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.markdown_plan import convert_markdown
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import REPO, base_plan, step

NETWORK = REPO / "tests" / "data" / "markdown" / "network.md"
PLAN = """\
# Plan: Parameters and a role

## Target
- Environment: sandbox
- Region: us-east-1
- Account: 123456789012

### Phase 1: Role
**Commands:**
```bash
aws iam create-role --role-name md-role --assume-role-policy-document '{"Statement": []}'
aws iam attach-role-policy --role-name md-role --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess
```

### Phase 2: Parameter
**Commands:**
```bash
aws ssm put-parameter --name /md/p --value v --type String
aws ssm add-tags-to-resource --resource-type Parameter --resource-id /md/p --tags Key=Team,Value=md
```

## Rollback Procedure

### If Phase 1 fails:
```bash
aws iam detach-role-policy --role-name md-role --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess
aws iam delete-role --role-name md-role
```

### If Phase 2 fails:
```bash
aws ssm delete-parameter --name /md/p
{extra}
aws iam detach-role-policy --role-name md-role --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess
aws iam delete-role --role-name md-role
```
"""


def steps_of(tmp_path, extra=""):
    path = tmp_path / "roles.md"
    path.write_text(PLAN.replace("{extra}", extra))
    doc = convert_markdown(str(path))
    return {s["id"]: s for phase in doc["phases"] for s in phase["steps"]}, path


def test_each_command_goes_to_the_step_that_made_what_it_undoes_once_in_block_order(tmp_path):
    steps, _path = steps_of(tmp_path)
    assert [c["command"] for c in steps["create_role"]["rollback"]] == ["aws iam delete-role --role-name md-role"]
    assert [c["command"].split()[2] for c in steps["attach_role_policy"]["rollback"]] == ["detach-role-policy"]
    assert [c["command"].split()[2] for c in steps["put_parameter"]["rollback"]] == ["delete-parameter"]
    assert steps["add_tags_to_resource"]["undone_by"] == "put_parameter"
    assert "undone_by" not in steps["attach_role_policy"]


def test_the_network_plans_commands_and_the_steps_they_undo():
    plan = validate_document(convert_markdown(str(NETWORK)), "network.md")
    rollback = {s["id"]: [c["operation"] for c in s["rollback"]] for s in plan["steps"]}
    assert rollback == {
        "create_vpc": ["DeleteVpc"], "modify_vpc_attribute": [], "create_subnet": ["DeleteSubnet"],
        "create_internet_gateway": ["DeleteInternetGateway"], "attach_internet_gateway": ["DetachInternetGateway"],
        "create_route_table": ["DeleteRouteTable"], "create_route": [], "associate_route_table":
            ["DisassociateRouteTable"], "put_parameter": ["DeleteParameter"]}
    assert {s["id"]: s["undone_by"] for s in plan["steps"] if s["undone_by"]} == {
        "modify_vpc_attribute": "create_vpc", "create_route": "create_route_table"}
    assert plan["steps"][0]["rollback"][0]["params"] == {"VpcId": "${create_vpc.vpc_id}"}


@pytest.mark.parametrize("extra, fragment", [
    ("aws ssm delete-parameter --name /md/someone-elses",
     "this rollback command undoes nothing a step of Phase 1-2 makes or changes: no such step names /md/someone-elses"),
    ("aws ec2 delete-vpc --vpc-id vpc-0123456789abcdef0", "no such step names vpc-0123456789abcdef0"),
    ("aws ec2 describe-vpcs", "this rollback command names no resource"),
])
def test_a_command_that_undoes_nothing_the_plan_makes_is_refused_at_its_line(tmp_path, extra, fragment):
    with pytest.raises(PlanError) as caught:
        steps_of(tmp_path, extra)
    [(field, message)] = caught.value.problems
    assert fragment in message and field == "line 33"  # the extra command's line


def test_a_phase_1_block_cannot_undo_what_phase_2_makes(tmp_path):
    path = tmp_path / "early.md"
    path.write_text(PLAN.replace("{extra}", "").replace(
        "### If Phase 1 fails:\n```bash\n", "### If Phase 1 fails:\n```bash\naws ssm delete-parameter --name /md/p --region us-east-1\n"))
    with pytest.raises(PlanError) as caught:
        convert_markdown(str(path))
    assert caught.value.problems == [("line 26", "this rollback command undoes nothing a step of Phase 1 makes or "
                                                 "changes: no such step names /md/p")]


def test_without_a_rollback_procedure_no_step_gets_one(tmp_path):
    path = tmp_path / "plain.md"
    path.write_text(PLAN.split("## Rollback Procedure", maxsplit=1)[0])
    doc = convert_markdown(str(path))
    assert all("rollback" not in s and "undone_by" not in s for p in doc["phases"] for s in p["steps"])


@pytest.mark.parametrize("index, value, fragment", [
    (1, "nope", "'nope' is not an earlier step of this plan"),
    (0, "enable_versioning", "'enable_versioning' is not an earlier step of this plan"),
])
def test_undone_by_names_an_earlier_step_with_rollback_calls(index, value, fragment):
    doc = base_plan()
    step(doc, 0, index)["undone_by"] = value
    step(doc, 0, index).pop("rollback")
    with pytest.raises(PlanError) as caught:
        validate_document(doc, "plan.yml")
    assert caught.value.problems == [("phases[0].steps[%d].undone_by" % index, fragment)]


def test_undone_by_is_for_a_step_without_rollback_calls_of_its_own():
    doc = base_plan()
    step(doc, 0, 1)["undone_by"] = "create_bucket"
    with pytest.raises(PlanError) as caught:
        validate_document(doc, "plan.yml")
    assert caught.value.problems == [("phases[0].steps[1].undone_by", "a step with rollback calls of its own is not "
                                                                      "undone by another step")]
    step(doc, 0, 1).pop("rollback")
    plan = validate_document(doc, "plan.yml")
    assert plan["steps"][1]["undone_by"] == "create_bucket"
