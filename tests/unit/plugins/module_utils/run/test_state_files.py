"""Private state files: 0600 files, 0700 directories, symlinks never followed."""

from __future__ import annotations

import os

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import Journal
from ansible_collections.coworker.aws.plugins.module_utils.run.lock import acquire
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import (
    check_shown, read_plan_bytes, run_plan_path, store_copy)
from ansible_collections.coworker.aws.plugins.module_utils.run.report import append_changelog, _write
from ansible_collections.coworker.aws.plugins.module_utils.run.state_files import (
    StateFileError, append_private, private_dir, write_private)
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal


def mode(path):
    return os.stat(path, follow_symlinks=False).st_mode & 0o777


def test_dirs_and_files_are_private_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        folder = private_dir(str(tmp_path / "state" / "runs" / "r1"))
        write_private(os.path.join(folder, "report.md"), b"x")
        append_private(os.path.join(folder, "journal.jsonl"), b"y\n")
    finally:
        os.umask(old)
    for path in (tmp_path / "state", tmp_path / "state" / "runs", folder):
        assert mode(path) == 0o700
    assert mode(os.path.join(folder, "report.md")) == 0o600
    assert mode(os.path.join(folder, "journal.jsonl")) == 0o600


def test_a_symlink_at_a_report_path_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "runs" / "r1" / "report.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(victim)
    _write(LocalBackend(str(tmp_path)), "runs/r1/report.md", "report")
    assert victim.read_text() == "keep"
    assert not link.is_symlink() and link.read_text() == "report" and mode(link) == 0o600


@pytest.mark.parametrize("writer", ["journal", "changelog", "append"])
def test_appends_refuse_a_symlink(tmp_path, writer):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    target = {"journal": tmp_path / "runs" / "r1" / "journal.jsonl", "changelog": tmp_path / "changelog.md",
              "append": tmp_path / "x.log"}[writer]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(victim)
    with pytest.raises(StateFileError):
        if writer == "journal":
            Journal(str(target), "r1")
        elif writer == "changelog":
            append_changelog(LocalBackend(str(tmp_path)), {
                "resources": [], "finished_at": "", "plan": {"id": "p", "name": "n", "sha256": "0" * 64},
                "run_id": "r1", "executor_arn": None, "profile": None, "account_id": "1", "environment": "sandbox",
                "region": "r", "status": "s"})
        else:
            append_private(str(target), b"z")
    assert victim.read_text() == "keep"


def test_a_symlinked_runs_directory_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "runs").symlink_to(elsewhere)
    with pytest.raises(StateFileError):
        Journal(str(tmp_path / "state" / "runs" / "r1" / "journal.jsonl"), "r1")
    assert list(elsewhere.iterdir()) == []


def test_lock_file_is_private(tmp_path):
    path = tmp_path / "locks" / "a.lock"
    acquire(LocalBackend(str(tmp_path)), "locks/a.lock", "r1", os.getpid())
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


PLAN = b'{"format": "x", "id": "p"}'


def test_plan_copy_is_the_bytes_read_and_refuses_another_digest(tmp_path):
    source = tmp_path / "plan.json"
    source.write_bytes(PLAN)
    raw, document, digest = read_plan_bytes(str(source))
    assert raw == PLAN and document["id"] == "p"
    check_shown(str(source), digest, digest)
    with pytest.raises(GuardRefusal, match="changed after it was loaded and shown"):
        check_shown(str(source), digest, "f" * 64)
    key, copy = store_copy(LocalBackend(str(tmp_path)), "r1", str(source), raw)
    assert key == "runs/r1/approved-plan.json" and copy == str(tmp_path / "runs" / "r1" / "approved-plan.json")
    assert copy.endswith("approved-plan.json") and open(copy, "rb").read() == PLAN and mode(copy) == 0o600
    with pytest.raises(GuardRefusal, match="already holds a plan"):
        store_copy(LocalBackend(str(tmp_path)), "r1", str(source), raw)


def test_a_run_with_a_copy_never_falls_back_to_the_users_file(tmp_path):
    copy = tmp_path / "approved-plan.yml"
    assert run_plan_path({"plan_path": "/user.yml"}, "/arg.yml") == "/user.yml"  # runs from before copies
    assert run_plan_path(None, "/arg.yml") == "/arg.yml"
    with pytest.raises(GuardRefusal, match="approved copy of the plan of run r1 is missing"):
        run_plan_path({"run_id": "r1", "plan_copy": str(copy), "plan_path": "/user.yml"})
    copy.write_text("x")
    assert run_plan_path({"plan_copy": str(copy), "plan_path": "/user.yml"}) == str(copy)
