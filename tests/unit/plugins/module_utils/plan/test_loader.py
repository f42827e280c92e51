# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading plan files as plain data, and finding them by path, id or ``last``."""

from __future__ import annotations

import json
import os
import textwrap
import time

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan import loader as plan_loader
from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.loader import (
    find_plan, parse_document, read_document)

from plan_samples import approved, base_plan, write_json, write_text, write_yaml


def _problem(exc_info):
    """The one (field, message) a loader error carries."""
    assert len(exc_info.value.problems) == 1, exc_info.value.problems
    return exc_info.value.problems[0]


def _read_text(tmp_path, text, name="plan.yml"):
    return read_document(str(write_text(tmp_path, textwrap.dedent(text), name)))


# -- YAML is data, never code -------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
    "!!python/object:collections.OrderedDict {{}}",
])
def test_python_tags_are_refused_and_never_run(tmp_path, tag):
    marker = tmp_path / "pwned"
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, "format: coworker.aws/plan-v1\nname: %s\n" % tag.format(marker=marker))
    field, message = _problem(exc)
    assert field == ""
    assert message.startswith("not valid YAML:") and "python/" in message
    assert str(tmp_path / "plan.yml") in str(exc.value)
    assert not marker.exists()


def test_yaml_error_message_is_one_line_with_the_position(tmp_path):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, "name: [unclosed\nid: x\n")
    _field, message = _problem(exc)
    assert "\n" not in message
    assert "line" in message


def test_anchor_and_alias_to_a_mapping_is_refused(tmp_path):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, """\
            target: &t {environment: sandbox, account_id: "123456789012", region: us-east-1}
            other: *t
            """)
    assert _problem(exc) == ("", "YAML anchors and aliases are not allowed in a plan (line 1)")


def test_billion_laughs_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += ["a%d: &a%d [%s]" % (n, n, ", ".join(["*a%d" % (n - 1)] * 9)) for n in range(1, 10)]
    started = time.monotonic()
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, "\n".join(lines) + "\n")
    assert time.monotonic() - started < 2
    assert "anchors and aliases" in _problem(exc)[1]


@pytest.mark.parametrize("text", ["name: &n Dev logs\nobjective: *n\n", "id: x\nname: &unused Dev logs\n"])
def test_anchor_and_alias_to_a_scalar_is_refused(tmp_path, text):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, text)
    assert _problem(exc)[1].startswith("YAML anchors and aliases are not allowed in a plan (line ")


@pytest.mark.parametrize("value, kind", [("!!binary aGVsbG8=", "bytes"), ("!!timestamp 2026-01-01", "date"),
                                         ("!!set {a: null}", "set")])
def test_explicit_tags_for_non_json_types_are_refused(tmp_path, value, kind):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, "guardrail:\n  findings:\n    - {severity: %s, message: x}\n" % value)
    assert _problem(exc) == ("", "a value of type %s (an explicit YAML tag?) is not plain data" % kind)


def test_explicit_tags_for_plain_types_are_fine(tmp_path):
    assert _read_text(tmp_path, "a: !!str 5\nb: !!float 1\n") == {"a": "5", "b": 1.0}


# 150 levels pass libyaml and Python's recursion limit (our own walk stops them); 1000 levels
# stop libyaml >= 0.2.5 itself. Either way the person reads the same message.
@pytest.mark.parametrize("depth", [150, 1000])
@pytest.mark.parametrize("opener, closer", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_a_plan_error_not_a_crash(tmp_path, opener, closer, depth):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, "deep: " + opener * depth + "x" + closer * depth + "\n")
    assert _problem(exc) == ("", "nested too deeply to be a plan (more than 100 levels)")


def test_nesting_up_to_the_limit_is_fine(tmp_path):
    assert _read_text(tmp_path, "deep: " + "[" * 98 + "x" + "]" * 98 + "\n")["deep"]


def test_deep_json_is_a_plan_error_not_a_crash(tmp_path):
    path = write_text(tmp_path, '{"deep": ' + "[" * 100_000 + "]" * 100_000 + "}", "deep.json")
    with pytest.raises(PlanError) as exc:
        read_document(str(path))
    assert _problem(exc)[0] == ""


def test_unquoted_timestamps_stay_the_text_that_was_written(tmp_path):
    doc = _read_text(tmp_path, """\
        created: 2026-11-23T10:00:00Z
        day: 2026-11-23
        spaced: 2026-11-23 10:00:00.5 +02:00
        port: 443
        enabled: true
        ratio: 1.5
        nothing: null
        """)
    assert doc == {"created": "2026-11-23T10:00:00Z", "day": "2026-11-23", "spaced": "2026-11-23 10:00:00.5 +02:00",
                   "port": 443, "enabled": True, "ratio": 1.5, "nothing": None}


