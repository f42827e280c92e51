# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``targets:``: parsed and checked after inheriting from ``target``, covered by the digest, one selected per run."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import calls_of
from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import require_one_target

from plan_samples import approved, base_plan, independent_digest, write_yaml

SOURCE = "/plans/targets.yml"
A, B = "111111111111", "222222222222"


def multi(*entries, target=...):
    doc = base_plan()
    if target is ...:
        del doc["target"]
    else:
        doc["target"] = target
    doc["targets"] = list(entries)
    return doc


def problems(doc, **kwargs):
    with pytest.raises(PlanError) as info:
        validate_document(doc, SOURCE, **kwargs)
    assert info.value.source == SOURCE
    return info.value.problems


def test_a_single_target_plan_is_unchanged():
    doc = base_plan()
    plan = validate_document(doc, SOURCE)
    assert plan["target"]["account_id"] == "123456789012" and plan["target_selected"] is True
    assert plan["targets"] == [plan["target"]] and plan["target"]["key"] == "123456789012-us-east-1"
    assert plan["target"]["role_arn"] is None
    # the digest of a target-only plan is what the contract says it is: nothing was added to the document
    assert plan_digest(doc) == independent_digest(doc)


def test_entries_inherit_from_target_and_each_is_selectable():
    doc = multi({"account_id": A}, {"account_id": B, "region": "eu-west-1", "profile": "sandbox-b"},
                target={"environment": "sandbox", "region": "us-east-1", "profile": "sandbox-base"})
    plan = validate_document(doc, SOURCE)
    assert [t["key"] for t in plan["targets"]] == [A + "-us-east-1", B + "-eu-west-1"]
    assert plan["targets"][0]["profile"] == "sandbox-base" and plan["targets"][1]["profile"] == "sandbox-b"
    assert plan["target_selected"] is False
    chosen = validate_document(doc, SOURCE, target=B + "-eu-west-1")
    assert chosen["target_selected"] is True and chosen["target"]["account_id"] == B
    # calls without their own region take the selected target's region
    assert {c["region"] for s in chosen["steps"] for c in calls_of(s)} == {"eu-west-1"}


def test_references_resolve_per_target():
    doc = multi({"environment": "sandbox", "account_id": A, "region": "us-east-1"},
                {"environment": "test", "account_id": B, "region": "us-west-2"})
    names = []
    for key in (A + "-us-east-1", B + "-us-west-2"):
        plan = validate_document(doc, SOURCE, target=key)
        context = {"target": plan["target"], "run": {"id": "r"}}
        names.append(resolve(plan["steps"][0]["call"]["params"], context)["Bucket"])
    assert names == ["unit-" + A, "unit-" + B]


@pytest.mark.parametrize("entry, field, fragment", [
    ({"account_id": A, "region": "us-east-1"}, "targets[0].environment", "neither the entry nor 'target'"),
    ({"environment": "sandbox", "region": "us-east-1"}, "targets[0].account_id", "required"),
    ({"environment": "sandbox", "account_id": A}, "targets[0].region", "required"),
    ({"environment": "production", "account_id": A, "region": "us-east-1"}, "targets[0].environment",
     "executes only in"),
    ({"environment": "sandbox", "account_id": 111111111111, "region": "us-east-1"}, "targets[0].account_id",
     "must be a string"),
    ({"environment": "sandbox", "account_id": "1111", "region": "us-east-1"}, "targets[0].account_id", "12-digit"),
    ({"environment": "sandbox", "account_id": A, "region": "Mars"}, "targets[0].region", "does not match"),
    ({"environment": "sandbox", "account_id": A, "region": "us-east-1", "role_arn": "Deployer"},
     "targets[0].role_arn", "not an IAM role ARN"),
    ({"environment": "sandbox", "account_id": A, "region": "us-east-1",
      "role_arn": "arn:aws:iam::%s:role/Deployer" % B}, "targets[0].role_arn", "not this target's account"),
    ({"environment": "sandbox", "account_id": A, "region": "us-east-1", "role_arn": "arn:aws:iam::%s:user/x" % A},
     "targets[0].role_arn", "not an IAM role ARN"),
    ({"environment": "sandbox", "account_id": A, "region": "us-east-1", "regions": ["x"]}, "targets[0].regions",
     "unknown field"),
    ("sandbox", "targets[0]", "must be a mapping"),
])
def test_bad_entries_name_the_field(entry, field, fragment):
    found = problems(multi(entry))
    assert any(where == field and fragment in msg for where, msg in found), found


def test_a_field_present_but_wrong_is_not_replaced_by_the_default():
    found = problems(multi({"account_id": "12"}, target={"environment": "sandbox", "account_id": A,
                                                         "region": "us-east-1"}))
    assert [where for where, _msg in found] == ["targets[0].account_id"]


def test_duplicates_empty_lists_and_unknown_selections_are_refused():
    same = {"environment": "sandbox", "account_id": A, "region": "us-east-1"}
    found = problems(multi(same, dict(same, profile="other")))
    assert found == [("targets[1]", "account %s region us-east-1 is already targets[0]: each target runs once" % A)]
    assert problems(multi())[0][0] == "targets"
    assert problems(dict(base_plan(), targets="all"))[0] == ("targets", "must be a list, got str")
    found = problems(multi(same), target="999999999999-us-east-1")
    assert found[0][0] == "target" and A + "-us-east-1" in found[0][1]


def test_role_arn_belongs_to_entries_not_to_the_defaults():
    found = problems(multi({"account_id": A}, target={"environment": "sandbox", "region": "us-east-1",
                                                      "role_arn": "arn:aws:iam::%s:role/D" % A}))
    assert found[0][0] == "target.role_arn" and "unknown field" in found[0][1]


def test_a_plan_of_several_targets_cannot_run_without_naming_one():
    doc = multi({"environment": "sandbox", "account_id": A, "region": "us-east-1"},
                {"environment": "sandbox", "account_id": B, "region": "us-east-1"})
    with pytest.raises(PlanError) as info:
        require_one_target(validate_document(doc, SOURCE), SOURCE)
    assert info.value.problems[0][0] == "target" and "2 targets" in info.value.problems[0][1]
    require_one_target(validate_document(doc, SOURCE, target=B + "-us-east-1"), SOURCE)
    # a list of one needs no name
    require_one_target(validate_document(multi(doc["targets"][0]), SOURCE), SOURCE)


def test_the_list_is_covered_by_the_digest_and_the_approval(tmp_path):
    doc = approved(multi({"environment": "sandbox", "account_id": A, "region": "us-east-1"}))
    path = write_yaml(tmp_path, doc)
    assert load_plan(str(path))["plan"]["targets"][0]["account_id"] == A
    doc["targets"].append({"environment": "sandbox", "account_id": B, "region": "us-east-1"})
    write_yaml(tmp_path, doc)
    with pytest.raises(PlanError) as info:
        load_plan(str(path))
    assert "digest" in str(info.value)
