"""The collection as a user installs and reads it: lint, docs, build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def _run(*args, cwd=REPO, timeout=600):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


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


def test_role_argument_spec_documented():
    result = _run(str(BIN / "ansible-doc"), "-t", "role", "coworker.aws.execute_nonprod")
    assert result.returncode == 0, result.stderr
    assert "execute_nonprod_plan" in result.stdout and "execute_nonprod_on_failure" in result.stdout


def test_every_module_is_in_the_action_group():
    groups = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["action_groups"]
    assert sorted(groups["nonprod"]) == MODULES


def test_collection_builds(tmp_path):
    result = _run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path))
    assert result.returncode == 0, result.stderr
    built = list(tmp_path.glob("coworker-aws-*.tar.gz"))
    assert len(built) == 1
    import tarfile
    names = tarfile.open(built[0]).getnames()
    assert "roles/execute_nonprod/tasks/main.yml" in names
    assert not any(n.startswith((".venv", "collections/", ".coworker")) for n in names)
