# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan-v1 contract: the normalised plan, required fields, types and values, unknown fields, ids,
the environments a plan may target and the step limit."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import base_plan, many_steps, step
from schema_support import S1, S2, SOURCE, assert_problem, edit, problems


def test_the_base_plan_is_valid_and_normalised():
    plan = validate_document(base_plan(), SOURCE)
    assert [s["id"] for s in plan["steps"]] == ["create_bucket", "enable_versioning"]
    first, second = plan["steps"]
    assert first["call"]["service"] == "s3" and first["call"]["operation"] == "CreateBucket"
    assert first["call"]["region"] == "us-east-1"  # every call gets the target's region
    assert first["rollback"][0]["operation"] == "DeleteBucket"
    assert isinstance(second["rollback"], list) and second["rollback"][0]["params"]["VersioningConfiguration"] == {
        "Status": "Suspended"}
    assert second["validate"][0]["retries"] == 2 and second["validate"][0]["delay"] == 1
    assert first["wait"]["waiter"] == "bucket_exists"
    assert first["mutating"] and not first["destructive"]
    assert plan["target"] == {"environment": "sandbox", "account_id": "123456789012", "region": "us-east-1",
                              "profile": None, "role_arn": None, "key": "123456789012-us-east-1"}


def test_the_error_text_names_file_field_and_problem():
    doc = edit([("target.environment", "production")])
    with pytest.raises(PlanError) as exc:
        validate_document(doc, SOURCE)
    assert str(exc.value).startswith("%s: target.environment: 'production': " % SOURCE)


def test_every_problem_is_reported_at_once():
    doc = edit([("id", "-bad"), ("target.environment", "production"), ("phases.0.steps.1.action", "s3x:Nope")])
    fields = [field for field, _message in problems(doc)]
    assert fields == ["id", "target.environment", S2 + ".action"]


# -- required fields ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, field, fragment", [
    ("format", "format", "must be exactly 'coworker.aws/plan-v1', got None"),
    ("id", "id", "required field is missing"),
    ("name", "name", "required field is missing"),
    ("created", "created", "required field is missing"),
    ("target", "target", "required field is missing"),
    ("target.environment", "target.environment", "required field is missing"),
    ("target.account_id", "target.account_id", "required field is missing"),
    ("target.region", "target.region", "required field is missing"),
    ("guardrail", "guardrail", "required field is missing"),
    ("guardrail.status", "guardrail.status", "required field is missing"),
    ("phases", "phases", "required field is missing"),
    ("phases.0.name", "phases[0].name", "required field is missing"),
    ("phases.0.steps", "phases[0].steps", "required field is missing"),
    ("phases.0.steps.0.id", S1 + ".id", "required field is missing"),
    ("phases.0.steps.0.action", S1, "give exactly one of 'action' (service:Operation) or 'command'"),
    ("phases.0.steps.0.validate.action", S1 + ".validate", "give exactly one of"),
    ("phases.0.steps.0.wait.waiter", S1 + ".wait.waiter", "required field is missing"),
])
def test_required_fields(path, field, fragment):
    assert_problem(edit([(path, ...)]), field, fragment)


@pytest.mark.parametrize("path", ["objective", "risk", "target.profile", "guardrail.validated_at",
                                  "guardrail.findings", "phases.0.steps.0.description", "phases.0.steps.0.register",
                                  "phases.0.steps.0.expect", "phases.0.steps.0.wait", "phases.0.steps.0.validate",
                                  "phases.0.steps.0.rollback", "phases.0.steps.1.validate.retries"])
def test_optional_fields(path):
    doc = edit([(path, ...)]) if path != "target.profile" else edit([(path, "sandbox-admin")])
    assert problems(doc) == []


def test_null_counts_as_missing():
    assert_problem(edit([("name", None)]), "name", "required field is missing")