@pytest.mark.parametrize("text, key", [
    ("name: a\nid: b\nname: c\n", "name"),
    ("target:\n  region: us-east-1\n  region: eu-west-1\n", "region"),
    ("phases:\n  - steps:\n      - {id: a, id: b}\n", "id"),
])
def test_duplicate_keys_are_refused_with_their_line(tmp_path, text, key):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, text)
    field, message = _problem(exc)
    assert field == ""
    assert "duplicate key %r" % key in message
    assert "line" in message


@pytest.mark.parametrize("text, shown", [
    ("1: one\n", "1"),
    ("yes: true\n", "True"),
    ("~: nothing\n", "None"),
    ("params:\n  404: not found\n", "404"),
    ("? [a, b]\n: list key\n", "['a', 'b']"),
])
def test_non_string_keys_are_refused(tmp_path, text, shown):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, text)
    assert "mapping key %s is not a string (quote it)" % shown in _problem(exc)[1]


def test_quoted_keys_that_look_like_numbers_are_fine(tmp_path):
    assert _read_text(tmp_path, '"1": one\n"yes": two\n') == {"1": "one", "yes": "two"}


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "list"), ("just text\n", "str"), ("", "NoneType"),
                                        ("# only a comment\n", "NoneType")])
def test_top_level_must_be_a_mapping(tmp_path, text, kind):
    with pytest.raises(PlanError) as exc:
        _read_text(tmp_path, text)
    assert _problem(exc) == ("", "a plan must be a mapping at the top level, got %s" % kind)


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(PlanError) as exc:
        read_document(str(path))
    assert _problem(exc)[1].startswith("not UTF-8 text")


def test_oversized_file_is_refused_before_parsing(tmp_path, monkeypatch):
    path = write_text(tmp_path, "name: x\n" + "# padding\n" * 20)
    monkeypatch.setattr(plan_loader, "MAX_PLAN_BYTES", 100)
    with pytest.raises(PlanError) as exc:
        read_document(str(path))
    assert "more than the 100 allowed" in _problem(exc)[1]


def test_unreadable_file(tmp_path):
    with pytest.raises(PlanError) as exc:
        read_document(str(tmp_path / "missing.yml"))
    assert _problem(exc) == ("", "cannot read plan file: No such file or directory")


# -- JSON plans ---------------------------------------------------------------------------------------------------

def test_json_plan_reads_as_the_same_data_as_yaml(tmp_path):
    doc = approved(base_plan())
    from_yaml = read_document(str(write_yaml(tmp_path, doc)))
    from_json = read_document(str(write_json(tmp_path, doc)))
    assert from_yaml == from_json == doc


def test_json_by_content_even_with_a_yml_name(tmp_path):
    path = write_text(tmp_path, json.dumps({"id": "x", "created": "2026-01-01T00:00:00Z"}), "plan.yml")
    assert read_document(str(path)) == {"id": "x", "created": "2026-01-01T00:00:00Z"}


def test_json_duplicate_keys_are_refused(tmp_path):
    path = write_text(tmp_path, '{"id": "a", "name": "x", "id": "b"}', "plan.json")
    with pytest.raises(PlanError) as exc:
        read_document(str(path))
    assert _problem(exc) == ("", "not valid JSON: duplicate key 'id'")


@pytest.mark.parametrize("text, message", [
    ('{"id": "a",}', "not valid JSON"),
    ('["a"]', "a plan must be a mapping at the top level, got list"),
])
def test_bad_json(tmp_path, text, message):
    with pytest.raises(PlanError) as exc:
        read_document(str(write_text(tmp_path, text, "plan.json")))
    assert _problem(exc)[1].startswith(message)


def test_parse_document_names_the_source():
    with pytest.raises(PlanError) as exc:
        parse_document("a: 1\na: 2\n", "inline-source.yml")
    assert str(exc.value).startswith("inline-source.yml: not valid YAML: ")
    assert "duplicate key 'a'" in str(exc.value)
    assert exc.value.source == "inline-source.yml"


# -- finding a plan -----------------------------------------------------------------------------------------------

def _plan_file(directory, name, plan_id, created):
    doc = base_plan()
    doc["id"], doc["created"] = plan_id, created
    return write_yaml(directory, approved(doc), name)


