# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan a run executes is the copy it took when it started, not the user's file.

``run_journal op=start`` reads the plan file once, checks that its digest is the
one shown to the person (``plan_info``), and writes those very bytes into the
run directory. Every later task of the run (each ``run_step`` batch, ``finish``,
a resume or a rollback) reads that copy, so replacing the user's file after
approval changes nothing that runs.
"""

from __future__ import annotations

import os

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import MAX_PLAN_BYTES, parse_document

COPY_NAME = "approved-plan"


def read_plan_bytes(path):
    """The plan file's bytes, its document and their digest, read exactly once."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise PlanError(path, [("", "cannot read plan file: %s" % exc.strerror)]) from None
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanError(path, [("", "file is more than the %d bytes allowed" % MAX_PLAN_BYTES)])
    try:
        document = parse_document(raw.decode("utf-8"), path)
    except UnicodeDecodeError as exc:
        raise PlanError(path, [("", "not UTF-8 text: %s" % exc)]) from None
    return raw, document, plan_digest(document)


def check_shown(source, digest, shown_digest):
    """``shown_digest`` is what plan_info showed the person; a file that has changed since is refused."""
    if shown_digest and digest != shown_digest:
        raise GuardRefusal("refused: the plan file %s changed after it was loaded and shown (digest now %s, "
                           "shown %s); nothing was changed" % (source, digest[:12], shown_digest[:12]))


def store_copy(backend, run_id, source, raw, folder=None):
    """Write the plan bytes beside the run's journal (or in ``folder``, a wave's folder key), never over an
    existing copy; return (key, location)."""
    suffix = ".json" if source.endswith(".json") else ".yml"  # the parser tells JSON by its suffix
    folder = folder or "runs/%s/" % run_id
    key = folder + COPY_NAME + suffix
    try:
        backend.create(key, raw)
    except FileExistsError:
        what = ("wave folder %s" % backend.location(folder.rstrip("/"))) if run_id is None else (
            "run folder %s" % backend.run_location(run_id))
        raise GuardRefusal("%s already holds a plan: start a new %s" % (what, "run" if run_id else "wave")) from None
    return key, backend.location(key)


def run_plan_path(started, fallback=None, backend=None):
    """The plan file a run must read: its copy (required once the run has one), else ``fallback``.

    A copy in a shared backend is fetched into a private file on this machine; its digest is
    checked against the run's by whoever loads it (run_journal open, run_step).
    """
    started = started or {}
    key = started.get("plan_copy_key")
    if key and backend is not None:
        path = backend.local_file(key)
        if path is None:
            raise GuardRefusal("the approved copy of the plan of run %s is missing (%s): refused, nothing was "
                               "changed" % (started.get("run_id"), backend.location(key)))
        return path
    copy = started.get("plan_copy")
    if copy:
        if not os.path.isfile(copy) or os.path.islink(copy):
            raise GuardRefusal("the approved copy of the plan of run %s is missing (%s): refused, nothing was "
                               "changed" % (started.get("run_id"), copy))
        return copy
    return started.get("plan_path") or fallback
