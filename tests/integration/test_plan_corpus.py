# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The corpus of bad plans through real ansible-playbook runs: refused before any AWS request.

Every file in tests/data/plans/bad goes through coworker.aws.plan_info in one generated
playbook (fast); a handful also go through the real playbooks/execute_nonprod.yml. moto's
recorder proves that not a single AWS request (not even STS) was made. The hostile Jinja
plan is valid: it runs for real, and its text reaches AWS and the output exactly as written.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from moto_harness import REPO_ROOT, call_keys, output_of, run_playbook

pytestmark = pytest.mark.integration

DATA = REPO_ROOT / "tests" / "data" / "plans"
BAD = DATA / "bad"
EXPECTED = yaml.safe_load((DATA / "expected.yml").read_text(encoding="utf-8"))
JINJA = DATA / "hostile" / "jinja-in-param.yml"
LOOKUP = "{{ lookup('pipe','id') }}"
EXECUTE = REPO_ROOT / "playbooks" / "execute_nonprod.yml"
# A handful for the real playbook: a code tag, the target, a command, the approval, the guardrail.
REAL_RUNS = ["python-tag.yml", "production-target.yml", "global-option-in-command.yml", "edited-after-approval.yml",
             "guardrail-fail.yml"]

LOOP_PLAYBOOK = """\
- name: Load every corpus plan
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Load the plan
      coworker.aws.plan_info:
        plan: "{{ item }}"
      loop: "{{ corpus_files }}"
      register: corpus_loaded
      ignore_errors: true

    - name: Keep the results for the test
      ansible.builtin.copy:
        content: "{{ corpus_loaded.results | to_json }}"
        dest: "{{ results_file }}"
        mode: "0600"
"""


def _aws_requests(calls):
    """Every recorded request that went to an AWS service (moto's own control API excluded)."""
    return [key for key in call_keys(calls) if key[0] != "moto-api"]


def _ten_thousand_steps(directory: Path) -> Path:
    """A 10,000-step S3 plan, written at test time (never committed)."""
    steps = "".join(
        '      - {id: bucket_%05d, action: s3:CreateBucket, params: {Bucket: "huge-%05d-${target.account_id}"}}\n'
        % (n, n) for n in range(10_000))
    path = directory / "ten-thousand-steps.yml"
    path.write_text(JINJA.read_text(encoding="utf-8").split("phases:")[0]
                    + "phases:\n  - name: Everything\n    steps:\n" + steps, encoding="utf-8")
    return path


def _digest(path: Path) -> str:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document.pop("approval", None)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _token(name: str) -> str:
    """The approval token a user would pass: the file's recorded digest, when it has one."""
    try:
        return str(yaml.safe_load((BAD / name).read_text())["approval"]["plan_sha256"])[:12]
    except Exception:  # unparsable on purpose: any token, the plan is refused before it is compared
        return "0" * 12


def test_every_corpus_plan_is_refused_by_plan_info_without_any_aws_request(aws_env, clean_moto, tmp_path):
    huge = _ten_thousand_steps(tmp_path)
    files = [str(BAD / name) for name in sorted(EXPECTED)] + [str(huge)]
    (tmp_path / "loop.yml").write_text(LOOP_PLAYBOOK)
    results_file = tmp_path / "results.json"
    (tmp_path / "vars.json").write_text(json.dumps({"corpus_files": files, "results_file": str(results_file)}))
    with clean_moto.recording() as calls:
        run = run_playbook(["loop.yml", "-e", "@vars.json"], aws_env.env(), tmp_path, timeout=120)
    assert run.returncode == 0, output_of(run)
    assert _aws_requests(calls) == [], "plan errors must be found before any AWS call"
    results = {Path(r["item"]).name: r for r in json.loads(results_file.read_text())}
    assert set(results) == {Path(f).name for f in files}

    wrong = []
    for name, entry in sorted(EXPECTED.items()):
        result, path = results[name], str(BAD / name)
        where = "%s: %s: " % (path, entry["field"]) if entry["field"] else "%s: " % path
        reported = result.get("failed") and any(
            line.startswith(where) and entry["fragment"] in line for line in result.get("msg", "").splitlines())
        if bool(reported) == bool(entry.get("known_bug")):
            wrong.append("%s: %s" % (name, "fixed? drop known_bug" if reported else result.get("msg", "ACCEPTED")))
        if not entry.get("known_bug"):
            assert path in run.stdout and entry["fragment"].split("'")[0] in run.stdout, name
    assert wrong == []

    refused = results[huge.name]
    assert refused["failed"] and "%s: phases: the plan has 10000 steps" % huge in refused["msg"]


