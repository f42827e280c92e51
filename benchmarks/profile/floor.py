"""The floor: what ansible-playbook costs with one action that imports boto3 and makes the benchmark's calls.

    .venv/bin/python benchmarks/profile/floor.py [--repeat 5] [--steps 0,10,50]

N=0 makes one sts:GetCallerIdentity; N>0 makes N s3 CreateBucket+HeadBucket, as benchmarks/run.py's raw boto3
does. The playbook and its action plugin are written to a temporary directory and run with an empty
ansible.cfg against a local moto server (benchmarks/bench_support.py's Bench). Prints the best wall and CPU
(user+sys of the process tree) of each, next to raw boto3 in a fresh interpreter.
"""
import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "benchmarks"), str(REPO / "tests" / "integration"), str(REPO / "collections")]
from bench_support import RAW_CALLS, RAW_SCRIPT, Bench  # noqa: E402

ACTION = '''
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        import boto3
        session = boto3.Session()
        names = self._task.args.get("buckets") or []
        if not names:
            result["account"] = session.client("sts").get_caller_identity()["Account"]
        s3 = session.client("s3")
        for name in names:
            s3.create_bucket(Bucket=name)
            s3.head_bucket(Bucket=name)
        result["changed"] = bool(names)
        return result
'''
PLAYBOOK = '''- name: Floor
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: One action plugin task
      floor_call:
        buckets: "{{ buckets | default([]) }}"
'''


def timed(argv, env, cwd=None):
    """(wall, CPU of the process tree) of one command, which must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit("%s failed" % argv[0])
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", default="0,10,50")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coworker-floor-"))
    (work / "action_plugins").mkdir()
    (work / "action_plugins" / "floor_call.py").write_text(ACTION)
    (work / "floor.yml").write_text(PLAYBOOK)
    (work / "empty.cfg").write_text("")
    bench = Bench(work / "bench")
    env = dict(bench.env, ANSIBLE_CONFIG=str(work / "empty.cfg"))
    try:
        for steps in (int(n) for n in args.steps.split(",")):
            floor, raw = [], []
            for _repeat in range(args.repeat):
                names = ["floor-%s-%d" % (secrets.token_hex(3), i) for i in range(steps)]
                bench.server.reset()
                floor.append(timed([str(REPO / ".venv/bin/ansible-playbook"), "floor.yml", "-e",
                                    '{"buckets": %s}' % str(names).replace("'", '"')], env, cwd=work))
                bench.server.reset()
                raw.append(timed([sys.executable, "-c", RAW_SCRIPT.format(service="s3", calls=RAW_CALLS["s3"]),
                                  str(names).replace("'", '"')], bench.env))
            print("N=%d  floor: wall %.2f s, CPU %.2f s  |  raw boto3 process: wall %.2f s, CPU %.2f s  (best of %d; "
                  "load %.1f)" % (steps, min(w for w, _c in floor), min(c for _w, c in floor),
                                  min(w for w, _c in raw), min(c for _w, c in raw), args.repeat, os.getloadavg()[0]),
                  flush=True)
    finally:
        bench.stop()


if __name__ == "__main__":
    main()
