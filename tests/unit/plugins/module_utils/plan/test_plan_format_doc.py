"""docs/plan-format.md keeps step with the loader: every field the loader accepts is in its section
(the field sets are the loader's own, not a list written here), every YAML example is valid, and
every link inside it lands on a heading."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.aws.service_model import DESTRUCTIVE_PREFIXES
from ansible_collections.coworker.aws.plugins.module_utils.plan import (
    approval, call_checks, loader, schema, signatures, targets)
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    GLOBAL_OPTIONS, INPUT_OPTIONS, PAGING_OPTIONS, READS_FILE, READS_URL)
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import BUILTIN

REPO = Path(__file__).resolve().parents[5]
DOC = REPO / "docs" / "plan-format.md"
TEXT = DOC.read_text(encoding="utf-8")


def section(title_start: str) -> str:
    """The text under the ``## `` heading that starts with ``title_start``, up to the next one."""
    parts = re.split(r"^## ", TEXT, flags=re.M)
    found = [p for p in parts[1:] if p.startswith(title_start)]
    assert len(found) == 1, "no single section %r in %s" % (title_start, DOC)
    return found[0]


def fields(keys) -> list[str]:
    return ["`%s`" % key for key in sorted(keys)]


# section heading -> what the loader accepts there, read from the loader's own constants
EXPECTED = {
    "Top level": fields(schema.TOP_KEYS) + ["`%s`" % schema.FORMAT] + fields(schema.RISK_LEVELS)
    + [loader.PLAN_ID_RE.pattern],
    "`target`": fields(targets.TARGET_KEYS) + fields(targets.EXECUTABLE_ENVIRONMENTS) + [targets.REGION_RE.pattern],
    "`targets`": fields(targets.ENTRY_KEYS) + [str(targets.MAX_TARGETS)],
    "`guardrail`": fields(schema.GUARDRAIL_KEYS) + fields(schema.FINDING_KEYS) + fields(schema.GUARDRAIL_STATUSES),
    "`phases`": fields(schema.PHASE_KEYS),
    "`steps`": fields(schema.STEP_KEYS) + [schema.STEP_ID_RE.pattern] + fields(BUILTIN),
    "`validate`": fields(call_checks.VALIDATE_KEYS),
    "`rollback`": fields(call_checks.CALL_KEYS - {"expect"}) + ["`expect`"],
    "`wait`": fields(call_checks.WAIT_KEYS),
    "`fetched`": fields(schema.FETCHED_KEYS),
    "`command`": ["`--%s`" % option for option in sorted(set(GLOBAL_OPTIONS) | set(INPUT_OPTIONS) | set(PAGING_OPTIONS))]
    + fields(READS_FILE + READS_URL),
    "References": ["`${%s.%s}`" % (scope, name) for scope, names in BUILTIN.items() for name in names],
    "Destructive": ["`%s`" % prefix for prefix in DESTRUCTIVE_PREFIXES],
    "`approval`": fields(approval.APPROVAL_KEYS)
    + ["`{%s}`" % ", ".join(signatures.SIGNATURE_KEYS), str(signatures.MAX_SIGNATURES)],
    "Limits": [str(schema.MAX_STEPS), str(targets.MAX_TARGETS), str(loader.MAX_NESTING),
               "%d MiB" % (loader.MAX_PLAN_BYTES // 2 ** 20)],
}


@pytest.mark.parametrize("title", sorted(EXPECTED))
def test_every_field_the_loader_accepts_is_in_its_section(title):
    text = section(title)
    missing = [item for item in EXPECTED[title] if item not in text]
    assert missing == [], "%s, section %r, does not mention %s" % (DOC, title, ", ".join(missing))


def test_every_mapping_the_loader_checks_has_its_section():
    """A new key set in the schema or its call checks (a new mapping in the plan) needs a section and an entry above."""
    documented = {id(getattr(module, name)) for module, name in (
        (schema, "TOP_KEYS"), (schema, "STEP_KEYS"), (call_checks, "CALL_KEYS"), (call_checks, "VALIDATE_KEYS"),
        (call_checks, "WAIT_KEYS"), (schema, "PHASE_KEYS"), (schema, "GUARDRAIL_KEYS"), (schema, "FINDING_KEYS"),
        (schema, "FETCHED_KEYS"))}
    key_sets = [(module.__name__, name) for module in (schema, call_checks) for name, value in vars(module).items()
                if name.endswith("_KEYS") and isinstance(value, set) and id(value) not in documented]
    assert key_sets == []


SKELETON = {"format": "coworker.aws/plan-v1", "id": "doc-example", "name": "doc example",
            "created": "2026-12-07T09:00:00Z",
            "target": {"environment": "sandbox", "account_id": "123456789012", "region": "us-east-1"},
            "guardrail": {"status": "PASS"}, "phases": [{"name": "P", "steps": [
                {"id": "noop", "action": "sts:GetCallerIdentity"}]}]}


def as_plan(example):
    """A YAML example as a whole plan: as written, its steps in the skeleton, or its keys over the skeleton's."""
    if isinstance(example, dict) and "format" in example:
        return example
    plan = copy.deepcopy(SKELETON)
    if isinstance(example, list):
        plan["phases"] = [{"name": "P", "steps": example}]
    else:
        plan.update(example)
    return plan


EXAMPLES = re.findall(r"^```yaml\n(.*?)^```", TEXT, flags=re.M | re.S)


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_every_yaml_example_is_a_valid_plan_or_part_of_one(index):
    example = yaml.safe_load(EXAMPLES[index])
    plan = schema.validate_document(as_plan(example), "%s example %d" % (DOC.name, index + 1))
    assert plan["steps"]


def test_the_examples_cover_a_whole_plan_and_every_kind_of_fragment():
    kinds = [type(yaml.safe_load(text)).__name__ for text in EXAMPLES]
    assert len(EXAMPLES) >= 12 and {"dict", "list"} <= set(kinds)
    assert yaml.safe_load(EXAMPLES[0])["format"] == schema.FORMAT  # the complete plan comes first


def github_anchor(heading: str) -> str:
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^a-z0-9 _-]", "", text).replace(" ", "-")


def test_every_link_inside_the_reference_lands_on_a_heading_and_every_file_link_exists():
    anchors = {github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", TEXT, flags=re.M)}
    inside = re.findall(r"\]\(#([^)]+)\)", TEXT)
    assert inside and sorted(set(inside) - anchors) == []
    for target in re.findall(r"\]\(([^)#:]+\.md)\)", TEXT):
        assert (DOC.parent / target).is_file(), target


def test_the_readme_and_the_docs_link_the_reference():
    assert "(docs/plan-format.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    for page in sorted((REPO / "docs").glob("*.md")):
        assert page == DOC or "(plan-format.md)" in page.read_text(encoding="utf-8"), page
