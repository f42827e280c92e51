"""A dry run sends no call that still needs another step's output, and predicts what a real run finds."""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from ansible_collections.coworker.aws.plugins.module_utils.run.dry_run import forecast, named_earlier, waits_for
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from botocore.exceptions import ClientError

from run_samples import TARGET, FakeAws, not_found, runner

CREATE_QUEUE = {"id": "create_queue", "action": "sqs:CreateQueue", "params": {"QueueName": "q"},
                "register": {"queue_url": "QueueUrl"},
                "validate": {"action": "sqs:GetQueueUrl", "params": {"QueueName": "q"}},
                "rollback": {"action": "sqs:DeleteQueue", "params": {"QueueUrl": "${create_queue.queue_url}"}}}
READ_QUEUE = {"id": "read_queue", "action": "sqs:GetQueueAttributes",
              "params": {"QueueUrl": "${create_queue.queue_url}", "AttributeNames": ["All"]},
              "validate": {"action": "sqs:GetQueueAttributes", "params": {"QueueUrl": "${create_queue.queue_url}"},
                           "expect": ["Attributes != null"]}}
CREATE_GROUP = {"id": "create_group", "action": "ec2:CreateSecurityGroup",
                "params": {"GroupName": "web", "Description": "web"},
                "validate": {"action": "ec2:DescribeSecurityGroups", "params": {"GroupNames": ["web"]}},
                "rollback": {"action": "ec2:DeleteSecurityGroup", "params": {"GroupName": "web"}}}


def plan_steps(*steps):
    doc = {"format": "coworker.aws/plan-v1", "id": "p", "name": "n", "created": "2026-11-24T00:00:00Z",
           "target": TARGET, "guardrail": {"status": "PASS"}, "phases": [{"name": "one", "steps": list(steps)}]}
    normalised = validate_document(doc, "plan.yml")["steps"]
    for number, step in enumerate(normalised, start=1):
        step["index"] = number
    return normalised


def test_a_read_that_needs_an_output_no_step_has_produced_is_shown_never_sent(tmp_path):
    aws = FakeAws({"GetQueueUrl": not_found("GetQueueUrl")})
    step_runner, journal = runner(tmp_path, aws, check_mode=True)
    create, read = plan_steps(CREATE_QUEUE, READ_QUEUE)
    planned = [step_runner.execute(create), step_runner.execute(read)]
    journal.close()
    assert [op for op, _params in aws.calls] == ["GetQueueUrl"]  # only create_queue's describe-before
    assert planned[1]["status"] == "planned" and planned[1]["waits_for"] == ["create_queue"]
    assert planned[1]["validation"]["calls"][0]["status"] == "planned"
    events = [e for e in read_events(journal.path) if e["event"] == "step_planned"]
    assert events[1]["waits_for"] == ["create_queue"] and "<create_queue.queue_url>" in events[1]["cli"]


def test_a_dry_run_predicts_a_conflict_with_what_already_exists(tmp_path):
    aws = FakeAws({"DescribeSecurityGroups": {"SecurityGroups": [{"GroupName": "web", "GroupId": "sg-1"}]}})
    step_runner, journal = runner(tmp_path, aws, check_mode=True)
    result = step_runner.execute(plan_steps(CREATE_GROUP)[0])
    journal.close()
    assert result["prediction"] == "already exists: the create would fail, or is already done"
    assert [op for op, _params in aws.calls] == ["DescribeSecurityGroups"]  # the create itself is never sent
    planned = [e for e in read_events(journal.path) if e["event"] == "step_planned"]
    assert planned[0]["would_fail"] is True


ECR_LOGIN = {"id": "login", "action": "ecr:GetAuthorizationToken", "params": {}}
DESCRIBE_LOGIN = {"id": "look", "action": "ecr:DescribeRepositories", "params": {},
                  "validate": {"action": "ecr:GetAuthorizationToken", "params": {}}}


def test_a_call_that_hands_out_credentials_is_never_sent_by_a_dry_run(tmp_path):
    """Read-only by AWS's access levels, so a dry run would send it; it issues a token: shown, never sent."""
    aws = FakeAws({"DescribeRepositories": {"repositories": []}})
    step_runner, journal = runner(tmp_path, aws, check_mode=True, allow=["ecr:GetAuthorizationToken"])
    login, look = plan_steps(ECR_LOGIN, DESCRIBE_LOGIN)
    results = [step_runner.execute(login), step_runner.execute(look)]
    journal.close()
    assert [op for op, _params in aws.calls] == ["DescribeRepositories"]
    assert results[0]["status"] == "planned" and results[0]["prediction"] == (
        "not sent in a dry run: it issues a docker login token for the registry")
    assert results[1]["validation"]["calls"][0]["status"] == "planned"
    planned = [e for e in read_events(str(tmp_path / "journal.jsonl")) if e["event"] == "step_planned"]
    assert planned[0]["prediction"].startswith("not sent in a dry run")


