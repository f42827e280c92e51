# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local backend: a run's state in ``state_dir`` on this machine (0700 folders, 0600 files,
never through a symlink, every write fsynced), exactly as before backends existed."""

from __future__ import annotations

import errno
import os

from ansible_collections.coworker.aws.plugins.module_utils.run import journal as journals
from ansible_collections.coworker.aws.plugins.module_utils.run.chain import holds
from ansible_collections.coworker.aws.plugins.module_utils.run.state_files import (
    StateFileError, append_private, create_private, private_dir, write_private)


def checked_key(key):
    """A key is a relative path of plain names: never '..', '.', an empty part or a leading '/'."""
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise StateFileError("invalid state key %r" % key)
    return key


# How long a lock taken on another host is respected by force_unlock: that host's processes
# cannot be checked from here, so after this a forced take-over is allowed.
LEASE_SECONDS = 12 * 3600


class LocalBackend:
    """Keys are paths relative to ``state_dir``."""

    kind = "local"
    lease_seconds = LEASE_SECONDS
    lease_takeover = False  # a lease that ended does not free a lock by itself: force_unlock does

    def __init__(self, state_dir):
        self.state_dir = state_dir

    def path(self, key):
        return os.path.join(self.state_dir, *checked_key(key).split("/"))

    def location(self, key=""):
        """Where a key is, for people: the file's path."""
        return self.path(key) if key else self.state_dir

    @staticmethod
    def versioning_warning():
        """Nothing to say: the local backend keeps its own copy of every journal (see restore)."""
        return None

    def principal(self):
        return None

    def _folder(self, key):
        """Create the key's folder (0700; the components below ``state_dir`` are checked for symlinks)."""
        depth = key.count("/")
        folder = os.path.dirname(self.path(key))
        if depth:
            private_dir(folder, levels=depth)
        else:
            private_dir(folder)
        return folder

    def get(self, key):
        path = self.path(key)
        if os.path.islink(path):
            raise StateFileError("%s is a symlink: refusing to follow it" % path)
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def put(self, key, data):
        self._folder(key)
        write_private(self.path(key), data)

    def create(self, key, data):
        """Write a new key; ``FileExistsError`` when it is already there."""
        self._folder(key)
        create_private(self.path(key), data)

    def append(self, key, data):
        self._folder(key)
        append_private(self.path(key), data)

    def list(self, prefix):
        """Names directly under ``prefix`` (a folder key)."""
        try:
            return sorted(os.listdir(self.path(prefix)))
        except OSError:
            return []

    def local_file(self, key):
        """A path on this machine holding the key's bytes (here: the file itself), or None."""
        path = self.path(key)
        return path if os.path.isfile(path) and not os.path.islink(path) else None

    # Locks: created whole or not at all, compared by content before they are replaced or removed.

    def lock_create(self, key, data):
        """True when the lock was created; False when one is already there."""
        path = self.path(key)
        self._folder(key)
        tmp = "%s.%d.%s.tmp" % (path, os.getpid(), os.urandom(4).hex())
        create_private(tmp, data)
        try:
            os.link(tmp, path)  # fails if the lock exists, like O_EXCL, but never leaves an empty lock
            return True
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
            return False
        finally:
            os.unlink(tmp)

    def lock_read(self, key):
        """(bytes, version) of the lock, or (None, None)."""
        data = self.get(key)
        return data, data

    def lock_replace(self, key, data, version):
        if self.get(key) != version:
            return False
        os.unlink(self.path(key))
        return self.lock_create(key, data)

    def lock_delete(self, key, version):
        if self.get(key) != version:
            return False
        os.unlink(self.path(key))
        return True

    # The journal: an append-only file and its copy (see run/journal.py).

    def journal_location(self, run_id):
        return journals.journal_path(self.state_dir, run_id)

    def run_location(self, run_id):
        return journals.run_dir(self.state_dir, run_id)

    def journal(self, run_id, create=False):
        return journals.Journal(self.journal_location(run_id), run_id, create=create)

    def events(self, run_id):
        """The run's events, its chain checked (JournalTampered when broken)."""
        return self.verified(run_id)[0]

    def verified(self, run_id):
        """(events, head, legacy) of the run's journal (see journal.verified_events)."""
        path = self.journal_location(run_id)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            data = b""
        return journals.verified_events(data, path, run_id)

    def rewritten(self, run_id, events):
        """How the journal departs from its copy, or None: the copy's events must be the journal's first ones
        (the copy may lag one event behind after a crash between the two writes)."""
        copy = journals.copy_path(self.journal_location(run_id))
        try:
            with open(copy, "rb") as handle:
                copied, head, _legacy = journals.verified_events(handle.read(), copy, run_id)
        except FileNotFoundError:
            return None
        if holds(events, head):
            return None
        return "it differs from its copy %s within the copy's %d events" % (copy, len(copied))

    def check_intact(self, run_id):
        journals.check_intact(self.journal_location(run_id))

    def restore(self, run_id):
        return journals.restore_from_copy(self.journal_location(run_id), run_id)

    def find_run(self, ref):
        return journals.find_run(self.state_dir, ref)

    def run_ids(self):
        """Every run held here, newest first (by the time its journal started)."""
        names = [n for n in self.list("runs") if journals.RUN_ID_RE.match(n)]
        started = [((journals.read_events(self.journal_location(n))[:1] or [{}])[0].get("ts") or "", n) for n in names]
        return [n for _ts, n in sorted(started, reverse=True)]
