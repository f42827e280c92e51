# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which steps of a phase may run at the same time (the plan contract's "Step order").

Phases are barriers. Inside a phase a step depends on an earlier one when it refers to its outputs
(``${other.x}`` anywhere in its calls), when it says so (``after: [other]``), or when both name the
same resource. Two steps name the same resource when a literal value of an identifying member of
one step's calls (botocore's model says which members identify: aws/resource_ids.py) appears in the
other step, as an identifying value or anywhere in a text of its requests (a role name inside the ARN
a later function is created with, a bucket inside an ``s3://`` URI). Unsure means dependent: a false
dependency costs time, a missed one could race two calls on one resource.

Dependencies only point at earlier steps, so plan order is always a valid order: with
``max_concurrency: 1`` a plan runs exactly as written.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.aws.resource_ids import identifiers
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import iter_strings, references_in

# a text is also read as the words it is made of: ARNs, URIs, paths, JSON documents
_WORD_SPLIT = re.compile(r"[\s\"',:;=/\\\[\]{}()*?&|<>]+")
_S3_HOST = re.compile(r"\.s3[.-]")


def calls_of(step):
    """Every call a step may make: its main call, its validate calls, its rollback calls (in that order)."""
    return [c for c in [step["call"], *step["validate"], *step["rollback"]] if c]


def _literal(value):
    return "${" not in value


def _resource_names(step):
    """The literal values by which the step's calls name resources, with an ARN's resource part too."""
    names = set()
    for call in calls_of(step):
        for _member, value in identifiers(call["service"], call["operation"], call["params"]):
            if not _literal(value):
                continue
            names.add(value)
            if value.startswith("arn:"):
                resource = value.split(":", 5)[-1]
                names.update(part for part in re.split(r"[/:]", resource) if part)
                names.add(resource)
    return names


def _words(step):
    """Every literal text of the step's requests, whole and split into its words."""
    found = set()
    for call in calls_of(step):
        for _path, text in iter_strings(call["params"]):
            if _literal(text):
                found.add(text)
                for word in _WORD_SPLIT.split(text):
                    found.update(_parts(word))
    return found


def _parts(word):
    """A word, its dotted parts, and the bucket of a virtual-hosted S3 host name (``b.s3.amazonaws.com``)."""
    if not word:
        return []
    return [word, _S3_HOST.split(word)[0]] + word.split(".")


def _referred(step):
    """The step ids the step's requests refer to (``${id.name}``)."""
    referred = set()
    for call in calls_of(step):
        for _path, text in iter_strings(call["params"]):
            referred.update(scope for scope, _name in references_in(text))
    if step.get("wait"):
        for _path, text in iter_strings(step["wait"].get("params") or {}):
            referred.update(scope for scope, _name in references_in(text))
    return referred


def dependencies(steps):
    """``{step id: [earlier step ids of its phase it must wait for]}`` in plan order, for every step."""
    seen = []  # (step, names, words) of the phase so far
    graph = {}
    for step in steps:
        if seen and seen[-1][0]["phase_index"] != step["phase_index"]:
            seen = []
        names, words = _resource_names(step), _words(step)
        referred, after = _referred(step), set(step.get("after") or ())
        graph[step["id"]] = [
            other["id"] for other, other_names, other_words in seen
            if other["id"] in referred or other["id"] in after
            or other_names & (names | words) or names & other_words]
        seen.append((step, names, words))
    return graph


def rounds(steps, graph, max_concurrency):
    """The schedule the review shows: the steps that start together, round by round, each phase apart.

    As if every step took as long as the others: a round starts every step whose dependencies are
    done, up to ``max_concurrency``, in plan order. A run starts each step as soon as it may, so a
    fast step's dependents can start before a slow round ends.
    """
    schedule, done, pending = [], set(), list(steps)
    while pending:
        phase = pending[0]["phase_index"]
        ready = [s for s in pending if s["phase_index"] == phase and set(graph[s["id"]]) <= done]
        chosen = ready[:max(1, max_concurrency)]
        schedule.append({"phase": chosen[0]["phase"], "steps": [s["id"] for s in chosen]})
        done.update(s["id"] for s in chosen)
        pending = [s for s in pending if s["id"] not in done]
    return schedule


def schedule_lines(steps, graph, max_concurrency):
    """The review's lines: one per round of more than one step (nothing when every step runs alone)."""
    together = [r for r in rounds(steps, graph, max_concurrency) if len(r["steps"]) > 1]
    if not together:
        return []
    lines = ["Steps that run at the same time (max_concurrency %d):" % max_concurrency]
    lines += ["  %s: %s" % (r["phase"], ", ".join(r["steps"])) for r in together]
    return lines
