# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The structure of a plan as the planner (/aws-coworker-plan-interaction) writes it in Markdown.

Read: ``# Plan: <objective>``; ``## Target`` with ``- Environment:``, ``- Profile:``, ``- Region:`` and
``- Account:`` lines; ``### Phase N: <name>`` sections whose ``**Commands:**`` (or ``**Commands/Actions:**``)
and ``**Validation:**`` are followed by fenced bash blocks or carry inline ``aws ...`` code; ``## Rollback
Procedure`` with ``### If Phase N fails:`` blocks; the guardrail status and findings (``**Status**: WARN``,
``### Findings``) and the risk level. Everything else is prose and ignored. Each piece keeps its line
number, so that every later problem names the line of the Markdown it comes from.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_LABEL = re.compile(r"^\s*(?:[-*]\s+)?\*\*([^*]+?)\*\*\s*:?\s*(.*)$")
_PHASE = re.compile(r"^phase\s+(\d+)\s*[:.\-\u2013\u2014]?\s*(.*)$", re.I)
_ROLLBACK_PHASE = re.compile(r"^if\s+phase\s+(\d+)\s+fails\s*:?\s*$", re.I)
_TARGET_LINE = re.compile(r"^\s*[-*]\s+(?:\*\*)?([A-Za-z ]+?)(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.*?)\s*$")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_AWS_LINE = re.compile(r"(?m)^\s*(?:[A-Za-z_]\w*=\"?\$\(\s*)?aws\s")
_STATUS = re.compile(r"(?i)\bstatus\b[*_\s]*:?[*_\s]*(PASS|WARN|FAIL)\b")
_GUARDRAIL_LINE = re.compile(r"(?i)\bguardrail(?: validation)?(?: status)?[*_\s]*:[*_\s]*(PASS|WARN|FAIL)\b")
_RISK = re.compile(r"(?i)\brisk(?: level)?\b[*_\s]*:[*_\s]*(low|medium|high)\b")
_CARRIED = re.compile(r"(?i)\b(risk(?: level)?|guardrail validation)\b[*_\s]*:")
# What the planner's template leaves unfilled: {vpc-id}, {PASS|WARN|FAIL}, <security-group-id>, vpc-xxxxxxxx.
PLACEHOLDER = re.compile(r"(?<!\$)\{[A-Za-z][A-Za-z0-9 _/|.-]*\}|<[A-Za-z][A-Za-z0-9 _/-]*>|\b[a-z]+-x{6,}\b")
_SEVERITY = re.compile(r"(?i)^\s*(?:\*\*|\[)?(critical|high|medium|low|info|warning|warn|error|note)(?:\*\*|\])?\s*[:\-]"
                       r"\s*(.+)$")
COMMAND_LABELS = ("commands", "commands/actions", "command", "actions/commands")
VALIDATION_LABELS = ("validation", "validation commands", "verify")
SHELL_LANGUAGES = ("", "bash", "sh", "shell", "zsh", "console")
NO_FINDINGS = ("none", "no findings", "n/a", "-", "no issues", "none.")


class Block:
    """Commands or validation of a phase, or one ``If Phase N fails`` block: ``text`` starts at ``line``."""

    __slots__ = ("text", "line")

    def __init__(self, text, line):
        self.text, self.line = text, line


class Phase:
    __slots__ = ("number", "name", "line", "commands", "validation")

    def __init__(self, number, name, line):
        self.number, self.name, self.line = number, name, line
        self.commands, self.validation = [], []


class MarkdownPlan:
    """What a planner's Markdown says, each piece with its line: ``title`` and ``risk`` as ``(text, line)``,
    ``target`` as ``{key: (value, line)}``, ``guardrail`` as ``{status, findings, line}``, ``phases`` in
    order, ``rollback`` as ``{phase number: [Block]}``."""

    def __init__(self):
        self.title = self.risk = None
        self.target, self.phases, self.rollback = {}, [], {}
        self.target_line = None
        self.guardrail = {"status": None, "findings": [], "line": None}


