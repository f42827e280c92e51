"""The playbook run the way AWX/AAP runs it: ansible_runner.run() with a private data dir,
no repo ansible.cfg (an empty one), the collection found through the environment only.
The job's artifacts hold the run's stats (set_stats): run id, status, steps completed, the
report paths and every step's registered outputs. And a user's own playbook that sets the
shared options once for the action group (module_defaults group/coworker.aws.nonprod):
state_dir, environments_file and profile reach every member.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import ansible_runner
import pytest

from moto_harness import REPO_ROOT, ansible_bin, install_built_collection
from workflow_support import ACCOUNT, four_steps, put_param, step_statuses, workflow

pytestmark = pytest.mark.integration
__all__ = ["workflow"]  # the fixture, imported for pytest

GROUP_DEFAULTS = REPO_ROOT / "tests" / "integration" / "playbooks" / "group_defaults.yml"
GROUP_PROFILE = "sandbox-group"  # same account as the plan's own profile, another session name


def runner_env(flow, **changes) -> dict:
    """The run's environment: moto, an empty .cfg, the collection path, the venv's ansible first."""
    empty = flow.tmp / "empty.cfg"
    empty.write_text("")
    env = flow.env()
    env.update(ANSIBLE_CONFIG=str(empty), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"),
               PATH=f"{ansible_bin().parent}{os.pathsep}{env.get('PATH', '')}")
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_job(flow, playbook_text: str, extravars: dict, env: dict, ident: str = "job1"):
    """ansible_runner.run() on a project holding one playbook; (runner, its stats event's artifact_data)."""
    private = flow.tmp / "runner"
    (private / "project").mkdir(parents=True, exist_ok=True)
    (private / "project" / "site.yml").write_text(playbook_text)
    job = ansible_runner.run(private_data_dir=str(private), playbook="site.yml", extravars=extravars,
                             envvars=env, quiet=True, ident=ident)
    return job, private / "artifacts" / ident


def stats_on_disk(artifacts: Path) -> dict:
    """artifact_data of the playbook_on_stats event, as the job wrote it under artifacts/."""
    for path in sorted((artifacts / "job_events").glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("event") == "playbook_on_stats":
            return event["event_data"].get("artifact_data") or {}
    raise AssertionError(f"no playbook_on_stats event under {artifacts}")


def test_ansible_runner_artifacts_hold_the_run_stats(workflow):
    phases = four_steps()
    phases[0][1][0] = put_param("put_a", "/wf/a", register={"version": "Version"})
    plan = workflow.write_plan("wf", phases)
    extravars = {"plan": str(plan.path), "approve": plan.digest, "state_dir": str(workflow.state_dir),
                 "environments_file": str(workflow.environments), "aws_profile": "sandbox-wf"}

    job, artifacts = run_job(workflow, "- ansible.builtin.import_playbook: coworker.aws.execute_nonprod\n",
                             extravars, runner_env(workflow))

    assert (job.status, job.rc) == ("successful", 0), job.stdout.read()
    stats = stats_on_disk(artifacts)["coworker_aws_run"]
    run_id = workflow.only_run()
    folder = workflow.state_dir / "runs" / run_id
    report = workflow.report(run_id)
    assert (stats["run_id"], stats["status"], stats["steps_completed"], stats["steps_total"]) == (
        run_id, "succeeded", 4, 4)
    assert (stats["report_md"], stats["report_json"], stats["journal"]) == (
        str(folder / "report.md"), str(folder / "report.json"), str(folder / "journal.jsonl"))
    assert json.loads(Path(stats["report_json"]).read_text()) == report
    assert stats["outputs"]["put_a"] == {"version": 1}
    assert stats["outputs"] == {s["id"]: s["outputs"] for s in report["steps"]}
    assert "coworker.aws.execute_nonprod -e resume=" in stats["resume"]
    # the same data reaches the runner's own event stream (what AWX stores as artifact_data)
    [final] = [e for e in job.events if e.get("event") == "playbook_on_stats"]
    assert final["event_data"]["artifact_data"]["coworker_aws_run"] == stats


def test_group_module_defaults_carry_state_dir_environments_file_and_profile_to_every_member(workflow):
    workflow.aws_env.add_account_profile(GROUP_PROFILE, ACCOUNT)
    plan = workflow.write_plan("wf", four_steps())  # its target.profile is sandbox-wf, not the group's
    extravars = {"plan": str(plan.path), "approve": plan.digest, "state_dir": str(workflow.state_dir),
                 "environments_file": str(workflow.environments), "aws_profile": GROUP_PROFILE}
    # no AWS_PROFILE and no COWORKER_AWS_ENVIRONMENTS: only the group's defaults name them
    env = runner_env(workflow, AWS_PROFILE=None, COWORKER_AWS_ENVIRONMENTS=None)

    job, _artifacts = run_job(workflow, GROUP_DEFAULTS.read_text(), extravars, env)

    assert (job.status, job.rc) == ("successful", 0), job.stdout.read()
    assert workflow.parameter_values() == {"/wf/a": "v1"}
    run_id = workflow.only_run()  # in the group's state_dir
    journal = workflow.journal(run_id)
    [started] = [e for e in journal if e["event"] == "run_started"]
    [passed] = [e for e in journal if e["event"] == "guard_passed"]
    assert started["profile"] == GROUP_PROFILE  # run_journal took the group's profile
    assert passed["arn"].endswith(f"/harness-{GROUP_PROFILE}")  # run_step called AWS with it
    assert step_statuses(workflow.report(run_id))["put_a"] == "succeeded"

    wrong = workflow.tmp / "staging.yml"  # the group's environments_file decides: staging is refused
    wrong.write_text(workflow.environments.read_text().replace("sandbox:", "old:").replace("staging:", "sandbox:")
                     .replace("old:", "staging:"))
    refused, _artifacts = run_job(workflow, GROUP_DEFAULTS.read_text(), dict(extravars, environments_file=str(wrong)),
                                  env, ident="job2")
    assert refused.rc != 0
    assert "Detected environment: staging" in " ".join(refused.stdout.read().split())
    assert workflow.run_ids() == [run_id]  # refused before a run was started


EXAMPLE = REPO_ROOT / "examples" / "ansible-runner"
STATE_BUCKET = "coworker-state-222233334444"


def test_the_shipped_runner_example_runs_as_shipped_and_its_rollback_job_undoes_it(aws_env, tmp_path):
    """examples/ansible-runner/ copied as it ships, the collection installed from the built tarball, and only
    what a user's shell adds: the local endpoint in AWS_ENDPOINT_URL. The state bucket is the one-time setup
    its README describes."""
    job = tmp_path / "job"
    shutil.copytree(EXAMPLE, job)
    aws_env.add_account_profile("tooling-setup", "222233334444")
    tooling = aws_env.boto3_session("tooling-setup").client("s3")
    tooling.create_bucket(Bucket=STATE_BUCKET)
    tooling.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    (tmp_path / "home").mkdir()
    (tmp_path / "empty.cfg").write_text("")
    env = aws_env.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=None,
                      AWS_SHARED_CREDENTIALS_FILE=None, AWS_DEFAULT_REGION=None, HOME=str(tmp_path / "home"),
                      ANSIBLE_CONFIG=str(tmp_path / "empty.cfg"),
                      ANSIBLE_COLLECTIONS_PATH=str(install_built_collection(tmp_path)),
                      PATH=f"{ansible_bin().parent}{os.pathsep}{os.environ.get('PATH', '')}")
    runner = [str(ansible_bin("ansible-runner")), "run", str(job)]
    ssm = aws_env.boto3_session().client("ssm")  # the sandbox account, 123456789012

    done = subprocess.run(runner + ["-p", "execute.yml"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
    values = {p["Name"]: p["Value"] for p in ssm.get_parameters_by_path(Path="/runner-demo")["Parameters"]}
    assert values == {"/runner-demo/greeting": "hello from a runner job", "/runner-demo/log_level": "info"}
    runs = tooling.list_objects_v2(Bucket=STATE_BUCKET, Prefix="coworker/runs/")["Contents"]
    assert any(o["Key"].endswith("/report.json") for o in runs)

    rolled = subprocess.run(runner + ["-p", "rollback.yml", "--cmdline", "-e run=last"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, check=False)
    assert rolled.returncode == 0, rolled.stdout[-6000:] + rolled.stderr
    assert ssm.get_parameters_by_path(Path="/runner-demo")["Parameters"] == []