def test_waits_for_reads_params_and_expect_and_ignores_what_is_known():
    call = {"params": {"A": "${one.x}", "B": ["${target.region}"]}, "expect": ["Id == '${two.y}'"]}
    assert waits_for(call, {"target": {}, "run": {}}) == ["one", "two"]
    assert waits_for(call, {"target": {}, "run": {}, "one": {"x": 1}, "two": {"y": 2}}) == []


CONTEXT = {"target": dict(TARGET), "run": {"id": "r"}}


def _step(action, params, validate=None, step_id="s", register=None):
    step = {"id": step_id, "action": action, "params": params}
    if validate:
        step["validate"] = {"action": validate[0], "params": validate[1]}
    if register:
        step["register"] = register
    return plan_steps(step)[0]


def _forecast(step, before, plan_steps=(), params=None):
    return forecast(step, params if params is not None else step["call"]["params"], before, CONTEXT, plan_steps)


PUT = ("ssm:PutParameter", {"Name": "/app/x", "Value": "v", "Type": "String"}, ("ssm:GetParameter", {"Name": "/app/x"}))


def test_a_put_without_overwrite_of_what_exists_would_fail_and_with_overwrite_would_not():
    found = {"Parameter": {"Name": "/app/x", "Value": "<redacted: sensitive>"}}
    absent_flag = _step(*PUT)
    false_flag = _step(PUT[0], dict(PUT[1], Overwrite=False), PUT[2])
    true_flag = _step(PUT[0], dict(PUT[1], Overwrite=True), PUT[2])
    for step in (absent_flag, false_flag):
        assert _forecast(step, found) == (
            "already exists and the request does not set Overwrite: true: the call would fail with "
            "ParameterAlreadyExists", True)
    assert _forecast(true_flag, found) == ("would overwrite it (Overwrite: true)", False)
    assert _forecast(absent_flag, "absent") == ("would create it", False)


def test_creates_fail_only_on_what_the_describe_found_and_a_list_of_nothing_is_nothing():
    group = _step("ec2:CreateSecurityGroup", {"GroupName": "web", "Description": "d"},
                  ("ec2:DescribeSecurityGroups", {"Filters": [{"Name": "group-name", "Values": ["web"]}]}))
    assert _forecast(group, {"SecurityGroups": [{"GroupId": "sg-1"}]}) == (
        "already exists: the create would fail, or is already done", True)
    assert _forecast(group, {"SecurityGroups": []}) == ("would create", False)
    assert _forecast(group, "absent") == ("would create", False)


def test_a_put_whose_model_lists_an_already_exists_error_fails_on_what_exists():
    image = _step("ecr:PutImage", {"repositoryName": "r", "imageManifest": "{}", "imageTag": "v1"},
                  ("ecr:DescribeImages", {"repositoryName": "r", "imageIds": [{"imageTag": "v1"}]}))
    assert _forecast(image, {"imageDetails": [{"imageTags": ["v1"]}]}) == (
        "already exists: the call would fail with ImageAlreadyExistsException", True)
    tags = _step("s3:PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": []}}, ("s3:GetBucketTagging", {"Bucket": "b"}))
    assert _forecast(tags, {"TagSet": [{"Key": "a", "Value": "b"}]}) == ("would change it", False)  # no such error


