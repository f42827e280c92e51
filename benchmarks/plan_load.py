# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long does loading a big approved plan take?

    .venv/bin/python benchmarks/plan_load.py            # 1000 and 10000 steps
    .venv/bin/python benchmarks/plan_load.py 500 20000  # any step counts

For each N: writes a valid, approved N-step plan (one phase per 100 steps; each step an
s3:CreateBucket with an s3:HeadBucket validate and an s3:DeleteBucket rollback, block-style
YAML as a planner writes it) to a temporary directory, then times
``load_plan(path, max_steps=None, render=False)`` - read, parse, validate against
botocore's models, digest, approval check: what the executor does - and prints the best of
3 runs; then the same plan written as JSON (which the contract allows, and which skips the
YAML parser), and the YAML plan with every call rendered as an aws CLI line (what
plan_info adds for display):

    N steps: X ms
    N steps, as JSON: Y ms
    N steps, YAML with every call rendered ...: Z ms
    N steps, guardrail policies evaluated ...: P ms

The last figure is one evaluation of the class's guardrails (the built-in rules, one user
JMESPath rule and a resource limit) over every call of the loaded plan: what happens at
"Loading plan", before the prompt and again before each batch.

No AWS call is made. Needs the collection link (bash scripts/setup.sh).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "collections"))
from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import approval_block  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import parse_document  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.guard.policies import evaluate  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.guard.policy_rules import load_guardrails  # noqa: E402

DEFAULT_STEPS = (1000, 10_000)
RUNS = 3
HEAD = """\
format: coworker.aws/plan-v1
id: bench-plan-load-{n}
name: Plan load benchmark, {n} steps
created: "2026-01-01T00:00:00Z"
target:
  environment: sandbox
  account_id: "123456789012"
  region: us-east-1
guardrail:
  status: PASS
  validated_at: "2026-01-01T00:01:00Z"
  findings: []
phases:
"""
STEP = """\
      - id: bucket_{i:05d}
        description: Create bucket {i}
        action: s3:CreateBucket
        params:
          Bucket: "bench-load-{i:05d}-${{target.account_id}}"
        validate:
          action: s3:HeadBucket
          params: {{Bucket: "bench-load-{i:05d}-${{target.account_id}}"}}
        rollback:
          - action: s3:DeleteBucket
            params: {{Bucket: "bench-load-{i:05d}-${{target.account_id}}"}}
"""


def plan_text(n: int, per_phase: int = 100) -> str:
    parts = [HEAD.format(n=n)]
    for i in range(n):
        if i % per_phase == 0:
            parts.append("  - name: Buckets %d\n    steps:\n" % (i // per_phase + 1))
        parts.append(STEP.format(i=i))
    text = "".join(parts)
    approval = approval_block(parse_document(text, "<bench>"), "bench@example.com")
    return text + "approval:\n" + "".join("  %s: \"%s\"\n" % item for item in approval.items())


def best_load_ms(path: Path, n: int, render: bool = False) -> float:
    times = []
    for _run in range(RUNS):
        start = time.perf_counter()
        loaded = load_plan(str(path), max_steps=None, render=render)
        times.append(time.perf_counter() - start)
        if len(loaded["plan"]["steps"]) != n:  # a broken load cannot produce a fast number
            raise SystemExit("loaded %d steps, wrote %d" % (len(loaded["plan"]["steps"]), n))
    return min(times) * 1000


GUARDRAILS = {"rules": [{"id": "bucket-prefix", "applies_to": ["s3:CreateBucket"],
                         "require": "starts_with(params.Bucket, 'bench-')"}],
              "max_resources": {"s3:CreateBucket": 100_000}}


def best_policy_ms(path: Path) -> float:
    loaded = load_plan(str(path), max_steps=None, render=False)
    guardrails = load_guardrails("<bench>", "guardrails", GUARDRAILS)
    times = []
    for _run in range(RUNS):
        start = time.perf_counter()
        verdicts = evaluate(loaded["plan"], guardrails, "sandbox")
        times.append(time.perf_counter() - start)
        if not any(v["rule"] == "bucket-prefix" and v["status"] == "pass" for v in verdicts):
            raise SystemExit("the user rule was not evaluated")
    return min(times) * 1000


def main(argv) -> int:
    counts = [int(arg) for arg in argv] or list(DEFAULT_STEPS)
    with tempfile.TemporaryDirectory(prefix="plan-load-") as tmp:
        for n in counts:
            path = Path(tmp) / ("plan-%d.yml" % n)
            path.write_text(plan_text(n), encoding="utf-8")
            print("%d steps: %.0f ms" % (n, best_load_ms(path, n)), flush=True)
            # the same plan as JSON (what a planning tool would emit): same digest, no YAML parser
            as_json = path.with_suffix(".json")
            as_json.write_text(json.dumps(parse_document(path.read_text(), str(path))), encoding="utf-8")
            print("%d steps, as JSON: %.0f ms" % (n, best_load_ms(as_json, n)), flush=True)
            print("%d steps, YAML with every call rendered as an aws CLI line (plan_info): %.0f ms"
                  % (n, best_load_ms(path, n, render=True)), flush=True)
            print("%d steps, guardrail policies evaluated (built-in + 1 user rule + a limit): %.0f ms"
                  % (n, best_policy_ms(path)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
