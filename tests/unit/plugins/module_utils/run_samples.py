# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A step runner with scripted AWS answers, for the run unit tests: no network, a real journal."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import OwnedBuckets
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import Perimeter
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import validate_document
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import Journal
from ansible_collections.coworker.aws.plugins.module_utils.run.step_runner import StepRunner

TARGET = {"environment": "sandbox", "account_id": "123456789012", "region": "us-east-1"}


class FakeAws:
    """Answers calls from a script and remembers them; no network."""

    profile = "sandbox-test"

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def call(self, service, operation, params, region=None):
        self.calls.append((operation, params))
        answer = self.answers.get(operation, {})
        if isinstance(answer, list):  # one answer per call, in order
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer, ResponseMetadata={"RetryAttempts": 0})


def not_found(operation):
    return ClientError({"Error": {"Code": "InvalidGroup.NotFound", "Message": "gone"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


def plan_steps(steps):
    """The steps of a one-phase plan, validated and numbered as load_plan does."""
    doc = {"format": "coworker.aws/plan-v1", "id": "p", "name": "n", "created": "2026-11-24T00:00:00Z",
           "target": TARGET, "guardrail": {"status": "PASS"}, "phases": [{"name": "one", "steps": steps}]}
    normalised = validate_document(doc, "plan.yml")["steps"]
    for index, step in enumerate(normalised, start=1):
        step["index"] = index
    return normalised


def plan_step(step):
    return plan_steps([step])[0]


def runner(tmp_path, aws, check_mode=False, run_id="run-1", buckets=(), allow=()):
    """A StepRunner whose perimeter knows the target account to own ``buckets`` and allows the ``allow``
    operations (the class's ``allow_operations``)."""
    journal = Journal(str(tmp_path / "journal.jsonl"), run_id)
    context = {"target": dict(TARGET), "run": {"id": run_id}}
    perimeter = Perimeter(TARGET["account_id"], lambda region: True, allowed_operations=allow,
                          owned_buckets=OwnedBuckets(lambda: list(buckets)))
    return StepRunner(aws, journal, context, perimeter, check_mode=check_mode), journal