def _sandbox_environments(directory: Path) -> Path:
    """moto's default account classified as sandbox: a plan that slipped through would really run."""
    path = directory / "environments.yml"
    path.write_text(yaml.safe_dump({
        "environments": {"sandbox": {"account_ids": ["123456789012"], "regions": ["*"]},
                         "production": {"account_aliases": ["*-prod"], "profiles": ["prod-*"]}},
        "unknown_environment": "staging"}))
    return path


def test_real_playbook_refuses_bad_plans_before_any_aws_request(aws_env, clean_moto, tmp_path):
    env, environments = aws_env.env(), _sandbox_environments(tmp_path)

    def execute(name):
        return run_playbook([EXECUTE, "-e", "plan=%s" % (BAD / name), "-e", "approve=%s" % _token(name),
                             "-e", "state_dir=%s" % (tmp_path / "state" / name),
                             "-e", "environments_file=%s" % environments], env, tmp_path, timeout=120)

    with clean_moto.recording() as calls:
        with ThreadPoolExecutor(max_workers=len(REAL_RUNS)) as pool:
            runs = dict(zip(REAL_RUNS, pool.map(execute, REAL_RUNS)))
    assert _aws_requests(calls) == [], "plan errors must be found before any AWS call, STS included"
    for name, run in runs.items():
        entry, output = EXPECTED[name], output_of(run)
        assert run.returncode != 0, output
        assert str(BAD / name) in output, output
        if entry["field"]:
            assert "%s: %s: " % (BAD / name, entry["field"]) in output, output
        assert entry["fragment"] in output, output
        assert "uid=" not in output  # the python tag's os.system("id") never ran
        runs_dir = tmp_path / "state" / name / "runs"
        assert not runs_dir.exists() or not any(runs_dir.iterdir()), "a run was started"


def test_jinja_text_in_a_plan_stays_text_all_the_way_to_aws(aws_env, clean_moto, tmp_path):
    environments = _sandbox_environments(tmp_path)
    plan = tmp_path / JINJA.name
    plan.write_text(JINJA.read_text(encoding="utf-8"), encoding="utf-8")
    with clean_moto.recording() as calls:
        run = run_playbook([EXECUTE, "-e", "plan=%s" % plan, "-e", "approve=%s" % _digest(plan)[:12],
                            "-e", "state_dir=%s" % (tmp_path / "state"), "-e", "environments_file=%s" % environments],
                           aws_env.env(), tmp_path, timeout=180)
    output = output_of(run)
    assert run.returncode == 0, output
    # printed as the plan says it (plain lines, not a task result), and in the report as is
    assert "Jinja %s stays text" % LOOKUP in output, output
    assert "Config {{ 7 * 7 }}" in output and "Config 49" not in output
    assert "uid=" not in output
    assert "{% raw %}{{ lookup(" in output  # the String parameter's value is shown (plain text by its type), as text
    reports = list((tmp_path / "state").glob("runs/*/report.md"))
    assert len(reports) == 1
    report = reports[0].read_text(encoding="utf-8")
    assert "Jinja %s stays text" % LOOKUP in report and "uid=" not in report
    # the recorder does see this kind of run, so the zero counts above mean something
    assert ("sts", "GetCallerIdentity") in call_keys(calls)
    assert ("ssm", "PutParameter") in call_keys(calls)
    stored = aws_env.boto3_session().client("ssm").get_parameter(Name="/corpus/hostile/jinja")["Parameter"]
    assert stored["Value"].startswith("%s {%% raw %%}{{ lookup('env','HOME') }}{%% endraw %%} " % LOOKUP)
    assert "${run.id}" not in stored["Value"]  # a real reference was resolved, the Jinja was not
