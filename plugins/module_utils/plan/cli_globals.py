# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws CLI's global options on a plan's command line, read as the CLI's main parser reads them.

The main parser takes a global option anywhere on the line, before or after the operation, and any
unambiguous prefix of one (argparse: ``--reg`` is ``--region``); a repeated option keeps its last value.
A plan keeps what it can honour and judge: ``--region`` (the call's region, which the guard then checks
against the class like any other), ``--profile`` (it must be the target's own: the schema checks) and
``--query`` (the call's displayed result). ``--output``, ``--color``, ``--no-paginate`` and CLI v2's
``--no-cli-pager`` only change how the CLI shows the answer: read and dropped. Everything that changes
where or how requests are sent, or what the CLI does instead of the call, is refused.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    GLOBAL_OPTIONS, V2_GLOBAL_OPTIONS, V2_OUTPUTS)

KEPT = ("region", "profile", "query", "output")
DISPLAY_ONLY = frozenset(("output", "color", "no-paginate", "no-cli-pager"))
_SENT = "the executor decides how requests are sent (botocore's retries, its own endpoints and TLS checks)"
REFUSED = {
    "endpoint-url": "it sends the requests to another address; the target's account and region decide where "
                    "they go",
    "no-verify-ssl": "it turns off the check of AWS's TLS certificate; " + _SENT,
    "ca-bundle": "it changes which TLS certificates are trusted; " + _SENT,
    "no-sign-request": "it sends the requests unsigned; every call is made with the target's credentials",
    "cli-read-timeout": "it changes how requests are sent (timeouts); " + _SENT,
    "cli-connect-timeout": "it changes how requests are sent (timeouts); " + _SENT,
    "debug": "it logs every request and response in full, signatures included; the run journals them itself, "
             "without secrets",
    "v2-debug": "it makes the CLI print migration warnings instead of a plain call",
    "version": "it prints the CLI's version instead of making the call",
    "cli-binary-format": "it changes how the CLI reads blob values (CLI v2); a plan's values are read as "
                         "CLI v1 reads them",
    "cli-auto-prompt": "it makes the CLI prompt for the command (CLI v2); a plan's command is complete",
    "no-cli-auto-prompt": "it is a CLI v2 prompt setting, which a plan's complete command has no use for",
}
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")
_CHOICES = dict(GLOBAL_OPTIONS, **V2_GLOBAL_OPTIONS)
_CHOICES["output"] = GLOBAL_OPTIONS["output"] + V2_OUTPUTS
# every name the main parser could read as a global option: most option words are none of them
_READ_AS_GLOBAL = frozenset(option[:end] for option in GLOBAL_OPTIONS for end in range(1, len(option) + 1)) | \
    frozenset(V2_GLOBAL_OPTIONS)


class GlobalOptionError(ValueError):
    """A global option a plan cannot take, or one the CLI itself would not read."""


class GlobalOptions:
    """What a line's global options mean for its call.

    ``region``, ``profile`` and ``query`` (None when not given), ``output`` (display only: how a shell would
    get the answer); ``spans`` maps each option given to the ``(start, end)`` word ranges it took, so that a
    caller can drop some (a shell assignment's --query and --output)."""

    __slots__ = ("region", "profile", "query", "output", "spans")

    def __init__(self):
        self.region = self.profile = self.query = self.output = None
        self.spans = {}


def global_option_name(word):
    """The global option ``word`` names, as the CLI's main parser reads it, or None.

    A v1 option by its name or an unambiguous prefix of it; a v2 one by its full name only."""
    if word[:2] != "--" or word == "--":  # (a negative number has one dash)
        return None
    name = word[2:].split("=", 1)[0]
    if name in _CHOICES:
        return name
    if name not in _READ_AS_GLOBAL and name:
        return None
    matches = sorted(option for option in GLOBAL_OPTIONS if option.startswith(name))
    if len(matches) > 1:
        raise GlobalOptionError("--%s is ambiguous: the CLI could read it as %s" % (
            name, ", ".join("--" + option for option in matches)))
    return matches[0] if matches else None


def read_global_options(words):
    """``(the other words, GlobalOptions)`` for the words after ``aws``; GlobalOptionError if refused."""
    options, kept, index = GlobalOptions(), [], 0
    while index < len(words):
        word = words[index]
        if word == "--":
            raise GlobalOptionError("'--' is not allowed in a plan command")
        name = global_option_name(word) if word[:2] == "--" else None
        if name is None:
            kept.append(word)
            index += 1
            continue
        shown = "--" + name + ("" if word.split("=", 1)[0] == "--" + name else " (the CLI reads %s as --%s)" % (
            word.split("=", 1)[0], name))
        if name in REFUSED:
            raise GlobalOptionError("%s is not allowed in a plan: %s" % (shown, REFUSED[name]))
        value, end = _value(name, shown, words, index)
        options.spans.setdefault(name, []).append((index, end))
        if name in KEPT:
            setattr(options, name, value)
        index = end
    return kept, options


def _value(name, shown, words, index):
    """``(value or None, index after the option)``, checked as argparse checks it."""
    word, choices = words[index], _CHOICES[name]
    if choices is None:
        if "=" in word:
            raise GlobalOptionError("%s is a switch and takes no value" % shown)
        return None, index + 1
    if "=" in word:
        value, end = word.split("=", 1)[1], index + 1
    elif index + 1 < len(words) and not _looks_like_option(words[index + 1]):
        value, end = words[index + 1], index + 2
    else:
        raise GlobalOptionError("%s needs a value" % shown)
    if choices and value not in choices:
        raise GlobalOptionError("%s %s: must be one of %s" % (shown, value, ", ".join(choices)))
    if not value.strip():  # --output and --color have choices, which an empty value is not
        raise GlobalOptionError("%s must not be empty" % shown)
    return value, end


def _looks_like_option(word):
    """argparse reads a word starting with '-' as an option, unless it is a negative number, contains a
    space, or is '-' alone."""
    return word.startswith("-") and len(word) > 1 and " " not in word and not _NEGATIVE_NUMBER.match(word)
