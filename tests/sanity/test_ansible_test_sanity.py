"""``ansible-test sanity``, the community's own checks, on the collection as it ships."""

from __future__ import annotations

import re
from pathlib import Path

import subprocess
import tempfile

import yaml

from ansible_test_support import REPO, SKIPPED, run_sanity, sanity_home

IGNORE_FILE = Path(__file__).parent / "ignore-2.19.txt"


def test_every_ignore_line_says_why():
    for line in filter(None, IGNORE_FILE.read_text().splitlines()):
        entry, _hash, reason = line.partition(" # ")
        assert len(entry.split()) == 2 and len(reason.strip()) > 20, "ignore line without a reason: %r" % line


def test_ansible_test_sanity_passes():
    result = run_sanity()
    ran = re.findall(r'^Running sanity test "([^"]+)"', result.stdout, re.MULTILINE)
    assert result.returncode == 0, result.stdout[-20000:]
    assert not re.search(r"^(ERROR|FATAL):", result.stdout, re.MULTILINE), result.stdout[-20000:]
    # the checks that found real problems once must keep running, not be skipped
    assert {"import", "pep8", "pylint", "shebang", "validate-modules", "yamllint", "ansible-doc"} <= set(ran)
    assert not set(ran) & set(SKIPPED)
    assert len(ran) >= 20, ran


def test_the_sanity_cache_stays_in_the_checkout_or_a_temporary_directory():
    """ansible-test's virtualenvs and pip downloads (~130 MB) are never written under the user's HOME."""
    home = sanity_home()
    assert home.is_relative_to(REPO / ".cache") or home.is_relative_to(tempfile.gettempdir()), home
    ignored = subprocess.run(["git", "check-ignore", "-q", str(REPO / ".cache" / "sanity" / "x")], cwd=REPO,
                             check=False)
    assert ignored.returncode == 0, ".cache/ is not ignored by git"
    assert ".cache" in yaml.safe_load((REPO / "galaxy.yml").read_text())["build_ignore"]
    assert "PIP_CACHE_DIR" in (REPO / "scripts" / "setup.sh").read_text()
