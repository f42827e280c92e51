# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crash trials for a wave: execute_targets.yml on 4 targets (2 at a time) is killed with SIGKILL (its whole
process tree, process group included) at a random moment after its first mutating call; then
``rollback_run.yml -e wave=<wave id>`` must return every account to its snapshot from before the wave.

The moment is drawn over the journal events a whole wave writes (from its first mutating call on), not over
wall time: most of a wave's time is Ansible's own, and a kill drawn by the clock rarely lands inside a run.

COWORKER_WAVE_CRASH_TRIALS sets the number of trials (default 1 in CI; the issue's figure is 10),
COWORKER_CRASH_SEED the seed (default: today's UTC date). Each trial prints a "WAVE-CRASH-TRIAL" line
(see it with -s): the kill moment, each target's last journal event before the kill, the recovery's time.
"""

from __future__ import annotations

import os
import random
import subprocess
import time

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.run.journal import read_events
from moto_harness import AwsEnv, ansible_bin, output_of, require_local_endpoint
from crash_support import crash, wait_until
from test_targets_wave import ACCOUNTS, ENVIRONMENTS, HUB, PLAYBOOK, parameters, write_plan
from test_wave_passes import ROLLBACK, reopen, snapshots, wave_pass

pytestmark = pytest.mark.integration

TRIALS = int(os.environ.get("COWORKER_WAVE_CRASH_TRIALS") or 1)
SEED = int(os.environ.get("COWORKER_CRASH_SEED") or time.strftime("%Y%m%d", time.gmtime()))
TARGETS = ACCOUNTS[:4]


class Wave:
    """A 4-target wave of the marker plan, started in a session of its own."""

    def __init__(self, aws_env, workdir):
        self.aws_env, self.tmp = aws_env, workdir
        aws_env.add_account_profile(HUB, "100000000000")
        (workdir / "environments.yml").write_text(ENVIRONMENTS)
        self.plan, self.digest = write_plan(workdir, TARGETS, ["us-east-1"])
        self.runs = workdir / "state" / "runs"

    def start(self) -> subprocess.Popen:
        args = [PLAYBOOK, "-e", "plan=%s" % self.plan, "-e", "approve=%s" % self.digest,
                "-e", "environments_file=%s" % (self.tmp / "environments.yml"), "-e", "state_dir=%s" % (self.tmp / "state"),
                "-e", "wave_id=w1", "-e", "concurrency=2", "-f", "4"]
        env = self.aws_env.env(profile=HUB)
        require_local_endpoint(env)
        with open(self.tmp / "wave.log", "w") as log:
            return subprocess.Popen([str(ansible_bin()), *map(str, args)], env=env, cwd=str(self.tmp), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def journals(self) -> dict:
        return {p.name: read_events(p / "journal.jsonl") for p in self.runs.iterdir()} if self.runs.is_dir() else {}

    def events(self) -> int:
        """Journal events of all targets so far."""
        return sum(len(events) for events in self.journals().values())

    def mutated(self) -> bool:
        """A mutating call was sent in some target (its call_started is journaled before it is sent)."""
        return any(e["event"] == "call_started" and e.get("mutating") for events in self.journals().values()
                   for e in events)


@pytest.fixture(scope="module")
def wave_events(moto_server, tmp_path_factory):
    """(events journaled at the first mutating call, events of a whole wave): the range a kill is drawn from."""
    moto_server.reset()
    workdir = tmp_path_factory.mktemp("wave-full")
    wave = Wave(AwsEnv(moto_server.url, workdir), workdir)
    process = wave.start()
    wait_until(wave.mutated, "the first mutating call", timeout=120)
    first = wave.events()
    assert process.wait(timeout=300) == 0, (workdir / "wave.log").read_text()
    total = wave.events()
    moto_server.reset()
    print("\nWAVE-CRASH-FULL-RUN events_at_first_mutation=%d events=%d seed=%d" % (first, total, SEED))
    return first, total


@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda n: "trial%d" % n)
def test_a_wave_killed_at_a_random_moment_is_rolled_back_in_every_account(aws_env, tmp_path, wave_events, trial):
    kill_at = random.Random("%d/wave/%d" % (SEED, trial)).randint(*wave_events)
    wave = Wave(aws_env, tmp_path)
    before = snapshots(aws_env, TARGETS)

    process = wave.start()
    wait_until(lambda: wave.events() >= kill_at and wave.mutated() or process.poll() is not None,
               "event %d of the wave" % kill_at, timeout=300)
    crash(process.pid)
    process.wait(timeout=60)

    at_kill = {run[len("w1-"):]: (events[-1]["event"] if events else "-") for run, events in wave.journals().items()}
    changed = sum(1 for a in TARGETS if parameters(aws_env, a, "us-east-1"))
    events_at_kill = wave.events()
    started = time.monotonic()
    result = reopen(aws_env, tmp_path, ROLLBACK, "-e", "wave=w1", digest=wave.digest)
    print("\nWAVE-CRASH-TRIAL seed=%d trial=%d kill_at_event=%d of %d events_at_kill=%d targets_started=%d "
          "targets_changed=%d last_events=%s rollback=%.1fs rc=%d"
          % (SEED, trial, kill_at, wave_events[1], events_at_kill, len(at_kill), changed, at_kill,
             time.monotonic() - started, result.returncode))
    assert result.returncode == 0, output_of(result) + "\n--- the killed wave ---\n" + (tmp_path / "wave.log").read_text()
    assert snapshots(aws_env, TARGETS) == before, output_of(result)
    report = wave_pass(tmp_path, "report-rollback-1")
    assert {r["target"] for r in report["rows"] if r["status"] == "rolled_back"} == set(at_kill)
    assert all(r["status"] == "not_started" for r in report["rows"] if r["target"] not in at_kill)
