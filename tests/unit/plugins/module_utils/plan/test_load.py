# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""load_plan end to end: blast radius, checkpoint segments, the CLI line of every call."""

from __future__ import annotations

import os

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan, plan_info
from ansible_collections.coworker.aws.plugins.module_utils.plan.step_order import calls_of

from plan_samples import EXAMPLES, approved, base_plan, independent_digest, many_steps, write_json, write_yaml


def _s(step_id, action, params, **extra):
    return dict({"id": step_id, "action": action, "params": params}, **extra)


def mixed_plan():
    """Three phases mixing read-only, reversible, irreversible and destructive steps and regions."""
    doc = base_plan()
    doc["target"]["profile"] = "sandbox-admin"
    doc["phases"] = [
        {"name": "Storage", "steps": [
            _s("make_bucket", "s3:CreateBucket", {"Bucket": "b1"},
               validate={"action": "s3:HeadBucket", "params": {"Bucket": "b1"}},
               rollback={"action": "s3:DeleteBucket", "params": {"Bucket": "b1"}}),
            _s("look", "s3:HeadBucket", {"Bucket": "b1"}),
            _s("drop_tags", "s3:DeleteBucketTagging", {"Bucket": "b1"}),
            _s("version_eu", "s3:PutBucketVersioning",
               {"Bucket": "b1", "VersioningConfiguration": {"Status": "Enabled"}}, region="eu-west-1"),
        ]},
        {"name": "Network", "steps": [
            _s("make_vpc", "ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16"}, register={"vpc_id": "Vpc.VpcId"},
               rollback=[{"action": "ec2:DeleteVpc", "params": {"VpcId": "${make_vpc.vpc_id}"},
                          "region": "us-west-2"}]),
            _s("stop_one", "ec2:StopInstances", {"InstanceIds": ["i-1"]}),
            _s("stop_two", "ec2:TerminateInstances", {"InstanceIds": ["i-2"]}),
        ]},
        {"name": "Cleanup", "steps": [
            _s("drop_vpc", "ec2:DeleteVpc", {"VpcId": "${make_vpc.vpc_id}"}),
            _s("tag_after", "ec2:CreateTags", {"Resources": ["${make_vpc.vpc_id}"], "Tags": []}),
        ]},
    ]
    return approved(doc)


@pytest.fixture
def mixed(tmp_path):
    return load_plan(str(write_yaml(tmp_path, mixed_plan())))


def test_load_plan_returns_what_the_executor_needs(tmp_path, mixed):
    assert mixed["path"] == str(tmp_path / "plan.yml") and os.path.isabs(mixed["path"])
    assert mixed["sha256"] == independent_digest(mixed["document"]) == mixed["plan"]["approval"]["plan_sha256"]
    assert [s["index"] for s in mixed["plan"]["steps"]] == list(range(1, 10))
    assert [s["phase"] for s in mixed["plan"]["steps"]][3:5] == ["Storage", "Network"]


def test_blast_radius(mixed):
    assert mixed["blast_radius"] == {
        "steps": 9,
        "mutating_steps": 8,
        "destructive_steps": 4,
        "irreversible_steps": ["drop_tags", "version_eu", "stop_one", "stop_two", "drop_vpc", "tag_after"],
        "by_service": {"ec2": 5, "s3": 3},
        "by_action": {"ec2:CreateTags": 1, "ec2:CreateVpc": 1, "ec2:DeleteVpc": 1, "ec2:StopInstances": 1,
                      "ec2:TerminateInstances": 1, "s3:CreateBucket": 1, "s3:DeleteBucketTagging": 1,
                      "s3:PutBucketVersioning": 1},
        "regions": ["eu-west-1", "us-east-1", "us-west-2"],
        "permissions_steps": [], "cross_account_grants": [],
    }


def test_segments_split_at_phases_and_before_each_destructive_step(mixed):
    assert [(s["index"], s["phase"], s["checkpoint"], s["steps"]) for s in mixed["segments"]] == [
        (0, "Storage", "phase", ["make_bucket", "look"]),
        (1, "Storage", "destructive", ["drop_tags", "version_eu"]),
        (2, "Network", "phase", ["make_vpc"]),
        (3, "Network", "destructive", ["stop_one"]),
        (4, "Network", "destructive", ["stop_two"]),
        (5, "Cleanup", "destructive", ["drop_vpc", "tag_after"]),
    ]
    assert [s["phase_index"] for s in mixed["segments"]] == [0, 0, 1, 1, 1, 2]


def test_every_destructive_step_starts_a_segment(mixed):
    firsts = {segment["steps"][0] for segment in mixed["segments"]}
    destructive = {s["id"] for s in mixed["plan"]["steps"] if s["destructive"]}
    assert destructive == {"drop_tags", "stop_one", "stop_two", "drop_vpc"}
    assert destructive <= firsts


def test_a_raised_destructive_flag_gets_a_checkpoint_too(tmp_path):
    doc = base_plan()
    doc["phases"][0]["steps"][1]["destructive"] = True
    loaded = load_plan(str(write_yaml(tmp_path, approved(doc))))
    assert [(s["checkpoint"], s["steps"]) for s in loaded["segments"]] == [
        ("phase", ["create_bucket"]), ("destructive", ["enable_versioning"])]
    assert loaded["blast_radius"]["destructive_steps"] == 1


