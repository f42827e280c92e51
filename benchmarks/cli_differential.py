#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Differential test of plan/cli.py against the aws CLI v1 itself, over the CLI's documented examples.

Run it in a process of its own: importing awscli changes the process (an import hook that makes later
``import botocore`` load awscli's own copy, and AWS_DATA_PATH), so the tests start it as a subprocess.

    .venv/bin/python benchmarks/cli_differential.py              # every example (a few minutes)
    .venv/bin/python benchmarks/cli_differential.py --sample 400 # the seeded sample CI runs
    .venv/bin/python benchmarks/cli_differential.py --diffs      # also list every difference

awscli ships its examples as awscli/examples/<service>/<operation>.rst. Every ``aws <service>
<operation> ...`` line in them (backslash continuations joined, quoted values spanning lines kept)
whose command is one of the CLI's API operations (not ``aws s3 cp``, ``wait`` or another custom
command) and that uses no shell syntax (pipes, redirections, ``$(...)``) is run through awscli in
process (benchmarks/cli_oracle.py: nothing is sent, no file is read) and through ``parse_command``.

Figures, over the lines the CLI accepts:
- parse equal, all: same service, operation and params (types included) as the CLI;
- parse equal, excluding on-purpose refusals: without the lines that use a value the CLI reads from a
  file or URL, a global option that changes where or how requests are sent (all but --region, --profile,
  --query, --output, --color, --no-paginate), or an option the CLI adds to the operation for itself
  (paging, --cli-input-json): a plan refuses those, and parse_command must refuse them;
- round trip: ``render_cli`` of the CLI's own call, read back by the CLI, gives the same call;
- crashes: any exception from parse_command other than PlanError, or from render_cli.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import shlex
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_oracle import AwsCliOracle  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError  # noqa: E402
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import parse_command, render_cli  # noqa: E402

_SHELL_OPERATORS = re.compile(r"^[|&;<>()]+$")
# The global options a plan reads (the contract, plan-format.md "Calls"); the CLI's other ones are refused.
HONOURED_GLOBALS = frozenset(("--region", "--profile", "--query", "--output", "--color", "--no-paginate"))
_COMMAND_START = re.compile(r"^\s*(?:\$\s+)?aws\s+[a-z0-9]")


def examples_dir():
    # found without importing awscli, which would change how this process imports botocore
    import importlib.util
    return os.path.join(os.path.dirname(importlib.util.find_spec("awscli").origin), "examples")


