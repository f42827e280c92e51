# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an approver signs, the shape of approval.signatures, and signing with approve_plan's writer."""

from __future__ import annotations

import subprocess
import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError, PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan import ssh_keygen
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import approval_environments, load_plan, plan_info
from ansible_collections.coworker.aws.plugins.module_utils.plan.signatures import (
    approval_message, parse_signature, principal_problem)
from ansible_collections.coworker.aws.plugins.module_utils.plan.writer import approve

from plan_samples import ALLOWED_SIGNERS, EXAMPLES, HOSTILE_DIR, KEYS_DIR, base_plan, private_key, write_yaml


def _approve(tmp_path, path, who="alice", **extra):
    params = dict(plan=str(path), plans_dir=None, approved_by="%s@example.com" % who, expires_in_days=None,
                  confirm=True, signing_key=private_key(tmp_path, who), principal=None)
    params.update(extra)
    return approve(params)


def test_the_signed_message_is_exactly_the_documented_one():
    assert approval_message("ab" * 32, "2026-12-01T00:00:00Z", "alice@example.com", "2026-11-30T10:00:00Z") == (
        b"coworker.aws plan approval v1\nplan_sha256=" + b"ab" * 32 + b"\nexpires_at=2026-12-01T00:00:00Z\n"
        b"principal=alice@example.com\nsigned_at=2026-11-30T10:00:00Z\n")
    assert b"\nexpires_at=none\n" in approval_message("ab" * 32, None, "a", "t")


def test_a_written_signature_verifies_with_ssh_keygen_itself(tmp_path):
    """Independently of the collection's verifier: the documented message, the documented namespace."""
    path = write_yaml(tmp_path, base_plan())
    result = _approve(tmp_path, path, expires_in_days=2)
    approval = yaml.safe_load(path.read_text())["approval"]
    assert approval == result["approval"]
    entry = approval["signatures"][0]
    assert set(entry) == {"principal", "signature", "signed_at"} and entry["principal"] == "alice@example.com"
    (tmp_path / "sig").write_text(entry["signature"])
    message = ("coworker.aws plan approval v1\nplan_sha256=%s\nexpires_at=%s\nprincipal=alice@example.com\n"
               "signed_at=%s\n" % (result["sha256"], approval["expires_at"], entry["signed_at"])).encode()
    done = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(ALLOWED_SIGNERS), "-I", "alice@example.com",
                           "-n", "coworker.aws-plan", "-s", str(tmp_path / "sig")], input=message,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert b'Good "coworker.aws-plan" signature for alice@example.com' in done.stdout
    assert load_plan(str(path))["plan"]["approval"]["signatures"][0]["principal"] == "alice@example.com"


