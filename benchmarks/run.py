"""How close does a plan run by this collection come to the speed of raw boto3?

    .venv/bin/python benchmarks/run.py [--steps 10,50,200] [--kind s3,ec2] [--skip-cli] [--repeat 1]
    .venv/bin/python benchmarks/run.py --steps 50 --kind s3 --skip-cli --state-backend local,s3
    .venv/bin/python benchmarks/run.py --steps 12 --kind s3 --concurrency 1,4,10 --latency 100

Starts its own moto server on 127.0.0.1 (never real AWS), then for every kind and step
count runs the same N create+validate steps through: our playbook, raw boto3 in one
process, the aws CLI (one process per call), our playbook in --check mode, and a full
rollback. moto is reset between runs and every real run is checked (N resources after
the run, none after the rollback), so a broken run cannot produce a fast number.
Results: a table on stdout and benchmarks/results/latest.json. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from bench_support import REPO, Bench, plan_load

RSS_METHOD = ("ru_maxrss from os.wait4() on the ansible-playbook process: the largest single "
              "process of its tree (controller, forked worker or module), not their sum")


def derive(row: dict) -> dict:
    n, ours = row["steps"], row["ours_s"]
    row["ours_ms_per_step"] = ours / n * 1000
    row["ours_over_boto3"] = ours / row["boto3_s"]
    row["ours_over_boto3_import"] = ours / row["boto3_import_s"]
    row["overhead_s"] = ours - row["boto3_s"]
    row["overhead_ms_per_step"] = row["overhead_s"] / n * 1000
    if "cli_s" in row:
        row["cli_over_ours"] = row["cli_s"] / ours
    return row


def fmt(value, spec=".2f", suffix=""):
    return "-" if value is None else f"{value:{spec}}{suffix}"


def print_tables(rows: list, growth: dict, load: dict) -> None:
    print("\nWall time (s). ours = playbooks/execute_nonprod.yml; boto3 = client + calls; "
          "+import adds `import boto3`; CLI = one aws process per call (* extrapolated)")
    print(f"{'kind':4} {'N':>4} {'ours':>7} {'ms/step':>8} {'--check':>8} {'rollback':>8} "
          f"{'boto3':>7} {'+import':>8} {'aws CLI':>9}")
    for r in rows:
        star = "*" if r.get("cli_extrapolated_from_calls") else ""
        print(f"{r['kind']:4} {r['steps']:>4} {r['ours_s']:>7.2f} {r['ours_ms_per_step']:>8.1f} "
              f"{r['check_s']:>8.2f} {r['rollback_s']:>8.2f} {r['boto3_s']:>7.2f} "
              f"{r['boto3_import_s']:>8.2f} {fmt(r.get('cli_s'), '8.2f', star):>9}")
    print(f"\n{'kind':4} {'N':>4} {'CLI/ours':>9} {'ours/boto3':>11} {'ours/(b3+imp)':>14} "
          f"{'overhead s':>11} {'ovh ms/step':>12} {'peak RSS MiB':>13}")
    for r in rows:
        print(f"{r['kind']:4} {r['steps']:>4} {fmt(r.get('cli_over_ours'), '.1f', 'x'):>9} "
              f"{r['ours_over_boto3']:>10.1f}x {r['ours_over_boto3_import']:>13.1f}x "
              f"{r['overhead_s']:>11.2f} {r['overhead_ms_per_step']:>12.1f} {r['peak_rss_mib']:>13.0f}")
    for kind, g in growth.items():
        print(f"\nGrowth {kind} N={g['large']}/N={g['small']}: wall x{g['wall_ratio']:.2f} "
              f"(linear = x{g['large'] / g['small']:.0f}), per step x{g['per_step_ratio']:.2f} "
              f"(1.00 = linear); one more step costs {g['marginal_ms_per_step']['ours']:.0f} ms "
              f"(boto3: {g['marginal_ms_per_step']['boto3']:.0f} ms)", end="")
    print(f"\n\nPeak RSS: {RSS_METHOD}.")
    print("Load average now (1/5/15 min): %.2f %.2f %.2f on %d CPUs; fastest of %d run(s) for "
          "ours/boto3, one for the CLI: a busy machine makes every number noisy."
          % (*os.getloadavg(), os.cpu_count(), rows[0]["repeat"] if rows else 1))
    print(f"Plan load+validation, load_plan(path, max_steps=None), {load['steps']:,} steps: "
          f"{load['seconds']:.2f} s = {load['seconds'] / load['steps'] * 1e6:.0f} us/step "
          f"({load['source']})")


def growth_of(rows: list) -> dict:
    growth = {}
    for kind in dict.fromkeys(r["kind"] for r in rows):
        by_n = {r["steps"]: r for r in rows if r["kind"] == kind}
        small, large = (50, 200) if {50, 200} <= set(by_n) else (min(by_n), max(by_n))
        if small == large:
            continue
        lo, hi = by_n[small], by_n[large]
        growth[kind] = {"small": small, "large": large, "wall_ratio": hi["ours_s"] / lo["ours_s"],
                        "per_step_ratio": hi["ours_ms_per_step"] / lo["ours_ms_per_step"],
                        # the cost of one more step, fixed start-up costs excluded
                        "marginal_ms_per_step": {what: (hi[f"{what}_s"] - lo[f"{what}_s"])
                                                 / (large - small) * 1000
                                                 for what in ("ours", "boto3")}}
    return growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--steps", default="10,50,200", help="comma-separated step counts")
    parser.add_argument("--kind", default="s3,ec2", help="s3, ec2 or both")
    parser.add_argument("--skip-cli", action="store_true", help="do not time the aws CLI")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run playbook and boto3 measurements R times, keep the fastest")
    parser.add_argument("--state-backend", default="",
                        help="local,s3: only compare real runs with their state on these backends")
    parser.add_argument("--concurrency", default="",
                        help="1,4,10: only compare real runs with these max_concurrency values")
    parser.add_argument("--latency", type=float, default=100.0,
                        help="with --concurrency: milliseconds every request waits in front of moto")
    args = parser.parse_args()
    counts = [int(n) for n in args.steps.split(",")]
    kinds = [k for k in args.kind.split(",") if k]
    if not set(kinds) <= {"s3", "ec2"}:
        parser.error("--kind takes s3 and/or ec2")
    if not (REPO / "collections" / "ansible_collections" / "coworker" / "aws").exists():
        raise SystemExit("run `bash scripts/setup.sh` first (it links the collection)")

    bench = Bench(Path(tempfile.mkdtemp(prefix="coworker-bench-")))
    if args.state_backend:
        return compare_backends(bench, kinds, counts, args.state_backend.split(","), args.repeat)
    if args.concurrency:
        limits = [int(n) for n in args.concurrency.split(",")]
        return compare_concurrency(bench, kinds, counts, limits, args.latency, args.repeat)
    rows = []
    try:
        for kind in kinds:
            for n in counts:
                print(f"{kind} x{n}: playbook, rollback, --check, boto3"
                      f"{'' if args.skip_cli else ', aws CLI'} ...", flush=True)
                runs = [{**bench.ours(kind, n), **bench.raw_boto3(kind, n)}
                        for _repeat in range(args.repeat)]
                row = {"kind": kind, "steps": n, "repeat": args.repeat,
                       **{key: min(run[key] for run in runs) for key in runs[0]}}
                if not args.skip_cli:
                    row.update(bench.aws_cli(kind, n))
                rows.append(derive(row))
        load = plan_load(bench)
    finally:
        bench.stop()

    growth = growth_of(rows)
    print_tables(rows, growth, load)
    results = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "python": platform.python_version(), "cpus": os.cpu_count(),
               "load_average": os.getloadavg(), "peak_rss_method": RSS_METHOD,
               "runs": rows, "growth": growth, "plan_load": load, "workdir": str(bench.workdir)}
    out = REPO / "benchmarks" / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Results: {out.relative_to(REPO)} (logs and plans under {bench.workdir})")


def compare_backends(bench: Bench, kinds: list, counts: list, backends: list, repeat: int) -> None:
    """The same plan run with its state on each backend, in one process, moto counting requests."""
    if not set(backends) <= {"local", "s3"}:
        raise SystemExit("--state-backend takes local and/or s3")
    rows = fastest_runs(bench, repeat, "wall_s", [
        (f"{kind} x{n} on the {backend} state backend", lambda kind=kind, n=n, backend=backend: bench.ours_on(
            backend, kind, n)) for kind in kinds for n in counts for backend in backends])
    print(f"\n{'kind':4} {'N':>4} {'backend':>7} {'wall s':>7} {'ms/step':>8} {'state req':>9} {'req/step':>8} "
          f"{'target req':>10}")
    for r in rows:
        print(f"{r['kind']:4} {r['steps']:>4} {r['backend']:>7} {r['wall_s']:>7.2f} {r['ms_per_step']:>8.1f} "
              f"{r['state_requests']:>9} {r['state_requests_per_step']:>8.1f} {r['target_requests']:>10}")
        if r["state_operations"]:
            print("     state requests by operation: " + ", ".join(
                f"{op} {count}" for op, count in sorted(r["state_operations"].items())))
    save_rows("state-backends.json", rows, repeat, "moto records every request in both runs.")


def fastest_runs(bench: Bench, repeat: int, key: str, cases: list) -> list:
    """For each (label, measure) case, the fastest of ``repeat`` measurements by ``key``; the bench stops after."""
    rows = []
    try:
        for label, measure in cases:
            print(f"{label} ...", flush=True)
            rows.append(min((measure() for _repeat in range(repeat)), key=lambda run: run[key]))
    finally:
        bench.stop()
    return rows


def save_rows(name: str, rows: list, repeat: int, note: str) -> None:
    """The load line under a table, and the rows in benchmarks/results/<name>."""
    print("Load average now (1/5/15 min): %.2f %.2f %.2f on %d CPUs; fastest of %d run(s); %s"
          % (*os.getloadavg(), os.cpu_count(), repeat, note))
    out = REPO / "benchmarks" / "results" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": rows,
                               "load_average": os.getloadavg(), "cpus": os.cpu_count()}, indent=2) + "\n")
    print(f"Results: {out.relative_to(REPO)}")


def compare_concurrency(bench: Bench, kinds: list, counts: list, limits: list, latency: float, repeat: int) -> None:
    """The same plan of independent steps run with each max_concurrency, behind the same latency."""
    rows = fastest_runs(bench, repeat, "phase_s", [
        (f"{kind} x{n}, max_concurrency {limit}, {latency:.0f} ms a request",
         lambda kind=kind, n=n, limit=limit: bench.concurrent(kind, n, limit, latency))
        for kind in kinds for n in counts for limit in limits])
    print(f"\n{'kind':4} {'N':>4} {'at once':>7} {'phase s':>8} {'wall s':>7} {'requests':>8} {'phase speed-up':>14}")
    for r in rows:
        first = next(x for x in rows if x["kind"] == r["kind"] and x["steps"] == r["steps"])
        print(f"{r['kind']:4} {r['steps']:>4} {r['max_concurrency']:>7} {r['phase_s']:>8.2f} {r['wall_s']:>7.2f} "
              f"{r['requests']:>8} {first['phase_s'] / r['phase_s']:>13.1f}x")
    save_rows("concurrency.json", rows, repeat, "speed-up against the first max_concurrency of the row's plan.")


if __name__ == "__main__":
    main()
