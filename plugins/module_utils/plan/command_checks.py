# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A ``command``'s global options judged against the plan (plan/cli_globals.py reads them).

``--region`` is the call's region, as the CLI would use it (the guard then checks it like any region of the
plan); ``--profile`` may only repeat the target's own profile: every call of a run is made with the target's
credentials, so another profile, which could belong to another account or class, cannot be honoured.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.targets import REGION_RE


def command_region(given, field, path, check):
    """A command's --region is the call's region, as the CLI would use it; the guard then judges it like
    any region of the plan (allowed for the class, inside the perimeter)."""
    if given is None:
        return field
    where = path + ".command"
    if not REGION_RE.match(given):
        check.add(where, "--region %r is not an AWS region name (such as eu-west-1)" % given)
    elif field is not None and field != given:
        check.add(where, "--region %s and the call's region %s disagree: give one of them" % (given, field))
    return given


def check_command_profile(given, path, check):
    """A command may name a profile only if it is the target's own: every call of a run is made with the
    target's credentials, so another profile (another account, another class) cannot be honoured."""
    if given is None:
        return
    profiles = sorted({str(p) for p in check.profiles})
    if not profiles or profiles == ["None"]:
        check.add(path + ".command", "--profile %s: the target names no profile; a command may only repeat the "
                  "target's own profile (set target.profile, or remove --profile)" % given)
    elif profiles != [given]:
        check.add(path + ".command", "--profile %s is not the target's profile (%s): every call of a run is made "
                  "with the target's credentials; another profile would reach another account or class" % (
                      given, " / ".join(profiles)))
