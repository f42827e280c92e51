# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guardrail policies: the built-in rules, the attacks on them, user rules and the configured kinds."""

from __future__ import annotations

import copy
import datetime
import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import (
    evaluate, in_window, plan_policies, refuse_failures, verdict_lines)
from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_rules import load_guardrails
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import load_yaml
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from plan_samples import EXAMPLES, REPO, base_plan

TAGS = [{"Key": k, "Value": "x"} for k in ("Name", "Environment", "Owner", "CostCenter", "Application", "CreatedBy")]
SG = "sg-0123456789abcdef0"


def plan_of(*steps, **top):
    """A validated plan whose steps are (id, action, params[, register])."""
    document = base_plan()
    document["phases"] = [{"name": "P", "steps": [dict({"id": s[0], "action": s[1], "params": s[2]}, **s[3:][0])
                                                  if len(s) > 3 else {"id": s[0], "action": s[1], "params": s[2]}
                                                  for s in steps]}]
    document.update(top)
    return validate_document(document, "plan.yml", 1000)


def verdicts(plan, guardrails=None, context=None, now=None):
    return {v["rule"]: v for v in evaluate(plan, load_guardrails("env.yml", "g", guardrails), "sandbox", context, now)}


def ingress(*perms, **flat):
    return plan_of(("open", "ec2:AuthorizeSecurityGroupIngress", dict(GroupId=SG, IpPermissions=list(perms), **flat)))


def perm(cidr, protocol="tcp", low=22, high=22, v6=False):
    ranges = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if v6 else {"IpRanges": [{"CidrIp": cidr}]}
    ports = {"FromPort": low, "ToPort": high} if low is not None else {}
    return dict(IpProtocol=protocol, **ports, **ranges)


def iam_policy(document):
    return plan_of(("pol", "iam:CreatePolicy", {"PolicyName": "p", "PolicyDocument": document}))


# --- required tags -------------------------------------------------------------------------------

def test_untagged_create_warns_by_default_and_fails_when_the_class_names_its_tags():
    plan = plan_of(("vpc", "ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16"}))
    assert verdicts(plan)["required-tags"]["status"] == "warn"
    failed = verdicts(plan, {"required_tags": ["Owner"]})["required-tags"]
    assert failed["status"] == "fail" and failed["steps"] == [{"step": "vpc", "detail": "missing Owner"}]


def test_tags_hidden_behind_lowercase_keys_or_empty_values_do_not_count():
    specs = [{"ResourceType": "vpc", "Tags": [{"Key": "owner", "Value": "me"}, {"Key": "Name", "Value": " "}]}]
    plan = plan_of(("vpc", "ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16", "TagSpecifications": specs}))
    assert verdicts(plan, {"required_tags": ["Owner", "Name"]})["required-tags"]["steps"][0]["detail"] == \
        "missing Owner, Name"


