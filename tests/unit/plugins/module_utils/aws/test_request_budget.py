"""aws/request_budget.py: calls to one account spaced 1/rate apart, across threads and processes."""

from __future__ import annotations

import multiprocessing
import os
import stat
import tempfile
import threading

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws import request_budget
from ansible_collections.coworker.aws.plugins.module_utils.aws.request_budget import RequestBudget, user_folder
from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError


def test_each_call_takes_the_next_free_slot(tmp_path):
    now, slept = [100.0], []
    budget = RequestBudget("123456789012", 4, folder=str(tmp_path), clock=lambda: now[0], sleep=slept.append)
    assert [budget.take() for _call in range(3)] == pytest.approx([100.0, 100.25, 100.5])
    assert slept == pytest.approx([0.25, 0.5])  # the first goes at once, then one every 1/4 s
    now[0] = 200.0  # long after: nothing to wait for
    assert budget.take() == 200.0 and len(slept) == 2


def test_accounts_have_budgets_of_their_own(tmp_path):
    slept = []
    for account in ("111111111111", "222222222222"):
        RequestBudget(account, 1, folder=str(tmp_path), sleep=slept.append).take()
    assert slept == []


def _take_many(folder, count, out):
    budget = RequestBudget("123456789012", 20, folder=folder)
    for _call in range(count):
        out.put(budget.take())


def test_threads_and_processes_share_one_budget(tmp_path):
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_take_many, args=(str(tmp_path), 5, out)) for _worker in range(2)]
    workers += [threading.Thread(target=_take_many, args=(str(tmp_path), 5, out)) for _worker in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    slots = sorted(out.get() for _slot in range(20))
    # 20 calls at 20 a second from four takers: each its own slot, 1/20 s after the one before at least
    assert min(b - a for a, b in zip(slots, slots[1:])) >= 0.05 - 1e-6


def test_a_rate_is_positive(tmp_path):
    with pytest.raises(ValueError):
        RequestBudget("123456789012", 0, folder=str(tmp_path))


# -- the folder: one per OS user, refused when someone else could write in it


@pytest.fixture
def tmpdir_here(tmp_path, monkeypatch):
    """The temporary directory is tmp_path (as TMPDIR would make it)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_each_user_has_a_folder_of_their_own(tmpdir_here, monkeypatch):
    assert user_folder() == str(tmpdir_here / ("coworker-aws-request-budget-%d" % os.getuid()))
    folders = set()
    for uid in (1001, 1002):
        monkeypatch.setattr(request_budget.os, "getuid", lambda uid=uid: uid)
        folders.add(user_folder())
    assert folders == {str(tmpdir_here / "coworker-aws-request-budget-1001"),
                       str(tmpdir_here / "coworker-aws-request-budget-1002")}


def test_the_default_folder_is_made_private_and_used(tmpdir_here):
    slept = []
    budget = RequestBudget("123456789012", 1, sleep=slept.append)
    budget.take()
    budget.take()
    folder = tmpdir_here / ("coworker-aws-request-budget-%d" % os.getuid())
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
    assert os.listdir(folder) == ["123456789012"] and len(slept) == 1
    assert RequestBudget("123456789012", 1).path == budget.path  # the next run of this user shares it


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_folder_others_may_write_is_refused(tmpdir_here, mode):
    folder = tmpdir_here / ("coworker-aws-request-budget-%d" % os.getuid())
    folder.mkdir()
    os.chmod(folder, mode)  # pre-created by someone who wants to rewrite the slots
    with pytest.raises(ConfigError) as refused:
        RequestBudget("123456789012", 5)
    assert str(refused.value).startswith("%s: the request budget's folder may be written by its group or others "
                                         "(mode %04o, 0700 expected)" % (folder, mode))
    assert "set TMPDIR to a directory of your own" in str(refused.value)
    assert os.listdir(folder) == []  # no slot file was made there


def test_a_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "budget"
    folder.mkdir(mode=0o700)
    owner = os.getuid()
    monkeypatch.setattr(request_budget.os, "getuid", lambda: owner + 1)  # as the other user sees it
    with pytest.raises(ConfigError, match=r"^%s: the request budget's folder belongs to uid %d, not to you \(uid %d\)"
                       % (folder, owner, owner + 1)):
        RequestBudget("123456789012", 5, folder=str(folder))
    assert os.listdir(folder) == []


def test_a_link_in_place_of_the_folder_is_refused(tmpdir_here):
    target = tmpdir_here / "elsewhere"
    target.mkdir(mode=0o700)
    (tmpdir_here / ("coworker-aws-request-budget-%d" % os.getuid())).symlink_to(target)
    with pytest.raises(ConfigError, match="is not a directory"):
        RequestBudget("123456789012", 5)
    assert os.listdir(target) == []
