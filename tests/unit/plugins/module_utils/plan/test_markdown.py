# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner's Markdown becomes a plan of the plan-v1 format, or a refusal naming the Markdown line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.markdown_plan import convert_markdown
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import REPO

DATA = REPO / "tests" / "data" / "markdown"
SMALL = """\
# Plan: Two parameters

## Target
- Environment: sandbox
- Profile: sandbox-md
- Region: us-east-1
- Account: 123456789012

## Proposed Changes

### Phase 1: Parameters
**Commands:**
```bash
{commands}
```

**Validation:**
```bash
{validation}
```

## Guardrail Validation

**Status**: PASS

## Rollback Procedure

### If Phase 1 fails:
```bash
{rollback}
```
"""
PUT = "aws ssm put-parameter --name /md/a --value v1 --type String"


def small(tmp_path, commands=PUT, validation="aws ssm get-parameter --name /md/a", rollback="aws ssm delete-parameter "
          "--name /md/a", name="small.md", **replace):
    text = SMALL.format(commands=commands, validation=validation, rollback=rollback)
    for old, new in replace.items():
        text = text.replace(old.replace("_", " "), new)
    path = tmp_path / name
    path.write_text(text)
    return path


def converted(path, **kwargs):
    return convert_markdown(str(path), **kwargs)


def refused(path, **kwargs):
    with pytest.raises(PlanError) as caught:
        convert_markdown(str(path), **kwargs)
    assert caught.value.source == str(path)
    return caught.value.problems


def line_of(path, fragment):
    return next(n for n, line in enumerate(Path(path).read_text().splitlines(), start=1) if fragment in line)


# -- the two planner-style plans --------------------------------------------------------------------------------
def test_the_bucket_plan():
    doc = converted(DATA / "bucket.md")
    assert doc["target"] == {"environment": "sandbox", "region": "us-east-1", "profile": "sandbox-wf",
                             "account_id": "210987654321"}
    assert (doc["name"], doc["risk"], doc["guardrail"]) == (
        "Create an encrypted, versioned logs bucket for the sandbox", "Low", {"status": "PASS", "findings": []})
    assert doc["markdown"]["file"] == "bucket.md" and doc["id"] == "bucket-" + doc["markdown"]["sha256"][:12]
    first, second = doc["phases"]
    assert [s["id"] for s in first["steps"]] == ["create_bucket", "put_public_access_block"]
    assert first["steps"][0]["description"] == "Create the logs bucket"
    # a phase's validation is its last step's; the --query of a validation command is kept for display
    assert [v["command"].split()[2] for v in second["steps"][-1]["validate"]] == [
        "get-bucket-versioning", "get-bucket-encryption", "get-bucket-tagging"]
    plan = validate_document(doc, "bucket.md")
    versioning = plan["steps"][2]
    assert versioning["call"]["region"] == "us-east-1" and plan["steps"][-1]["validate"][0]["query"] == "Status"
    assert versioning["undone_by"] == "create_bucket" and plan["steps"][0]["rollback"][0]["operation"] == \
        "DeleteBucket"


def test_the_network_plan_chains_ids_through_its_shell_variables():
    plan = validate_document(converted(DATA / "network.md"), "network.md")
    steps = {s["id"]: s for s in plan["steps"]}
    assert steps["create_vpc"]["register"] == {"vpc_id": "Vpc.VpcId"}
    assert "--query" not in steps["create_vpc"]["call"].get("cli", "")
    assert steps["create_subnet"]["call"]["params"]["VpcId"] == "${create_vpc.vpc_id}"
    assert steps["attach_internet_gateway"]["call"]["params"] == {
        "InternetGatewayId": "${create_internet_gateway.igw_id}", "VpcId": "${create_vpc.vpc_id}"}
    assert steps["put_parameter"]["call"]["service"] == "ssm"
    assert plan["guardrail"] == {"status": "WARN", "validated_at": None, "findings": [{
        "severity": "medium", "message": "the public subnet routes 0.0.0.0/0 to an internet gateway; keep instances "
                                         "out of it until the security groups are reviewed"}]}
    assert plan["risk"] == "Medium"


def test_the_same_markdown_gives_the_same_plan_but_its_creation_time():
    path = DATA / "network.md"
    one, two = converted(path), converted(path)
    assert one.pop("created") and two.pop("created")
    assert one == two


# -- the agent's layout ---------------------------------------------------------------------------------------
AGENT = """\
# Plan: Create Development VPC

## Objective
Create a new VPC.

## Proposed Changes

### Phase 1: Create VPC
**Commands/Actions:**
```
aws ec2 create-vpc \\
  --cidr-block 10.20.0.0/16 \\
  --profile dev-admin \\
  --region us-east-1
```
**Expected Outcome:** VPC created
**Validation:** `aws ec2 describe-vpcs --filters Name=cidr-block,Values=10.20.0.0/16 --region us-east-1`

## Rollback Procedure
### If Phase 1 fails:
No cleanup needed - VPC not created
"""


