"""What a user installs with the collection: the tested dependency versions, the Ansible versions it
claims, a changelog that agrees with galaxy.yml, and install instructions that use the constraints."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def requirements(path: Path) -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def pins() -> dict[str, str]:
    found = {}
    for req in requirements(REPO / "constraints.txt"):
        [spec] = list(req.specifier)
        assert spec.operator == "==", req
        found[canonicalize_name(req.name)] = spec.version
    return found


def runtime_closure() -> set[str]:
    """Every distribution requirements.txt brings in, as installed in this virtualenv."""
    todo = [req.name for req in requirements(REPO / "requirements.txt")]
    seen = set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def test_constraints_pin_every_runtime_dependency_to_the_installed_version():
    closure, pinned = runtime_closure(), pins()
    assert "cryptography" in closure  # ansible-core's: the version that prints no deprecation warning
    assert sorted(name for name in closure if name not in pinned) == []
    assert {name: metadata.version(name) for name in closure} == {name: pinned[name] for name in closure}


def test_every_pip_install_of_the_requirements_uses_the_constraints():
    texts = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md")),
             *sorted((REPO / "scripts").glob("*.sh")), *sorted((REPO / "examples").rglob("README.md"))]
    # refreshing the pins (docs/development.md) installs the newest versions on purpose: --upgrade
    installs = [(path.name, line.strip()) for path in texts for line in path.read_text().splitlines()
                if re.search(r"pip install .*-r requirements", line) and "--upgrade" not in line]
    assert installs, "nothing tells how to install the requirements"
    assert [item for item in installs if "-c constraints.txt" not in item[1]] == []


def test_requires_ansible_is_bounded_like_the_requirements():
    claimed = SpecifierSet(yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"])
    [core] = [req for req in requirements(REPO / "requirements.txt") if req.name == "ansible-core"]
    for version in ("2.18.9", "2.19.0", "2.19.14", "2.19.99", "2.20.0", "2.21.0", "3.0.0"):
        assert claimed.contains(version) == core.specifier.contains(version), version


def test_the_changelog_is_antsibulls_and_agrees_with_galaxy_yml(tmp_path):
    """CHANGELOG.md is what antsibull-changelog generates from changelogs/changelog.yaml (never written by
    hand), it calls no version unreleased, and galaxy.yml builds its latest release or the next one."""
    version = Version(yaml.safe_load((REPO / "galaxy.yml").read_text())["version"])
    releases = sorted(Version(v) for v in yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())
                      ["releases"])
    assert releases and version >= releases[-1]
    copy = tmp_path / "checkout"
    shutil.copytree(REPO / "changelogs", copy / "changelogs")
    for name in ("galaxy.yml", "CHANGELOG.md"):
        shutil.copy(REPO / name, copy / name)
    generated = subprocess.run([str(BIN / "antsibull-changelog"), "generate"], cwd=copy, capture_output=True,
                               text=True, check=False)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert (copy / "CHANGELOG.md").read_text() == (REPO / "CHANGELOG.md").read_text()
    assert "unreleased" not in (REPO / "CHANGELOG.md").read_text().lower()
    assert ("v%s" % releases[-1]).replace(".", "\\.") in (REPO / "CHANGELOG.md").read_text()
