# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plans for the plan-model unit tests: a small valid plan, an independent digest, file writers.

The digest here is written from the contract (plan-format.md, "The digest"), not imported
from the collection, so a test that compares the two can catch a wrong implementation.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[4]
EXAMPLES = sorted((REPO / "examples" / "plans").glob("*.yml"))
BAD_DIR = REPO / "tests" / "data" / "plans" / "bad"
HOSTILE_DIR = REPO / "tests" / "data" / "plans" / "hostile"
APPROVED_AT = "2026-01-02T03:04:05Z"

_BASE = {
    "format": "coworker.aws/plan-v1",
    "id": "unit-plan",
    "name": "Unit test plan",
    "created": "2026-01-01T00:00:00Z",
    "objective": "Exercise the plan model",
    "target": {"environment": "sandbox", "account_id": "123456789012", "region": "us-east-1"},
    "guardrail": {"status": "PASS", "validated_at": "2026-01-01T00:01:00Z", "findings": []},
    "risk": "Low",
    "phases": [
        {"name": "Storage", "steps": [
            {"id": "create_bucket", "description": "Create the bucket", "action": "s3:CreateBucket",
             "params": {"Bucket": "unit-${target.account_id}"},
             "register": {"location": "Location"},
             "expect": ["Location != null"],
             "wait": {"waiter": "bucket_exists", "params": {"Bucket": "unit-${target.account_id}"}},
             "validate": {"action": "s3:HeadBucket", "params": {"Bucket": "unit-${target.account_id}"}},
             "rollback": [{"action": "s3:DeleteBucket", "params": {"Bucket": "unit-${target.account_id}"}}]},
            {"id": "enable_versioning", "description": "Keep versions",
             "action": "s3:PutBucketVersioning",
             "params": {"Bucket": "unit-${target.account_id}",
                        "VersioningConfiguration": {"Status": "Enabled"}},
             "validate": {"action": "s3:GetBucketVersioning", "params": {"Bucket": "unit-${target.account_id}"},
                          "expect": ["Status == 'Enabled'"], "retries": 2, "delay": 1},
             "rollback": {"action": "s3:PutBucketVersioning",
                          "params": {"Bucket": "unit-${target.account_id}",
                                     "VersioningConfiguration": {"Status": "Suspended"}}}},
        ]},
    ],
}


def base_plan() -> dict:
    """A fresh copy of a small valid plan (no approval)."""
    return copy.deepcopy(_BASE)


def step(doc: dict, phase: int = 0, index: int = 0) -> dict:
    return doc["phases"][phase]["steps"][index]


def independent_digest(document: dict) -> str:
    """SHA-256 of the canonical JSON without ``approval``, written from the contract."""
    body = {key: value for key, value in document.items() if key != "approval"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def approved(doc: dict, approved_at: str = APPROVED_AT, **extra) -> dict:
    """``doc`` with a valid approval for its current content."""
    doc = copy.deepcopy(doc)
    doc.pop("approval", None)
    doc["approval"] = dict({"approved_by": "alice@example.com", "approved_at": approved_at,
                            "plan_sha256": independent_digest(doc)}, **extra)
    return doc


def write_yaml(directory: Path, doc: dict, name: str = "plan.yml") -> Path:
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_json(directory: Path, doc: dict, name: str = "plan.json") -> Path:
    path = Path(directory) / name
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def write_text(directory: Path, text: str, name: str = "plan.yml") -> Path:
    path = Path(directory) / name
    path.write_text(text, encoding="utf-8")
    return path


def many_steps(count: int, per_phase: int = 100) -> dict:
    """A valid plan of ``count`` S3 create-bucket steps, each with validate and rollback."""
    doc = base_plan()
    doc["phases"] = []
    for number in range(count):
        if number % per_phase == 0:
            doc["phases"].append({"name": "Phase %d" % (number // per_phase + 1), "steps": []})
        bucket = "bench-%05d-${target.account_id}" % number
        doc["phases"][-1]["steps"].append({
            "id": "bucket_%05d" % number, "action": "s3:CreateBucket", "params": {"Bucket": bucket},
            "validate": {"action": "s3:HeadBucket", "params": {"Bucket": bucket}},
            "rollback": {"action": "s3:DeleteBucket", "params": {"Bucket": bucket}}})
    return doc


def many_steps_yaml(count: int, per_phase: int = 100) -> str:
    """The YAML text of an approved ``many_steps(count)`` plan, written fast (no YAML dumper)."""
    doc = many_steps(count, per_phase)
    head = {key: value for key, value in doc.items() if key != "phases"}
    lines = [yaml.safe_dump(head, sort_keys=False).rstrip("\n"), "phases:"]
    for phase in doc["phases"]:
        lines.append("  - name: %s\n    steps:" % phase["name"])
        for item in phase["steps"]:
            bucket = json.dumps(item["params"]["Bucket"])
            lines.append("      - {id: %s, action: s3:CreateBucket, params: {Bucket: %s},\n"
                         "         validate: {action: s3:HeadBucket, params: {Bucket: %s}},\n"
                         "         rollback: {action: s3:DeleteBucket, params: {Bucket: %s}}}"
                         % (item["id"], bucket, bucket, bucket))
    approval = approved(doc)["approval"]
    lines.append("approval:\n  approved_by: %s\n  approved_at: '%s'\n  plan_sha256: %s"
                 % (approval["approved_by"], approval["approved_at"], approval["plan_sha256"]))
    return "\n".join(lines) + "\n"


KEYS_DIR = REPO / "tests" / "data" / "keys"
ALLOWED_SIGNERS = KEYS_DIR / "test-only-allowed_signers"


def private_key(directory: Path, name: str) -> str:
    """A private (0600) copy of the TEST-ONLY key ``name`` (alice, bob, outsider): git keeps no file modes,
    and ssh-keygen refuses a private key others can read."""
    path = Path(directory) / ("test-only-%s.ed25519" % name)
    if not path.exists():
        path.write_bytes((KEYS_DIR / path.name).read_bytes())
        path.chmod(0o600)
    return str(path)


def destructive_plan() -> dict:
    """``base_plan`` plus a destructive step (its operation name starts with Delete)."""
    doc = base_plan()
    doc["phases"][0]["steps"].append({
        "id": "drop_policy", "description": "Remove the bucket policy", "action": "s3:DeleteBucketPolicy",
        "params": {"Bucket": "unit-${target.account_id}"}})
    return doc