# -- wrong types and values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, value, field, fragment", [
    ("format", "coworker.aws/plan-v2", "format", "must be exactly 'coworker.aws/plan-v1', got 'coworker.aws/plan-v2'"),
    ("id", 5, "id", "must be a string, got int"),
    ("name", ["a"], "name", "must be a string, got list"),
    ("name", "   ", "name", "must not be empty"),
    ("created", "yesterday", "created", "'yesterday' is not an ISO 8601 time"),
    ("objective", 5, "objective", "must be a string, got int"),
    ("risk", "Extreme", "risk", "must be one of Low, Medium, High, got 'Extreme'"),
    ("target", "sandbox", "target", "must be a mapping, got str"),
    ("target.account_id", 123456789012, "target.account_id", "must be a string, got int"),
    ("target.account_id", "12345", "target.account_id", "must be a 12-digit string (quote it), got '12345'"),
    ("target.account_id", "12345678901x", "target.account_id", "12-digit"),
    ("target.region", "us-east-1; rm -rf /", "target.region", "does not match"),
    ("target.environment", True, "target.environment", "must be a string, got bool"),
    ("guardrail", "PASS", "guardrail", "must be a mapping, got str"),
    ("guardrail.status", "OK", "guardrail.status", "must be one of PASS, WARN, FAIL, got 'OK'"),
    ("guardrail.validated_at", "soon", "guardrail.validated_at", "not an ISO 8601 time"),
    ("guardrail.findings", "none", "guardrail.findings", "must be a list, got str"),
    ("guardrail.findings", ["text"], "guardrail.findings[0]", "must be a mapping with 'severity' and 'message'"),
    ("phases", {}, "phases", "must be a list, got dict"),
    ("phases", [], "phases", "a plan needs at least one phase"),
    ("phases.0", "Storage", "phases[0]", "a phase must be a mapping with 'name' and 'steps'"),
    ("phases.0.steps", [], "phases[0].steps", "a phase needs at least one step"),
    ("phases.0.steps", {"id": "x"}, "phases[0].steps", "must be a list, got dict"),
    ("phases.0.steps.0", "create_bucket", S1, "a step must be a mapping"),
    ("phases.0.steps.0.description", 5, S1 + ".description", "must be a string, got int"),
    ("phases.0.steps.0.destructive", "no", S1 + ".destructive", "must be true or false, got str"),
    ("phases.0.steps.0.skippable", 1, S1 + ".skippable", "must be true or false, got int"),
    ("phases.0.steps.0.params", ["Bucket"], S1 + ".params", "must be a mapping, got list"),
    ("phases.0.steps.0.action", "s3-CreateBucket", S1 + ".action", "must be service:Operation"),
    ("phases.0.steps.0.action", "s3:Create:Bucket", S1 + ".action", "must be service:Operation"),
    ("phases.0.steps.0.region", "mars-1", S1 + ".region", "does not match"),
    ("phases.0.steps.0.register", ["location"], S1 + ".register", "must be a mapping, got list"),
    ("phases.0.steps.0.register", {"location": 5}, S1 + ".register.location", "must be a JMESPath string"),
    ("phases.0.steps.0.register", {"bad-name": "Location"}, S1 + ".register.bad-name",
     "register names are letters, digits and _"),
    ("phases.0.steps.0.register", {"location": "Location[?"}, S1 + ".register.location",
     "not a valid JMESPath expression"),
    ("phases.0.steps.0.expect", "Location != null", S1 + ".expect", "must be a list, got str"),
    ("phases.0.steps.0.expect", [""], S1 + ".expect[0]", "must be a non-empty JMESPath string"),
    ("phases.0.steps.0.expect", ["Location =="], S1 + ".expect[0]", "not a valid JMESPath expression"),
    ("phases.0.steps.0.validate", "s3:HeadBucket", S1 + ".validate", "a call must be a mapping"),
    ("phases.0.steps.0.wait", "bucket_exists", S1 + ".wait", "must be a mapping with 'waiter'"),
    ("phases.0.steps.0.wait.waiter", "bucket_exist", S1 + ".wait.waiter", "unknown s3 waiter 'bucket_exist' (known: "),
    ("phases.0.steps.0.wait.delay", -5, S1 + ".wait.delay", "must not be negative"),
    ("phases.0.steps.1.validate.retries", -1, S2 + ".validate.retries", "must not be negative"),
    ("phases.0.steps.1.validate.retries", "3", S2 + ".validate.retries", "must be an integer or float, got str"),
    ("phases.0.steps.1.validate.retries", True, S2 + ".validate.retries", "got bool"),
    ("phases.0.steps.1.validate.expect", ["Status =="], S2 + ".validate.expect[0]", "not a valid JMESPath"),
])
def test_wrong_types_and_values(path, value, field, fragment):
    assert_problem(edit([(path, value)]), field, fragment)


