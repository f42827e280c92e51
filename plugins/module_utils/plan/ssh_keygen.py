# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sign and verify approval messages with OpenSSH's ``ssh-keygen -Y`` (the tool git uses for SSH signatures).

Always an argv list, never a shell; the message and the signature go through
private temporary files (0600, in a 0700 directory) that are removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.plan.signatures import NAMESPACE

TIMEOUT = 60
MISSING = ("ssh-keygen (OpenSSH 8.2 or later) was not found on PATH; it signs and verifies approvals. "
           "Install openssh-client (see bindep.txt)")


def ssh_keygen():
    """Path of ssh-keygen; CoworkerError when missing (only asked for when a signature is involved)."""
    path = shutil.which("ssh-keygen")
    if not path:
        raise CoworkerError(MISSING)
    return path


def _last_line(data):
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _private_file(folder, name, data):
    path = os.path.join(folder, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def _run(argv):
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise CoworkerError("ssh-keygen did not finish within %d s (%s)" % (TIMEOUT, " ".join(argv[:3]))) from None


def sign(key_path, message):
    """The armored signature of ``message`` by the key at ``key_path`` (a private key, or a public key
    whose private half is in ssh-agent). stdin is /dev/null: a passphrase cannot be typed here, use ssh-agent."""
    exe = ssh_keygen()
    if not os.path.isfile(key_path):
        raise CoworkerError("signing key %s: no such file" % key_path)
    with tempfile.TemporaryDirectory(prefix="coworker-sign-") as folder:
        message_path = _private_file(folder, "approval", message)
        done = _run([exe, "-q", "-Y", "sign", "-n", NAMESPACE, "-f", key_path, message_path])
        if done.returncode != 0 or not os.path.isfile(message_path + ".sig"):
            raise CoworkerError("ssh-keygen could not sign with %s: %s (a key with a passphrase must be in "
                                "ssh-agent: ssh-add it and pass its .pub file)" % (key_path, _last_line(done.stderr)))
        with open(message_path + ".sig", encoding="ascii") as handle:
            return handle.read()


def verify(allowed_signers, principal, message, signature):
    """``(True, detail)`` when ``ssh-keygen -Y verify`` accepts ``signature`` of ``message`` by ``principal``."""
    exe = ssh_keygen()
    with tempfile.TemporaryDirectory(prefix="coworker-verify-") as folder:
        signature_path = _private_file(folder, "approval.sig", signature.encode("ascii", "replace"))
        message_path = _private_file(folder, "approval", message)
        with open(message_path, "rb") as stdin:
            try:
                done = subprocess.run([exe, "-Y", "verify", "-f", allowed_signers, "-I", principal, "-n", NAMESPACE,
                                       "-s", signature_path], stdin=stdin, capture_output=True, timeout=TIMEOUT,
                                      check=False)
            except subprocess.TimeoutExpired:
                raise CoworkerError("ssh-keygen -Y verify did not finish within %d s" % TIMEOUT) from None
    if done.returncode == 0:
        return True, _last_line(done.stdout)
    return False, _last_line(done.stderr + done.stdout)
