"""Tests of the integration harness itself: if these fail, no other integration test
result means anything. Each asserts something that a broken harness would get wrong."""

from __future__ import annotations

import textwrap
import threading
import time

import boto3
import pexpect
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from moto_harness import (
    DEFAULT_ACCOUNT_ID, account_snapshot, call_keys, classify_request, mutating_calls,
    output_of, run_playbook, spawn_playbook,
)

pytestmark = pytest.mark.integration

RETRYING = Config(retries={"mode": "standard", "max_attempts": 5})


def _capture_request(service: str, method: str, **params):
    """Serialize one real botocore request without sending it (no network)."""
    client = boto3.client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="k", aws_secret_access_key="s")
    captured = {}

    def stop(request, **_):
        captured["request"] = request
        raise _Captured()

    client.meta.events.register("before-send", stop)
    with pytest.raises(_Captured):
        getattr(client, method)(**params)
    return captured["request"]


class _Captured(Exception):
    pass


@pytest.mark.parametrize("service, method, params, expected", [
    ("s3", "create_bucket", {"Bucket": "b-1"}, "CreateBucket"),
    ("s3", "head_bucket", {"Bucket": "b-1"}, "HeadBucket"),
    ("s3", "list_buckets", {}, "ListBuckets"),
    ("s3", "delete_bucket", {"Bucket": "b-1"}, "DeleteBucket"),
    ("s3", "get_bucket_versioning", {"Bucket": "b-1"}, "GetBucketVersioning"),
    ("s3", "put_bucket_versioning",
     {"Bucket": "b-1", "VersioningConfiguration": {"Status": "Enabled"}}, "PutBucketVersioning"),
    ("s3", "put_bucket_tagging", {"Bucket": "b-1", "Tagging": {"TagSet": []}}, "PutBucketTagging"),
    ("s3", "put_bucket_encryption", {"Bucket": "b-1", "ServerSideEncryptionConfiguration": {
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}},
     "PutBucketEncryption"),
    ("s3", "list_objects_v2", {"Bucket": "b-1"}, "ListObjectsV2"),
    ("s3", "put_object", {"Bucket": "b-1", "Key": "a/b c"}, "PutObject"),
    ("s3", "copy_object", {"Bucket": "b-1", "Key": "k", "CopySource": "b-2/k"}, "CopyObject"),
    ("s3", "get_object", {"Bucket": "b-1", "Key": "a/b"}, "GetObject"),
    ("s3", "head_object", {"Bucket": "b-1", "Key": "a/b"}, "HeadObject"),
    ("s3", "delete_object", {"Bucket": "b-1", "Key": "a/b"}, "DeleteObject"),
    ("s3", "delete_objects", {"Bucket": "b-1", "Delete": {"Objects": [{"Key": "a"}]}},
     "DeleteObjects"),
    ("s3", "get_bucket_tagging", {"Bucket": "b-1"}, "GetBucketTagging"),
    ("s3", "delete_bucket_encryption", {"Bucket": "b-1"}, "DeleteBucketEncryption"),
    ("ec2", "create_vpc", {"CidrBlock": "10.0.0.0/16"}, "CreateVpc"),
    ("iam", "create_account_alias", {"AccountAlias": "x-y"}, "CreateAccountAlias"),
    ("sts", "get_caller_identity", {}, "GetCallerIdentity"),
    ("ssm", "put_parameter", {"Name": "/p", "Value": "v", "Type": "String"}, "PutParameter"),
    ("dynamodb", "list_tables", {}, "ListTables"),
    ("lambda", "get_function", {"FunctionName": "f"}, "GetFunction"),
    ("cloudwatch", "describe_alarms", {}, "DescribeAlarms"),
])
def test_classifier_names_botocore_requests(service, method, params, expected):
    request = _capture_request(service, method, **params)
    kind = classify_request(request.method, request.url, request.headers, request.body)
    assert (kind.service, kind.operation) == (service, expected)


def test_bucket_creation_is_recorded_and_counted_as_mutating(aws_env, moto_server):
    s3 = aws_env.boto3_session().client("s3")
    with moto_server.recording() as calls:
        s3.create_bucket(Bucket="harness-bucket")
        s3.head_bucket(Bucket="harness-bucket")
        s3.get_bucket_versioning(Bucket="harness-bucket")
        s3.list_buckets()
        aws_env.boto3_session().client("sts").get_caller_identity()
    assert call_keys(calls) == [("s3", "CreateBucket"), ("s3", "HeadBucket"),
                                ("s3", "GetBucketVersioning"), ("s3", "ListBuckets"),
                                ("sts", "GetCallerIdentity")]
    assert mutating_calls(calls) == [("s3", "CreateBucket")]