def test_the_agents_layout_with_inline_validation_and_a_target_given_elsewhere(tmp_path):
    path = tmp_path / "agent.md"
    path.write_text(AGENT.replace("## Objective", "## Target\n- Environment: development\n- Region: us-east-1\n"
                                                  "- Profile: dev-admin\n\n## Objective"))
    doc = converted(path, account_id="123456789012")
    [step] = doc["phases"][0]["steps"]
    assert step["command"] == "aws ec2 create-vpc --cidr-block 10.20.0.0/16 --profile dev-admin --region us-east-1"
    assert step["validate"] == [{"command": "aws ec2 describe-vpcs --filters Name=cidr-block,Values=10.20.0.0/16 "
                                            "--region us-east-1"}]
    assert "rollback" not in step and "undone_by" not in step  # "No cleanup needed": prose
    assert doc["guardrail"]["status"] == "WARN"  # no verdict written: not a PASS
    assert "no guardrail validation status" in doc["guardrail"]["findings"][0]["message"]


def test_the_agents_layout_without_a_target_says_what_to_add(tmp_path):
    path = tmp_path / "agent.md"
    path.write_text(AGENT)
    messages = [message for _line, message in refused(path)]
    assert "'## Target' has no '- Environment:' line" in messages
    assert any(m.startswith("no account: add '- Account: <12 digits>' under '## Target', or give account_id") for m
               in messages)


# -- refusals, each at its line --------------------------------------------------------------------------------
@pytest.mark.parametrize("command, fragment", [
    ("aws ssm put-parameter --name {parameter-name} --value v --type String", "unresolved placeholder {parameter-name}"),
    ("aws ec2 authorize-security-group-ingress --group-id <security-group-id> --protocol tcp --port 443 "
     "--cidr 10.0.0.0/8", "unresolved placeholder <security-group-id>"),
    ("aws ec2 delete-vpc --vpc-id vpc-xxxxxxxx", "unresolved placeholder vpc-xxxxxxxx"),
    ("aws ec2 run-instances ...", "an elided command ('...')"),
    ("aws ssm put-parameter --name /md/a --value $VALUE --type String", "$VALUE is not set by an earlier command"),
    ("X=$(aws ssm put-parameter --name /md/a --value v --type String)", "give --query '<what to keep>' --output text"),
    ("X=$(aws ssm put-parameter --name /md/a --value v --type String --query Version)",
     "(it has --output json, the default)"),
    ("aws ssm describe-parameters | jq '.Parameters[].Name'", "a pipe ('|') is not read"),
    ("aws ssm put-parameter --name /md/a --value v --type String > out.json", "a redirection ('>')"),
    ("aws ssm put-parameter --name /md/a --value v --type String && echo done", "'&'"),
    ("for n in a b; do aws ssm delete-parameter --name $n; done", "not read"),
    ("aws ssm put-parameter --name /md/a --value v --type String --profile prod-admin",
     "--profile prod-admin is not the target's profile (sandbox-md)"),
    ("aws ssm put-parameter --name /md/a --value v --type String --endpoint-url http://127.0.0.1:9",
     "--endpoint-url is not allowed in a plan"),
    ("aws ssm put-parameter --name /md/a --value v --type String --region mars-1", "is not an AWS region name"),
    ("aws ssm put-parameter --nme /md/a --value v --type String", "unknown option --nme"),
    ("aws ssm put-parameter --name /md/a --value file://v.txt --type String", "would read the value from a file"),
])
def test_a_command_a_plan_cannot_take_is_refused_at_its_markdown_line(tmp_path, command, fragment):
    path = small(tmp_path, commands="# first\n" + PUT.replace("/md/a", "/md/z") + "\n" + command)
    problems = refused(path)
    assert any(fragment in message for _field, message in problems), problems
    line = line_of(path, command.split("\n")[0][:40])
    assert ("line %d" % line) in [field for field, message in problems if fragment in message], problems


def test_validation_and_rollback_commands_are_refused_at_their_lines(tmp_path):
    path = small(tmp_path, validation="aws ssm delete-parameter --name /md/a",
                 rollback="X=$(aws ssm delete-parameter --name /md/a --query x --output text)")
    problems = dict(refused(path))
    assert "X=$(...) in a rollback block: only a Commands line may set a variable" in \
        problems["line %d" % line_of(path, "X=$(aws ssm delete")]
    path = small(tmp_path, validation="aws ssm delete-parameter --name /md/a")
    problems = dict(refused(path))
    assert "validate calls must be read-only" in problems["line %d" % line_of(path, "delete-parameter --name /md/a")]


