# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Global options of a plan's ``command`` judged against the plan: --region is the call's region (the guard
then judges it like any region of the plan), --profile must be the target's own, --query is kept."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.guard.identity import plan_regions
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import base_plan, step

SOURCE = "/plans/unit.yml"
VERSIONING = "aws s3api put-bucket-versioning --bucket unit-${target.account_id} --versioning-configuration " \
             "Status=Enabled"


def with_command(command, profile=None, **call_fields):
    doc = base_plan()
    if profile:
        doc["target"]["profile"] = profile
    second = step(doc, 0, 1)
    for key in ("action", "params"):
        second.pop(key)
    second.update(command=command, **call_fields)
    return doc


def refusal(doc):
    with pytest.raises(PlanError) as caught:
        validate_document(doc, SOURCE)
    return list(caught.value.problems)


def test_a_commands_region_is_its_calls_region_and_the_guard_sees_it():
    doc = with_command(VERSIONING + " --region eu-west-1 --output text")
    doc["phases"][0]["steps"][1]["rollback"] = {"command": "aws s3api put-bucket-versioning --bucket x "
                                                           "--versioning-configuration Status=Suspended --reg eu-west-2"}
    plan = validate_document(doc, SOURCE)
    first, second = plan["steps"]
    assert first["call"]["region"] == "us-east-1"  # the target's
    assert second["call"]["region"] == "eu-west-1" and second["rollback"][0]["region"] == "eu-west-2"
    assert second["validate"][0]["region"] == "us-east-1"  # an action without region: the target's
    assert plan_regions(plan["steps"]) == ["eu-west-1", "eu-west-2", "us-east-1"]


def test_a_region_given_twice_must_agree():
    same = validate_document(with_command(VERSIONING + " --region eu-west-1", region="eu-west-1"), SOURCE)
    assert same["steps"][1]["call"]["region"] == "eu-west-1"
    assert refusal(with_command(VERSIONING + " --region eu-west-1", region="us-east-1")) == [(
        "phases[0].steps[1].command", "--region eu-west-1 and the call's region us-east-1 disagree: give one of them")]


def test_the_targets_own_profile_is_accepted():
    plan = validate_document(with_command(VERSIONING + " --profile dev-admin", profile="dev-admin"), SOURCE)
    assert plan["steps"][1]["call"]["params"]["VersioningConfiguration"] == {"Status": "Enabled"}


@pytest.mark.parametrize("target_profile, fragment", [
    ("dev-admin", "--profile prod-admin is not the target's profile (dev-admin): every call of a run is made with "
                  "the target's credentials"),
    (None, "--profile prod-admin: the target names no profile"),
])
def test_another_profile_is_refused(target_profile, fragment):
    [(field, message)] = refusal(with_command(VERSIONING + " --profile prod-admin", profile=target_profile))
    assert field == "phases[0].steps[1].command" and fragment in message


def test_a_profile_in_a_plan_of_several_targets_must_be_every_targets():
    doc = with_command(VERSIONING + " --profile dev-a", profile="dev-a")
    doc["targets"] = [{"account_id": "123456789012"}, {"account_id": "210987654321", "profile": "dev-b"}]
    [(field, message)] = refusal(doc)
    assert "--profile dev-a is not the target's profile (dev-a / dev-b)" in message


def test_query_is_kept_and_checked():
    plan = validate_document(with_command(VERSIONING + " --query 'ResponseMetadata'"), SOURCE)
    assert plan["steps"][1]["call"]["query"] == "ResponseMetadata"
    assert plan["steps"][0]["call"]["query"] is None
    [(field, message)] = refusal(with_command(VERSIONING + " --query 'Vpcs[0'"))
    assert field == "phases[0].steps[1].command" and message.startswith("not a valid JMESPath expression")
