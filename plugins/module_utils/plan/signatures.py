# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signed approvals: what is signed, and the shape of ``approval.signatures`` in a plan.

Each entry of ``approval.signatures`` is ``{principal, signature, signed_at}``: an
OpenSSH signature (``ssh-keygen -Y sign``, namespace ``NAMESPACE``) over the
message ``approval_message`` builds. The message binds the plan digest AND the
expiry, the signer's principal and the signing time, so none of them can be
edited (``expires_at`` extended, a signature moved to another principal) without
the signature failing. Who may sign is the class's approvers file (guard/approvals.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct

from ansible_collections.coworker.aws.plugins.module_utils.timeutil import parse_time

NAMESPACE = "coworker.aws-plan"
MESSAGE_HEADER = "coworker.aws plan approval v1"
# exact names only: no pattern characters (* ? !), no list separator (,), no white space or control characters
PRINCIPAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+=-]{0,127}")
SIGNATURE_KEYS = ("principal", "signature", "signed_at")
MAX_SIGNATURES = 16
MAX_SIGNATURE_CHARS = 8192
_ARMOR = re.compile(r"-----BEGIN SSH SIGNATURE-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*-----END SSH SIGNATURE-----\s*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def approval_message(digest, expires_at, principal, signed_at):
    """The exact bytes an approver signs (documented in docs/approvals.md)."""
    lines = (MESSAGE_HEADER, "plan_sha256=%s" % digest,
             "expires_at=%s" % ("none" if expires_at is None else expires_at),
             "principal=%s" % principal, "signed_at=%s" % signed_at)
    return ("\n".join(lines) + "\n").encode("utf-8")


def principal_problem(value):
    """Why ``value`` cannot be an approver principal (None when it can)."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if _CONTROL.search(value):
        return "contains control characters (%s)" % value.encode("unicode_escape").decode("ascii")
    if any(char in value for char in "*?!"):
        return "%r is a pattern; a principal names one approver exactly" % value
    if not PRINCIPAL_RE.fullmatch(value):
        return "%r is not a principal (letters, digits and . _ @ + = -, up to 128, starting with a letter or digit)" \
            % value
    return None


def _read_string(blob, offset):
    if offset + 4 > len(blob):
        raise ValueError("truncated")
    (length,) = struct.unpack(">I", blob[offset:offset + 4])
    end = offset + 4 + length
    if end > len(blob):
        raise ValueError("truncated")
    return blob[offset + 4:end], end


def key_fingerprint(public_key_blob):
    """OpenSSH's SHA256 fingerprint of a public key blob (as ``ssh-keygen -l`` prints it)."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(public_key_blob).digest()).decode("ascii").rstrip("=")


def parse_signature(text):
    """``{namespace, public_key, key_type, fingerprint}`` of an armored SSHSIG; ValueError if it is none.

    Used to name the key and the namespace in refusals and to count distinct keys;
    whether the signature is good is decided by ``ssh-keygen -Y verify`` alone.
    """
    match = _ARMOR.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError("not an armored SSH signature (-----BEGIN SSH SIGNATURE----- ...)")
    try:
        blob = base64.b64decode("".join(match.group("body").split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the SSH signature is not valid base64") from None
    if blob[:6] != b"SSHSIG" or len(blob) < 10 or struct.unpack(">I", blob[6:10])[0] != 1:
        raise ValueError("not an SSH signature of version 1 (SSHSIG)")
    try:
        public_key, offset = _read_string(blob, 10)
        namespace, offset = _read_string(blob, offset)
        key_type = _read_string(public_key, 0)[0]
    except ValueError:
        raise ValueError("the SSH signature is truncated") from None
    return {"namespace": namespace.decode("utf-8", "replace"), "public_key": public_key,
            "key_type": key_type.decode("ascii", "replace"), "fingerprint": key_fingerprint(public_key)}


def _entry_problems(field, entry, now, skew):
    if not isinstance(entry, dict):
        return [(field, "must be a mapping with keys %s" % ", ".join(SIGNATURE_KEYS))]
    problems = [("%s.%s" % (field, key), "unknown field") for key in sorted(map(str, set(entry) - set(SIGNATURE_KEYS)))]
    problems.extend(("%s.%s" % (field, key), "required field is missing") for key in SIGNATURE_KEYS
                    if not isinstance(entry.get(key), str) or not entry[key].strip())
    if problems:
        return problems
    problem = principal_problem(entry["principal"])
    if problem:
        problems.append((field + ".principal", problem))
    if len(entry["signature"]) > MAX_SIGNATURE_CHARS:
        problems.append((field + ".signature", "longer than %d characters" % MAX_SIGNATURE_CHARS))
    else:
        try:
            parse_signature(entry["signature"])
        except ValueError as exc:
            problems.append((field + ".signature", str(exc)))
    signed_at = parse_time(entry["signed_at"])
    if signed_at is None:
        problems.append((field + ".signed_at", "%r is not an ISO 8601 time" % entry["signed_at"]))
    elif signed_at > now + skew:
        problems.append((field + ".signed_at", "signing time %s is in the future" % entry["signed_at"]))
    return problems


def signatures_problems(approval, now, skew):
    """Problems of the optional ``approval.signatures`` list's shape, as ``(field, message)``."""
    if "signatures" not in approval:
        return []
    entries = approval["signatures"]
    if not isinstance(entries, list) or not entries:
        return [("approval.signatures", "must be a non-empty list of {principal, signature, signed_at} "
                 "(remove the key for an unsigned approval)")]
    if len(entries) > MAX_SIGNATURES:
        return [("approval.signatures", "more than %d signatures" % MAX_SIGNATURES)]
    problems = []
    for index, entry in enumerate(entries):
        problems.extend(_entry_problems("approval.signatures[%d]" % index, entry, now, skew))
    return problems
