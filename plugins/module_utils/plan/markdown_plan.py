# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the planner's Markdown into a plan of the plan-v1 format (docs/markdown-plans.md says how).

Each aws CLI line of a phase's Commands is a step (the comment right above it is its description);
``X=$(aws ... --query Q --output text)`` registers Q as ``x``, and ``$X``/``${X}`` later become
``${<step>.x}``; a phase's Validation commands are the validation of its last step; the ``If Phase N
fails`` blocks become the steps' rollback (markdown_rollback). The result is then checked as any plan
is (schema.validate_document), and every problem is reported with the Markdown line it comes from.
Nothing is written and nothing is called here.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from datetime import datetime, timezone

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import read_command
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_globals import (
    GlobalOptionError, read_global_options)
from ansible_collections.coworker.aws.plugins.module_utils.plan.markdown import PLACEHOLDER, parse_markdown
from ansible_collections.coworker.aws.plugins.module_utils.plan.markdown_rollback import assign_rollback
from ansible_collections.coworker.aws.plugins.module_utils.plan.schema import FORMAT, validate_document
from ansible_collections.coworker.aws.plugins.module_utils.plan.shell_words import Var, read_commands

try:
    from botocore import xform_name
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    pass

MAX_MARKDOWN_BYTES = 4 * 1024 * 1024
ACCOUNT_RE = re.compile(r"^\d{12}$")


class _Problems:
    """Problems found so far, each with its Markdown line; the conversion goes on to find them all."""

    def __init__(self, source):
        self.source, self.items = source, []

    def add(self, line, message):
        self.items.append((line, message))

    def raise_any(self):
        if self.items:
            ordered = sorted(dict.fromkeys(self.items), key=lambda item: item[0] or 0)
            raise PlanError(self.source, [("line %d" % line if line else "", message) for line, message in ordered])


def markdown_digest(data):
    return hashlib.sha256(data).hexdigest()


def read_markdown(path):
    """``(text, sha256)`` of a Markdown plan file."""
    try:
        if os.path.getsize(path) > MAX_MARKDOWN_BYTES:
            raise PlanError(path, [("", "more than %d bytes: too large to be a plan" % MAX_MARKDOWN_BYTES)])
        with open(path, "rb") as handle:
            data = handle.read()
        return data.decode("utf-8"), markdown_digest(data)
    except OSError as exc:
        raise PlanError(path, [("", "cannot read the Markdown plan: %s" % exc.strerror)]) from None
    except UnicodeDecodeError as exc:
        raise PlanError(path, [("", "not UTF-8 text: %s" % exc)]) from None


def plan_id_for(path, sha256):
    """The id (and file name) of the plan made from this Markdown: its name and the start of its digest."""
    stem = re.sub(r"[^a-z0-9._-]+", "-", os.path.splitext(os.path.basename(path))[0].lower()).strip("-._")
    return "%s-%s" % ((stem or "plan")[:100], sha256[:12])


def convert_markdown(path, account_id=None, now=None):
    """The plan document made from the Markdown at ``path`` (not approved, not written); PlanError naming
    the file and line of every problem. ``account_id`` is used when the Markdown has no ``- Account:`` line."""
    text, sha256 = read_markdown(path)
    markdown = parse_markdown(text, path)
    problems = _Problems(path)
    lines = {}
    target = _target(markdown, account_id, problems, lines)
    converter = _Steps(problems, lines)
    phases = [converter.phase(index, phase) for index, phase in enumerate(markdown.phases)]
    rollback = {number: [c for block in blocks for c in converter.rollback_commands(block, number)]
                for number, blocks in sorted(markdown.rollback.items())}
    problems.raise_any()
    assign_rollback(phases, rollback, converter.calls, problems, lines)
    problems.raise_any()
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    document = {
        "format": FORMAT, "id": plan_id_for(path, sha256), "name": markdown.title[0] or "Markdown plan",
        "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "objective": markdown.title[0],
        "target": target, "guardrail": _guardrail(markdown, lines),
        "phases": [{"name": name, "steps": steps} for name, steps in phases],
        "markdown": {"file": os.path.basename(path), "sha256": sha256},
    }
    if markdown.risk:
        document["risk"], lines["risk"] = markdown.risk
    check_converted(document, lines, path)
    return document


