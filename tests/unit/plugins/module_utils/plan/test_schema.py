# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan-v1 contract: required fields, types, calls against botocore's models, references."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document

from plan_samples import base_plan, many_steps, step

SOURCE = "/plans/unit.yml"
S1, S2 = "phases[0].steps[0]", "phases[0].steps[1]"


def problems(doc, **kwargs):
    """Every (field, message) the validator reports; [] when the plan is valid."""
    try:
        validate_document(doc, SOURCE, **kwargs)
    except PlanError as exc:
        assert exc.source == SOURCE
        return exc.problems
    return []


def assert_problem(doc, field, fragment, **kwargs):
    found = problems(doc, **kwargs)
    matching = [msg for where, msg in found if where == field and fragment in msg]
    assert matching, "no problem %r containing %r in %r" % (field, fragment, found)
    return matching[0]


def edit(path_value_pairs):
    """A base plan with ``path`` set to ``value`` (``...`` deletes the key)."""
    doc = base_plan()
    for path, value in path_value_pairs:
        node, keys = doc, _split(path)
        for key in keys[:-1]:
            node = node[key]
        if value is ...:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return doc


def _split(path):
    keys = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        keys.append(int(part) if part.isdigit() else part)
    return keys


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


# -- calls checked against botocore -------------------------------------------------------------------------------

def test_unknown_service_suggests_close_names():
    message = assert_problem(edit([("phases.0.steps.0.action", "s3x:CreateBucket")]), S1 + ".action",
                             "unknown AWS service 's3x'")
    assert "did you mean" in message and "s3," in message


def test_unknown_operation_suggests_close_names():
    message = assert_problem(edit([("phases.0.steps.0.action", "s3:CreateBuket")]), S1 + ".action",
                             "unknown operation 'CreateBuket' for service 's3'")
    assert "did you mean CreateBucket" in message


def test_unknown_operation_in_validate_and_rollback():
    doc = edit([("phases.0.steps.0.validate.action", "s3:HeadBuckets"),
                ("phases.0.steps.0.rollback.0.action", "s3:DeleteBuckets")])
    assert_problem(doc, S1 + ".validate.action", "unknown operation 'HeadBuckets'")
    assert_problem(doc, S1 + ".rollback[0].action", "unknown operation 'DeleteBuckets'")


@pytest.mark.parametrize("params, field, fragment", [
    ({"BucketName": "x"}, S1 + ".params.BucketName", "unknown parameter (did you mean"),
    ({}, S1 + ".params", "missing required parameter 'Bucket'"),
    ({"Bucket": 5}, S1 + ".params.Bucket", "must be string, got int 5"),
    ({"Bucket": "b", "ACL": "world-writable"}, S1 + ".params.ACL", "must be one of private, "),
    ({"Bucket": "b", "CreateBucketConfiguration": "eu-west-1"}, S1 + ".params.CreateBucketConfiguration",
     "must be a mapping, got str"),
    ({"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "mars-1"}},
     S1 + ".params.CreateBucketConfiguration.LocationConstraint", "must be one of"),
    ({"Bucket": "b", "CreateBucketConfiguration": {"Region": "x"}},
     S1 + ".params.CreateBucketConfiguration.Region", "unknown parameter"),
    ({"Bucket": "b", "ObjectLockEnabledForBucket": "yes"}, S1 + ".params.ObjectLockEnabledForBucket",
     "must be boolean, got str 'yes'"),
])
def test_params_that_do_not_fit_the_input_shape(params, field, fragment):
    assert_problem(edit([("phases.0.steps.0.params", params)]), field, fragment)


def _single_step(action, params, **extra):
    doc = base_plan()
    doc["phases"] = [{"name": "Only", "steps": [dict({"id": "only", "action": action, "params": params}, **extra)]}]
    return doc


INGRESS = {"GroupId": "sg-1", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}
ONLY = "phases[0].steps[0]"


@pytest.mark.parametrize("change, field, fragment", [
    (("IpRanges", 0, "CidrIp", 10), ".IpPermissions[0].IpRanges[0].CidrIp", "must be string, got int 10"),
    (("FromPort", "443"), ".IpPermissions[0].FromPort", "must be integer, got str '443'"),
    (("FromPort", True), ".IpPermissions[0].FromPort", "must be integer, got bool True"),
    (("FromPort", 4.5), ".IpPermissions[0].FromPort", "must be integer, got float 4.5"),
    (("IpRanges", {"CidrIp": "10.0.0.0/16"}), ".IpPermissions[0].IpRanges", "must be a list, got dict"),
    (("IpRanges", 0, "Cidr", "10.0.0.0/16"), ".IpPermissions[0].IpRanges[0].Cidr", "unknown parameter"),
])
def test_nested_params_are_checked_to_the_leaf(change, field, fragment):
    params = {"GroupId": "sg-1", "IpPermissions": [dict(INGRESS["IpPermissions"][0])]}
    permission = params["IpPermissions"][0]
    if change[0] == "IpRanges" and len(change) == 4:
        permission["IpRanges"] = [{change[2]: change[3]}]
    else:
        permission[change[0]] = change[1]
    assert_problem(_single_step("ec2:AuthorizeSecurityGroupIngress", params), ONLY + ".params" + field, fragment)


def test_nested_required_member_and_map_values():
    tagging = _single_step("s3:PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "Owner"}]}})
    assert_problem(tagging, ONLY + ".params.Tagging.TagSet[0]", "missing required parameter 'Value'")
    put = _single_step("s3:PutObject", {"Bucket": "b", "Key": "k", "Body": "text", "Metadata": {"team": 7}})
    assert_problem(put, ONLY + ".params.Metadata.team", "must be string, got int 7")


def test_references_fill_typed_params_only_when_exact():
    doc = base_plan()
    doc["phases"][0]["steps"].append({
        "id": "allow_https", "action": "ec2:AuthorizeSecurityGroupIngress",
        "params": {"GroupId": "${create_bucket.location}", "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": "${create_bucket.location}", "ToPort": "4${create_bucket.location}"}]}})
    found = problems(doc)
    assert found == [("phases[0].steps[2].params.IpPermissions[0].ToPort",
                      "a text with a reference cannot fill a integer parameter")]