def example_lines(directory=None):
    """Sorted ``[(relative file, command line)]`` of every ``aws ...`` command in the examples."""
    directory = directory or examples_dir()
    found = []
    for path in sorted(glob.glob(os.path.join(directory, "**", "*.rst"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            text = handle.read().splitlines()
        relative = os.path.relpath(path, directory)
        found.extend((relative, line) for line in _commands(text))
    return found


def _commands(lines):
    index = 0
    while index < len(lines):
        if not _COMMAND_START.match(lines[index]):
            index += 1
            continue
        command, index = _one_command(lines, index)
        yield command


def _one_command(lines, index):
    """Join backslash continuations; keep adding lines while a quote is still open (multi-line JSON)."""
    command = re.sub(r"^\s*(?:\$\s+)?", "", lines[index])
    index += 1
    while True:
        if command.rstrip().endswith("\\"):
            command = command.rstrip()[:-1] + " "
        elif not _unclosed_quote(command):
            return command.strip(), index
        if index >= len(lines):
            return command.strip(), index
        command += ("" if command.endswith(" ") else "\n") + lines[index]
        index += 1


def _unclosed_quote(command):
    try:
        shlex.split(command)
    except ValueError:
        return True
    return False


def uses_shell(command):
    """Pipes, redirections, command substitution or several commands: not one aws call."""
    if "$(" in command or "`" in command:
        return True
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return any(_SHELL_OPERATORS.match(token) for token in lexer)
    except ValueError:
        return True


def same(left, right):
    """Deep equality that also compares types (1 is not 1.0 is not True is not '1'); the CLI reads
    JSON into OrderedDicts, which count as dicts."""
    if isinstance(left, dict) or isinstance(right, dict):
        if not (isinstance(left, dict) and isinstance(right, dict)):
            return False
    elif type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right))
    return left == right


def _normalised(params):
    """The one value the CLI makes up: cloudfront create-invalidation --paths takes a CallerReference
    from the clock and a random number (ours is cli-${run.id}); any cli-... reference counts as equal."""
    batch = params.get("InvalidationBatch") if isinstance(params, dict) else None
    if isinstance(batch, dict) and str(batch.get("CallerReference", "")).startswith("cli-"):
        return dict(params, InvalidationBatch=dict(batch, CallerReference="cli-*"))
    return params


class Result:
    """One example line: what the CLI did and how we compare."""

    def __init__(self, source, command):
        self.source, self.command = source, command
        self.status = ""        # skipped-shell, not-api, cli-rejected, or accepted
        self.refusal = ""       # 'global' or 'paramfile' when a plan refuses the line on purpose
        self.parse = ""         # equal, differs, refused, crash
        self.round_trip = ""    # equal, differs, rejected, crash, or '' when not applicable
        self.detail = ""


def check_line(oracle, source, command, global_options):
    result = Result(source, command)
    if uses_shell(command):
        result.status = "skipped-shell"
        return result
    words = shlex.split(command)
    if len(words) < 3 or not oracle.is_api_level(words[1], words[2]):
        result.status = "not-api"
        return result
    outcome = oracle.call(words[1:])
    if outcome.kind == "rejected":
        result.status, result.detail = "cli-rejected", outcome.error
        return result
    result.status = "accepted"
    if outcome.kind == "paramfile":
        result.refusal = "paramfile"
    elif _uses_refused_option(oracle, words, global_options):
        result.refusal = "global"
    _compare_parse(result, outcome, command)
    if outcome.kind == "call":
        _compare_round_trip(result, oracle, outcome)
    return result


def _uses_refused_option(oracle, words, global_options):
    """A global option a plan refuses, or one of the options the CLI adds to every operation for itself
    (pagination, --cli-input-json, ...), or a prefix of either (the CLI reads both), unless the operation
    has an input member of that name."""
    added = oracle.operation_options(words[1], words[2])
    for word in words[3:]:
        name = word.split("=", 1)[0]
        if not name.startswith("--"):
            continue
        read_as = {option for option in global_options if option.startswith(name)}
        if any(option.startswith(name) for option in added) or read_as - HONOURED_GLOBALS:
            return True
    return False


def _compare_parse(result, outcome, command):
    try:
        ours = parse_command(command)
    except PlanError as exc:
        result.parse, result.detail = "refused", str(exc)
        return
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported with its type
        result.parse, result.detail = "crash", "%s: %s" % (type(exc).__name__, exc)
        return
    theirs = (outcome.service, outcome.operation, outcome.params)
    if outcome.kind == "call" and same([ours[0], ours[1], _normalised(ours[2])],
                                       [theirs[0], theirs[1], _normalised(theirs[2])]):
        result.parse = "equal"
    else:
        result.parse, result.detail = "differs", "ours %r\ncli  %r" % (ours, theirs)


def _compare_round_trip(result, oracle, outcome):
    try:
        line = render_cli(outcome.service, outcome.operation, outcome.params, reveal=True)
        again = oracle.call(shlex.split(line)[1:])
    except Exception as exc:  # noqa: BLE001
        result.round_trip, result.detail = "crash", "%s: %s" % (type(exc).__name__, exc)
        return
    if again.kind != "call":
        result.round_trip = "rejected"
        result.detail += "\nrendered %s\n-> %s" % (line, again.error)
    elif same([again.service, again.operation, _normalised(again.params)],
              [outcome.service, outcome.operation, _normalised(outcome.params)]):
        result.round_trip = "equal"
    else:
        result.round_trip = "differs"
        result.detail += "\nrendered %s\n-> %r" % (line, again.params)


def run(lines, oracle=None):
    oracle = oracle or AwsCliOracle()
    global_options = oracle.global_options()
    return [check_line(oracle, source, command, global_options) for source, command in lines]


def sample(lines, size, seed=15):
    """A fixed, seeded sample of the example lines (the order of ``lines`` is sorted, so it is stable)."""
    if size >= len(lines):
        return list(lines)
    return random.Random(seed).sample(lines, size)


def figures(results):
    accepted = [r for r in results if r.status == "accepted"]
    plain = [r for r in accepted if not r.refusal]
    calls = [r for r in accepted if r.round_trip]
    refusals = [r for r in accepted if r.refusal]
    return {
        "lines": len(results), "statuses": dict(Counter(r.status for r in results)),
        "accepted": len(accepted), "on_purpose_refusals": len(refusals),
        "parse_equal_all": _share(accepted, lambda r: r.parse == "equal"),
        "parse_equal_excluding_refusals": _share(plain, lambda r: r.parse == "equal"),
        "refusals_refused": _share(refusals, lambda r: r.parse == "refused"),
        "round_trip": _share(calls, lambda r: r.round_trip == "equal"),
        "crashes": sum(r.parse == "crash" or r.round_trip == "crash" for r in results),
    }


def _share(items, good):
    hits = sum(1 for item in items if good(item))
    return (hits, len(items), 100.0 * hits / len(items) if items else 100.0)


def differences(results):
    """The accepted lines where we differ from the CLI: parse (outside on-purpose refusals) or round trip."""
    return [r for r in results if r.status == "accepted" and (
        (not r.refusal and r.parse != "equal") or (r.refusal and r.parse != "refused")
        or r.round_trip not in ("", "equal"))]


def print_figures(numbers, out=sys.stdout):
    print("example lines: %(lines)d %(statuses)s" % numbers, file=out)
    print("CLI-accepted API-level lines: %(accepted)d (on-purpose refusals: %(on_purpose_refusals)d)" % numbers,
          file=out)
    for key, label in (("parse_equal_all", "parse equal, all"),
                       ("parse_equal_excluding_refusals", "parse equal, excluding on-purpose refusals"),
                       ("refusals_refused", "on-purpose refusals refused"),
                       ("round_trip", "round trip")):
        print("%s: %d/%d = %.2f %%" % ((label,) + numbers[key]), file=out)
    print("crashes: %(crashes)d" % numbers, file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=0, help="check a seeded sample of this many lines")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--diffs", action="store_true", help="print every difference")
    parser.add_argument("--json", metavar="FILE", help="also write the figures and differences as JSON")
    args = parser.parse_args(argv)
    lines = example_lines()
    if args.sample:
        lines = sample(lines, args.sample, args.seed)
    results = run(lines)
    numbers = figures(results)
    print_figures(numbers)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"figures": numbers, "differences": [vars(r) for r in differences(results)]}, handle,
                      indent=1)
    if args.diffs:
        for result in differences(results):
            print("\n[%s] %s parse=%s round_trip=%s refusal=%s\n%s\n%s" % (
                result.source, result.status, result.parse, result.round_trip, result.refusal,
                result.command, result.detail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