def test_every_problem_is_reported_at_once(tmp_path):
    path = small(tmp_path, commands=PUT + " | tee x\naws ssm put-parameter --name {n} --value v --type String\n"
                                          "aws ssm get-parameter --name $NOPE")
    assert [field for field, _message in refused(path)] == ["line 14", "line 15", "line 16"]


@pytest.mark.parametrize("old, new, fragment", [
    ("- Environment: sandbox", "- Environment: {environment}", "unresolved placeholder {environment}"),
    ("- Environment: sandbox", "- Environment: production", "this collection executes only in sandbox"),
    ("- Account: 123456789012", "- Account: 12345", "must be a 12-digit string"),
    ("- Region: us-east-1", "- Region: <region>", "unresolved placeholder <region>"),
    ("**Status**: PASS", "**Status**: {PASS|WARN|FAIL}", "unresolved placeholder {PASS|WARN|FAIL}"),
    ("# Plan: Two parameters", "# Plan: {Objective}", "unresolved placeholder {Objective}"),
    ("### Phase 1: Parameters", "### Phase 1: {Phase Name}", "unresolved placeholder {Phase Name}"),
    ("### Phase 1: Parameters", "### Phase 2: Parameters", "expected Phase 1 here"),
    ("### If Phase 1 fails:", "### If Phase 3 fails:", "names Phase 3, which the plan does not have"),
])
def test_target_and_structure_problems_name_their_line(tmp_path, old, new, fragment):
    path = small(tmp_path)
    path.write_text(path.read_text().replace(old, new))
    problems = refused(path)
    assert any(fragment in message for _field, message in problems), problems
    if "names Phase 3" not in fragment:
        assert any(field == "line %d" % line_of(path, new) for field, _message in problems), problems


def test_an_account_given_twice_must_agree(tmp_path):
    assert converted(small(tmp_path), account_id="123456789012")["target"]["account_id"] == "123456789012"
    [(_field, message)] = refused(small(tmp_path), account_id="210987654321")
    assert message == "- Account: 123456789012, but account_id 210987654321 was given: they must agree"


def test_a_bash_block_under_no_label_is_not_silently_dropped(tmp_path):
    path = small(tmp_path)
    path.write_text(path.read_text().replace("**Validation:**", "**Expected Outcome:**"))
    [(field, message)] = refused(path)
    assert "this block of aws commands is under **Expected Outcome:**" in message
    assert field == "line %d" % (line_of(path, "**Expected Outcome:**") + 1)


def test_a_literal_dollar_brace_stays_literal(tmp_path):
    policy = ("aws iam put-user-policy --user-name u --policy-name p --policy-document "
              "'{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": "
              "\"arn:aws:s3:::b/${aws:username}/*\"}]}'")
    plan = validate_document(converted(small(tmp_path, commands=policy, validation="", rollback="")), "x")
    document = resolve(plan["steps"][0]["call"]["params"], {})["PolicyDocument"]
    assert "arn:aws:s3:::b/${aws:username}/*" in document


def test_rollback_commands_under_no_phase_heading_are_refused(tmp_path):
    path = small(tmp_path)
    path.write_text(path.read_text().replace("### If Phase 1 fails:\n", "### Clean-up\n"))
    [(field, message)] = refused(path)
    assert "not under an '### If Phase N fails:' heading" in message
    assert field == "line %d" % (line_of(path, "### Clean-up") + 1)


def test_guardrail_findings_and_fail_are_carried_as_written(tmp_path):
    path = small(tmp_path)
    path.write_text(path.read_text().replace("**Status**: PASS", "**Status**: FAIL\n\n### Findings\n"
                                             "- **High**: the bucket policy allows s3:* to everyone\n"
                                             "- a second concern\n\n### Required Changes\n- narrow the policy"))
    guardrail = converted(path)["guardrail"]
    assert guardrail == {"status": "FAIL", "findings": [
        {"severity": "high", "message": "the bucket policy allows s3:* to everyone"},
        {"severity": "error", "message": "a second concern"},
        {"severity": "required", "message": "narrow the policy"}]}


def test_a_variable_set_in_a_validation_block_is_refused(tmp_path):
    path = small(tmp_path, validation="V=$(aws ssm get-parameter --name /md/a --query Parameter.Value --output text)")
    [(field, message)] = refused(path)
    assert message.startswith("V=$(...) in a validation block") and field == "line %d" % line_of(path, "V=$(")


def test_markdown_that_is_not_a_plan(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(textwrap.dedent("""\
        Just notes.

        ```bash
        aws s3 ls
        ```
        """))
    assert refused(path) == [("line 1", "no '# Plan: <objective>' heading: is this the planner's Markdown?")]
