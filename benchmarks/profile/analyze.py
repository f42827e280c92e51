"""Read what profile_run.py wrote.

    analyze.py tasks DIR...            start-up phases, then span / worker wall / worker CPU per task
    analyze.py phases DIR              inclusive timers of the pieces of run_step (phases mode)
    analyze.py marginal SMALL LARGE    one more step: (LARGE - SMALL) / (steps of LARGE - steps of SMALL), phases mode
    analyze.py prof DIR                cProfile of every fork (workers mode): time in the functions that matter
"""
import collections
import glob
import json
import pstats
import re
import sys
from pathlib import Path

RUN_STEP = "Run step"  # the role's task name for run_step batches


def _rows(path):
    path = Path(path)
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def tasks(folder):
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text())
    timer, workers = _rows(folder / "timer.jsonl"), _rows(folder / "workers.jsonl")
    wrapper = next(w for w in workers if w["event"] == "wrapper")
    forks = [w for w in workers if w["event"] == "worker"]
    first = {e["event"]: e["t"] for e in reversed(timer)}
    stats = first.get("stats", summary["end"])
    cpu = sum(w["cpu"] for w in forks)
    print("## %s: wall %.2f s; CPU %.2f s (controller %.2f, %d forks %.2f); moto CPU %.2f s; %d requests" % (
        summary["label"], summary["wall_s"], summary["cpu_tree_s"], summary["cpu_tree_s"] - cpu, len(forks), cpu,
        summary["moto_cpu_s"], summary["requests"]))
    for name, a, b in (("interpreter start", summary["launch"], wrapper["python_start"]),
                       ("import ansible.cli.playbook", wrapper["python_start"], wrapper["t"]),
                       ("CLI init, config, callbacks", wrapper["t"], first["callback_init"]),
                       ("playbook and role parse", first["playbook_start"], first["play_start"]),
                       ("tasks", first["play_start"], stats), ("after the recap, to exit", stats, summary["end"])):
        print("  %-40s %7.3f s" % (name, b - a))
    starts = [e for e in timer if e["event"] == "task_start"]
    by_task = collections.OrderedDict()
    for i, start in enumerate(starts):
        end = starts[i + 1]["t"] if i + 1 < len(starts) else stats
        mine = [w for w in forks if w["uuid"] == start["uuid"] and start["t"] <= w["t0"] <= end]
        status = [r["status"] for r in timer if r["event"] == "result" and r["uuid"] == start["uuid"]
                  and start["t"] <= r["t"] <= end]
        key = (start["action"].split(".")[-1], start["task"].split(" : ", 1)[-1][:56])
        row = by_task.setdefault(key, [0, 0.0, 0.0, 0.0, collections.Counter()])
        row[0] += 1
        row[1] += end - start["t"]
        row[2] += sum(w["t1"] - w["t0"] for w in mine)
        row[3] += sum(w["cpu"] for w in mine)
        row[4].update(status or ["include" if "include" in start["action"] else "-"])
    print("  %-22s %-56s %3s %8s %8s %8s  %s" % ("action", "task", "n", "span s", "fork s", "fork CPU", "results"))
    for (action, name), (n, span, wall, fork_cpu, status) in by_task.items():
        print("  %-22s %-56s %3d %8.3f %8.3f %8.3f  %s" % (action[:22], name, n, span, wall, fork_cpu, dict(status)))


def _phases(folder):
    total = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for row in _rows(Path(folder) / "phases.jsonl"):
        if RUN_STEP not in row["task"]:
            continue
        for name, (n, wall, cpu) in row["phases"].items():
            total[name][0] += n
            total[name][1] += wall
            total[name][2] += cpu
    return total


def phases(folder):
    for name, (n, wall, cpu) in sorted(_phases(folder).items(), key=lambda kv: -kv[1][1]):
        print("  %-56s n=%5d wall %7.3f s CPU %7.3f s" % (name, n, wall, cpu))


def _steps(folder):
    return int(re.search(r"s3(\d+)-", Path(folder).name).group(1))


def marginal(small, large):
    a, b, steps = _phases(small), _phases(large), _steps(large) - _steps(small)
    print("one more step ((%s) - (%s)) / %d" % (Path(large).name, Path(small).name, steps))
    for name in sorted(b, key=lambda k: -(b[k][1] - a.get(k, [0, 0.0, 0.0])[1])):
        n0, w0, c0 = a.get(name, [0, 0.0, 0.0])
        n1, w1, c1 = b[name]
        print("  %-56s calls %5.2f  wall %6.2f ms  CPU %6.2f ms" % (
            name, (n1 - n0) / steps, (w1 - w0) / steps * 1000, (c1 - c0) / steps * 1000))


FUNCTIONS = {
    "load_plan": ("plan/load.py", "load_plan"), "validate_document": ("plan/schema.py", "validate_document"),
    "botocore create_client": ("botocore/session.py", "create_client"),
    "service model (ours)": ("aws/service_model.py", "operation_model"),
    "establish_identity": ("guard/identity.py", "establish_identity"),
    "botocore API calls": ("botocore/client.py", "_make_api_call"),
    "fsync": ("~", "<built-in method posix.fsync>"), "Journal.append": ("run/journal.py", "append"),
    "write_report": ("run/report.py", "write_report"), "resolved_lines": ("run/resolved.py", "resolved_lines"),
    "Jinja (TemplateEngine.template)": ("ansible/_internal/_templating/_engine.py", "template"),
}


def prof(folder):
    grand = collections.defaultdict(lambda: [0.0, 0])
    for path in sorted(glob.glob(str(Path(folder) / "worker-*.prof"))):
        stats = pstats.Stats(path).stats
        for label, (suffix, function) in FUNCTIONS.items():
            for (filename, _line, name), (_cc, calls, _tt, cumulative, _callers) in stats.items():
                if name == function and (suffix == "~" or filename.endswith(suffix)):
                    grand[label][0] += cumulative
                    grand[label][1] += calls
    print("over every fork (cProfile: inflated, compare shares and counts)")
    for label, (seconds, calls) in sorted(grand.items(), key=lambda kv: -kv[1][0]):
        print("  %-34s %7.2f s %6d calls" % (label, seconds, calls))


def main(argv):
    command, folders = argv[0], argv[1:]
    if command == "tasks":
        for folder in folders:
            tasks(folder)
    elif command in ("phases", "prof"):
        globals()[command](folders[0])
    elif command == "marginal":
        marginal(*folders)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:] or ["help"])
