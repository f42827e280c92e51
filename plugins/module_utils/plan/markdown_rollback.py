# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``If Phase N fails`` blocks of a planner's Markdown as the steps' own rollback.

The planner means: after a failure in phase N, run the blocks of phases N, N-1, ..., 1, each in written
order, and count a command whose resource is already gone as undone. The executor undoes the steps that
changed something, last first, each with its ``rollback`` calls, and counts "not found" as undone. So
each command goes to the step that made what it undoes: the first changing step of phase N or earlier
that names every resource the command names, by a variable it set or a value it was given
(``delete-bucket --bucket b`` to ``create-bucket --bucket b``, ``detach-internet-gateway`` to the
``attach-internet-gateway`` of the same gateway and VPC). A step's commands come in block order (phase N
first) and written order; a command written in several blocks is kept once. A changing step that no
command undoes, but that only changes a resource an earlier step's rollback removes (versioning of a
bucket the plan creates), is ``undone_by`` that step. docs/markdown-plans.md compares the two orders.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws import access_levels
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import read_command


class _Step:
    __slots__ = ("raw", "path", "phase", "service", "names", "mutating", "commands")

    def __init__(self, raw, path, phase, call):
        service, operation, params = call
        self.raw, self.path, self.phase, self.service = raw, path, phase, service
        produced = {"${%s.%s}" % (raw["id"], name) for name in raw.get("register", {})}
        self.names = resource_names(params) | produced
        self.mutating = not access_levels.is_read_only(service, operation)
        self.commands = []  # (command, line)


def resource_names(params):
    """The values a call names resources by: its top-level text values and lists of text values."""
    names = set()
    for value in (params or {}).values():
        items = value if isinstance(value, list) else [value]
        if items and all(isinstance(item, str) for item in items):
            names.update(item for item in items if item)
    return names


def assign_rollback(phases, blocks, calls, problems, lines):
    """Give the steps of ``phases`` (``[(name, [step])]``) the commands of ``blocks`` (``{phase number:
    [(command, line)]}``) as their ``rollback``, and ``undone_by`` where a step has none of its own."""
    steps = [_Step(raw, "phases[%d].steps[%d]" % (p, s), p + 1, calls[raw["id"]])
             for p, (_name, raws) in enumerate(phases) for s, raw in enumerate(raws)]
    seen = set()
    for number in sorted(blocks, reverse=True):
        for command, line in blocks[number]:
            if command in seen:
                continue
            seen.add(command)
            owner = _owner(command, line, number, steps, problems)
            if owner is not None:
                owner.commands.append((command, line))
    if not seen:
        return
    for step in steps:
        if step.commands:
            step.raw["rollback"] = [{"command": command} for command, _line in step.commands]
    for index, step in enumerate(steps):
        for number, (_command, line) in enumerate(step.commands):
            lines["%s.rollback[%d]" % (step.path, number)] = line
        if step.mutating and not step.commands:
            coverer = _coverer(step, steps[:index])
            if coverer is not None:
                step.raw["undone_by"] = coverer.raw["id"]


def _owner(command, line, number, steps, problems):
    try:
        call = read_command(command)
    except PlanError as exc:
        problems.add(line, exc.problems[0][1])
        return None
    names = resource_names(call.params)
    if not names:
        problems.add(line, "this rollback command names no resource (no text value), so no step it undoes can "
                           "be told")
        return None
    candidates = [s for s in steps if s.mutating and s.phase <= number and names <= s.names]
    same_service = [s for s in candidates if s.service == call.service]
    chosen = (same_service or candidates)[:1]
    if not chosen:
        problems.add(line, "this rollback command undoes nothing a step of Phase %s makes or changes: no such "
                           "step names %s" % ("1" if number == 1 else "1-%d" % number, ", ".join(sorted(names))))
        return None
    return chosen[0]


def _coverer(step, earlier):
    """The latest earlier step with rollback commands that names a resource this step changes."""
    for other in reversed(earlier):
        if other.commands and other.names & resource_names_of(step):
            return other
    return None


def resource_names_of(step):
    return step.names - {name for name in step.names if name.startswith("${%s." % step.raw["id"])}