def test_parse_signature_names_key_and_namespace(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    parsed = parse_signature(_approve(tmp_path, path)["approval"]["signatures"][0]["signature"])
    expected = subprocess.run(["ssh-keygen", "-lf", str(KEYS_DIR / "test-only-alice.ed25519.pub")],
                              capture_output=True, text=True, check=True).stdout.split()[1]
    assert (parsed["namespace"], parsed["key_type"], parsed["fingerprint"]) == (
        "coworker.aws-plan", "ssh-ed25519", expected)


@pytest.mark.parametrize("text, message", [
    ("hello", "not an armored SSH signature"),
    ("-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n", "not an armored SSH signature"),
    ("-----BEGIN SSH SIGNATURE-----\nQUJD\n-----END SSH SIGNATURE-----\n", "not an SSH signature of version 1"),
    ("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAAP8=\n-----END SSH SIGNATURE-----\n", "truncated"),
])
def test_parse_signature_refuses_what_is_not_one(text, message):
    with pytest.raises(ValueError, match=message):
        parse_signature(text)


@pytest.mark.parametrize("value, message", [
    ("alice@example.com", None), ("ci.bot+deploy=1", None),
    ("", "must be a non-empty string"), (None, "must be a non-empty string"),
    ("alice\n@example.com", "contains control characters (alice\\n@example.com)"),
    ("alice\x1b[31m", "contains control characters (alice\\x1b[31m)"),
    ("*@example.com", "is a pattern"), ("alice,bob", "is not a principal"), ("alice bob", "is not a principal"),
    ("-alice", "is not a principal"), ("a" * 129, "is not a principal"),
])
def test_principal_problem(value, message):
    problem = principal_problem(value)
    assert problem is None if message is None else message in problem


def _load_problems(tmp_path, change):
    path = write_yaml(tmp_path, base_plan())
    _approve(tmp_path, path)
    document = yaml.safe_load(path.read_text())
    change(document["approval"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(PlanError) as exc:
        load_plan(str(path))
    return exc.value.problems


@pytest.mark.parametrize("change, field, message", [
    (lambda a: a.update(signatures=[]), "approval.signatures", "must be a non-empty list"),
    (lambda a: a.update(signatures="sig"), "approval.signatures", "must be a non-empty list"),
    (lambda a: a["signatures"].append("sig"), "approval.signatures[1]", "must be a mapping"),
    (lambda a: a["signatures"][0].update(key="x"), "approval.signatures[0].key", "unknown field"),
    (lambda a: a["signatures"][0].pop("signed_at"), "approval.signatures[0].signed_at", "required field is missing"),
    (lambda a: a["signatures"][0].update(principal="alice\x07@example.com"), "approval.signatures[0].principal",
     "contains control characters (alice\\x07@example.com)"),
    (lambda a: a["signatures"][0].update(signature="x" * 9000), "approval.signatures[0].signature",
     "longer than 8192 characters"),
    (lambda a: a["signatures"][0].update(signature="trust me"), "approval.signatures[0].signature",
     "not an armored SSH signature"),
    (lambda a: a["signatures"][0].update(signed_at="2999-01-01T00:00:00Z"), "approval.signatures[0].signed_at",
     "is in the future"),
    (lambda a: a["signatures"][0].update(signed_at="yesterday"), "approval.signatures[0].signed_at",
     "not an ISO 8601 time"),
    (lambda a: a.update(signatures=[dict(a["signatures"][0]) for number in range(17)]), "approval.signatures",
     "more than 16 signatures"),
])
def test_the_shape_of_signatures_is_checked_when_the_plan_loads(tmp_path, change, field, message):
    problems = _load_problems(tmp_path, change)
    assert any(f == field and message in m for f, m in problems), problems


def test_a_second_signature_keeps_the_first_approval_and_replaces_only_its_own(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    first = _approve(tmp_path, path, expires_in_days=3)["approval"]
    second = _approve(tmp_path, path, "bob")["approval"]
    assert {k: second[k] for k in ("approved_by", "approved_at", "plan_sha256", "expires_at")} == \
        {k: first[k] for k in ("approved_by", "approved_at", "plan_sha256", "expires_at")}
    assert [s["principal"] for s in second["signatures"]] == ["alice@example.com", "bob@example.com"]
    again = _approve(tmp_path, path, "bob")["approval"]  # bob signs again: still two signatures
    assert [s["principal"] for s in again["signatures"]] == ["alice@example.com", "bob@example.com"]


def test_a_co_signature_cannot_change_the_expiry(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    _approve(tmp_path, path, expires_in_days=3)
    before = path.read_text()
    with pytest.raises(CoworkerError, match="a further signature keeps that expiry"):
        _approve(tmp_path, path, "bob", expires_in_days=30)
    assert path.read_text() == before


def test_an_edited_plan_starts_a_new_approval(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    _approve(tmp_path, path)
    document = yaml.safe_load(path.read_text())
    document["name"] = "Edited after approval"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    approval = _approve(tmp_path, path, "bob")["approval"]
    assert approval["approved_by"] == "bob@example.com"
    assert [s["principal"] for s in approval["signatures"]] == ["bob@example.com"]


def test_signing_refuses_a_bad_principal_or_key_and_leaves_the_file(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    before = path.read_text()
    with pytest.raises(CoworkerError, match="principal: contains control characters"):
        _approve(tmp_path, path, principal="alice\n@example.com")
    with pytest.raises(CoworkerError, match="no such file"):
        _approve(tmp_path, path, signing_key=str(tmp_path / "missing"))
    public_only = tmp_path / "alice.pub"  # a public key whose private half is in no agent
    public_only.write_text((KEYS_DIR / "test-only-alice.ed25519.pub").read_text())
    with pytest.raises(CoworkerError, match="ssh-keygen could not sign with"):
        _approve(tmp_path, path, signing_key=str(public_only))
    assert path.read_text() == before


def test_missing_ssh_keygen_is_a_clear_error_only_when_a_signature_is_involved(tmp_path, monkeypatch):
    path = write_yaml(tmp_path, base_plan())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with pytest.raises(CoworkerError, match="ssh-keygen .* was not found on PATH"):
        _approve(tmp_path, path)
    unsigned = approve(dict(plan=str(path), plans_dir=None, approved_by="a", expires_in_days=None, confirm=True))
    assert "signatures" not in unsigned["approval"]
    with pytest.raises(CoworkerError, match="Install openssh-client"):
        ssh_keygen.verify(str(ALLOWED_SIGNERS), "alice@example.com", b"m", "sig")


def _environments_file(tmp_path, approval):
    path = tmp_path / "environments.yml"
    path.write_text(yaml.safe_dump({"environments": {"sandbox": {"approval": approval}}}))
    return str(path)


def test_plan_info_says_who_approved_and_refuses_naming_file_and_field(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    _approve(tmp_path, path)
    required = _environments_file(tmp_path, {"signed": "required", "approvers": str(ALLOWED_SIGNERS)})
    info = plan_info(str(path), environments_file=required)
    assert info["approval_check"]["status"] == "verified"
    assert info["approval_check"]["text"].startswith("verified: alice@example.com (key SHA256:")
    assert plan_info(str(path))["approval_check"] is None  # no environments file: not checked here
    approve(dict(plan=str(path), plans_dir=None, approved_by="a", expires_in_days=None, confirm=True))  # unsigned
    with pytest.raises(PlanError) as exc:
        plan_info(str(path), environments_file=required)
    assert exc.value.source == str(path)
    [(field, message)] = exc.value.problems
    assert field == "approval.signatures" and message.startswith("approval refused: the approval is unsigned")


def test_approval_environments_uses_the_default_file_only_when_it_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKER_AWS_ENVIRONMENTS", str(tmp_path / "absent.yml"))
    assert approval_environments(None) is None
    assert approval_environments(str(tmp_path / "given.yml")) == str(tmp_path / "given.yml")
    (tmp_path / "absent.yml").write_text("environments: {}\n")
    assert approval_environments(None) == str(tmp_path / "absent.yml")


SHIPPED = EXAMPLES + sorted(HOSTILE_DIR.glob("*.yml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_plans_are_signed_by_the_test_approver(tmp_path, path):
    """The examples and the valid corpus plans carry alice's TEST-ONLY signature, still valid for their content
    (re-sign after editing one: approve_plan with signing_key=tests/data/keys/test-only-alice.ed25519)."""
    required = _environments_file(tmp_path, {"signed": "required", "approvers": str(ALLOWED_SIGNERS)})
    check = plan_info(str(path), environments_file=required)["approval_check"]
    assert check["status"] == "verified"
    assert [s["principal"] for s in check["signers"]] == ["alice@example.com"]
