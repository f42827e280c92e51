"""The lock keeper, with real forks as ansible-playbook makes them (in a process of its own: the keeper
registers fork hooks and starts a thread in the process that imports it first)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import COLLECTIONS_DIR

SCRIPT = textwrap.dedent("""
    import multiprocessing, os
    from ansible_collections.coworker.aws.plugins.plugin_utils import lock_keeper
    from ansible_collections.coworker.aws.plugins.module_utils.run import heads
    from ansible_collections.coworker.aws.plugins.module_utils.run.chain import Head

    FORK = multiprocessing.get_context("fork")
    WHERE = "s3://state/runs/r/journal.jsonl"

    def worker_writes(count):
        assert lock_keeper.available()
        for n in range(1, count + 1):  # many more messages than a pipe holds: the keeper's thread reads them
            heads.remember(WHERE, Head(n - 1, "%064x" % (n - 1)), Head(n, "%064x" % n))
            heads.remember(WHERE, Head(n, "%064x" % n))

    def worker_reports(queue):
        grandchild = FORK.Process(target=lambda: os._exit(0 if not lock_keeper.available() else 3))
        grandchild.start()
        grandchild.join()
        queue.put((heads.known(WHERE), lock_keeper.available(), grandchild.exitcode))

    assert heads.known(WHERE) is None and not lock_keeper.available()
    writer = FORK.Process(target=worker_writes, args=(2000,))
    writer.start()
    writer.join(60)
    assert writer.exitcode == 0, writer.exitcode
    queue = FORK.SimpleQueue()
    reader = FORK.Process(target=worker_reports, args=(queue,))
    reader.start()
    known, available, grandchild = queue.get()
    reader.join(60)
    print(known, available, grandchild)
    assert known == (Head(2000, "%064x" % 2000),), known
    assert available and grandchild == 0
    print("OK")
""")


def test_what_a_worker_wrote_reaches_the_next_worker_through_the_process_that_forks_them():
    done = subprocess.run([sys.executable, "-c", SCRIPT], env={"PYTHONPATH": str(COLLECTIONS_DIR)},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.endswith("OK\n"), done.stdout + done.stderr


AT_EXIT = textwrap.dedent("""
    import multiprocessing.util, os, sys, time  # as in ansible-playbook: its exit handler registered first
    from ansible_collections.coworker.aws.plugins.plugin_utils import lock_keeper

    def worker():  # stopped by Ctrl-C, it still journals the steps that were in flight
        time.sleep(1)
        open(sys.argv[1], "w").close()

    lock_keeper._KEEPER.heartbeat.release_all = lambda: print("given back after the worker:", os.path.exists(sys.argv[1]))
    multiprocessing.get_context("fork").Process(target=worker).start()
    sys.exit(99)  # as ansible-playbook ends after Ctrl-C
""")


def test_the_locks_are_given_back_at_exit_only_once_the_workers_have_ended(tmp_path):
    done = subprocess.run([sys.executable, "-c", AT_EXIT, str(tmp_path / "journaled")],
                          env={"PYTHONPATH": str(COLLECTIONS_DIR)}, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 99 and done.stdout == "given back after the worker: True\n", done.stdout + done.stderr
