# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The perimeter's judgement of what a request names: wildcards, grants, public sharing, fetched content,
buckets in documents and URIs, and the buckets a plan's own steps create."""

from __future__ import annotations

import json

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError, GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments
from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import OwnedBuckets
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter, check_plan, check_request
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

ME, PROD = "123456789012", "999999999999"


def fence(regions=("us-east-1",), buckets=(), **entry):
    config = {"environments": {"sandbox": dict({"regions": list(regions)}, **entry)}}
    return Perimeter.for_class(config, "sandbox", ME, OwnedBuckets(lambda: list(buckets)))


def refused(params, fragment, perimeter=None, action="iam:PutRolePolicy", step=None):
    service, operation = action.split(":")
    with pytest.raises(GuardRefusal) as caught:
        check_request(perimeter or fence(), service, operation, params, "step s", step=step)
    assert fragment in str(caught.value), str(caught.value)


def role_policy(resource):
    return {"RoleName": "r", "PolicyName": "p", "PolicyDocument": json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}]})}


def test_arns_with_wildcards_name_every_account_or_every_region():
    refused(role_policy("arn:aws:sqs:us-east-1:*:q"), "names every account (*)")
    refused(role_policy("arn:aws:sqs:us-east-1:1234*:q"), "names every account (1234*)")
    refused(role_policy("arn:aws:sqs:*:%s:q" % ME), "names region *, which this class does not allow")
    check_request(fence(regions=("*",)), "iam", "PutRolePolicy", role_policy("arn:aws:sqs:*:%s:q" % ME), "s")
    check_request(fence(), "iam", "PutRolePolicy", role_policy("arn:aws:s3:::dev-*/*"), "s")  # a pattern: no bucket


def test_buckets_named_in_a_policy_and_by_uri_are_held_to_the_owned_list():
    refused(role_policy("arn:aws:s3:::prod-data/*"), "bucket 'prod-data' is not owned", fence(buckets=["mine"]))
    check_request(fence(buckets=["mine"]), "iam", "PutRolePolicy", role_policy("arn:aws:s3:::mine/*"), "s")
    refused({"QueryString": "q", "ResultConfiguration": {"OutputLocation": "s3://prod-data/out/"}},
            "ResultConfiguration.OutputLocation: bucket 'prod-data' is not owned", fence(buckets=["mine"]),
            "athena:StartQueryExecution")


def test_grants_are_allowed_listed_or_refused_as_the_class_says_and_held_to_the_approval_at_execution():
    params = {"FunctionName": "f", "StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": PROD}
    check_request(fence(), "lambda", "AddPermission", params, "step s", step="s")
    refused(params, "grants %s access; this class refuses grants" % PROD, fence(cross_account_grants="refuse"),
            "lambda:AddPermission")
    approved = fence()
    approved.approved_grants = frozenset({("s", PROD)})
    check_request(approved, "lambda", "AddPermission", params, "step s", step="s")
    refused(params, "grants %s access, which the approval did not list for step t" % PROD, approved,
            "lambda:AddPermission", step="t")
    check_request(fence(cross_account_grants="refuse"), "lambda", "AddPermission", dict(params, Principal=ME), "s")


@pytest.mark.parametrize("action, params, fragment", [
    ("lambda:AddPermission", {"FunctionName": "f", "StatementId": "s", "Action": "lambda:InvokeFunction",
                              "Principal": "*"}, "Principal '*' shares the resource with every AWS account"),
    ("ec2:ModifySnapshotAttribute", {"SnapshotId": "s", "GroupNames": ["all"]}, "GroupNames 'all' shares"),
    ("s3:PutObjectAcl", {"Bucket": "mine", "Key": "k", "ACL": "authenticated-read"}, "the canned ACL"),
    ("s3:PutBucketAcl", {"Bucket": "mine", "GrantRead": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'},
     "the grantee acs.amazonaws.com/groups/global/AllUsers"),
])
def test_public_sharing_is_refused_whatever_the_class_says(action, params, fragment):
    refused(params, fragment, fence(buckets=["mine"]), action)


@pytest.mark.parametrize("url, reason", [
    ("https://example.com/t.yml", "a URL outside AWS"),
    ("templates/t.yml", "not one S3 object"),
    ("s3://templates/", "not one S3 object"),
])
def test_content_fetched_by_reference_must_be_one_s3_object(url, reason):
    refused({"StackName": "s", "TemplateURL": url}, reason, fence(buckets=["templates"]), "cloudformation:CreateStack")


def _plan(*steps):
    doc = {"format": "coworker.aws/plan-v1", "id": "p", "name": "n", "created": "2026-11-24T00:00:00Z",
           "target": {"environment": "sandbox", "account_id": ME, "region": "us-east-1"},
           "guardrail": {"status": "PASS"}, "phases": [{"name": "one", "steps": list(steps)}]}
    return validate_document(doc, "plan.yml")


def test_before_the_prompt_the_plans_own_creates_and_deletes_count_as_owned_and_others_do_not():
    plan = _plan({"id": "make", "action": "s3:CreateBucket", "params": {"Bucket": "fresh"},
                  "wait": {"waiter": "bucket_exists", "params": {"Bucket": "fresh"}}},
                 {"id": "tag", "action": "s3:PutBucketTagging",
                  "params": {"Bucket": "fresh", "Tagging": {"TagSet": []}}},
                 {"id": "drop", "action": "s3:DeleteBucket", "params": {"Bucket": "old"}})
    check_plan(fence(buckets=[]), plan, buckets=True)
    plan["steps"].append(_plan({"id": "peek", "action": "s3:HeadBucket", "params": {"Bucket": "prod"}})["steps"][0])
    with pytest.raises(GuardRefusal, match="step peek, Bucket: bucket 'prod' is not owned"):
        check_plan(fence(buckets=[]), plan, buckets=True)
    check_plan(fence(buckets=[]), plan)  # without buckets: no AWS, judged before sending


def test_a_waiter_is_judged_before_the_prompt_too():
    plan = _plan({"id": "make", "action": "s3:CreateBucket", "params": {"Bucket": "fresh"},
                  "wait": {"waiter": "bucket_exists", "params": {"Bucket": "prod", "ExpectedBucketOwner": PROD}}})
    with pytest.raises(GuardRefusal, match="step make wait, ExpectedBucketOwner: account %s" % PROD):
        check_plan(fence(), plan)


def test_the_class_setting_is_validated(tmp_path):
    path = tmp_path / "env.yml"
    path.write_text("environments:\n  sandbox: {account_ids: ['%s'], cross_account_grants: deny}\n" % ME)
    with pytest.raises(ConfigError, match="environments.sandbox.cross_account_grants: must be allow"):
        load_environments(str(path))
    path.write_text("environments:\n  sandbox: {account_ids: ['%s'], cross_account_grants: refuse}\n" % ME)
    assert load_environments(str(path))["environments"]["sandbox"]["cross_account_grants"] == "refuse"