def test_cli_line_of_every_call(mixed):
    lines = {s["id"]: [c["cli"] for c in calls_of(s)] for s in mixed["plan"]["steps"]}
    assert lines["make_bucket"] == [
        "aws s3api create-bucket --bucket b1 --region us-east-1 --profile sandbox-admin",
        "aws s3api head-bucket --bucket b1 --region us-east-1 --profile sandbox-admin",
        "aws s3api delete-bucket --bucket b1 --region us-east-1 --profile sandbox-admin"]
    assert lines["version_eu"] == ["aws s3api put-bucket-versioning --bucket b1 --versioning-configuration "
                                   "'{\"Status\":\"Enabled\"}' --region eu-west-1 --profile sandbox-admin"]
    assert lines["make_vpc"] == [
        "aws ec2 create-vpc --cidr-block 10.0.0.0/16 --region us-east-1 --profile sandbox-admin",
        "aws ec2 delete-vpc --vpc-id '<make_vpc.vpc_id>' --region us-west-2 --profile sandbox-admin"]
    assert lines["stop_two"] == ["aws ec2 terminate-instances --instance-ids i-2 --region us-east-1 "
                                 "--profile sandbox-admin"]


def test_cli_line_fills_in_the_target_and_shows_later_outputs_as_placeholders(tmp_path):
    doc = base_plan()
    doc["phases"][0]["steps"][1]["params"]["Bucket"] = "${create_bucket.location}-${target.region}-$${x}"
    loaded = load_plan(str(write_yaml(tmp_path, approved(doc))))
    first, second = loaded["plan"]["steps"]
    assert first["call"]["cli"] == "aws s3api create-bucket --bucket unit-123456789012 --region us-east-1"
    assert second["call"]["cli"].startswith(
        "aws s3api put-bucket-versioning --bucket '<create_bucket.location>-us-east-1-${x}' ")
    assert second["call"]["params"]["Bucket"] == "${create_bucket.location}-${target.region}-$${x}"


def test_profile_argument_overrides_the_plan_profile(tmp_path):
    loaded = load_plan(str(write_yaml(tmp_path, mixed_plan())), profile="dev-other")
    assert loaded["plan"]["steps"][0]["call"]["cli"].endswith("--region us-east-1 --profile dev-other")


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_render_a_cli_line_for_every_call(path):
    loaded = load_plan(str(path))
    calls = [c for s in loaded["plan"]["steps"] for c in calls_of(s)]
    assert len(calls) >= 3 * len(loaded["plan"]["steps"])  # each example step has validate and rollback
    for call in calls:
        cli_service = {"s3": "s3api"}.get(call["service"], call["service"])
        assert call["cli"].startswith("aws %s " % cli_service), call["cli"]
        assert " --region %s" % call["region"] in call["cli"]
        assert "--profile" not in call["cli"]  # the examples name no profile
        assert "${target." not in call["cli"]  # target values are known before the run


def test_command_step_renders_back_to_an_equivalent_command():
    ssm = [p for p in EXAMPLES if p.name == "ssm-iam-app-config.yml"]
    if not ssm:
        pytest.skip("example renamed")
    steps = {s["id"]: s for s in load_plan(str(ssm[0]))["plan"]["steps"]}
    assert steps["put_log_level"]["call"]["cli"] == (
        "aws ssm put-parameter --name /sandbox/app/log_level --value debug --type String --no-overwrite "
        "--tags '[{\"Key\":\"Name\",\"Value\":\"app-log-level\"},{\"Key\":\"Environment\",\"Value\":\"sandbox\"},"
        "{\"Key\":\"Owner\",\"Value\":\"platform-team\"},{\"Key\":\"CostCenter\",\"Value\":\"CC-1042\"},"
        "{\"Key\":\"Application\",\"Value\":\"sandbox-app\"},{\"Key\":\"CreatedBy\",\"Value\":\"coworker.aws\"}]' "
        "--region us-east-1")


def test_plan_by_id_and_last(tmp_path):
    first = approved(dict(base_plan(), id="first", created="2026-01-01T00:00:00Z"))
    second = approved(dict(base_plan(), id="second", created="2026-02-01T00:00:00Z"))
    write_yaml(tmp_path, first, "1.yml")
    write_json(tmp_path, second, "2.json")
    assert load_plan("first", str(tmp_path))["plan"]["id"] == "first"
    assert load_plan("last", str(tmp_path))["plan"]["id"] == "second"


def test_plan_info_drops_the_raw_document(tmp_path):
    path = write_yaml(tmp_path, approved(dict(base_plan(), guardrail={
        "status": "WARN", "findings": [{"severity": "low", "message": "check tags"}]})))
    info = plan_info(str(path))
    assert "document" not in info and "warnings" not in info
    assert info["warnings_list"] == ["guardrail WARN: low: check tags"]
    assert info["plan"]["id"] == "unit-plan"


def test_the_step_limit_applies_to_load_plan(tmp_path):
    path = write_yaml(tmp_path, approved(many_steps(1001)))
    with pytest.raises(PlanError) as exc:
        load_plan(str(path))
    assert exc.value.problems[0][0] == "phases"
    assert len(load_plan(str(path), max_steps=None)["plan"]["steps"]) == 1001
