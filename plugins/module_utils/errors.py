# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error types shared by the plan model, the guard and the executor."""

from __future__ import annotations


class CoworkerError(Exception):
    """Base class: every error of ours carries a message fit for a person."""


class PlanError(CoworkerError):
    """A plan (or a file it depends on) is invalid.

    ``problems`` is a list of ``(field, message)``; ``source`` names the file.
    The string form names the file and each field, one problem a line.
    """

    def __init__(self, source, problems):
        self.source = str(source)
        self.problems = [(str(field), str(msg)) for field, msg in problems]
        super().__init__(self.render())

    def render(self):
        lines = []
        for field, msg in self.problems:
            where = "%s: %s" % (self.source, field) if field else self.source
            lines.append("%s: %s" % (where, msg))
        return "\n".join(lines)


class ConfigError(CoworkerError):
    """The environments file (or another user configuration) is missing or invalid."""

    def __init__(self, source, field, message):
        self.source, self.field = str(source), str(field or "")
        where = "%s: %s" % (self.source, self.field) if self.field else self.source
        super().__init__("%s: %s" % (where, message))


class GuardRefusal(CoworkerError):
    """The non-production guard refuses to let a call run."""


class RunError(CoworkerError):
    """A run or a wave cannot be found, opened or continued as asked (its id, its state, a missing copy)."""


class Interrupted(BaseException):
    """The run was stopped from outside (Ctrl-C, SIGTERM, the controller process died).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on the
    way (botocore's, ours) swallows it while a step is being sent.
    """