def test_a_change_in_place_of_what_does_not_exist_fails_unless_an_earlier_step_names_it():
    make_role = {"id": "make_role", "action": "iam:CreateRole",
                 "params": {"RoleName": "app", "AssumeRolePolicyDocument": "{}"}}
    attach_step = {"id": "attach", "action": "iam:AttachRolePolicy",
                   "params": {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                   "validate": {"action": "iam:ListAttachedRolePolicies", "params": {"RoleName": "app"}}}
    [attach] = plan_steps(attach_step)
    assert _forecast(attach, "absent") == (
        "not found, and no earlier step of the plan makes it: the call would fail", True)
    both = plan_steps(make_role, attach_step)
    assert _forecast(both[1], "absent", both) == ("not found now (make_role, earlier in the plan, names it)", False)
    assert _forecast(attach, {"AttachedPolicies": []}) == ("would change it", False)  # the role is there
    add = _step("lambda:AddPermission", {"FunctionName": "f", "StatementId": "s", "Action": "lambda:InvokeFunction",
                                         "Principal": "s3.amazonaws.com"}, ("lambda:GetPolicy", {"FunctionName": "f"}))
    # GetPolicy answers NotFound for a function without a policy: an Add* is not judged on it
    assert _forecast(add, "absent") == ("not found now (an earlier step of the plan may make it)", False)


def test_removals_and_what_cannot_be_told():
    delete = _step("ssm:DeleteParameter", {"Name": "/a"}, ("ssm:GetParameter", {"Name": "/a"}))
    assert _forecast(delete, "absent") == ("already gone: nothing to remove", False)
    assert _forecast(delete, {"Parameter": {}}) == ("would remove it", False)
    vpc = _step("ec2:CreateVpc", {"CidrBlock": "10.0.0.0/16"})
    assert _forecast(vpc, None) == ("cannot tell (the step has no validate call to describe its resource now)", False)
    assert _forecast(vpc, {"error": "AccessDenied"}) == ("cannot tell (describing the resource failed: AccessDenied)",
                                                         False)


def test_a_validate_call_that_needs_the_steps_own_output_describes_nothing_yet():
    start = _step("stepfunctions:StartExecution", {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:"
                                                   "stateMachine:m"},
                  ("stepfunctions:DescribeExecution", {"executionArn": "${s.arn}"}), register={"arn": "executionArn"})
    assert _forecast(start, "absent") == ("cannot tell (its validate call needs the step's own output)", False)
    launch = plan_steps(dict(CREATE_QUEUE, validate={"action": "sqs:GetQueueAttributes",
                                                     "params": {"QueueUrl": "${create_queue.queue_url}"}}))[0]
    assert _forecast(launch, "absent") == ("would create", False)


def test_named_earlier_reads_only_earlier_changing_steps():
    make_role = {"id": "make_role", "action": "iam:CreateRole",
                 "params": {"RoleName": "app", "AssumeRolePolicyDocument": "{}"}}
    read = {"id": "read", "action": "iam:GetRole", "params": {"RoleName": "other"}}
    attach = {"id": "attach", "action": "iam:AttachRolePolicy",
              "params": {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
    later = {"id": "later", "action": "iam:CreateRole", "params": {"RoleName": "late", "AssumeRolePolicyDocument": "{}"}}
    steps = plan_steps(make_role, read, attach, later)
    assert named_earlier(steps, steps[2], {"app"}, CONTEXT) == ["make_role"]
    assert named_earlier(steps, steps[2], {"other"}, CONTEXT) == []  # read by a read-only step: made by nobody
    assert named_earlier(steps, steps[2], {"late"}, CONTEXT) == []  # made after


SUBNET = {"id": "subnet", "action": "ec2:CreateSubnet", "params": {"VpcId": "vpc-0abc", "CidrBlock": "10.0.1.0/24"},
          "register": {"subnet_id": "Subnet.SubnetId"},
          "validate": {"action": "ec2:DescribeSubnets", "params": {"SubnetIds": ["${subnet.subnet_id}"]}}}


def test_an_ec2_create_naming_a_vpc_that_does_not_exist_would_fail(tmp_path):
    missing = ClientError({"Error": {"Code": "InvalidVpcID.NotFound", "Message": "no vpc"},
                           "ResponseMetadata": {"HTTPStatusCode": 400}}, "DescribeVpcs")
    aws = FakeAws({"DescribeVpcs": missing})
    step_runner, journal = runner(tmp_path, aws, check_mode=True)
    result = step_runner.execute(plan_steps(SUBNET)[0])
    journal.close()
    assert result["prediction"] == "VpcId vpc-0abc does not exist (InvalidVpcID.NotFound): the create would fail"
    assert aws.calls == [("DescribeVpcs", {"VpcIds": ["vpc-0abc"]})]  # the create is never sent
    [planned] = [e for e in read_events(str(tmp_path / "journal.jsonl")) if e["event"] == "step_planned"]
    assert planned["would_fail"] is True

    there = FakeAws({"DescribeVpcs": {"Vpcs": [{"VpcId": "vpc-0abc"}]}})
    step_runner, journal = runner(tmp_path, there, check_mode=True)
    assert step_runner.execute(plan_steps(SUBNET)[0])["prediction"] == "would create"
    journal.close()


def test_a_real_run_sends_no_parent_describe(tmp_path):
    aws = FakeAws({"CreateSubnet": {"Subnet": {"SubnetId": "subnet-1"}}, "DescribeSubnets": {"Subnets": [{}]}})
    step_runner, journal = runner(tmp_path, aws)
    step_runner.execute(plan_steps(SUBNET)[0])
    journal.close()
    assert [op for op, _params in aws.calls] == ["CreateSubnet", "DescribeSubnets"]