def check_converted(document, lines, path):
    """Validate the converted plan as any plan; each problem is reported at its Markdown line."""
    try:
        validate_document(document, path)
    except PlanError as exc:
        raise PlanError(path, [_at_line(field, message, lines) for field, message in exc.problems]) from None


def _at_line(field, message, lines):
    best = max((key for key in lines if field == key or field.startswith((key + ".", key + "["))),
               key=len, default=None)
    return ("line %d" % lines[best] if best else field, message)


def _target(markdown, account_id, problems, lines):
    given = markdown.target
    line = markdown.target_line or markdown.title[1]
    lines["target"] = line
    target = {}
    for key, field in (("environment", "environment"), ("region", "region"), ("profile", "profile"),
                       ("account", "account_id")):
        if key in given:
            value, at = given[key]
            lines["target." + field] = at
            target[field] = value.split()[0] if value.split() else ""
    if "environment" in target:
        target["environment"] = target["environment"].lower()
    if "account_id" in target:
        target["account_id"] = target["account_id"].replace("-", "")
    if account_id and target.get("account_id") and account_id != target["account_id"]:
        problems.add(lines["target.account_id"], "- Account: %s, but account_id %s was given: they must agree"
                     % (target["account_id"], account_id))
    target.setdefault("account_id", account_id)
    if not target["account_id"]:
        problems.add(line, "no account: add '- Account: <12 digits>' under '## Target', or give account_id "
                           "(approve_plan.yml -e account_id=<12 digits>)")
    for field in ("environment", "region"):
        if field not in target:
            problems.add(line, "'## Target' has no '- %s:' line" % field.capitalize())
    return {key: value for key, value in target.items() if value is not None}


def _guardrail(markdown, lines):
    """The planner's guardrail verdict as it is (a WARN stays WARN); none written is a WARN that says so."""
    guard = markdown.guardrail
    if guard["line"]:
        lines["guardrail"] = guard["line"]
    if guard["status"] is None:
        return {"status": "WARN", "findings": [{"severity": "warning", "message": "the Markdown plan carries no "
                                                "guardrail validation status (PASS, WARN or FAIL)"}]}
    default = {"PASS": "info", "WARN": "warning", "FAIL": "error"}[guard["status"]]
    return {"status": guard["status"],
            "findings": [{"severity": f["severity"] or default, "message": f["message"]} for f in guard["findings"]]}