def test_accounts_are_isolated_and_have_their_own_alias(aws_env):
    aws_env.add_account_profile("one", "111111111111", alias="team-one")
    aws_env.add_account_profile("two", "222222222222", alias="team-two")
    one, two = aws_env.boto3_session("one"), aws_env.boto3_session("two")

    vpc_id = one.client("ec2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]

    assert one.client("sts").get_caller_identity()["Account"] == "111111111111"
    assert two.client("sts").get_caller_identity()["Account"] == "222222222222"
    assert list(account_snapshot(one)["ec2_vpcs"]) == [vpc_id]
    assert account_snapshot(two)["ec2_vpcs"] == {}
    assert one.client("iam").list_account_aliases()["AccountAliases"] == ["team-one"]
    assert two.client("iam").list_account_aliases()["AccountAliases"] == ["team-two"]


def test_role_profile_and_rewritten_profile_change_account(aws_env):
    aws_env.add_account_profile("base", "111111111111")
    aws_env.add_role_profile("deployer", "base", "333333333333")
    assert (aws_env.boto3_session("deployer").client("sts").get_caller_identity()["Arn"]
            .startswith("arn:aws:sts::333333333333:assumed-role/Deployer/"))

    aws_env.rewrite_profile("base", "444444444444")
    assert aws_env.boto3_session("base").client("sts").get_caller_identity()["Account"] \
        == "444444444444"


def test_env_never_leaks_caller_settings_and_requires_endpoint(aws_env, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-real-looking-secret")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", "/elsewhere")

    env = aws_env.env()
    assert env["AWS_ENDPOINT_URL"] == aws_env.endpoint_url
    assert env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert "AWS_PROFILE" not in env and "ANSIBLE_COLLECTIONS_PATH" not in env

    with_profile = aws_env.env(profile="dev")
    # botocore prefers static env keys over AWS_PROFILE, so they must be gone.
    assert with_profile["AWS_PROFILE"] == "dev" and "AWS_ACCESS_KEY_ID" not in with_profile

    with pytest.raises(RuntimeError, match="real AWS"):
        aws_env.env(AWS_ENDPOINT_URL=None)
    with pytest.raises(RuntimeError):
        aws_env.env(AWS_ENDPOINT_URL_S3="https://s3.amazonaws.com")


def test_iam_checks_can_be_switched_on_and_off(aws_env, moto_server):
    s3 = aws_env.boto3_session().client("s3")
    moto_server.enable_iam_checks()
    with pytest.raises(ClientError) as error:
        s3.list_buckets()
    assert error.value.response["Error"]["Code"] == "InvalidAccessKeyId"  # no such IAM key
    moto_server.disable_iam_checks()
    s3.list_buckets()


@pytest.mark.parametrize("service, operation, call, created", [
    ("s3", "CreateBucket", lambda s: s.client("s3", config=RETRYING)
     .create_bucket(Bucket="throttled-bucket"), "s3_buckets"),
    ("ec2", "CreateVpc", lambda s: s.client("ec2", config=RETRYING)
     .create_vpc(CidrBlock="10.9.0.0/16"), "ec2_vpcs"),
    ("ssm", "PutParameter", lambda s: s.client("ssm", config=RETRYING)
     .put_parameter(Name="/throttled", Value="v", Type="String"), "ssm_parameters"),
    ("iam", "CreateRole", lambda s: s.client("iam", config=RETRYING)
     .create_role(RoleName="throttled", AssumeRolePolicyDocument="{}"), "iam_roles"),
])
def test_injected_throttles_are_retried_then_forwarded(
        service, operation, call, created, aws_env, fault_proxy, instant_retries):
    fault_proxy.add_fault(service, operation, "throttle", count=3)
    session = aws_env.boto3_session(endpoint_url=fault_proxy.url)

    response = call(session)

    assert response["ResponseMetadata"]["RetryAttempts"] == 3
    assert fault_proxy.hits(service, operation) == 4
    assert len(account_snapshot(aws_env.boto3_session())[created]) == 1  # 4th reached moto


@pytest.mark.parametrize("service, operation, code, call", [
    ("s3", "ListBuckets", "SlowDown", lambda c: c("s3").list_buckets()),
    ("ec2", "DescribeVpcs", "RequestLimitExceeded", lambda c: c("ec2").describe_vpcs()),
    ("dynamodb", "ListTables", "ThrottlingException", lambda c: c("dynamodb").list_tables()),
    ("iam", "ListRoles", "Throttling", lambda c: c("iam").list_roles()),
    ("cloudwatch", "DescribeAlarms", "ThrottlingException",
     lambda c: c("cloudwatch").describe_alarms()),
])
def test_permanent_throttle_raises_the_throttling_code(
        service, operation, code, call, aws_env, fault_proxy, instant_retries):
    fault_proxy.add_fault(service, "*", "throttle")
    session = aws_env.boto3_session(endpoint_url=fault_proxy.url)

    with pytest.raises(ClientError) as error:
        call(lambda name: session.client(name, config=RETRYING))

    assert error.value.response["Error"]["Code"] == code
    # In botocore's retries config, max_attempts counts retries: 1 call + 5 retries.
    assert error.value.response["ResponseMetadata"]["RetryAttempts"] == 5
    assert fault_proxy.hits(service, operation) == 6


def test_error500_is_retried_and_clear_stops_faults(aws_env, fault_proxy, instant_retries):
    fault_proxy.add_fault("ssm", "PutParameter", "error500", count=1)
    ssm = aws_env.boto3_session(endpoint_url=fault_proxy.url).client("ssm", config=RETRYING)
    response = ssm.put_parameter(Name="/after-500", Value="v", Type="String")
    assert response["ResponseMetadata"]["RetryAttempts"] == 1

    fault_proxy.add_fault("ssm", "*", "throttle")
    fault_proxy.clear()
    assert ssm.get_parameter(Name="/after-500")["ResponseMetadata"]["RetryAttempts"] == 0


def test_a_held_answer_reaches_the_client_only_when_released_and_moto_has_acted_already(aws_env, fault_proxy):
    held = fault_proxy.add_fault("ssm", "PutParameter", "hold", count=1)
    ssm = aws_env.boto3_session(endpoint_url=fault_proxy.url).client("ssm")
    answers = []
    caller = threading.Thread(target=lambda: answers.append(ssm.put_parameter(Name="/held", Value="v", Type="String")))
    caller.start()
    direct = aws_env.boto3_session().client("ssm")
    for _attempt in range(100):
        if direct.describe_parameters()["Parameters"]:
            break
        time.sleep(0.05)
    assert [p["Name"] for p in direct.describe_parameters()["Parameters"]] == ["/held"]  # in moto already
    assert answers == [] and caller.is_alive()  # while the client still waits
    held.release()
    caller.join(timeout=10)
    assert answers[0]["Version"] == 1


def test_run_playbook_reaches_moto_with_the_profile_account(aws_env, tmp_path):
    aws_env.add_account_profile("dev", "111111111111")
    playbook = tmp_path / "debug.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - ansible.builtin.debug:
                msg: "endpoint={{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}"
            - ansible.builtin.command:
                argv: ["{{ ansible_playbook_python }}", "-c", "{{ code }}"]
              vars:
                code: "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"
              register: identity
            - ansible.builtin.debug:
                msg: "account={{ identity.stdout }}"
    """))
    result = run_playbook([playbook], aws_env.env(profile="dev"), tmp_path, timeout=120)
    assert result.returncode == 0, output_of(result)
    assert f"endpoint={aws_env.endpoint_url}" in result.stdout
    assert "account=111111111111" in result.stdout


def test_spawned_playbook_answers_an_interactive_prompt(aws_env, tmp_path):
    playbook = tmp_path / "prompt.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - ansible.builtin.pause:
                prompt: "Type yes"
              register: answer
            - ansible.builtin.debug:
                msg: "answer=[{{ answer.user_input }}]"
    """))
    child = spawn_playbook([playbook], aws_env.env(), tmp_path)
    try:
        child.expect("Type yes")
        child.sendline("yes")
        child.expect(r"answer=\[yes\]")
        child.expect(r"PLAY RECAP")
        child.expect(pexpect.EOF)
    except pexpect.ExceptionPexpect:
        pytest.fail("prompt not handled; transcript:\n" + child.logfile_read.getvalue())
    finally:
        child.close()
    assert child.exitstatus == 0, child.logfile_read.getvalue()


def test_default_credentials_land_in_moto_default_account(aws_env):
    identity = aws_env.boto3_session().client("sts").get_caller_identity()
    assert identity["Account"] == DEFAULT_ACCOUNT_ID
