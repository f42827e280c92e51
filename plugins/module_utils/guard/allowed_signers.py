# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a class's approvers file: OpenSSH's ``allowed_signers`` format, as git uses it.

Each line: ``principals [options] keytype base64-key [comment]``. ssh-keygen
itself decides whether a signature verifies; this reader refuses what would make
"who approved" ambiguous, naming the file and the line:

* principal patterns (``*``, ``?``, ``!``): one key could then sign as anybody the
  pattern matches, and the self-approval check could be sidestepped;
* ``cert-authority`` lines: the approver would be named by a certificate, not here;
* control characters, malformed keys, a file writable by group or others.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shlex
import stat

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.plan.signatures import key_fingerprint, principal_problem

MAX_BYTES = 1024 * 1024
KEY_TYPE_RE = re.compile(r"(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)"
                         r"@openssh\.com)")
CERT_AUTHORITY_RE = re.compile(r"(^|,)\s*cert-authority\s*(,|$)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _read(path):
    try:
        info = os.stat(path)
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise ConfigError(path, "", "the approvers file is writable by group or others (mode %o): anyone who "
                              "can write it can approve; chmod go-w it" % stat.S_IMODE(info.st_mode))
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(path, "", "approvers file not found (named by the class's approval.approvers)") from None
    except OSError as exc:
        raise ConfigError(path, "", "cannot read the approvers file: %s" % exc.strerror) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(path, "", "the approvers file is larger than %d bytes" % MAX_BYTES)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, "", "the approvers file is not UTF-8 text") from None


def _key_blob(path, where, key_type, text):
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(path, where, "the key is not valid base64") from None
    declared = blob[4:4 + int.from_bytes(blob[:4], "big")] if len(blob) > 4 else b""
    if declared != key_type.encode("ascii"):
        raise ConfigError(path, where, "the key is not a %s key" % key_type)
    return blob


def _principals(path, where, text):
    names = text.split(",")
    for name in names:
        problem = principal_problem(name)
        if problem:
            raise ConfigError(path, where, "principal %s" % problem)
    return names


def _entry(path, number, line):
    where = "line %d" % number
    if _CONTROL.search(line):
        raise ConfigError(path, where, "contains control characters")
    try:
        fields = shlex.split(line, posix=True)
    except ValueError as exc:
        raise ConfigError(path, where, "cannot be read: %s" % exc) from None
    options = ""
    if len(fields) > 2 and not KEY_TYPE_RE.fullmatch(fields[1]):
        options = fields.pop(1)
    if len(fields) < 3 or not KEY_TYPE_RE.fullmatch(fields[1]):
        raise ConfigError(path, where, "expected 'principals [options] keytype base64-key' with a supported key "
                          "type (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, sk-...@openssh.com)")
    if CERT_AUTHORITY_RE.search(options):
        raise ConfigError(path, where, "cert-authority lines are not supported: list each approver's own key")
    return {"line": number, "principals": _principals(path, where, fields[0]),
            "public_key": _key_blob(path, where, fields[1], fields[2]),
            "fingerprint": key_fingerprint(_key_blob(path, where, fields[1], fields[2]))}


def read_allowed_signers(path):
    """The entries of the approvers file at ``path``; ConfigError naming the file and line on any problem."""
    entries = []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            entries.append(_entry(path, number, line.strip()))
    if not entries:
        raise ConfigError(path, "", "the approvers file lists no approver")
    return entries


def principals_of(entries, public_key):
    """Every principal the approvers file lists for ``public_key`` (empty: an unknown key)."""
    return [name for entry in entries if entry["public_key"] == public_key for name in entry["principals"]]