# -- commands -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command, fragment", [
    ("aws s3api create-bucket --bucket b --profile prod-admin", "--profile prod-admin: the target names no profile"),
    ("aws s3api create-bucket --bucket b --region eu-west-1a", "--region 'eu-west-1a' is not an AWS region name"),
    ("aws s3api create-bucket --bucket b --endpoint-url=https://evil.example", "--endpoint-url is not allowed"),
    ("aws s3api create-bucket --cli-input-json file://in.json", "--cli-input-json is not allowed"),
    ("aws s3api put-bucket-versioning --bucket b --versioning-configuration file:///etc/passwd",
     "the CLI would read the value from a file or URL"),
    ("aws s3api put-bucket-versioning --bucket b --versioning-configuration https://example.com/v.json",
     "file or URL"),
    ("aws s3 mb s3://b", "high-level S3 command"),
    ("aws s3api create-buckt --bucket b", "unknown operation 'create-buckt'"),
    ("aws s3api create-bucket --bucket-title b", "unknown option --bucket-title"),
    ("aws s3api create-bucket --bucket b; rm -rf /", "--bucket takes one value, got 4"),
    ("rm -rf /", "must start with 'aws'"),
    ("aws s3api create-bucket --bucket 'unclosed", "cannot split the command line"),
])
def test_bad_commands(command, fragment):
    doc = edit([("phases.0.steps.0.action", ...), ("phases.0.steps.0.params", ...),
                ("phases.0.steps.0.command", command)])
    assert_problem(doc, S1 + ".command", fragment)


def test_command_is_turned_into_the_same_call_as_action():
    doc = edit([("phases.0.steps.1.action", ...), ("phases.0.steps.1.params", ...),
                ("phases.0.steps.1.command", "aws s3api put-bucket-versioning --bucket unit-${target.account_id} "
                                             "--versioning-configuration Status=Enabled")])
    by_command = validate_document(doc, SOURCE)["steps"][1]["call"]
    by_action = validate_document(base_plan(), SOURCE)["steps"][1]["call"]
    assert (by_command["service"], by_command["operation"], by_command["params"]) == \
        (by_action["service"], by_action["operation"], by_action["params"])


def test_command_and_params_together():
    doc = edit([("phases.0.steps.0.action", ...), ("phases.0.steps.0.command", "aws s3api create-bucket --bucket b")])
    assert_problem(doc, S1 + ".params", "'params' cannot be combined with 'command'")


# -- validate calls are read-only; destructive can be raised, never lowered --------------------------------------

