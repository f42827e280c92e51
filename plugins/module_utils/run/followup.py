# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resume and rollback commands a run prints, written so that they work as printed.

They name the playbook the way the person ran it (a path stays a path, relative
to where they are; a collection playbook stays a FQCN) and repeat every option
that differs from the playbooks' defaults, so the run is found where it was
written and checked against the same environments file and profile.
"""

from __future__ import annotations

import json
import os
import shlex

EXECUTE, ROLLBACK, WAVES = "execute_nonprod", "rollback_run", "execute_targets"
FQCN = "coworker.aws.%s"
# Extra variables of the collection's playbooks and their defaults (see playbooks/*.yml).
DEFAULTS = (("state_dir", ".coworker"), ("state_backend", ""), ("plans_dir", "plans"), ("environments_file", ""),
            ("aws_profile", ""))


def playbook_pair(invoked):
    """(execute, rollback) playbook references that match how ``invoked`` were given.

    ``invoked`` is the list of playbooks on the ansible-playbook command line. One of
    ours given by path gives its sibling by path; anything else (a FQCN, a person's own
    playbook that includes the role) gives the collection's playbooks by FQCN.
    """
    for ref in invoked or []:
        name = os.path.splitext(os.path.basename(ref))[0]
        if name not in (EXECUTE, ROLLBACK):
            continue
        if ref.startswith("coworker.aws."):
            break
        folder, ext = os.path.dirname(ref), os.path.splitext(ref)[1] or ".yml"
        return tuple(os.path.join(folder, other + ext) for other in (EXECUTE, ROLLBACK))
    return FQCN % EXECUTE, FQCN % ROLLBACK


def option_args(options):
    """``-e name=value`` for every option that is set and differs from its default."""
    args = []
    for name, default in DEFAULTS:
        value = (options or {}).get(name)
        if value not in (None, "", {}, default):
            if isinstance(value, dict):  # JSON extra vars: a mapping survives the command line whole
                args += ["-e", json.dumps({name: value}, sort_keys=True, separators=(",", ":"))]
            else:
                args += ["-e", "%s=%s" % (name, value)]
    return args


def wave_commands(invoked, wave_id, options):
    """{"resume": ..., "rollback": ...} of a wave: execute_targets.yml and rollback_run.yml, named as invoked
    (by path, siblings of the playbook run; otherwise by FQCN)."""
    waves, rollback = FQCN % WAVES, FQCN % ROLLBACK
    for ref in invoked or []:
        if os.path.splitext(os.path.basename(ref))[0] in (WAVES, ROLLBACK) and not ref.startswith("coworker.aws."):
            folder, ext = os.path.dirname(ref), os.path.splitext(ref)[1] or ".yml"
            waves, rollback = os.path.join(folder, WAVES + ext), os.path.join(folder, ROLLBACK + ext)
            break
    extra = option_args(options)
    return {
        "resume": shlex.join(["ansible-playbook", waves, "-e", "resume=%s" % wave_id] + extra),
        "rollback": shlex.join(["ansible-playbook", rollback, "-e", "wave=%s" % wave_id] + extra),
    }


def followup_commands(invoked, run_id, options):
    """{"resume": ..., "rollback": ...}: shell-quoted command lines for this run."""
    execute, rollback = playbook_pair(invoked)
    extra = option_args(options)
    return {
        "resume": shlex.join(["ansible-playbook", execute, "-e", "resume=%s" % run_id] + extra),
        "rollback": shlex.join(["ansible-playbook", rollback, "-e", "run=%s" % run_id] + extra),
    }


def closing_line(summary, status, commands, dry_run=False, left=False):
    """The one line a run ends with: its summary and, when it stopped with something left to do or undo, the
    commands that resume it and roll it back (``left``: the journal shows changes not rolled back)."""
    stopped = status in ("partial", "failed", "aborted") or (status == "refused" and left)
    if dry_run or not stopped or not commands:
        return summary
    return "%s — resume: %s — roll back: %s" % (summary, commands["resume"], commands["rollback"])
