# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inline the files a plan's aws CLI commands read (``file://`` and ``fileb://`` values) into the plan.

A plan refuses values the CLI would read from a file at run time: the approved digest would not cover
them, and the file could change after approval. ``inline_plan_files`` replaces each such value in a
``command`` by the file's content, before the review and the approval, so the digest covers exactly
what will be sent. Files are read relative to the plan file's directory and must be inside it; a
binary file (not UTF-8) cannot be carried by a CLI v1 command line and is refused.
"""

from __future__ import annotations

import json
import os
import shlex

try:
    import yaml
except ImportError:  # pragma: no cover - the modules report PyYAML missing (missing_required_lib)
    yaml = None

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import READS_FILE
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import parse_document

MAX_FILE_BYTES = 256 * 1024
_CALL_KEYS = ("validate", "rollback")


def inline_plan_files(text, path):
    """``(new text, [(field, file)])``: the plan with every file:// value in its commands inlined.

    The text is returned unchanged when nothing is inlined; otherwise it is written out again (YAML or
    JSON as it was; comments are not kept). Problems are a PlanError naming the plan and the field.
    """
    is_json = path.endswith(".json") or text.lstrip().startswith("{")
    document = parse_document(text, path)  # the one strict reader: no tags, aliases or duplicate keys
    base = os.path.dirname(os.path.abspath(path))
    inlined, problems = [], []
    for field, call in _calls(document):
        command = call.get("command")
        if isinstance(command, str) and any(prefix in command.lower() for prefix in READS_FILE):
            try:
                call["command"], files = _inline_command(command, base)
            except _Problem as exc:
                problems.append((field + ".command", str(exc)))
                continue
            inlined.extend((field + ".command", name) for name in files)
    if problems:
        raise PlanError(path, problems)
    if not inlined:
        return text, []
    if is_json:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n", inlined
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False, allow_unicode=True,
                          width=1 << 16), inlined


class _Problem(Exception):
    pass


def _calls(document):
    """``(field, call mapping)`` for every step and its validate/rollback calls."""
    phases = document.get("phases") if isinstance(document, dict) else None
    for p, phase in enumerate(phases if isinstance(phases, list) else []):
        steps = phase.get("steps") if isinstance(phase, dict) else None
        for s, step in enumerate(steps if isinstance(steps, list) else []):
            if not isinstance(step, dict):
                continue
            where = "phases[%d].steps[%d]" % (p, s)
            yield where, step
            for key in _CALL_KEYS:
                calls = step.get(key)
                if isinstance(calls, dict):
                    yield "%s.%s" % (where, key), calls
                elif isinstance(calls, list):
                    for n, call in enumerate(calls):
                        if isinstance(call, dict):
                            yield "%s.%s[%d]" % (where, key, n), call


def _inline_command(command, base):
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise _Problem("cannot split the command line: %s" % exc) from None
    files, out = [], []
    for word in words:
        option, equals, value = word.partition("=") if word.startswith("--") else ("", "", word)
        if value.lower().startswith(READS_FILE):
            content, name = _read(value, base)
            files.append(name)
            if equals:
                word = option + equals + content
            elif content.startswith("-") and out and out[-1].startswith("--") and "=" not in out[-1]:
                out[-1] += "=" + content  # a value starting with "-" must be written --option=value
                continue
            else:
                word = content
        out.append(word)
    return " ".join(shlex.quote(word) for word in out), files


def _read(value, base):
    prefix = "fileb://" if value.lower().startswith("fileb://") else "file://"
    name = value[len(prefix):]
    path = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([path, os.path.realpath(base)]) != os.path.realpath(base):
        raise _Problem("%s: only files inside the plan's directory (%s) are inlined" % (value, base))
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Problem("%s: cannot read %s: %s" % (value, path, exc.strerror or exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise _Problem("%s: %s is larger than %d bytes" % (value, path, MAX_FILE_BYTES))
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError:
        raise _Problem("%s: %s is not UTF-8 text; binary content cannot be carried by an aws CLI v1 command "
                       "line: give the call as action + params instead" % (value, path)) from None
