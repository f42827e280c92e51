"""Profile runs of playbooks/execute_nonprod.yml against a local moto server (never real AWS).

    .venv/bin/python benchmarks/profile/profile_run.py OUT s3:10,s3:50,demo timing[,phases,controller,workers] [--repeat 3]

The plans, environments file, profile and approval token are benchmarks/run.py's (Bench, in bench_support.py);
`demo` is examples/plans/s3-dev-logs.yml approved with its token. For each case and mode the run goes to
OUT/r<repeat>/<case>-<mode>/ with run.log and summary.json (wall, CPU of the ansible-playbook tree,
moto's CPU, the requests moto recorded by operation), and, by mode:
  timing      timer.jsonl (task_timer callback) and workers.jsonl (each fork's wall and CPU)
  phases      phases.jsonl: inclusive timers around the pieces of a step (phases.py)
  controller  controller.prof (cProfile)          workers  worker-PID-TASK.prof per fork (cProfile)
Read them with analyze.py. See benchmarks/README.md.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "benchmarks"), str(REPO / "tests" / "integration"), str(REPO / "collections")]
import yaml  # noqa: E402
from bench_support import Bench  # noqa: E402

MODES = ("timing", "phases", "controller", "workers")


def demo_plan(where):
    path = where / "s3-dev-logs.yml"
    shutil.copy(REPO / "examples/plans/s3-dev-logs.yml", path)
    return path, yaml.safe_load(path.read_text())["approval"]["plan_sha256"]


def moto_cpu(bench):
    """CPU seconds moto's server process has used so far."""
    fields = Path("/proc/%d/stat" % bench.server.process.pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile_env(bench, folder, mode):
    env = dict(bench.env, PROFILE_WORKERS_OUT=str(folder / "workers.jsonl"), PROFILE_TIMER_OUT=str(folder / "timer.jsonl"),
               PROFILE_DIR=str(folder), ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callbacks"),
               ANSIBLE_CALLBACKS_ENABLED="task_timer")
    if mode in ("controller", "workers"):
        env["PROFILE_MODE"] = mode
    if mode == "phases":
        env["PROFILE_PHASES"] = str(folder / "phases.jsonl")
    return env


def run_case(bench, out, case, mode):
    folder = out / ("%s-%s" % (case.replace(":", ""), mode))
    folder.mkdir(parents=True, exist_ok=True)
    prefix, tmp = bench.fresh("s3", 1, folder.name)
    plan, digest = demo_plan(tmp) if case == "demo" else bench.write_plan("s3", int(case.split(":")[1]), prefix, tmp)
    args = [sys.executable, str(HERE / "wrap.py"), "playbooks/execute_nonprod.yml", "-e", f"plan={plan}",
            "-e", f"approve={digest}", "-e", f"state_dir={tmp / 'state'}"]
    moto_before = moto_cpu(bench)
    with bench.server.recording() as calls:
        start = time.time()
        with open(folder / "run.log", "w") as log:
            process = subprocess.Popen(args, env=profile_env(bench, folder, mode), cwd=REPO, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            _pid, status, usage = os.wait4(process.pid, 0)
        end = time.time()
    summary = {"label": folder.name, "rc": os.waitstatus_to_exitcode(status), "wall_s": end - start,
               "launch": start, "end": end, "cpu_tree_s": usage.ru_utime + usage.ru_stime,
               "moto_cpu_s": moto_cpu(bench) - moto_before, "loadavg": os.getloadavg(), "requests": len(calls),
               "operations": collections.Counter("%s:%s" % c.key for c in calls)}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1))
    print("%s: exit %d, wall %.2f s, CPU %.2f s, %d requests, load %.1f" % (
        folder.name, summary["rc"], summary["wall_s"], summary["cpu_tree_s"], len(calls), os.getloadavg()[0]), flush=True)
    if summary["rc"]:
        raise SystemExit("the run failed; see %s" % (folder / "run.log"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("cases", help="s3:N and/or demo, comma-separated")
    parser.add_argument("modes", help=", ".join(MODES) + " (comma-separated)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    modes = args.modes.split(",")
    if not set(modes) <= set(MODES):
        parser.error("modes: " + ", ".join(MODES))
    bench = Bench(args.out / "bench")
    try:
        for repeat in range(args.repeat):
            for case in args.cases.split(","):
                for mode in modes:
                    run_case(bench, args.out / ("r%d" % repeat), case, mode)
    finally:
        bench.stop()


if __name__ == "__main__":
    main()