def test_unknown_waiter_lists_the_known_ones():
    message = assert_problem(edit([("phases.0.steps.0.wait.waiter", "bucket_exist")]), S1 + ".wait.waiter", "known")
    assert "bucket_exists" in message and "object_exists" in message


@pytest.mark.parametrize("path, field", [
    ("owner", "owner"),
    ("target.account", "target.account"),
    ("guardrail.score", "guardrail.score"),
    ("phases.0.when", "phases[0].when"),
    ("phases.0.steps.0.when", S1 + ".when"),
    ("phases.0.steps.0.validate.when", S1 + ".validate.when"),
    ("phases.0.steps.0.rollback.0.retries", S1 + ".rollback[0].retries"),
    ("phases.0.steps.0.wait.timeout", S1 + ".wait.timeout"),
])
def test_unknown_fields(path, field):
    message = assert_problem(edit([(path, "x")]), field, "unknown field (allowed: ")
    assert field.rsplit(".", 1)[-1] not in message.split("allowed: ", 1)[1].split(", ")


@pytest.mark.parametrize("plan_id", ["-starts-with-dash", "has space", "a/b", "x" * 129, "ünïcode", ""])
def test_bad_plan_ids(plan_id):
    found = problems(edit([("id", plan_id)]))
    assert [field for field, _message in found] == ["id"]


@pytest.mark.parametrize("plan_id", ["a", "web-logs-2026-11-23", "A.b_c-9", "x" * 128])
def test_good_plan_ids(plan_id):
    assert problems(edit([("id", plan_id)])) == []


@pytest.mark.parametrize("step_id", ["CreateBucket", "1st", "with-dash", "_private", "a.b", ""])
def test_bad_step_ids(step_id):
    doc = edit([("phases.0.steps.1.id", step_id)])
    assert [field for field, _message in problems(doc)] == [S2 + ".id"]


def test_duplicate_step_ids_even_across_phases():
    doc = base_plan()
    doc["phases"].append({"name": "Again", "steps": [dict(step(doc, 0, 1))]})
    assert_problem(doc, "phases[1].steps[0].id", "duplicate step id 'enable_versioning'")


# -- environment and size ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("environment", ["production", "staging", "prod", "Sandbox"])
def test_only_sandbox_development_test_may_be_targeted(environment):
    message = assert_problem(edit([("target.environment", environment)]), "target.environment",
                             "this collection executes only in sandbox, development, test")
    assert "CI/CD" in message


@pytest.mark.parametrize("environment", ["sandbox", "development", "test"])
def test_executable_environments(environment):
    assert problems(edit([("target.environment", environment)])) == []


def test_step_limit_is_checked_first_and_names_phases():
    doc = many_steps(1001)
    doc["target"]["environment"] = "production"  # not reported: the size is refused before anything else
    assert problems(doc) == [("phases", "the plan has 1001 steps, more than the 1000 a run may have; split it "
                                        "into smaller plans")]


def test_step_limit_boundaries():
    assert problems(many_steps(1000)) == []
    assert problems(many_steps(1001), max_steps=None) == []
    assert problems(many_steps(6), max_steps=5)[0][1].startswith("the plan has 6 steps, more than the 5")
