# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The passes of one run: the run itself, then each resume or rollback that reopened it.

Each pass writes its own report beside the others (``report``, ``report-resume-1``,
``report-rollback-1``, ...), so what a run said when it stopped is never written over by
what a later pass did. A reopening that was refused or not approved (``run_released``)
wrote no report and takes no number.
"""

from __future__ import annotations

FIRST = "report"


def reopenings(events):
    """[(purpose, kept)] for every ``run_resumed`` event, in order; kept is False once released."""
    passes = []
    for event in events:
        if event["event"] == "run_resumed":
            passes.append([event.get("purpose") or "resume", True])
        elif event["event"] == "run_released" and passes:
            passes[-1][1] = False
    return [tuple(p) for p in passes]


def current_pass(events):
    """(purpose, n) of the latest reopening (the n-th of that purpose), or None for the run itself."""
    passes = reopenings(events)
    if not passes:
        return None
    purpose = passes[-1][0]
    earlier = sum(1 for p, kept in passes[:-1] if p == purpose and kept)
    return purpose, earlier + 1


def report_name(events):
    """The file name, without extension, of the report the latest pass writes."""
    current = current_pass(events)
    return FIRST if current is None else "%s-%s-%d" % (FIRST, current[0], current[1])


def pass_label(events):
    """How a report names the pass that wrote it, or None for the run itself."""
    current = current_pass(events)
    return None if current is None else "%s %d" % current


def report_names(events):
    """The report of every pass that was not released, in order (a pass still open has no report yet)."""
    names, counts = [FIRST], {}
    for purpose, kept in reopenings(events):
        if kept:
            counts[purpose] = counts.get(purpose, 0) + 1
            names.append("%s-%s-%d" % (FIRST, purpose, counts[purpose]))
    return names