def parse_markdown(text, source):
    """Read the planner's Markdown; a PlanError names the file and line of a structural problem."""
    return _Parser(text.splitlines(), source).parse()


class _Parser:
    def __init__(self, lines, source):
        self.lines, self.source = lines, source
        self.plan = MarkdownPlan()
        self.section = self.subsection = None  # the current ## and ### heading texts (lower case)
        self.phase = None
        self.rollback_phase = None
        self.label = None

    def fail(self, line, message):
        raise PlanError(self.source, [("line %d" % line, message)])

    def parse(self):
        index = 0
        while index < len(self.lines):
            line = self.lines[index]
            fence = _FENCE.match(line)
            if fence:
                index = self._fenced(index, fence)
                continue
            heading = _HEADING.match(line)
            if heading:
                self._heading(len(heading.group(1)), heading.group(2).strip(), index + 1)
            else:
                self._text(line, index + 1)
            index += 1
        self._check()
        return self.plan

    def _fenced(self, index, fence):
        marker, language = fence.group(1), fence.group(2).lower()
        end = index + 1
        while end < len(self.lines) and not self.lines[end].strip().startswith(marker[0] * len(marker)):
            end += 1
        if end >= len(self.lines):
            self.fail(index + 1, "this code block is never closed (%s)" % marker)
        self._block("\n".join(self.lines[index + 1:end]), index + 2, language, index + 1)
        return end + 1

    # -- headings --------------------------------------------------------------------------------------------
    def _heading(self, level, text, number):
        self.label = None
        plain = re.sub(r"[*`]", "", text).strip()
        if PLACEHOLDER.search(plain) and (level == 1 or _PHASE.match(plain)):
            self.fail(number, "unresolved placeholder %s: fill in the planner's template before approving"
                      % PLACEHOLDER.search(plain).group())
        if level == 1:
            if self.plan.title is None:
                self.plan.title = (re.sub(r"(?i)^plan\s*:\s*", "", plain).strip(), number)
            return
        phase = _PHASE.match(plain)
        rollback = _ROLLBACK_PHASE.match(plain)
        if level == 2:
            self.section, self.subsection, self.phase, self.rollback_phase = plain.lower(), None, None, None
            if self.section == "target":
                self.plan.target_line = number
        else:
            self.subsection = plain.lower()
        if level <= 3:  # a #### heading inside an "If Phase N fails" section stays in it
            self.rollback_phase = int(rollback.group(1)) if rollback and self._in_rollback() else None
        if rollback and self.rollback_phase is not None:
            self.plan.rollback.setdefault(self.rollback_phase, [])
        elif phase and not self._in_rollback():
            self._new_phase(int(phase.group(1)), phase.group(2).strip() or plain, number)
        elif level > 2 and self.phase is not None and level <= 3:
            self.phase = None  # another ### section ends the phase

    def _new_phase(self, number, name, line):
        expected = len(self.plan.phases) + 1
        if number != expected:
            self.fail(line, "Phase %d: phases are numbered 1, 2, 3, ... in order; expected Phase %d here (the "
                            "rollback blocks 'If Phase N fails' refer to these numbers)" % (number, expected))
        self.phase = Phase(number, name, line)
        self.plan.phases.append(self.phase)

    def _in_rollback(self):
        return bool(self.section) and self.section.startswith("rollback")

    # -- text lines ------------------------------------------------------------------------------------------
    def _text(self, line, number):
        if (self.section == "target" or self._in_guardrail() or _CARRIED.search(line)) and PLACEHOLDER.search(line):
            self.fail(number, "unresolved placeholder %s: fill in the planner's template before approving"
                      % PLACEHOLDER.search(line).group())
        label = _LABEL.match(line)
        if label and self.phase is not None:
            self.label = label.group(1).strip().rstrip(":").strip().lower()
            self._inline_code(label.group(2), number)
            return
        if self.section == "target":
            self._target_line(line, number)
        elif self._in_guardrail():
            self._guardrail_line(line, number)
        elif self.phase is not None and line.lstrip().startswith(("-", "*", "1", "2", "3", "4", "5", "6", "7",
                                                                  "8", "9")):
            self._inline_code(line, number)
        elif self.rollback_phase is not None:
            self._inline_code(line, number)
        if not line.strip() and self.phase is not None and self.label not in COMMAND_LABELS + VALIDATION_LABELS:
            self.label = None
        risk = _RISK.search(line)
        if risk and self.plan.risk is None:
            self.plan.risk = (risk.group(1).capitalize(), number)
        status = _GUARDRAIL_LINE.search(line)
        if status and self.plan.guardrail["status"] is None and not self._in_guardrail():
            self.plan.guardrail.update(status=status.group(1).upper(), line=number)

    def _inline_code(self, text, number):
        """Inline ``aws ...`` code on a Commands or Validation line (or in a rollback block) is a command too."""
        commands = [span for span in _CODE_SPAN.findall(text) if span.strip().startswith("aws ")]
        for span in commands:
            self._add(span.strip(), number, inline=True)

    def _target_line(self, line, number):
        match = _TARGET_LINE.match(line)
        if match:
            key = match.group(1).strip().lower()
            value = match.group(2).replace("`", "").replace("**", "").strip()
            self.plan.target[key] = (value, number)

    def _in_guardrail(self):
        return bool(self.section) and "guardrail" in self.section

    def _guardrail_line(self, line, number):
        guard = self.plan.guardrail
        status = _STATUS.search(line)
        if status and guard["status"] is None:
            guard.update(status=status.group(1).upper(), line=number)
            return
        if self.subsection not in ("findings", "required changes"):
            return
        text = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line).strip()
        if not text or text.lower() in NO_FINDINGS:
            return
        severity = _SEVERITY.match(text)
        finding = {"severity": severity.group(1).lower() if severity else None,
                   "message": severity.group(2).strip() if severity else text, "line": number}
        if self.subsection == "required changes":
            finding["severity"] = finding["severity"] or "required"
        guard["findings"].append(finding)

    # -- code ------------------------------------------------------------------------------------------------
    def _block(self, text, first_line, language, fence_line):
        if self.rollback_phase is not None:
            if language in SHELL_LANGUAGES:
                self.plan.rollback[self.rollback_phase].append(Block(text, first_line))
            return
        if self._in_rollback() and language in SHELL_LANGUAGES and _AWS_LINE.search(text):
            self.fail(fence_line, "these rollback commands are not under an '### If Phase N fails:' heading, so "
                                  "when they run cannot be told")
        if self.phase is None:
            return
        if self.label in COMMAND_LABELS + VALIDATION_LABELS and language in SHELL_LANGUAGES:
            self._add(text, first_line)
        elif language in SHELL_LANGUAGES and _AWS_LINE.search(text):
            self.fail(fence_line, "Phase %d: this block of aws commands is under %s, not under **Commands:** or "
                      "**Validation:**; say which it is" % (self.phase.number, "**%s:**" % self.label.title()
                                                            if self.label else "no label"))

    def _add(self, text, line, inline=False):
        if self.rollback_phase is not None and self.phase is None:
            self.plan.rollback[self.rollback_phase].append(Block(text, line))
        elif self.phase is not None and self.label in COMMAND_LABELS:
            self.phase.commands.append(Block(text, line))
        elif self.phase is not None and self.label in VALIDATION_LABELS:
            self.phase.validation.append(Block(text, line))
        elif inline and self.phase is not None:
            return  # inline code in prose (an Actions list, an outcome): shown to people, not run

    def _check(self):
        if self.plan.title is None:
            self.fail(1, "no '# Plan: <objective>' heading: is this the planner's Markdown?")
        if not self.plan.phases:
            self.fail(self.plan.title[1], "no '### Phase 1: <name>' section with **Commands:**: nothing to run")
        for phase in self.plan.phases:
            if not phase.commands:
                self.fail(phase.line, "Phase %d has no **Commands:** block with an aws command" % phase.number)
        unknown = sorted(set(self.plan.rollback) - {p.number for p in self.plan.phases})
        if unknown:
            self.fail(1, "the rollback procedure names Phase %s, which the plan does not have" % unknown[0])
