# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one plan step (or its rollback) through boto3, journaling as it goes.

A step is: resolve references, describe the resource (before), make the
call, register outputs, check ``expect``, run the waiter, validate, describe
again (after). Its rollback is in run/undo.py. Errors never escape as exceptions: each outcome is a result
dict with a classified error, so the caller can offer retry, skip or
rollback.

Every request passes the perimeter (guard/perimeter.py) right before it is
sent, in check mode too. A refusal is not an ordinary failure: it is
journaled and raised as GuardRefusal, so the batch stops and nothing more is
sent, retried or skipped.
"""

from __future__ import annotations

import time
import uuid

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.aws.run_tags import plan_view, run_tags, with_run_tags
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import render_call
from ansible_collections.coworker.aws.plugins.module_utils.aws.errors import (
    BotoCoreError, ClientError, WaiterError,
    classify_client_error, classify_other_error, explain, is_already_exists)
from ansible_collections.coworker.aws.plugins.module_utils.aws.redact import holds_secret, redact, redact_request
from ansible_collections.coworker.aws.plugins.module_utils.aws.session import (
    response_body, retry_attempts)
from ansible_collections.coworker.aws.plugins.module_utils.run.progress import Progress, silent
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import (
    ReferenceProblem, iter_strings, references_in, resolve, resolve_expression)
from ansible_collections.coworker.aws.plugins.module_utils.run import dry_run, outcome
from ansible_collections.coworker.aws.plugins.module_utils.run.drift import PastRun
from ansible_collections.coworker.aws.plugins.module_utils.run.dry_run import DryRun
from ansible_collections.coworker.aws.plugins.module_utils.run.lost_answers import LostAnswers
from ansible_collections.coworker.aws.plugins.module_utils.run.ownership import RunRecord
from ansible_collections.coworker.aws.plugins.module_utils.run.perimeter_calls import PerimeterCalls
from ansible_collections.coworker.aws.plugins.module_utils.run.sweep import Sweep
from ansible_collections.coworker.aws.plugins.module_utils.run.undo import Undo

try:
    import jmespath
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    jmespath = None

ABSENT = outcome.ABSENT
REMOVING_PREFIXES = outcome.REMOVING_PREFIXES


def _search(expression, data):
    try:
        return jmespath.search(expression, data)
    except jmespath.exceptions.JMESPathError:
        return None


class StepRunner(PerimeterCalls, LostAnswers, DryRun, Undo, Sweep):
    """Executes steps (or undoes them, run/undo.py) with one verified AwsContext and appends to one Journal."""

    def __init__(self, aws, journal, context, perimeter, check_mode=False, previous=None, plan_id=None,
                 record=None, past=None, accept_drift=False):
        self.aws = aws
        self.perimeter = perimeter
        self.journal = journal
        self.context = context
        self.check_mode = check_mode
        self.previous = previous or {}
        self.progress = Progress(silent)  # the executor sets one that prints, so waits show as they happen
        self._step_id = None
        self.plan_id = plan_id  # None: created resources get no run tags
        self.read_retries = 0  # botocore retries of this step's describe and validate calls
        self.sent_params = {}  # step id -> the request as sent (with secrets); never journaled or returned
        # what the journal says the run made and left (run/ownership.py, run/drift.py), for undoing it
        self.record = record or RunRecord(context["run"]["id"], [], [])
        self.past = past or PastRun([])
        self.accept_drift = accept_drift
        self.left_on_purpose = set()  # steps left as they are (drift, others' resources in them): never swept
        self.undone = set()  # resources this pass's rollback calls were sent for
        self.tag_search_errors = {}  # region -> why the Tagging API search failed
        self._tagged_by_region = {}
        self._described = {}

    # -- helpers -----------------------------------------------------------
    def _resolve(self, params):
        return resolve(params, self.context, placeholder=self.check_mode)

    def _expression(self, expression):
        return resolve_expression(expression, self.context, placeholder=self.check_mode)

    def _cli(self, call, params):
        return render_call(call, params, self.aws.profile)

    def _with_token(self, call, params, step_id):
        """Fill idempotency tokens ourselves, derived from run and step, so a retry reuses them."""
        shape = service_model.operation_model(call["service"], call["operation"]).input_shape
        if shape is None:
            return params
        for name, member in shape.members.items():
            if getattr(member, "metadata", {}).get("idempotencyToken") and name not in params:
                seed = "%s/%s/%s" % (self.context["run"]["id"], step_id, call["operation"])
                params = dict(params, **{name: str(uuid.uuid5(uuid.NAMESPACE_URL, seed))})
        return params

    def _with_tags(self, call, params, step):
        """Tag what the call creates with this run, plan and step, so it can be found without its id."""
        if not self.plan_id or not step["mutating"]:
            return params
        tags = run_tags(self.context["run"]["id"], self.plan_id, step["id"])
        return with_run_tags(call["service"], call["operation"], params, tags)

    def _redacted(self, call, body, secrets=None):
        """The response as it may be journaled, reported or shown: sensitive members replaced."""
        return redact(body, service_model.operation_model(call["service"], call["operation"]).output_shape, secrets,
                      call["service"])

    def _send(self, call, params, step_id=None, what="", absent_ok=False):
        """Check a call against the perimeter, make it; return (response, error_info)."""
        step_id = step_id or self._step_id
        params = self._with_bucket_owner(call, params)
        unsent = self._guard(step_id, call, params, what, absent_ok)
        if unsent:
            return None, unsent
        try:
            response = self.aws.call(call["service"], call["operation"], params, call["region"])
            self._track_buckets(call, params)
            return response, None
        except ClientError as exc:
            self._track_buckets(call, params, answered=False)
            return None, classify_client_error(exc, call["service"], call["operation"], params, self.aws.profile)
        except (BotoCoreError, ValueError) as exc:
            self._track_buckets(call, params, answered=False)
            return None, classify_other_error(exc, call["service"], call["operation"], params, self.aws.profile)

    def _read(self, call, params, step_id=None, what="", absent_ok=False):
        """A read-only call, whose botocore retries are counted for the step's report too."""
        response, error = self._send(call, params, step_id, what, absent_ok)
        self.read_retries += retry_attempts(response) if error is None else (error.get("retries") or 0)
        return response, error

    def _step_failed(self, step, result, **fields):
        self.journal.append("step_failed", step=step["id"], retries=result["retries"],
                            read_retries=self.read_retries, **fields)

    # -- state and validation ----------------------------------------------
    def _refers_to(self, params, step_id):
        return any(scope == step_id for _path, text in iter_strings(params) for scope, _name in references_in(text))

    def describe(self, step):
        """The resource as the step's first validate call sees it, ``absent`` when not found."""
        if not step["validate"]:
            return None
        call = step["validate"][0]
        if step["id"] not in self.context and self._refers_to(call["params"], step["id"]):
            return ABSENT  # named by this step's own output, so it cannot exist yet
        if self.check_mode and dry_run.withheld(call):
            return None
        try:
            params = resolve(call["params"], self.context)
        except ReferenceProblem:
            return None
        response, error = self._read(call, params, step["id"], "describe", absent_ok=True)
        if error:
            return ABSENT if error["kind"] == "not_found" else {"error": error["code"]}
        return self._redacted(call, response_body(response))

    def _validate_call(self, step_id, call, expect_absent=False):
        params = self._resolve(call["params"])
        record = {"cli": self._cli(call, params), "status": "failed", "attempts": 0, "failed_expect": []}
        waiting = dry_run.waits_for(call, self.context) if self.check_mode else []
        # never send a placeholder (the call needs outputs a dry run does not have), nor ask for credentials
        if waiting or (self.check_mode and dry_run.withheld(call)):
            record.update(status="planned", **({"waits_for": waiting} if waiting else {}))
            return record
        tries = int(call.get("retries") or 0) + 1
        for attempt in range(tries):
            if attempt:
                self.progress.note(self._step_id, "validation attempt %d of %d: %s; trying again in %s s" % (
                    attempt, tries, record.get("error") or "expect did not hold", call.get("delay") or 0))
                time.sleep(call.get("delay") or 0)
            record["attempts"] = attempt + 1
            response, error = self._read(call, params, step_id, "validate", absent_ok=expect_absent)
            if error and expect_absent and error["kind"] == "not_found":
                record.update(status="passed", absent=True, failed_expect=[])
                break
            if error:
                record.update(error=error["code"], message=error["message"], failed_expect=[])
                continue
            body = response_body(response)
            record["state"] = self._redacted(call, body)
            if call.get("query"):  # as the plan sees it: without the run's own tags
                record["shown"] = {"query": call["query"],
                                   "value": _search(call["query"], plan_view(record["state"]))}
            seen = plan_view(body)  # the plan's expectations never see the run's own tags
            record["failed_expect"] = [e for e in call["expect"] if not _search(self._expression(e), seen)]
            record.pop("error", None)
            if not record["failed_expect"]:
                record["status"] = "passed"
                break
        return record

    def validate(self, step):
        if not step["validate"]:
            return {"status": "none", "calls": []}
        if self.check_mode and step["mutating"]:
            return {"status": "not_run", "calls": [{"cli": self._cli(c, self._resolve(c["params"])),
                                                    "status": "planned"} for c in step["validate"]]}
        gone = step["call"]["operation"].startswith(REMOVING_PREFIXES)
        calls = [self._validate_call(step["id"], call, expect_absent=gone) for call in step["validate"]]
        states = [c.pop("state", None) for c in calls]
        if all(c["status"] == "planned" for c in calls):
            return {"status": "not_run", "calls": calls, "state": None}
        status = "passed" if all(c["status"] in ("passed", "planned") for c in calls) else "failed"
        self.journal.append("validation", step=step["id"], status=status, calls=calls)
        # the first validate call describes the resource: its answer is the "after" state
        first = calls[0]
        state = ABSENT if first.get("absent") else (states[0] if first["status"] == "passed" else None)
        return {"status": status, "calls": calls, "state": state}

    # -- one step ----------------------------------------------------------
    def _result(self, step):
        return {"id": step["id"], "index": step["index"], "phase": step["phase"], "status": "failed",
                "changed": False, "destructive": step["destructive"], "skippable": step["skippable"],
                "mutating": step["mutating"], "call": None, "cli": step["call"].get("cli"), "response": None,
                "outputs": {}, "expect": [], "unexpected": [], "validation": {"status": "not_run", "calls": []},
                "retries": 0, "duration_ms": 0, "before": None, "after": None, "error": None}

    def execute(self, step):
        started = time.monotonic()
        self._step_id = step["id"]
        result = self._result(step)
        self.read_retries = 0
        try:
            self._execute(step, result)
        except ReferenceProblem as exc:
            result["error"] = {"kind": "reference", "code": "Reference", "message": str(exc), "text": str(exc)}
            self._step_failed(step, result, error=result["error"])
        result["duration_ms"] = int((time.monotonic() - started) * 1000)
        result["read_retries"] = self.read_retries
        return result

    def _execute(self, step, result):
        call = step["call"]
        params = self._with_token(call, self._with_tags(call, self._resolve(call["params"]), step), step["id"])
        # the CLI line and journal show the call as approved; _send adds ExpectedBucketOwner to what is sent
        self._check_planned(step, call, self._with_bucket_owner(call, params))
        self.sent_params[step["id"]] = params  # the real values, for the lost-answer checks only
        shown = redact_request(call["service"], call["operation"], params)  # what is journaled and returned: no secrets
        result["call"] = {"service": call["service"], "operation": call["operation"], "params": shown,
                          "region": call["region"]}
        result["cli"] = self._cli(call, params)
        if self.check_mode and self._planned_only(step, call, result):
            return
        if step["mutating"]:
            result["before"] = self.describe(step)
        if self.check_mode and step["mutating"]:
            self._forecast(step, params, result)
            return
        earlier = self.previous.get(step["id"], {})
        self.journal.append("call_started", step=step["id"], phase=step["phase"], cli=result["cli"],
                            params=shown, mutating=step["mutating"], attempt_after=earlier.get("status"))
        response, error = self._send(call, params, step["id"])
        if error:
            if self._call_failed(step, result, error, earlier) and self._wait(step, result):
                self._finish(step, result)
            return
        result["retries"] = retry_attempts(response)
        body, secrets = response_body(response), set()
        result.update(response=self._redacted(call, body, secrets), changed=step["mutating"])
        if call.get("query"):  # the command's --query: what the person asked to see of the answer
            result["shown"] = {"query": call["query"],
                               "value": _search(call["query"], plan_view(result["response"]))}
        self._register(step, result, plan_view(body), secrets)
        self.journal.append("call_succeeded", step=step["id"], retries=result["retries"],
                            outputs=result["outputs"], mutating=step["mutating"])
        if result["retries"] and step["mutating"]:
            self._sweep_twins(step, result)
        if not self._wait(step, result):
            return
        self._finish(step, result)

    def _call_failed(self, step, result, error, earlier):
        """A failed call changed nothing, unless an earlier attempt of this run made the resource.

        Returns True when the step may go on: the resource exists from an earlier
        attempt of this very run (a retry, or a resume after a crash) and every
        output the step registers was journaled then, so its validation decides.
        """
        ours = bool(is_already_exists(error["code"]) and earlier.get("changed"))
        if step["mutating"] and not ours and outcome.is_ambiguous(error, result["before"]):
            return self._resolve_ambiguous(step, result, error)
        self.journal.append("call_failed", step=step["id"], error=error, mutating=step["mutating"], changed=ours)
        known = earlier.get("outputs") or {}
        if ours and set(step["register"]) <= set(known):
            result.update(changed=True, outputs=known,
                          recovered="the resource already exists from an earlier attempt of this run")
            self.context[step["id"]] = known
            return True
        if ours:
            error["hints"] = ["the resource was created by an earlier attempt of this very run, but its outputs "
                              "were not journaled; it is kept and will be rolled back with this step"]
            error["text"] = explain(error)
        result.update(error=error, retries=error["retries"], changed=ours)
        self._step_failed(step, result, error=error)
        return False

    def _register(self, step, result, body, secrets):
        outputs = {name: _search(expr, body) for name, expr in step["register"].items()}
        withheld = [n for n, v in outputs.items() if holds_secret(v, secrets)]
        for name in withheld:
            outputs[name] = None  # a secret is never registered (it would reach the journal and later requests)
        result["outputs"] = outputs
        result["unexpected"] += ["register %s: %r reads a value AWS marks sensitive; it is not registered"
                                 % (n, step["register"][n]) for n in withheld]
        result["unexpected"] += ["register %s: %r found nothing" % (n, step["register"][n])
                                 for n, v in outputs.items() if v is None and n not in withheld]
        result["expect"] = [{"expression": e, "ok": bool(_search(self._expression(e), body))}
                            for e in step["call"]["expect"]]
        result["unexpected"] += ["expect %r did not hold" % e["expression"] for e in result["expect"] if not e["ok"]]
        self.context[step["id"]] = outputs

    def _wait(self, step, result):
        wait = step["wait"]
        if not wait:
            return True
        params = resolve(wait["params"], self.context)
        config = {k: v for k, v in (("Delay", wait["delay"]), ("MaxAttempts", wait["max_attempts"])) if v}
        operation = service_model.waiter_operation(step["call"]["service"], wait["waiter"])
        waited = dict(step["call"], operation=operation)
        self._guard(step["id"], waited, self._with_bucket_owner(waited, params), "wait")
        params = self._with_bucket_owner(waited, params)
        if config:
            params = dict(params, WaiterConfig=config)
        try:
            client = self.aws.client(step["call"]["service"], step["call"]["region"])
            with self.progress.polling(client, step["id"], "waiting for %s" % wait["waiter"]):
                client.get_waiter(wait["waiter"]).wait(**params)
            return True
        except (WaiterError, ClientError, BotoCoreError) as exc:
            call = step["call"]
            result["error"] = classify_other_error(exc, call["service"], call["operation"], params,
                                                   self.aws.profile, kind="wait_failed")
            self._step_failed(step, result, error=result["error"], outputs=result["outputs"])
            return False

    def _finish(self, step, result):
        result["validation"] = self.validate(step)
        if step["mutating"]:
            state = result["validation"].pop("state", None)
            result["after"] = state if state is not None else self.describe(step)
        if result["validation"]["status"] == "failed":
            failed = [c for c in result["validation"]["calls"] if c["status"] != "passed"]
            text = "VALIDATION FAILED: %s" % "; ".join(
                "%s (%s)" % (c["cli"], c.get("error") or "expect did not hold: %s" % ", ".join(c["failed_expect"]))
                for c in failed)
            result["error"] = {"kind": "validation_failed", "code": "ValidationFailed", "message": text,
                               "text": text, "hints": []}
            self._step_failed(step, result, error=result["error"], outputs=result["outputs"],
                              before=result["before"], after=result["after"])
            return
        result["status"] = "succeeded"
        self.journal.append("step_succeeded", step=step["id"], outputs=result["outputs"], retries=result["retries"],
                            read_retries=self.read_retries,
                            validation=result["validation"]["status"], unexpected=result["unexpected"],
                            before=result["before"], after=result["after"], cli=result["cli"])
