# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan-v1 contract for ``${...}`` references: unknown steps and names, forward references and cycles,
references in commands and ``expect``, the ``$${`` escape, and step ids that would shadow a builtin scope."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import base_plan, step
from schema_support import ONLY, S1, S2, SOURCE, assert_problem, edit, problems, single_step


# -- references ---------------------------------------------------------------------------------------------------

def _ref_at(path, value):
    return edit([(path, value)])


@pytest.mark.parametrize("path, value, field, fragment", [
    ("phases.0.steps.1.params.Bucket", "${nosuch.x}", S2 + ".params.Bucket",
     "${nosuch.x}: no step 'nosuch' in this plan"),
    ("phases.0.steps.1.params.Bucket", "${create_bucket.arn}", S2 + ".params.Bucket",
     "${create_bucket.arn}: step 'create_bucket' registers no 'arn' (it registers location)"),
    ("phases.0.steps.0.params.Bucket", "b-${enable_versioning.status}", S1 + ".params.Bucket",
     "forward reference: step 'enable_versioning' runs after step 'create_bucket'"),
    ("phases.0.steps.0.wait.params.Bucket", "${enable_versioning.status}", S1 + ".wait.params.Bucket",
     "forward reference"),
    ("phases.0.steps.0.validate.params.Bucket", "${enable_versioning.status}", S1 + ".validate[0].params.Bucket",
     "forward reference"),
    ("phases.0.steps.0.rollback.0.params.Bucket", "${enable_versioning.status}", S1 + ".rollback[0].params.Bucket",
     "forward reference"),
    ("phases.0.steps.0.params.Bucket", "${create_bucket.location}", S1 + ".params.Bucket",
     "${create_bucket.location}: cycle: a step's call cannot use its own output"),
    ("phases.0.steps.1.params.Bucket", "${target.profile}", S2 + ".params.Bucket",
     "${target.profile}: target has only account_id, region"),
    ("phases.0.steps.1.params.Bucket", "${run.name}", S2 + ".params.Bucket", "${run.name}: run has only id"),
    ("phases.0.steps.1.params.VersioningConfiguration.Status", "${nosuch.status}",
     S2 + ".params.VersioningConfiguration.Status", "no step 'nosuch'"),
    ("phases.0.steps.0.wait.params.Bucket", "${bad}", S1 + ".wait.params.Bucket", "malformed reference ${bad}"),
])
def test_bad_references(path, value, field, fragment):
    assert_problem(_ref_at(path, value), field, fragment)


def test_forward_reference_across_phases():
    doc = base_plan()
    second = step(doc, 0, 1)
    second["register"] = {"status": "Status"}
    doc["phases"] = [{"name": "First", "steps": [step(doc)]}, {"name": "Second", "steps": [second]}]
    step(doc)["params"]["Bucket"] = "${enable_versioning.status}"
    assert_problem(doc, S1 + ".params.Bucket", "forward reference")


def test_reference_inside_a_command():
    doc = edit([("phases.0.steps.1.action", ...), ("phases.0.steps.1.params", ...),
                ("phases.0.steps.1.command", "aws s3api put-bucket-versioning --bucket ${nosuch.name} "
                                             "--versioning-configuration Status=Enabled")])
    assert_problem(doc, S2 + ".params.Bucket", "no step 'nosuch'")


def test_self_reference_is_allowed_in_validate_rollback_and_wait():
    doc = base_plan()
    own = "${create_bucket.location}"
    step(doc)["wait"]["params"]["Bucket"] = own
    step(doc)["validate"]["params"]["Bucket"] = own
    step(doc)["rollback"][0]["params"]["Bucket"] = own
    assert problems(doc) == []


def test_earlier_step_and_builtins_are_fine():
    doc = edit([("phases.0.steps.1.params.Bucket", "${create_bucket.location}-${target.region}-${run.id}")])
    assert problems(doc) == []


def test_double_dollar_escapes_a_literal_reference():
    policy = '{"Statement":[{"Resource":"arn:aws:s3:::b/$${aws:username}/*"}]}'
    doc = single_step("iam:PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": policy})
    plan = validate_document(doc, SOURCE)
    assert plan["steps"][0]["call"]["params"]["PolicyDocument"] == policy  # kept as written; resolved at run time


MALFORMED_POLICY = '{"Statement":[{"Resource":"arn:aws:s3:::b/${aws:username}/*"}]}'


def test_malformed_reference_in_params_is_a_plan_error():
    doc = single_step("iam:PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": MALFORMED_POLICY})
    message = assert_problem(doc, ONLY + ".params.PolicyDocument", "malformed reference ${aws:username}")
    assert "write $${ for a literal ${" in message


def test_malformed_reference_is_reported_once():
    doc = single_step("iam:PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": MALFORMED_POLICY})
    assert len(problems(doc)) == 1


@pytest.mark.parametrize("path", ["phases.0.steps.1.validate.expect", "phases.0.steps.0.expect"])
def test_reference_in_expect_is_checked(path):
    found = problems(edit([(path, ["Status == '${nosuch.x}'"])]))
    assert [message for _field, message in found] == ["${nosuch.x}: no step 'nosuch' in this plan"]


def test_reference_in_expect_names_the_expression():
    doc = edit([("phases.0.steps.1.validate.expect", ["Status == 'x'", "Status == '${nosuch.x}'"])])
    assert_problem(doc, S2 + ".validate[0].expect[1]", "no step 'nosuch'")


def test_reference_in_expect_may_name_the_step_itself():
    doc = edit([("phases.0.steps.0.expect", ["Location == '${create_bucket.location}'"])])
    assert problems(doc) == []


@pytest.mark.parametrize("step_id", ["target", "run"])
def test_step_id_cannot_shadow_a_builtin_scope(step_id):
    assert_problem(edit([("phases.0.steps.1.id", step_id)]), S2 + ".id",
                   "%r is reserved for ${%s.*} references" % (step_id, step_id))