def test_find_by_path_gives_an_absolute_path(tmp_path, monkeypatch):
    path = _plan_file(tmp_path, "p.yml", "p", "2026-01-01T00:00:00Z")
    monkeypatch.chdir(tmp_path)
    assert find_plan("p.yml") == str(path)
    assert os.path.isabs(find_plan("./p.yml"))


def test_find_by_path_with_tilde(tmp_path, monkeypatch):
    path = _plan_file(tmp_path, "p.yml", "p", "2026-01-01T00:00:00Z")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_plan("~/p.yml") == str(path)


def test_find_by_id_in_plans_dir(tmp_path):
    _plan_file(tmp_path, "a.yml", "alpha", "2026-01-01T00:00:00Z")
    wanted = _plan_file(tmp_path, "b.yaml", "beta", "2026-01-02T00:00:00Z")
    write_json(tmp_path, dict(approved(base_plan()), id="gamma"), "c.json")
    (tmp_path / "beta.txt").write_text("id: beta\n")  # not a plan suffix: never read
    write_text(tmp_path, "id: [broken\n", "broken.yml")  # unreadable files do not stop the search
    assert find_plan("beta", str(tmp_path)) == str(wanted)
    assert find_plan("gamma", str(tmp_path)) == str(tmp_path / "c.json")


def test_unknown_id(tmp_path):
    _plan_file(tmp_path, "a.yml", "alpha", "2026-01-01T00:00:00Z")
    with pytest.raises(PlanError) as exc:
        find_plan("omega", str(tmp_path))
    assert exc.value.source == str(tmp_path)
    assert _problem(exc) == ("plan", "no plan with id 'omega' in this directory")


def test_duplicate_id_in_two_files_is_refused(tmp_path):
    first = _plan_file(tmp_path, "one.yml", "twin", "2026-01-01T00:00:00Z")
    second = _plan_file(tmp_path, "two.yml", "twin", "2026-01-02T00:00:00Z")
    with pytest.raises(PlanError) as exc:
        find_plan("twin", str(tmp_path))
    field, message = _problem(exc)
    assert field == "plan"
    assert "plan id 'twin' is in several files" in message
    assert str(first) in message and str(second) in message


def test_id_without_plans_dir(tmp_path):
    with pytest.raises(PlanError) as exc:
        find_plan("some-plan")
    assert _problem(exc) == ("plan", "no such file; to find a plan by id or 'last', set plans_dir")


def test_missing_path_that_is_not_an_id(tmp_path):
    with pytest.raises(PlanError) as exc:
        find_plan(str(tmp_path / "nope.yml"), str(tmp_path))
    assert _problem(exc) == ("plan", "no such file, and not a valid plan id")


@pytest.mark.parametrize("ref", ["", "   ", None, 42])
def test_empty_reference(ref):
    with pytest.raises(PlanError) as exc:
        find_plan(ref, "/nonexistent")
    assert _problem(exc) == ("plan", "give a plan file path, a plan id or 'last'")


def test_plans_dir_that_does_not_exist(tmp_path):
    with pytest.raises(PlanError) as exc:
        find_plan("alpha", str(tmp_path / "nowhere"))
    assert _problem(exc)[0] == "plans_dir"
    assert "cannot list plans directory" in _problem(exc)[1]


def test_last_is_the_newest_created_not_the_newest_file_or_name(tmp_path):
    newest = _plan_file(tmp_path, "a-oldest-name.yml", "newest", "2026-03-01T00:00:00Z")
    _plan_file(tmp_path, "m.yml", "middle", "2026-02-01T00:00:00Z")
    oldest = _plan_file(tmp_path, "z-last-name.yml", "oldest", "2026-01-01T00:00:00Z")
    os.utime(newest, (1, 1))  # the file times say the opposite
    os.utime(oldest, (2_000_000_000, 2_000_000_000))
    doc = approved(base_plan())
    doc["created"] = 12345  # not a string: cannot be compared, so never 'last'
    write_yaml(tmp_path, doc, "zz-no-created.yml")
    assert find_plan("last", str(tmp_path)) == str(newest)


def test_last_compares_created_as_times_not_text(tmp_path):
    _plan_file(tmp_path, "a.yml", "offset", "2026-11-23T10:00:00+02:00")
    newest = _plan_file(tmp_path, "b.yml", "utc", "2026-11-23T09:00:00Z")
    assert find_plan("last", str(tmp_path)) == str(newest)


def test_last_in_a_directory_without_plans(tmp_path):
    write_text(tmp_path, "id: [broken\n", "broken.yml")
    with pytest.raises(PlanError) as exc:
        find_plan("last", str(tmp_path))
    assert _problem(exc) == ("plan", "'last' found no readable plan with a 'created' time")
