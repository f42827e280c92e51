"""The README's "Your first plan", as a new user follows it: its YAML, then its five steps run as
written (bash, real ansible-playbook, a real terminal) against moto standing in for the sandbox
account 123456789012 that examples/environments.yml classifies.

The user's world is a temporary directory: HOME (their environments file and SSH key), a working
directory with the checkout's playbooks/ and examples/, and plans/first-bucket.yml. Nothing is
written to the checkout.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pexpect
import pytest

from moto_harness import REPO_ROOT, ansible_bin
from workflow_support import expect, finish, kill_tree, unwrapped

pytestmark = pytest.mark.integration

README = REPO_ROOT / "README.md"
ACCOUNT = "123456789012"  # examples/environments.yml's sandbox account, moto's default one
BUCKET = f"first-bucket-{ACCOUNT}"


def first_plan_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Your first plan"):text.index("\n## ", text.index("## Your first plan") + 1)]


def first_plan_yaml() -> str:
    return re.search(r"```yaml\n(.*?)```", first_plan_section(), re.S).group(1)


def first_plan_commands() -> list[str]:
    """The numbered steps' commands, in order (step 1 is prose: it copies a file)."""
    return re.findall(r"`(ansible-playbook [^`]+)`", first_plan_section())


def user_world(tmp_path, aws_env):
    """HOME with an SSH key, a working directory like a checkout's, the plan file, the moto profile."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "you@example.com",
                    "-f", str(home / ".ssh" / "id_ed25519")], check=True)
    work = tmp_path / "work"
    (work / "plans").mkdir(parents=True)
    for name in ("playbooks", "roles", "examples"):
        (work / name).symlink_to(REPO_ROOT / name)
    (work / "plans" / "first-bucket.yml").write_text(first_plan_yaml(), encoding="utf-8")
    profile = re.search(r"profile: ([\w-]+)", first_plan_yaml()).group(1)
    aws_env.add_account_profile(profile, ACCOUNT)
    env = aws_env.env(profile=profile, HOME=str(home), COWORKER_AWS_ENVIRONMENTS=None,
                      PATH="%s:/usr/bin:/bin" % ansible_bin().parent)
    return home, work, env


def bash(command, work, env):
    """One README command, as a person types it into bash, on a real terminal."""
    child = pexpect.spawn("bash", ["--noprofile", "--norc", "-c", command], env=env, cwd=str(work),
                          encoding="utf-8", dimensions=(50, 250), timeout=120)
    child.logfile_read = io.StringIO()
    return child


def typed(child, question=None, answer="yes"):
    """The person answers ``question`` (if any); the command must succeed. Returns what the terminal showed."""
    if question:
        expect(child, question)
        child.sendline(answer)
    code, transcript = finish(child)
    assert code == 0, transcript
    return transcript


def test_the_readme_first_plan_yaml_is_a_valid_plan_once_approved(tmp_path):
    import yaml
    from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block
    from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan

    document = yaml.safe_load(first_plan_yaml())
    document["approval"] = approval_block(document, "you@example.com")
    path = tmp_path / "first-bucket.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    loaded = load_plan(str(path))
    assert [s["id"] for s in loaded["plan"]["steps"]] == ["create_bucket"]
    assert len(first_plan_section().splitlines()) < 60


def test_the_readme_first_plan_runs_as_written(tmp_path, aws_env):
    commands = first_plan_commands()
    assert len(commands) == 4 and "--check" in commands[1] and "rollback_run.yml" in commands[3], commands
    home, work, env = user_world(tmp_path, aws_env)
    s3 = aws_env.boto3_session().client("s3")
    # 1. classify your accounts: the example file already names the sandbox account
    (home / ".config" / "coworker-aws").mkdir(parents=True)
    shutil.copy(work / "examples" / "environments.yml", home / ".config" / "coworker-aws" / "environments.yml")
    children = []
    try:
        # 2. approve: a person reads the review and types yes; the key signs
        children.append(bash(commands[0], work, env))
        shown = unwrapped(typed(children[-1], "Approve this plan as you@example.com? (yes/no):"))
        assert f"aws s3api create-bucket --bucket {BUCKET}" in shown and "signed by you@example.com" in shown

        # 3. dry run: nothing changes, it says what a real run would do
        children.append(bash(commands[1], work, env))
        assert "would create" in typed(children[-1]) and s3.list_buckets()["Buckets"] == []

        # 4. run: the execution plan, the question, the bucket
        children.append(bash(commands[2], work, env))
        typed(children[-1], "Do you approve execution? (yes/no):")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]
        assert list((work / ".coworker" / "runs").glob("*/report.md"))

        # 5. roll back what that run made, from its journal
        children.append(bash(commands[3], work, env))
        typed(children[-1], "Do you approve execution? (yes/no):")
        assert s3.list_buckets()["Buckets"] == []
    finally:
        for child in children:
            if child.isalive():
                kill_tree(child)
