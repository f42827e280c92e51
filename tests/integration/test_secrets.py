"""Secrets never land in files or output (issue 10, part 2).

A plan creates an IAM access key and reads a SecureString with decryption. Afterwards no
file under state_dir and nothing the playbook printed (at -v too) holds the parameter's value
or a secret access key; every state file
is 0600 and every state directory 0700. A state directory planted as a symlink is
refused before any AWS call.
"""

from __future__ import annotations

import os
import re
import stat

from moto_harness import mutating_calls, output_of
from workflow_support import workflow  # noqa: F401  pylint: disable=unused-import

SECRET_VALUE = "s3cr3t-Db-Passw0rd-7f1c"
# a secret key shown anywhere as a value, in JSON, YAML or Python repr
SECRET_KEY_SHOWN = re.compile(r"""SecretAccessKey['"]?\s*[:=]\s*['"]?(?!<redacted)[A-Za-z0-9/+]{20,}""")


def secret_steps() -> list:
    user = "secrets-test-user"
    return [("Secrets", [
        {"id": "create_user", "description": "A user", "action": "iam:CreateUser", "params": {"UserName": user},
         "rollback": {"action": "iam:DeleteUser", "params": {"UserName": user}}},
        {"id": "create_key", "description": "Its key", "action": "iam:CreateAccessKey",
         "params": {"UserName": user}, "register": {"key_id": "AccessKey.AccessKeyId"},
         "validate": {"action": "iam:ListAccessKeys", "params": {"UserName": user}},
         "rollback": {"action": "iam:DeleteAccessKey",
                      "params": {"UserName": user, "AccessKeyId": "${create_key.key_id}"}}},
        {"id": "read_secret", "description": "Read the password", "action": "ssm:GetParameter",
         "params": {"Name": "/sec/db", "WithDecryption": True}, "register": {"version": "Parameter.Version"},
         "expect": ["Parameter.Type == 'SecureString'"],
         "validate": {"action": "ssm:GetParameter", "params": {"Name": "/sec/db", "WithDecryption": True}}},
    ])]


def state_files(root):
    for folder, dirs, files in os.walk(root):
        yield folder, True
        for name in files:
            yield os.path.join(folder, name), False


def test_no_secret_in_state_files_or_output_and_modes_are_private(workflow):
    workflow.ssm.put_parameter(Name="/sec/db", Value=SECRET_VALUE, Type="SecureString")
    plan = workflow.write_plan("secrets", secret_steps())
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-v")
    shown = output_of(result)
    assert result.returncode == 0, shown
    keys = workflow.session.client("iam").list_access_keys(UserName="secrets-test-user")["AccessKeyMetadata"]
    assert len(keys) == 1  # the key was really created, and its id registered
    run_id = workflow.only_run()
    assert workflow.journal(run_id) and keys[0]["AccessKeyId"] in (
        workflow.state_dir / "runs" / run_id / "journal.jsonl").read_text()

    # what the run shows of its answers (even at -v): the registered outputs, and never a secret
    assert 'create_key outputs: {"key_id": "%s"}' % keys[0]["AccessKeyId"] in shown
    assert SECRET_VALUE not in shown and not SECRET_KEY_SHOWN.search(shown)
    checked = 0
    for path, is_dir in state_files(workflow.state_dir):
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        assert not os.path.islink(path)
        if is_dir:
            assert mode == 0o700, (path, oct(mode))
            continue
        assert mode == 0o600, (path, oct(mode))
        text = open(path, encoding="utf-8", errors="replace").read()
        assert SECRET_VALUE not in text, path
        assert not SECRET_KEY_SHOWN.search(text), path
        checked += 1
    # journal, report.json, report.md, the plan copy, the change log
    assert checked >= 5


def test_register_of_a_secret_is_a_plan_error_before_any_call(workflow):
    steps = secret_steps()
    steps[0][1][2]["register"] = {"password": "Parameter.Value"}
    plan = workflow.write_plan("secret-register", steps)
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}")
    shown = " ".join(output_of(result).split())
    assert result.returncode != 0
    assert "register.password: touches Parameter.Value, a secret (a member the AWS model marks sensitive" in shown
    assert str(plan.path) in shown
    assert calls == [] or mutating_calls(calls) == []


def test_state_directory_planted_as_a_symlink_is_refused(workflow, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    workflow.state_dir.mkdir()
    (workflow.state_dir / "runs").symlink_to(elsewhere)
    plan = workflow.write_plan("symlinked", secret_steps())
    with workflow.moto.recording() as calls:
        result = workflow.run(plan, "-e", f"approve={plan.digest}")
    assert result.returncode != 0
    assert "refusing to write state there" in " ".join(output_of(result).split())
    assert list(elsewhere.iterdir()) == []
    assert mutating_calls(calls) == []


def test_a_secret_the_plan_sends_is_shown_nowhere_but_reaches_aws(workflow):
    """The request side: PutParameter's Value is sensitive in the model (as CloudTrail hides it too)."""
    secret = "wr1tten-S3cret-0a9b"
    plan = workflow.write_plan("secret-write", [("Secrets", [{
        "id": "put_secret", "description": "Store the password", "action": "ssm:PutParameter",
        "params": {"Name": "/sec/written", "Value": secret, "Type": "SecureString"},
        "validate": {"action": "ssm:GetParameter", "params": {"Name": "/sec/written"}},
        "rollback": {"action": "ssm:DeleteParameter", "params": {"Name": "/sec/written"}}}])])
    result = workflow.run(plan, "-e", f"approve={plan.digest}", "-v")
    shown = output_of(result)
    assert result.returncode == 0, shown
    stored = workflow.ssm.get_parameter(Name="/sec/written", WithDecryption=True)["Parameter"]["Value"]
    assert stored == secret  # the real value was sent
    assert "--value '<redacted: sensitive>' --type SecureString" in " ".join(shown.split())
    assert secret not in shown
    plan_copies = []
    for path, is_dir in state_files(workflow.state_dir):
        if is_dir:
            continue
        if os.path.basename(path).startswith("approved-plan"):
            plan_copies.append(path)  # the user's own plan file, copied 0600 so resume runs what was approved
            continue
        assert secret not in open(path, encoding="utf-8", errors="replace").read(), path
    assert len(plan_copies) == 1
