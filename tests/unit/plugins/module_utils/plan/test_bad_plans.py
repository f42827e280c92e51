# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The corpus of malformed and hostile plans (tests/data/plans): each refused for its own defect."""

from __future__ import annotations

import importlib.util
import time

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan

from plan_samples import BAD_DIR, HOSTILE_DIR, REPO, independent_digest, many_steps_yaml, write_text

DATA = REPO / "tests" / "data" / "plans"
EXPECTED = yaml.safe_load((DATA / "expected.yml").read_text(encoding="utf-8"))
JINJA = HOSTILE_DIR / "jinja-in-param.yml"
LOOKUP = "{{ lookup('pipe','id') }}"


def _regenerate():
    spec = importlib.util.spec_from_file_location("corpus_regenerate", DATA / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases():
    for name, entry in sorted(EXPECTED.items()):
        marks = [pytest.mark.xfail(strict=True, reason="BUG: " + entry["known_bug"])] if entry.get("known_bug") else []
        yield pytest.param(name, entry, marks=marks, id=name)


def test_corpus_is_complete():
    files = {path.name for path in BAD_DIR.iterdir()}
    assert files == set(EXPECTED), "every file in bad/ needs an entry in expected.yml, and the reverse"
    assert len([e for e in EXPECTED.values() if not e.get("known_bug")]) >= 25


def test_corpus_approvals_are_current():
    """A stale digest would make 'edited after approval' hide the defect a file is about."""
    regenerate = _regenerate()
    stale = [path.name for path, stamp in regenerate.targets()
             if regenerate.stamped(path.read_text(encoding="utf-8"), path.name, stamp)
             != path.read_text(encoding="utf-8")]
    assert stale == [], "run: .venv/bin/python tests/data/plans/regenerate.py"


@pytest.mark.parametrize("name, entry", list(_cases()))
def test_bad_plan_is_refused_for_its_own_defect(name, entry):
    path = str(BAD_DIR / name)
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    text = str(exc.value)
    assert exc.value.source == path
    where = "%s: %s: " % (path, entry["field"]) if entry["field"] else "%s: " % path
    lines = [line for line in text.splitlines() if line.startswith(where)]
    assert any(entry["fragment"] in line for line in lines), "%r not reported at %r:\n%s" % (
        entry["fragment"], entry["field"] or "<file>", text)
    if not entry["field"].startswith("approval"):
        assert not [f for f, _message in exc.value.problems if f.startswith("approval")], "stale approval: " + text


def test_python_tag_never_runs(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PlanError):
        load_plan(str(BAD_DIR / "python-tag.yml"))
    out, err = capfd.readouterr()
    assert "uid=" not in out + err


def test_shell_syntax_in_a_command_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PlanError):
        load_plan(str(BAD_DIR / "shell-in-command.yml"))
    assert not (tmp_path / "coworker-pwned").exists()


def test_jinja_looking_text_is_kept_literally():
    loaded = load_plan(str(JINJA))
    plan = loaded["plan"]
    assert plan["name"] == "Jinja %s stays text" % LOOKUP
    assert plan["objective"] == "{% raw %}{{ ansible_env.HOME }}{% endraw %} and {# a comment #} are text too"
    only = plan["steps"][0]
    assert only["phase"] == "Config {{ 7 * 7 }}"
    assert only["call"]["params"]["Value"] == (
        LOOKUP + " {% raw %}{{ lookup('env','HOME') }}{% endraw %} ${run.id}")
    assert only["call"]["params"]["Description"] == "{% for x in range(3) %}{{ x }}{% endfor %}"
    assert only["validate"][0]["expect"] == ["!contains(Parameter.Name, `\"%s\"`)" % LOOKUP]
    # the CLI line shows the Jinja-looking description as text (Value is sensitive in the model: redacted)
    assert "{% for x in range(3) %}{{ x }}{% endfor %}" in only["call"]["cli"]
    assert loaded["sha256"] == independent_digest(yaml.safe_load(JINJA.read_text(encoding="utf-8")))


def test_ten_thousand_steps_are_refused_by_the_step_limit(tmp_path):
    path = write_text(tmp_path, many_steps_yaml(10_000), "huge.yml")
    started = time.monotonic()
    with pytest.raises(PlanError) as exc:
        load_plan(str(path))
    elapsed = time.monotonic() - started
    assert exc.value.problems == [("phases", "the plan has 10000 steps, more than the 1000 a run may have; "
                                             "split it into smaller plans")]
    assert str(exc.value).startswith("%s: phases: " % path)
    assert elapsed < 10  # refused after parsing, before thousands of steps are checked
