"""printable: nothing that drives a terminal survives, ordinary text is unchanged."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan.display import printable


@pytest.mark.parametrize("raw, shown", [
    ("Storage", "Storage"),
    ("Ünïcode ✓ 名前", "Ünïcode ✓ 名前"),
    ("\x1b[2J\x1b[HFake", "\\x1b[2J\\x1b[HFake"),
    ("ok\rEVIL", "ok\\x0dEVIL"),
    ("a\x7fb\x9bc\x00", "a\\x7fb\\x9bc\\x00"),
    ("abc\u202edef\u2066x\u2069", "abc\\u202edef\\u2066x\\u2069"),
    ("line1\nline2\tx", "line1\\x0aline2\\x09x"),
])
def test_single_line(raw, shown):
    assert printable(raw) == shown
    assert printable(printable(raw)) == shown  # idempotent: shown text can pass twice


def test_multiline_keeps_new_lines_and_tabs_only():
    assert printable("a\n\tb\r\x1b[31m", multiline=True) == "a\n\tb\\x0d\\x1b[31m"


def test_containers_and_scalars():
    assert printable({"k\x1b": ["v\x1b", 1, None, True]}) == {"k\\x1b": ["v\\x1b", 1, None, True]}
