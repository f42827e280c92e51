"""aws/request_budget.py: calls to one account spaced 1/rate apart, across threads and processes."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.aws.request_budget import RequestBudget


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
