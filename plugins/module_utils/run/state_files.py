# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private state files: directories 0700, files 0600, never through a symlink.

A run's files (journal, reports, change log, locks, the approved plan copy) say
what was changed where and by whom; they are created readable by their owner
only. A symlink planted where one of them goes (``report.md`` -> ``~/.bashrc``)
is never followed: appends open with ``O_NOFOLLOW`` and fail, whole-file writes
go to a fresh private temporary file that replaces the path itself.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError

FILE_MODE = 0o600
DIR_MODE = 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class StateFileError(CoworkerError):
    """A state path is a symlink or otherwise unusable."""


def private_dir(path, levels=1):
    """Create ``path`` (0700) if missing and return it; refuse a symlink in its place.

    ``levels`` counts the trailing components that are ours to check (``runs/<id>``
    is 2); above them (the user's ``state_dir``) a symlink is the user's choice.
    """
    parent = os.path.dirname(os.path.abspath(path))
    if levels > 1:
        private_dir(parent, levels - 1)
    else:
        _make_parents(parent)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise StateFileError("%s is not a directory (a symlink?): refusing to write state there" % path)
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, DIR_MODE)
    return path


def _make_parents(path):
    """``os.makedirs`` with 0700 for every directory it creates (it gives parents the umask's mode)."""
    if os.path.isdir(path):
        return
    _make_parents(os.path.dirname(path))
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        pass


def open_private(path, flags):
    """``os.open`` that never follows a symlink at ``path`` and creates the file 0600."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC, FILE_MODE)
    except OSError as exc:
        if os.path.islink(path):
            raise StateFileError("%s is a symlink: refusing to follow it" % path) from None
        raise
    if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
        os.fchmod(fd, FILE_MODE)
    return fd


def append_private(path, data):
    """Append bytes to a private file and reach the disk before returning."""
    fd = open_private(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path, data):
    """Replace ``path`` whole with ``data`` (bytes): a private temporary file renamed into place.

    ``rename`` replaces a symlink at ``path`` itself, so its target is never written.
    """
    tmp = "%s.%d.%s.tmp" % (path, os.getpid(), os.urandom(4).hex())
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def create_private(path, data):
    """Create ``path`` with ``data``; fail if anything (a file, a symlink) is already there."""
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
