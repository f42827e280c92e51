"""``ansible-test sanity``, the community's own checks, on the collection as it ships."""

from __future__ import annotations

import re
from pathlib import Path

from ansible_test_support import SKIPPED, run_sanity

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
