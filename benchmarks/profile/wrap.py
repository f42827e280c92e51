"""Run ansible-playbook in this interpreter, with optional profiling of the controller and its forks.

    python benchmarks/profile/wrap.py <ansible-playbook arguments>

PROFILE_WORKERS_OUT  JSON lines: one per forked worker (task, wall start/end, CPU of the worker)
PROFILE_MODE         controller | workers: cProfile dumps into PROFILE_DIR (controller.prof, worker-PID-TASK.prof)
PROFILE_PHASES       a file: inclusive timers around the pieces of a step (phases.py), one JSON line per worker
"""
import json
import os
import resource
import sys
import time

PYTHON_START = time.time()
HERE = os.path.dirname(os.path.abspath(__file__))


def _worker_name(task):
    return "".join(ch if ch.isalnum() else "_" for ch in task.get_name())[:60]


def _timed(original, mode, out, prof_dir):
    """WorkerProcess._run, measured (a forked child's CPU counters start at zero)."""
    phases_out = os.environ.get("PROFILE_PHASES")

    def run(self):
        start = time.time()
        profiler = None
        if phases_out:
            sys.path.insert(0, HERE)
            import phases
            phases.install()
        if mode == "workers":
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        try:
            return original(self)
        finally:
            if profiler:
                profiler.disable()
                profiler.dump_stats(os.path.join(prof_dir, "worker-%d-%s.prof" % (os.getpid(), _worker_name(self._task))))
            if phases_out:
                phases.dump(phases_out, self._task.get_name())
            usage = resource.getrusage(resource.RUSAGE_SELF)
            if out:
                with open(out, "a") as handle:
                    handle.write(json.dumps({"event": "worker", "task": self._task.get_name(), "uuid": self._task._uuid,
                                             "action": self._task.action, "t0": start, "t1": time.time(),
                                             "cpu": usage.ru_utime + usage.ru_stime}) + "\n")
    return run


def main():
    out = os.environ.get("PROFILE_WORKERS_OUT")
    mode = os.environ.get("PROFILE_MODE", "")
    prof_dir = os.environ.get("PROFILE_DIR", ".")
    before = time.time()
    from ansible.cli.playbook import main as playbook_main
    from ansible.executor.process import worker
    if out:
        with open(out, "a") as handle:
            handle.write(json.dumps({"event": "wrapper", "python_start": PYTHON_START,
                                     "import_cli_s": time.time() - before, "t": time.time()}) + "\n")
    worker.WorkerProcess._run = _timed(worker.WorkerProcess._run, mode, out, prof_dir)
    sys.argv[0] = "ansible-playbook"
    if mode != "controller":
        return playbook_main()
    import cProfile
    profiler = cProfile.Profile()
    try:
        return profiler.runcall(playbook_main)
    finally:
        profiler.dump_stats(os.path.join(prof_dir, "controller.prof"))


if __name__ == "__main__":
    sys.exit(main())
