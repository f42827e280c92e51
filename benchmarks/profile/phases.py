"""Inclusive timers (wall and CPU) around the pieces of a run, installed in each forked worker by wrap.py.

Nested pieces are counted in their callers too: read the table as "time spent inside", not as shares."""
import collections
import importlib
import json
import os
import time

ACC = collections.defaultdict(lambda: [0, 0.0, 0.0])
P = "ansible_collections.coworker.aws.plugins."
TARGETS = [
    # (module, attribute path, label)
    (P + "action.run_step", "precheck", "action: precheck (plan load, envs, perimeter)"),
    (P + "action.run_step", "refresh_report", "action: refresh_report after batch"),
    (P + "module_utils.run.executor", "load_plan", "load_plan (any)"),
    (P + "module_utils.run.executor", "StepBatch._verify", "batch: _verify (sigs, STS, classify, perimeter, role)"),
    (P + "module_utils.run.executor", "target_context", "  target_context (session)"),
    (P + "module_utils.run.executor", "establish_identity", "  establish_identity (STS+IAM alias)"),
    (P + "module_utils.run.executor", "list_buckets", "  ListBuckets"),
    (P + "module_utils.run.executor", "check_signatures", "  check_signatures"),
    (P + "module_utils.run.executor", "check_plan", "  check_plan (perimeter, whole plan)"),
    (P + "module_utils.run.executor", "StepBatch._execute", "batch: _execute (all steps)"),
    (P + "module_utils.run.executor", "BatchPolicies.before_batch", "batch: policies before_batch"),
    (P + "module_utils.run.executor", "BatchPolicies.before_step", "step: policies before_step"),
    (P + "module_utils.run.step_runner", "StepRunner.execute", "step: execute (total)"),
    (P + "module_utils.run.step_runner", "StepRunner.describe", "step: describe (before)"),
    (P + "module_utils.run.step_runner", "StepRunner.validate", "step: validate"),
    (P + "module_utils.run.step_runner", "StepRunner._send", "step: _send (guard + call)"),
    (P + "module_utils.run.step_runner", "StepRunner._guard", "step: perimeter _guard"),
    (P + "module_utils.run.step_runner", "StepRunner._with_bucket_owner", "step: _with_bucket_owner"),
    (P + "module_utils.run.step_runner", "StepRunner._with_token", "step: _with_token"),
    (P + "module_utils.run.step_runner", "StepRunner._with_tags", "step: _with_tags"),
    (P + "module_utils.run.step_runner", "StepRunner._cli", "step: render CLI line"),
    (P + "module_utils.run.step_runner", "StepRunner._redacted", "step: redact response"),
    (P + "module_utils.run.step_runner", "StepRunner._register", "step: register outputs"),
    (P + "module_utils.run.step_runner", "redact_request", "step: redact request"),
    (P + "module_utils.run.step_runner", "StepRunner._check_planned", "step: _check_planned"),
    (P + "module_utils.run.journal", "Journal.append", "journal append (incl. fsync)"),
    (P + "module_utils.aws.session", "AwsContext.call", "AwsContext.call (botocore+HTTP)"),
    (P + "module_utils.aws.session", "AwsContext.client", "AwsContext.client"),
    ("botocore.endpoint", "Endpoint._send", "  HTTP round trip (moto answers)"),
    ("botocore.session", "Session.create_client", "botocore create_client"),
    (P + "module_utils.aws.service_model", "service_model", "service_model load"),
    (P + "module_utils.run.backend.local", "LocalBackend.events", "backend.events (read journal)"),
    (P + "module_utils.run.journal", "run_state", "run_state"),
]


def _wrap(label, fn):
    def timed(*args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            a = ACC[label]
            a[0] += 1
            a[1] += time.perf_counter() - t
            a[2] += time.process_time() - c
    timed.__wrapped__ = fn
    return timed


def install():
    for module, path, label in TARGETS:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        owner, _, name = path.rpartition(".")
        obj = getattr(mod, owner) if owner else mod
        fn = obj.__dict__.get(name) if owner else getattr(mod, name, None)
        if fn is None or hasattr(fn, "__wrapped__"):
            continue
        if isinstance(fn, (staticmethod, classmethod)):
            continue
        setattr(obj, name, _wrap(label, fn))
    real_fsync = os.fsync
    os.fsync = _wrap("os.fsync", real_fsync)


def dump(path, task):
    if ACC:
        with open(path, "a") as f:
            f.write(json.dumps({"task": task, "phases": {k: v for k, v in ACC.items()}}) + "\n")