class _Steps:
    """Steps, validations and rollback commands of the Markdown, with the variables its lines set."""

    def __init__(self, problems, lines):
        self.problems, self.lines = problems, lines
        self.bindings, self.broken, self.ids = {}, set(), set()
        self.calls = {}  # step id -> (service, operation, params) as read, for the rollback mapping
        self.phase_bindings = {}

    def phase(self, index, phase):
        self.lines["phases[%d]" % index] = phase.line
        steps = []
        for block in phase.commands:
            for command in self._read(block):
                step = self._step(command, "phases[%d].steps[%d]" % (index, len(steps)))
                if step:
                    steps.append(step)
        checks = [call for block in phase.validation for call in self._calls(block, "validation")]
        if steps and checks:
            steps[-1]["validate"] = [call for call, _line in checks]
            for number, (_call, line) in enumerate(checks):
                self.lines["phases[%d].steps[%d].validate[%d]" % (index, len(steps) - 1, number)] = line
        self.phase_bindings[phase.number] = dict(self.bindings)
        return phase.name, steps

    def rollback_commands(self, block, number):
        """``[(command, line)]`` of an ``If Phase N fails`` block, variables as they were after Phase N."""
        current, self.bindings = self.bindings, self.phase_bindings.get(number, self.bindings)
        try:
            return [(call["command"], line) for call, line in self._calls(block, "rollback")]
        finally:
            self.bindings = current

    def _read(self, block):
        errors = []
        commands = read_commands(block.text, block.line, errors)
        for error in errors:
            self.problems.add(error.line, str(error))
        return commands

    def _calls(self, block, what):
        found = []
        for command in self._read(block):
            if command.assign:
                self.problems.add(command.line, "%s=$(...) in a %s block: only a Commands line may set a "
                                                "variable" % (command.assign, what))
                continue
            words = self._plan_words(command)
            if words is not None:
                found.append(({"command": _joined(words)}, command.line))
        return found

    def _step(self, command, path):
        words = self._plan_words(command)
        if words is None:
            self.broken.add(command.assign)
            return None
        register = {}
        if command.assign:
            words, register = self._assignment(command, words)
            if words is None:
                self.broken.add(command.assign)
                return None
        text = _joined(words)
        try:
            call = read_command(text)
        except PlanError as exc:
            self.problems.add(command.line, exc.problems[0][1])
            self.broken.add(command.assign)
            return None
        step_id = self._new_id(xform_name(call.operation))
        self.calls[step_id] = (call.service, call.operation, call.params)
        self.lines[path] = command.line
        if command.assign:
            self.bindings[command.assign] = (step_id, command.assign.lower())
        step = {"id": step_id, "command": text}
        if command.comment:
            step["description"] = command.comment
        if register:
            step["register"] = register
        return step

    def _assignment(self, command, words):
        """``NAME=$(aws ... --query Q --output text)``: the command without --query/--output, and Q registered."""
        name = command.assign
        try:
            _kept, options = read_global_options(words[1:])
        except GlobalOptionError as exc:
            self.problems.add(command.line, str(exc))
            return None, None
        if options.query is None or options.output != "text":
            self.problems.add(command.line, "%s=$(aws ...): give --query '<what to keep>' --output text, as a shell "
                              "needs them to set %s to a value (it has %s)" % (
                                  name, name, "no --query" if options.query is None else
                                  "--output %s" % (options.output or "json, the default")))
            return None, None
        dropped = {i + 1 for key in ("query", "output") for start, end in options.spans[key] for i in range(start, end)}
        return [w for i, w in enumerate(words) if i not in dropped], {name.lower(): options.query}

    def _plan_words(self, command):
        words = []
        for word in command.words:
            text = self._plan_word(word, command)
            if text is None:
                return None
            words.append(text)
        placeholder = next((m.group() for w in command.words for part in w if isinstance(part, str)
                            for m in [PLACEHOLDER.search(part)] if m), None)
        if placeholder:
            self.problems.add(command.line, "unresolved placeholder %s: fill in the value (or set it with "
                                            "NAME=$(aws ...) and use $NAME)" % placeholder)
            return None
        if "..." in words:
            self.problems.add(command.line, "an elided command ('...'): the plan must give the command in full")
            return None
        return words

    def _plan_word(self, parts, command):
        """A shell word as a plan value: variables become references, a literal ``${`` is written ``$${``."""
        if len(parts) == 1 and isinstance(parts[0], Var):
            return self._reference(parts[0].name, command)
        out = []
        for part in parts:
            if isinstance(part, Var):
                if out and out[-1].endswith("$"):
                    self.problems.add(command.line, "'$' right before $%s: write the two apart" % part.name)
                    return None
                reference = self._reference(part.name, command)
                if reference is None:
                    return None
                out.append(reference)
            else:
                out.append(part.replace("${", "$${"))
        return "".join(out)

    def _reference(self, name, command):
        if name in self.bindings:
            return "${%s.%s}" % self.bindings[name]
        if name not in self.broken:
            self.problems.add(command.line, "$%s is not set by an earlier command of this plan: a variable is read "
                                            "only from %s=$(aws ... --query '...' --output text) above the line that "
                                            "uses it" % (name, name))
        return None

    def _new_id(self, base):
        step_id, number = base, 2
        while step_id in self.ids:
            step_id, number = "%s_%d" % (base, number), number + 1
        self.ids.add(step_id)
        return step_id


def _joined(words):
    return " ".join(shlex.quote(word) for word in words)
