# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ``ansible-test sanity --local`` on the collection exactly as ``ansible-galaxy`` builds it.

ansible-test insists on running from ``.../ansible_collections/coworker/aws`` and refuses a
symlinked path (it resolves the working directory), so the collection is built into a
tarball and unpacked under a temporary ``ansible_collections/coworker/aws``: what is checked
is what ships.

ansible-test gives every sanity test its own virtualenv, created without pip and then
bootstrapped with a ``get-pip`` script downloaded from ci-files.testing.ansible.com, a host
these machines cannot reach. It uses a cached copy when one exists, so we put a small
bootstrap of our own there: CPython's ``ensurepip``, then ``pip install`` of the versions
ansible-test asks for, from the same package index every other install here uses. Its cache
(the virtualenvs, pip's downloads) lives in a private HOME inside the checkout (``.cache/sanity``,
ignored by git and by the build), so nothing is written to the user's own HOME and no other
project's ansible-test is affected; a checkout whose path is too long for ansible-test's
virtualenv shebangs uses a directory of its own under the system's temporary directory instead.

Usage: ``.venv/bin/python tests/sanity/ansible_test_support.py [ansible-test sanity options]``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON_VERSION = "%d.%d" % sys.version_info[:2]

# Tests that cannot run here, with the reason (the README lists them too).
SKIPPED = {
    "pslint": "needs PowerShell (pwsh) and PSScriptAnalyzer; the collection has no PowerShell",
    "shellcheck": "needs the shellcheck binary; the collection ships no shell scripts",
}

PIP_BOOTSTRAP = '''"""Stands in for get-pip.py (written by tests/sanity/ansible_test_support.py)."""
import subprocess
import sys

# ensurepip in a child process: it sets PIP_CONFIG_FILE=/dev/null in its own environment,
# which would hide the machine's pip configuration (index, certificates) from the install.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
'''


def _longest_venv_python() -> int:
    """Length of the longest ``~/.ansible/test/venv/<label>/<python>/<hash>/bin/python`` ansible-test makes."""
    from ansible_test._internal.util import ANSIBLE_TEST_DATA_ROOT  # pylint: disable=import-outside-toplevel
    labels = [p.stem for p in (Path(ANSIBLE_TEST_DATA_ROOT) / "requirements").glob("sanity.*.in")]
    return len("/.ansible/test/venv/%s/%s/%s/bin/python" % (max(labels, key=len), PYTHON_VERSION, "0" * 8))


def sanity_home() -> Path:
    """A HOME for ansible-test's caches: in the checkout, unless that makes a venv shebang (``#!`` + the
    venv's python) longer than the 127 characters Linux reads, then under the temporary directory."""
    home = REPO / ".cache" / "sanity"
    if len(str(home)) + _longest_venv_python() + len("#!") <= 127:
        return home
    digest = hashlib.sha256(str(REPO).encode()).hexdigest()[:8]
    return Path(tempfile.gettempdir()) / ("coworker-aws-sanity-%s" % digest)


def _pip_version() -> str:
    # The version ansible-test bootstraps decides the cached script's name (get_pip_24_2.py).
    from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel

    class _Python:  # get_venv_packages only reads .version
        version = PYTHON_VERSION

    return get_venv_packages(_Python())["pip"]


def prepare_home(home: Path) -> None:
    """Seed the pip bootstrap and let pip inside ansible-test's venvs read the user's pip config."""
    cache = home / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / ("get_pip_%s.py" % _pip_version().replace(".", "_"))).write_text(PIP_BOOTSTRAP)
    for config in (Path.home() / ".config" / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf"):
        link = home / config.relative_to(Path.home())
        if config.is_file() and not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(config)


def stage_collection(dest: Path) -> Path:
    """Build the tarball and unpack it as ``dest/ansible_collections/coworker/aws``."""
    built = dest / "built"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(built)],
                   cwd=REPO, check=True, capture_output=True, text=True)
    root = dest / "ansible_collections" / "coworker" / "aws"
    root.mkdir(parents=True)
    with tarfile.open(next(built.glob("coworker-aws-*.tar.gz"))) as tar:
        tar.extractall(root, filter="data")
    return root


def run_sanity(extra_args=(), timeout=900) -> subprocess.CompletedProcess:
    """ansible-test sanity on the built collection; the result carries stdout+stderr as ``output``."""
    home = sanity_home()
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w", encoding="utf-8") as lock, tempfile.TemporaryDirectory() as tmp:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs from one checkout would share venvs being built
        prepare_home(home)
        root = stage_collection(Path(tmp))
        command = [str(BIN / "ansible-test"), "sanity", "--local", "--python", PYTHON_VERSION, "--color", "no"]
        for test in SKIPPED:
            command += ["--skip-test", test]
        env = dict(os.environ, HOME=str(home), PATH="%s:%s" % (BIN, os.environ.get("PATH", "")))
        return subprocess.run(command + list(extra_args), cwd=root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)


if __name__ == "__main__":
    RESULT = run_sanity(sys.argv[1:])
    print(RESULT.stdout)
    sys.exit(RESULT.returncode)