def test_tags_on_another_resource_type_do_not_tag_the_created_one():
    specs = [{"ResourceType": "network-interface", "Tags": TAGS}]
    params = {"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1, "TagSpecifications": specs}
    plan = plan_of(("launch", "ec2:RunInstances", params))
    assert verdicts(plan)["required-tags"]["status"] == "warn"
    specs.append({"ResourceType": "instance", "Tags": TAGS})
    assert verdicts(plan)["required-tags"]["status"] == "pass"


def test_a_bucket_counts_the_plans_put_bucket_tagging_and_calls_without_tags_are_not_judged():
    plan = plan_of(("b", "s3:CreateBucket", {"Bucket": "b1"}),
                   ("t", "s3:PutBucketTagging", {"Bucket": "b1", "Tagging": {"TagSet": TAGS}}),
                   ("v", "s3:PutBucketVersioning", {"Bucket": "b1", "VersioningConfiguration": {"Status": "Enabled"}}))
    assert verdicts(plan)["required-tags"]["status"] == "pass"


# --- S3 ------------------------------------------------------------------------------------------

def test_bucket_without_encryption_warns_and_public_access_block_must_set_all_four():
    plan = plan_of(("b", "s3:CreateBucket", {"Bucket": "b1"}),
                   ("pab", "s3:PutPublicAccessBlock", {"Bucket": "b1", "PublicAccessBlockConfiguration": {
                       "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True}}))
    found = verdicts(plan)
    assert found["s3-bucket-encryption"]["status"] == "warn"  # S3 encrypts new buckets itself (SSE-S3)
    assert found["s3-public-access-block"]["status"] == "warn"


def test_encryption_of_another_bucket_does_not_count():
    rules = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    plan = plan_of(("b", "s3:CreateBucket", {"Bucket": "b1"}),
                   ("e", "s3:PutBucketEncryption", {"Bucket": "b2", "ServerSideEncryptionConfiguration": rules}))
    assert verdicts(plan)["s3-bucket-encryption"]["steps"] == [{"step": "b", "detail": ""}]


# --- ingress -------------------------------------------------------------------------------------

@pytest.mark.parametrize("plan", [
    ingress(perm("0.0.0.0/0")),
    ingress(perm("0.0.0.0/0 ")),
    ingress(perm("::/0", v6=True)),
    ingress(perm("0::0/0", v6=True)),
    ingress(perm("10.0.0.0/0")),
    ingress(perm("0.0.0.0/0", low=0, high=65535)),
    ingress(perm("0.0.0.0/0", protocol="-1", low=None, high=None)),
    ingress(perm("0.0.0.0/0", low=80, high=443)),
    ingress(CidrIp="0.0.0.0/0", IpProtocol="tcp", FromPort=22, ToPort=22),
    plan_of(("m", "ec2:ModifySecurityGroupRules", {"GroupId": SG, "SecurityGroupRules": [{
        "SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                              "CidrIpv4": "0.0.0.0/0"}}]})),
], ids=["v4", "trailing-space", "v6", "v6-long", "host-bits", "all-ports", "protocol-1", "80-443", "flat",
        "modify-rules"])
def test_world_ingress_beyond_web_ports_fails(plan):
    assert verdicts(plan)["no-open-ingress"]["status"] == "fail"


def test_web_ports_and_private_ranges_pass():
    plan = ingress(perm("0.0.0.0/0", low=443, high=443), perm("::/0", low=80, high=80, v6=True), perm("10.0.0.0/8"))
    assert verdicts(plan)["no-open-ingress"]["status"] == "pass"


# --- IAM -----------------------------------------------------------------------------------------

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize("document", [
    json.dumps(ADMIN),
    json.dumps({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]}}),
    '{ "Statement" : [ { "Effect" : "Allow" ,\n "Action" : "\\u002a", "Resource" : "\\u002a" } ] }',
    json.dumps({"Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": " *"}]}),
    "{not json",
], ids=["plain", "list-and-single-object", "whitespace-unicode", "star-colon-star", "unreadable"])
def test_admin_wildcard_policies_fail(document):
    assert verdicts(iam_policy(document))["iam-no-admin-wildcard"]["status"] == "fail"


def test_narrow_or_deny_policies_pass():
    deny = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"},
                          {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    assert verdicts(iam_policy(json.dumps(deny)))["iam-no-admin-wildcard"]["status"] == "pass"


def test_a_policy_known_only_later_cannot_be_told_then_fails_once_known():
    plan = plan_of(("doc", "ssm:GetParameter", {"Name": "p"}, {"register": {"text": "Parameter.Name"}}),
                   ("pol", "iam:CreatePolicy", {"PolicyName": "p", "PolicyDocument": "${doc.text}"}))
    assert verdicts(plan)["iam-no-admin-wildcard"]["status"] == "unknown"
    context = {"target": {"account_id": "123456789012", "region": "us-east-1"}, "run": {"id": "r"},
               "doc": {"text": json.dumps(ADMIN)}}
    found = verdicts(plan, context=context)
    assert found["iam-no-admin-wildcard"]["status"] == "fail"
    with pytest.raises(GuardRefusal, match="iam-no-admin-wildcard.*pol"):
        refuse_failures(list(found.values()), "before the batch", ["pol"])
    refuse_failures(list(found.values()), "before the batch", ["doc"])  # not this batch's concern


# --- user rules, severities, kinds ---------------------------------------------------------------

def test_user_rule_takes_effect_and_disable_turns_a_rule_off():
    plan = plan_of(("q", "sqs:CreateQueue", {"QueueName": "q"}))
    rule = {"id": "sqs-encrypted", "severity": "FAIL", "applies_to": ["sqs:CreateQueue"],
            "require": "params.Attributes.SqsManagedSseEnabled == 'true'"}
    found = verdicts(plan, {"rules": [rule], "disable": ["required-tags"]})
    assert found["sqs-encrypted"]["status"] == "fail" and "required-tags" not in found


def test_max_resources_counts_max_count():
    plan = plan_of(("a", "ec2:RunInstances", {"ImageId": "ami-1", "MinCount": 1, "MaxCount": 6}),
                   ("b", "ec2:RunInstances", {"ImageId": "ami-1", "MinCount": 1, "MaxCount": 5}))
    found = verdicts(plan, {"max_resources": {"ec2:RunInstances": 10}})["max-resources"]
    assert found["status"] == "fail" and "this plan: 11" in found["description"]
    assert verdicts(plan, {"max_resources": {"ec2:RunInstances": 11}})["max-resources"]["status"] == "pass"


def test_change_window_and_ticket():
    window = {"days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "start": "09:00", "end": "17:00", "timezone": "UTC"}
    monday_noon = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)
    assert in_window(load_guardrails("e", "g", {"change_window": window})["change_window"], monday_noon)
    plan = plan_of(("vpc", "ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16"}))
    saturday = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
    assert verdicts(plan, {"change_window": window}, now=saturday)["change-window"]["status"] == "fail"
    config = {"ticket": "required", "ticket_pattern": "CHG-[0-9]+"}
    assert verdicts(plan, config)["ticket-reference"]["status"] == "fail"
    assert verdicts(plan_of(("vpc", "ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16"}), ticket="CHG-42"),
                    config)["ticket-reference"]["status"] == "pass"


def test_overnight_window_spans_midnight():
    window = load_guardrails("e", "g", {"change_window": {"days": ["Fri"], "start": "22:00", "end": "02:00"}})
    friday_late = datetime.datetime(2026, 11, 27, 23, 0, tzinfo=datetime.timezone.utc)
    saturday_early = datetime.datetime(2026, 11, 28, 1, 0, tzinfo=datetime.timezone.utc)
    saturday_late = datetime.datetime(2026, 11, 28, 23, 0, tzinfo=datetime.timezone.utc)
    assert in_window(window["change_window"], friday_late) and in_window(window["change_window"], saturday_early)
    assert not in_window(window["change_window"], saturday_late)


def test_lines_name_rule_and_step_and_count_the_passes():
    lines = verdict_lines(evaluate(ingress(perm("0.0.0.0/0")), load_guardrails("e", "g", None), "sandbox"))
    assert lines[0].startswith("FAIL no-open-ingress:") and "open (tcp 22-22 from 0.0.0.0/0)" in lines[0]
    assert lines[-1] == "4 rules passed"


@pytest.mark.parametrize("config, field", [
    ({"severity": {"required-tags": "ERROR"}}, "g.severity.required-tags"),
    ({"severity": {"nope": "FAIL"}}, "g.severity.nope"),
    ({"disable": ["nope"]}, "g.disable[0]"),
    ({"rules": [{"id": "r", "applies_to": ["s3:*"], "require": "params.[["}]}, "g.rules[0].require"),
    ({"rules": [{"id": "r", "applies_to": ["s3:*"]}]}, "g.rules[0].require"),
    ({"rules": [{"id": "required-tags", "applies_to": ["s3:*"], "require": "true"}]}, "g.rules[0].id"),
    ({"max_resources": {"ec2:RunInstances": "10"}}, "g.max_resources.ec2:RunInstances"),
    ({"change_window": {"start": "9am", "end": "17:00"}}, "g.change_window.start"),
    ({"change_window": {"start": "09:00", "end": "17:00", "timezone": "Mars/Olympus"}}, "g.change_window.timezone"),
    ({"ticket": "yes"}, "g.ticket"),
    ({"colour": "red"}, "g.colour"),
])
def test_bad_configuration_names_the_field(config, field):
    with pytest.raises(ConfigError) as info:
        load_guardrails("env.yml", "g", config)
    assert "env.yml" in str(info.value) and field in str(info.value)


def test_a_rule_that_does_not_depend_on_the_unknown_value_fails_before_the_prompt():
    plan = plan_of(("sg", "ec2:CreateSecurityGroup", {"GroupName": "g", "Description": "d"},
                    {"register": {"group_id": "GroupId"}}),
                   ("ssh", "ec2:AuthorizeSecurityGroupIngress", {"GroupId": "${sg.group_id}",
                                                                 "IpPermissions": [perm("0.0.0.0/0")]}))
    assert verdicts(plan)["no-open-ingress"]["status"] == "fail"
    unknown_cidr = plan_of(("sg", "ec2:CreateSecurityGroup", {"GroupName": "g", "Description": "d"},
                            {"register": {"group_id": "GroupId"}}),
                           ("ssh", "ec2:AuthorizeSecurityGroupIngress", {"GroupId": SG, "IpPermissions": [
                               perm("${sg.group_id}")]}))
    assert verdicts(unknown_cidr)["no-open-ingress"]["status"] == "unknown"


# ------------------------------------------------------- our own examples pass our own defaults

@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_plan_passes_the_default_rules_without_a_warning(path):
    plan = load_plan(str(path))["plan"]
    for result in (verdicts(plan), {v["rule"]: v for v in plan_policies(
            str(REPO / "examples" / "environments.yml"), plan)["verdicts"]}):
        assert {rule: v["status"] for rule, v in result.items() if v["status"] != "pass"} == {}
        assert set(result) >= {"required-tags", "s3-bucket-encryption", "s3-public-access-block"}


def _demo_without(change):
    document = load_yaml((REPO / "examples" / "plans" / "s3-dev-logs.yml").read_text())
    document = copy.deepcopy(document)
    del document["approval"]
    change({s["id"]: s for phase in document["phases"] for s in phase["steps"]}, document)
    return validate_document(document, "s3-dev-logs.yml", 1000)


def test_the_demo_passes_only_because_of_its_tags_and_its_public_access_block():
    def drop_cost_center(steps, _doc):
        tag_set = steps["tag_bucket"]["params"]["Tagging"]["TagSet"]
        tag_set[:] = [t for t in tag_set if t["Key"] != "CostCenter"]

    def drop_block(_steps, doc):
        doc["phases"][0]["steps"] = [s for s in doc["phases"][0]["steps"] if s["id"] != "block_public_access"]

    def weaken_block(steps, _doc):
        steps["block_public_access"]["params"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = False

    untagged = verdicts(_demo_without(drop_cost_center))["required-tags"]
    assert (untagged["status"], untagged["steps"]) == ("warn", [{"step": "create_bucket", "detail": "missing CostCenter"}])
    for change in (drop_block, weaken_block):
        assert verdicts(_demo_without(change))["s3-public-access-block"]["status"] == "warn"


# --- every call of a step: validate, wait and rollback calls too -----------------------------------

def _with_rollback(rollback, **step):
    document = base_plan()
    document["phases"] = [{"name": "P", "steps": [dict({"id": "grp", "action": "ec2:CreateSecurityGroup",
                                                        "params": {"GroupName": "g", "Description": "d"},
                                                        "rollback": rollback}, **step)]}]
    return validate_document(document, "plan.yml", 1000)


OPENS = {"action": "ec2:AuthorizeSecurityGroupIngress", "params": {"GroupId": SG, "IpPermissions": [perm("0.0.0.0/0")]}}


def test_a_rollback_call_is_judged_by_the_same_rules():
    failed = verdicts(_with_rollback(OPENS))["no-open-ingress"]
    assert (failed["status"], failed["steps"]) == (
        "fail", [{"step": "grp", "detail": "rollback[0]: tcp 22-22 from 0.0.0.0/0"}])
    admin = {"action": "iam:PutRolePolicy", "params": {"RoleName": "r", "PolicyName": "p", "PolicyDocument": json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}}
    assert verdicts(_with_rollback(admin))["iam-no-admin-wildcard"]["steps"] == [
        {"step": "grp", "detail": "rollback[0]: PolicyDocument Statement[0]"}]


def test_a_rollback_alone_is_judged_by_the_rules_not_by_the_limits_or_the_clock():
    guardrails = load_guardrails("env.yml", "g", {"ticket": "required",
                                                  "max_resources": {"ec2:CreateSecurityGroup": 0}})
    rules = {v["rule"]: v["status"] for v in evaluate(_with_rollback(OPENS), guardrails, "sandbox",
                                                      rollback_only=True)}
    assert rules["no-open-ingress"] == "fail"
    assert "ticket-reference" not in rules and "max-resources" not in rules


def test_a_user_rule_sees_which_call_it_judges():
    plan = _with_rollback({"action": "ec2:DeleteSecurityGroup", "params": {"GroupName": "g"}},
                          validate={"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": ["g"]}})
    rule = {"id": "no-delete-in-rollback", "applies_to": ["ec2:Delete*"], "when": "call != ''",
            "require": "!destructive", "detail": "action"}
    found = verdicts(plan, {"rules": [rule]})["no-delete-in-rollback"]
    assert found["steps"] == [{"step": "grp", "detail": "rollback[0]: ec2:DeleteSecurityGroup"}]


def test_a_text_that_merely_looks_like_a_policy_is_no_policy_document():
    admin = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    plan = plan_of(("route", "events:PutTargets", {"Rule": "r", "Targets": [{"Id": "1", "Arn": "arn:aws:sqs:us-east-1:"
                                                                            "123456789012:q", "Input": admin}]}))
    assert verdicts(plan)["iam-no-admin-wildcard"]["status"] == "pass"
    queue = plan_of(("q", "sqs:SetQueueAttributes", {"QueueUrl": "u", "Attributes": {"Policy": admin}}))
    assert verdicts(queue)["iam-no-admin-wildcard"]["status"] == "fail"  # the model says SQS Policy is one


def test_the_builtin_when_clauses_in_python_agree_with_their_jmespath():
    """evaluate() answers the built-in rules' ``when`` in Python (speed); the JMESPath stays what is documented."""
    from ansible_collections.coworker.aws.plugins.module_utils.guard import policies
    from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_rules import BUILTIN_RULES
    plans = [load_plan(str(path))["plan"] for path in EXAMPLES] + [
        _with_rollback({"action": "iam:PutRolePolicy", "params": {"RoleName": "r", "PolicyName": "p",
                                                                  "PolicyDocument": '{"Statement": []}'}}),
        _with_rollback({"action": "ssm:PutParameter", "params": {"Name": "/x", "Value": "v", "Type": "String",
                                                                 "Tags": TAGS[:2]}}),
        plan_of(("untag", "s3:DeleteBucketTagging", {"Bucket": "b"}))]
    guardrails = load_guardrails("env.yml", "g", None)
    every_call = {"id": "every-call", "applies_to": ["*:*"], "require": "`true`"}  # so that every call gets a document
    rules = [dict(r, patterns=tuple(r["applies_to"])) for r in BUILTIN_RULES + (every_call,)]
    docs = [doc for plan in plans for pair in policies._documents(
        plan, guardrails, policies.known_now(plan["target"]), "sandbox", rules) for doc in pair if doc]
    assert len(docs) > 20 and any(doc["call"].startswith("rollback") for doc in docs)
    for rule in BUILTIN_RULES:
        if rule["id"] in policies.BUILTIN_WHEN:
            for doc in docs:
                when = policies.BUILTIN_WHEN[rule["id"]](doc)
                assert when == policies._truthy(policies._search(rule["when"], doc))
                # a validate, wait or rollback call left without a document can never break the rule
                assert not (when and doc["call"]) or policies._builtin_may_apply(rule["id"], doc["service"],
                                                                                 doc["operation"])
    assert set(policies.BUILTIN_WHEN) == {r["id"] for r in BUILTIN_RULES if "when" in r}