def test_validate_call_must_be_read_only():
    doc = edit([("phases.0.steps.1.validate.action", "s3:PutBucketVersioning"),
                ("phases.0.steps.1.validate.params",
                 {"Bucket": "b", "VersioningConfiguration": {"Status": "Enabled"}})])
    assert_problem(doc, S2 + ".validate.action", "validate calls must be read-only; s3:PutBucketVersioning changes")


def test_validate_list_and_command_are_checked_too():
    doc = base_plan()
    step(doc)["validate"] = [{"action": "s3:HeadBucket", "params": {"Bucket": "b"}},
                             {"command": "aws s3api delete-bucket --bucket b"}]
    assert_problem(doc, S1 + ".validate[1].action", "validate calls must be read-only; s3:DeleteBucket")


def test_rollback_may_change_things():
    assert problems(base_plan()) == []  # its rollbacks are DeleteBucket and PutBucketVersioning


DESTRUCTIVE = [
    ("s3:DeleteBucket", {"Bucket": "b"}),
    ("ec2:TerminateInstances", {"InstanceIds": ["i-1"]}),
    ("iam:RemoveRoleFromInstanceProfile", {"InstanceProfileName": "p", "RoleName": "r"}),
    ("iam:DetachRolePolicy", {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ("ec2:DisassociateRouteTable", {"AssociationId": "rtbassoc-1"}),
    ("ec2:RevokeSecurityGroupIngress", {"GroupId": "sg-1"}),
    ("ec2:DeregisterImage", {"ImageId": "ami-1"}),
    ("ec2:DisableEbsEncryptionByDefault", {}),
    ("ec2:StopInstances", {"InstanceIds": ["i-1"]}),
    ("ec2:RebootInstances", {"InstanceIds": ["i-1"]}),
    ("ec2:CancelSpotInstanceRequests", {"SpotInstanceRequestIds": ["sir-1"]}),
    ("sqs:PurgeQueue", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}),
    ("ec2:ReleaseAddress", {"AllocationId": "eipalloc-1"}),
    ("ec2:ResetImageAttribute", {"Attribute": "launchPermission", "ImageId": "ami-1"}),
]


@pytest.mark.parametrize("action, params", DESTRUCTIVE, ids=[a for a, _params in DESTRUCTIVE])
def test_destructive_is_inferred_from_the_operation_name(action, params):
    only = validate_document(_single_step(action, params), SOURCE)["steps"][0]
    assert only["destructive"] and only["destructive_inferred"]


@pytest.mark.parametrize("action, params", DESTRUCTIVE, ids=[a for a, _params in DESTRUCTIVE])
def test_destructive_flag_cannot_be_lowered(action, params):
    operation = action.split(":")[1]
    assert_problem(_single_step(action, params, destructive=False), ONLY + ".destructive",
                   "%s is destructive by its name; a plan may raise this flag, never lower it" % operation)


def test_destructive_inferred_for_a_command():
    doc = _single_step("x:y", {})
    del doc["phases"][0]["steps"][0]["action"], doc["phases"][0]["steps"][0]["params"]
    doc["phases"][0]["steps"][0]["command"] = "aws ec2 terminate-instances --instance-ids i-1 i-2"
    only = validate_document(doc, SOURCE)["steps"][0]
    assert only["destructive"] and only["call"]["params"] == {"InstanceIds": ["i-1", "i-2"]}


def test_destructive_may_be_raised_and_is_otherwise_false():
    plan = validate_document(edit([("phases.0.steps.1.destructive", True)]), SOURCE)
    first, second = plan["steps"]
    assert (first["destructive"], second["destructive"], second["destructive_inferred"]) == (False, True, False)


def test_read_only_main_call_is_not_mutating():
    only = validate_document(_single_step("ec2:DescribeVpcs", {}), SOURCE)["steps"][0]
    assert not only["mutating"] and not only["destructive"]


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
    doc = _single_step("iam:PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": policy})
    plan = validate_document(doc, SOURCE)
    assert plan["steps"][0]["call"]["params"]["PolicyDocument"] == policy  # kept as written; resolved at run time


MALFORMED_POLICY = '{"Statement":[{"Resource":"arn:aws:s3:::b/${aws:username}/*"}]}'


def test_malformed_reference_in_params_is_a_plan_error():
    doc = _single_step("iam:PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": MALFORMED_POLICY})
    message = assert_problem(doc, ONLY + ".params.PolicyDocument", "malformed reference ${aws:username}")
    assert "write $${ for a literal ${" in message


def test_malformed_reference_is_reported_once():
    doc = _single_step("iam:PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": MALFORMED_POLICY})
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
