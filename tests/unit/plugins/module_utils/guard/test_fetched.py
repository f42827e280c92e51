# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Content fetched by reference: pinned by SHA-256 at approval (moto in-process), checked before sending."""

from __future__ import annotations

import hashlib
import io

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.fetched import (
    check_recorded, plan_objects, recorded, verify_object)
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter, check_plan
from ansible_collections.coworker.aws.plugins.module_utils.guard.pin_fetched import approve_with_pins
from ansible_collections.coworker.aws.plugins.module_utils.guard.values import Found
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from plan_samples import base_plan

ME = "123456789012"
TEMPLATE = b"Resources: {}\n"
URL = "https://s3.amazonaws.com/templates/stack.yml"


def _stack_plan(url=URL, **top):
    document = base_plan()
    document["phases"] = [{"name": "P", "steps": [
        {"id": "stack", "action": "cloudformation:CreateStack", "params": {"StackName": "s", "TemplateURL": url}}]}]
    document.update(top)
    return document


def test_the_objects_a_plan_fetches_and_whether_they_are_pinned():
    plan = validate_document(_stack_plan(), "plan.yml")
    assert [(o["step"], o["field"], o["object"]) for o in plan_objects(plan)] == [
        ("stack", "params.TemplateURL", "s3://templates/stack.yml")]
    with pytest.raises(GuardRefusal, match=r"step stack, params.TemplateURL: s3://templates/stack.yml is fetched by "
                                           r"reference and its content is not covered by the approval; approve the"):
        check_recorded(plan)
    pinned = [{"step": "stack", "field": "params.TemplateURL", "object": "s3://templates/stack.yml",
               "sha256": "0" * 64}]
    check_recorded(validate_document(_stack_plan(fetched=pinned), "plan.yml"))


def test_an_object_named_by_a_value_known_only_at_run_time_cannot_be_pinned():
    plan = validate_document(_stack_plan("https://s3.amazonaws.com/${target.account_id}-t/${run.id}.yml"), "p.yml")
    fence = Perimeter.for_class({"environments": {"sandbox": {"regions": ["*"]}}}, "sandbox", ME)
    with pytest.raises(GuardRefusal, match="step stack, TemplateURL: .*named by a value known only at run time"):
        check_plan(fence, plan)


@pytest.mark.parametrize("entry, message", [
    ({"step": "stack", "field": "f", "object": "s3://b/k", "sha256": "XYZ"}, "fetched[0].sha256"),
    ({"step": "stack", "field": "f", "object": "https://b/k", "sha256": "0" * 64}, "fetched[0].object"),
    ({"step": "stack", "field": "f", "object": "s3://b/k", "sha256": "0" * 64, "extra": 1}, "fetched[0].extra"),
])
def test_the_fetched_list_is_validated(entry, message):
    with pytest.raises(Exception, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_document(_stack_plan(fetched=[entry]), "plan.yml")


def test_before_sending_the_object_must_still_have_the_pinned_sha256():
    found = Found("object", "TemplateURL", URL, ("templates", "stack.yml", None))
    pinned = {("stack", "s3://templates/stack.yml"): hashlib.sha256(TEMPLATE).hexdigest()}
    verify_object(pinned, "stack", found, lambda *_a: io.BytesIO(TEMPLATE), "step stack")
    with pytest.raises(GuardRefusal, match=r"s3://templates/stack.yml changed after approval \(SHA-256 now "):
        verify_object(pinned, "stack", found, lambda *_a: io.BytesIO(b"Resources: {X: 1}"), "step stack")
    with pytest.raises(GuardRefusal, match="not covered by the approval"):
        verify_object(pinned, "other", found, lambda *_a: io.BytesIO(TEMPLATE), "step other")

    def gone(*_args):
        raise RuntimeError("NoSuchKey")
    with pytest.raises(GuardRefusal, match=r"cannot read s3://templates/stack.yml .*\(NoSuchKey\)"):
        verify_object(pinned, "stack", found, gone, "step stack")


@pytest.fixture
def moto_s3(fake_aws):
    import boto3
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="stack.yml", Body=TEMPLATE)
    return s3


def _params(path, confirm):
    return {"plan": str(path), "plans_dir": None, "approved_by": "alice@example.com", "confirm": confirm,
            "record_fetched": True, "expires_in_days": None, "signing_key": None, "principal": None,
            "inline_files": False, "profile": None}


def test_approve_plan_pins_the_content_then_approves_and_keeps_what_was_written(moto_s3, tmp_path):
    path = tmp_path / "plan.yml"
    path.write_text("# the planner's comment stays\n" + yaml.safe_dump(_stack_plan(), sort_keys=False))
    pinned = approve_with_pins(_params(path, False))
    sha = hashlib.sha256(TEMPLATE).hexdigest()
    assert pinned["changed"] and pinned["fetched"] == [
        {"step": "stack", "field": "params.TemplateURL", "object": "s3://templates/stack.yml", "sha256": sha}]
    assert approve_with_pins(_params(path, False))["changed"] is False  # the same content: the file stays
    approve_with_pins(_params(path, True))
    text = path.read_text()
    assert text.startswith("# the planner's comment stays\n")
    loaded = load_plan(str(path))
    assert recorded(loaded["plan"]) == {("stack", "s3://templates/stack.yml"): sha}
    moto_s3.put_object(Bucket="templates", Key="stack.yml", Body=b"Resources: {Changed: 1}\n")
    assert approve_with_pins(_params(path, False))["changed"] is True
    with pytest.raises(Exception, match="no 'approval' block"):  # re-pinned: the old approval is gone with the old list
        load_plan(str(path))


def test_approve_plan_refuses_to_approve_unpinned_content_or_content_it_cannot_read(moto_s3, tmp_path):
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(_stack_plan(), sort_keys=False))
    with pytest.raises(CoworkerError, match="not approved: step stack, params.TemplateURL: s3://templates/stack.yml"
                                            " is fetched by reference"):
        approve_with_pins(dict(_params(path, True), record_fetched=False))
    path.write_text(yaml.safe_dump(_stack_plan("https://s3.amazonaws.com/templates/missing.yml"), sort_keys=False))
    with pytest.raises(CoworkerError, match=r"cannot read the content the plan fetches by reference \(S3 GetObject\)"):
        approve_with_pins(_params(path, False))
