# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The approvers file (allowed_signers format): what is read, and what is refused with file and line."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.guard.allowed_signers import (
    principals_of, read_allowed_signers)

from plan_samples import ALLOWED_SIGNERS, KEYS_DIR

ALICE = " ".join((KEYS_DIR / "test-only-alice.ed25519.pub").read_text().split()[:2])
BOB = " ".join((KEYS_DIR / "test-only-bob.ed25519.pub").read_text().split()[:2])


def write(tmp_path, text, mode=0o644):
    path = tmp_path / "allowed_signers"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def test_the_test_approvers_file():
    entries = read_allowed_signers(str(ALLOWED_SIGNERS))
    assert [e["principals"] for e in entries] == [["alice@example.com"], ["bob@example.com"]]
    assert principals_of(entries, entries[1]["public_key"]) == ["bob@example.com"]
    assert principals_of(entries, b"another key") == []


def test_options_comments_and_several_principals(tmp_path):
    path = write(tmp_path, '# approvers\n\nalice@example.com,al@example.com namespaces="coworker.aws-plan,git" %s '
                 'laptop key\n  bob@example.com valid-after="20260101" %s\n' % (ALICE, BOB))
    entries = read_allowed_signers(path)
    assert [(e["line"], e["principals"]) for e in entries] == [(3, ["alice@example.com", "al@example.com"]),
                                                               (4, ["bob@example.com"])]
    assert entries[0]["fingerprint"].startswith("SHA256:")


@pytest.mark.parametrize("line, message", [
    ("*@example.com %s" % ALICE, "'*@example.com' is a pattern; a principal names one approver exactly"),
    ("alice@example.com,!bob@example.com %s" % ALICE, "is a pattern"),
    ("al?ce@example.com %s" % ALICE, "is a pattern"),
    ("alice@example.com cert-authority %s" % ALICE, "cert-authority lines are not supported"),
    ("alice\x1b[2J@example.com %s" % ALICE, "contains control characters"),
    ("alice@example.com ssh-ed25519 not-base64!", "the key is not valid base64"),
    ("alice@example.com ssh-rsa %s" % ALICE.split()[1], "the key is not a ssh-rsa key"),
    ("alice@example.com", "expected 'principals [options] keytype base64-key'"),
    ('alice@example.com "unterminated %s' % ALICE, "cannot be read"),
])
def test_refused_lines_name_the_file_and_line(tmp_path, line, message):
    path = write(tmp_path, "# header\n" + line + "\n")
    with pytest.raises(ConfigError) as exc:
        read_allowed_signers(path)
    assert exc.value.source == path and exc.value.field == "line 2"
    assert message in str(exc.value)


def test_a_file_others_can_write_is_refused(tmp_path):
    path = write(tmp_path, "alice@example.com %s\n" % ALICE, mode=0o666)
    with pytest.raises(ConfigError, match="writable by group or others"):
        read_allowed_signers(path)


@pytest.mark.parametrize("text, message", [("", "lists no approver"), ("# nobody\n", "lists no approver")])
def test_an_empty_file_is_refused(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        read_allowed_signers(write(tmp_path, text))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="approvers file not found"):
        read_allowed_signers(str(tmp_path / "nope"))
