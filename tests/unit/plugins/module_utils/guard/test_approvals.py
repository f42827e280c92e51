# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signed approvals under a class's rules: each refusal, and each attempt to get around one.

Plans are signed by the real writer (ssh-keygen -Y sign with the TEST-ONLY keys of tests/data/keys)
and checked by the real verifier (ssh-keygen -Y verify); nothing is mocked but the clock of a test.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import (
    ApprovalRefused, check_self_approval, check_signatures, distinct_approvers, signature_record)
from ansible_collections.coworker.aws.plugins.module_utils.guard.self_approval import iam_identity
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.plan.signatures import approval_message
from ansible_collections.coworker.aws.plugins.module_utils.plan.writer import approve

from plan_samples import ALLOWED_SIGNERS, KEYS_DIR, base_plan, destructive_plan, private_key, write_yaml

ALICE_ARN = "arn:aws:sts::123456789012:assumed-role/AliceAdmin/bob@example.com"  # alice's role, any session name
OTHER_ARN = "arn:aws:sts::123456789012:assumed-role/Deployer/alice@example.com"  # a role alice does not act as
IDENTITIES = {"alice@example.com": ["arn:aws:iam::123456789012:role/teams/AliceAdmin",
                                    "arn:aws:iam::123456789012:user/alice"],
              "bob@example.com": ["arn:aws:iam::123456789012:user/bob"]}
FORBID = {"signed": "required", "self_approval": "forbid", "identities": IDENTITIES}


def environments(tmp_path, approval, approvers=str(ALLOWED_SIGNERS)):
    if approvers is not None:
        approval = dict(approval, approvers=approvers)
    path = tmp_path / "environments.yml"
    path.write_text(yaml.safe_dump({"environments": {"sandbox": {"account_ids": ["123456789012"],
                                                                 "approval": approval}}}))
    return load_environments(str(path))


def sign(tmp_path, path, who, principal=None, **extra):
    params = dict(plan=str(path), plans_dir=None, approved_by="%s@example.com" % who, expires_in_days=None,
                  confirm=True, signing_key=private_key(tmp_path, who), principal=principal)
    params.update(extra)
    return approve(params)


def signed_plan(tmp_path, doc=None, signers=("alice",), **extra):
    path = write_yaml(tmp_path, doc or base_plan())
    for who in signers:
        sign(tmp_path, path, who, **extra)
    return path


def refusal(config, path):
    with pytest.raises(ApprovalRefused) as exc:
        check_signatures(config, "sandbox", load_plan(str(path)))
    return exc.value


def edit_approval(path, change):
    document = yaml.safe_load(path.read_text())
    change(document["approval"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))


# ------------------------------------------------------------------------------ accepted

def test_signed_by_an_allowed_signer_is_verified(tmp_path):
    config = environments(tmp_path, {"signed": "required"})
    summary = check_signatures(config, "sandbox", load_plan(str(signed_plan(tmp_path))))
    assert summary["status"] == "verified" and summary["required"] == 1
    [signer] = summary["signers"]
    fingerprint = subprocess.run(["ssh-keygen", "-lf", str(KEYS_DIR / "test-only-alice.ed25519.pub")],
                                 capture_output=True, text=True, check=True).stdout.split()[1]
    assert signer["principal"] == "alice@example.com" and signer["fingerprint"] == fingerprint
    assert summary["text"] == "verified: alice@example.com (key %s)" % fingerprint


def test_the_record_of_a_verified_approval_names_signers_and_keys_never_a_signature(tmp_path):
    config = environments(tmp_path, {"signed": "required", "destructive_min_approvers": 2})
    path = signed_plan(tmp_path, destructive_plan(), signers=("alice", "bob"))
    summary = check_signatures(config, "sandbox", load_plan(str(path)))
    record = signature_record(summary)
    signed = yaml.safe_load(path.read_text())["approval"]["signatures"]
    assert record == {"signature": "verified", "signers": [
        {"principal": s["principal"], "fingerprint": f["fingerprint"], "signed_at": s["signed_at"]}
        for s, f in zip(signed, summary["signers"])]}
    assert [s["principal"] for s in record["signers"]] == ["alice@example.com", "bob@example.com"]
    assert all(f["fingerprint"].startswith("SHA256:") for f in record["signers"])
    assert not any(s["signature"][:40] in str(record) for s in signed)
    unverified = check_signatures(environments(tmp_path, {"signed": "optional"}, approvers=None), "sandbox",
                                  load_plan(str(path)))
    assert signature_record(unverified) == {"signature": "unverified", "signers": [],
                                            "claimed": ["alice@example.com", "bob@example.com"]}


def test_unsigned_is_accepted_where_signatures_are_optional_and_said_so(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    approve(dict(plan=str(path), plans_dir=None, approved_by="carol", expires_in_days=None, confirm=True))
    for config in ({"environments": {"sandbox": {}}}, environments(tmp_path, {"signed": "optional"})):
        summary = check_signatures(config, "sandbox", load_plan(str(path)))
        assert (summary["status"], summary["text"], summary["signers"]) == (
            "unsigned", "claimed by carol, unsigned — anyone who can edit the file can write this", [])
        assert signature_record(summary) == {"signature": "unsigned", "signers": [], "approved_by": "carol"}


def test_two_approvers_satisfy_the_two_person_rule_of_a_destructive_plan(tmp_path):
    config = environments(tmp_path, {"signed": "required", "min_approvers": 1, "destructive_min_approvers": 2})
    path = signed_plan(tmp_path, destructive_plan(), signers=("alice", "bob"))
    summary = check_signatures(config, "sandbox", load_plan(str(path)))
    assert summary["destructive"] and summary["required"] == 2
    assert [s["principal"] for s in summary["signers"]] == ["alice@example.com", "bob@example.com"]
    # the co-signature kept the first approval: who, when, which digest
    approval = yaml.safe_load(path.read_text())["approval"]
    assert approval["approved_by"] == "alice@example.com" and len(approval["signatures"]) == 2


def test_a_non_destructive_plan_needs_only_min_approvers(tmp_path):
    config = environments(tmp_path, {"signed": "required", "destructive_min_approvers": 2})
    assert check_signatures(config, "sandbox", load_plan(str(signed_plan(tmp_path))))["required"] == 1


# ------------------------------------------------------------------------------ refused

def test_unsigned_where_required(tmp_path):
    path = write_yaml(tmp_path, base_plan())
    approve(dict(plan=str(path), plans_dir=None, approved_by="alice@example.com", expires_in_days=None, confirm=True))
    exc = refusal(environments(tmp_path, {"signed": "required"}), path)
    assert exc.field == "approval.signatures"
    assert "the approval is unsigned, but sandbox requires approvals signed" in exc.reason
    assert str(exc).startswith("STOPPING: approval refused — approval.signatures:")


def test_signature_by_an_unknown_key(tmp_path):
    path = signed_plan(tmp_path, signers=("outsider",), principal="alice@example.com")
    exc = refusal(environments(tmp_path, {"signed": "required"}), path)
    assert exc.field == "approval.signatures[0]"
    assert "which is not in the approvers file %s" % ALLOWED_SIGNERS in exc.reason


def test_a_listed_key_cannot_sign_as_another_principal(tmp_path):
    path = signed_plan(tmp_path, signers=("bob",), principal="alice@example.com")
    exc = refusal(environments(tmp_path, {"signed": "required"}), path)
    assert "is listed for bob@example.com" in exc.reason and "not for alice@example.com" in exc.reason


def test_signature_over_another_digest(tmp_path):
    """A good signature of plan A, pasted into plan B with B's digest, does not verify."""
    signed_a = yaml.safe_load(signed_plan(tmp_path).read_text())["approval"]
    other = base_plan()
    other["name"] = "Another plan"
    other["approval"] = dict(signed_a, plan_sha256=plan_digest(other))
    path = write_yaml(tmp_path, other, name="other.yml")
    exc = refusal(environments(tmp_path, {"signed": "required"}), path)
    assert exc.field == "approval.signatures[0]"
    assert "does not verify for this plan" in exc.reason and "Could not verify signature" in exc.reason


@pytest.mark.parametrize("field, value", [("expires_at", "2099-01-01T00:00:00Z"), ("signed_at", None)])
def test_fields_edited_after_signing_break_the_signature(tmp_path, field, value):
    path = signed_plan(tmp_path, expires_in_days=1)

    def change(approval):
        if field == "expires_at":
            approval["expires_at"] = value  # extend the expiry without re-signing
        else:
            approval["signatures"][0]["signed_at"] = "2020-01-01T00:00:00Z"

    edit_approval(path, change)
    assert "does not verify for this plan" in refusal(environments(tmp_path, {"signed": "required"}), path).reason


def test_expired_signed_approval_is_refused_when_the_plan_loads(tmp_path):
    from datetime import datetime, timedelta, timezone
    from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
    path = signed_plan(tmp_path, expires_in_days=1)
    with pytest.raises(PlanError, match="the approval expired at"):
        load_plan(str(path), now=datetime.now(timezone.utc) + timedelta(days=2))


def test_one_approver_where_two_are_required_for_a_destructive_plan(tmp_path):
    config = environments(tmp_path, {"signed": "required", "destructive_min_approvers": 2})
    exc = refusal(config, signed_plan(tmp_path, destructive_plan()))
    assert exc.field == "approval.signatures"
    assert "1 distinct approver(s) signed (alice@example.com; 1 signature(s)), but sandbox requires 2 for a " \
           "destructive plan" in exc.reason


def test_the_same_signature_twice_does_not_make_two_approvers(tmp_path):
    config = environments(tmp_path, {"signed": "required", "destructive_min_approvers": 2})
    path = signed_plan(tmp_path, destructive_plan())
    edit_approval(path, lambda approval: approval["signatures"].append(dict(approval["signatures"][0])))
    assert "1 distinct approver(s) signed (alice@example.com; 2 signature(s))" in refusal(config, path).reason


def test_one_key_listed_under_two_principals_counts_once(tmp_path):
    alice_key = (KEYS_DIR / "test-only-alice.ed25519.pub").read_text().split()[:2]
    shared = tmp_path / "shared_signers"
    shared.write_text("alice@example.com %s\ncarol@example.com %s\n" % (" ".join(alice_key), " ".join(alice_key)))
    config = environments(tmp_path, {"signed": "required", "destructive_min_approvers": 2}, approvers=str(shared))
    path = write_yaml(tmp_path, destructive_plan())
    sign(tmp_path, path, "alice")
    sign(tmp_path, path, "alice", principal="carol@example.com")
    exc = refusal(config, path)
    assert "1 distinct approver(s) signed (alice@example.com, carol@example.com; 2 signature(s))" in exc.reason


def test_a_signature_made_for_another_namespace(tmp_path):
    """A git commit signature (namespace "git") of the very message is not an approval."""
    path = signed_plan(tmp_path)
    document = yaml.safe_load(path.read_text())
    entry = document["approval"]["signatures"][0]
    message = approval_message(document["approval"]["plan_sha256"], None, entry["principal"], entry["signed_at"])
    git_signature = subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", private_key(tmp_path, "alice")],
                                   input=message, capture_output=True, check=True).stdout.decode()
    edit_approval(path, lambda approval: approval["signatures"][0].update(signature=git_signature))
    exc = refusal(environments(tmp_path, {"signed": "required"}), path)
    assert "signed for namespace 'git', not 'coworker.aws-plan'" in exc.reason


def test_signatures_are_checked_where_optional_too(tmp_path):
    """A bad signature is never ignored just because signing is optional."""
    path = signed_plan(tmp_path, signers=("outsider",), principal="alice@example.com")
    assert "not in the approvers file" in refusal(environments(tmp_path, {"signed": "optional"}), path).reason


def test_without_an_approvers_file_signatures_are_shown_as_not_verified(tmp_path):
    config = environments(tmp_path, {"signed": "optional"}, approvers=None)
    summary = check_signatures(config, "sandbox", load_plan(str(signed_plan(tmp_path))))
    assert summary["status"] == "unverified"
    assert summary["text"] == "alice@example.com, not verified: sandbox has no approvers file"


# ------------------------------------------------------------------------------ self-approval

@pytest.mark.parametrize("arn, identity", [
    ("arn:aws:iam::123456789012:user/teams/Alice", ("user", "123456789012", "alice")),
    (ALICE_ARN, ("role", "123456789012", "aliceadmin")),  # the role; the session name is the caller's choice
    ("arn:aws:iam::123456789012:role/teams/AliceAdmin", ("role", "123456789012", "aliceadmin")),
    ("arn:aws:iam::123456789012:root", ("root", "123456789012", "")),
    ("arn:aws:sts::123456789012:federated-user/bob", None),
    ("arn:aws:iam::123456789012:group/admins", None),
])
def test_iam_identity(arn, identity):
    assert iam_identity(arn) == identity


def forbid_summary(tmp_path, signers=("alice",), **rules):
    config = environments(tmp_path, dict(FORBID, **rules))
    return check_signatures(config, "sandbox", load_plan(str(signed_plan(tmp_path, signers=signers))))


def test_self_approval_forbidden_is_judged_on_the_role_not_the_session_name(tmp_path):
    summary = forbid_summary(tmp_path)
    with pytest.raises(ApprovalRefused) as exc:  # alice's own role, through a session named after bob
        check_self_approval(summary, {"arn": ALICE_ARN})
    assert ("self-approval is forbidden in sandbox: alice@example.com signed the approval and acts as the identity "
            "executing it (role aliceadmin in 123456789012, %s); 0 other approver(s) signed, 1 required" % ALICE_ARN
            ) == exc.value.reason
    # a session named after alice, of a role alice does not act as, is not alice
    assert check_self_approval(summary, {"arn": OTHER_ARN}) == summary
    with pytest.raises(ApprovalRefused):  # her IAM user, whatever its path
        check_self_approval(summary, {"arn": "arn:aws:iam::123456789012:user/people/alice"})


def test_self_approval_the_source_identity_is_the_executor_too(tmp_path):
    summary = forbid_summary(tmp_path)
    with pytest.raises(ApprovalRefused, match="alice@example.com signed the approval and acts as"):
        check_self_approval(summary, {"arn": OTHER_ARN, "source_identity": "Alice@example.com"})


def test_self_approval_another_approvers_signature_still_counts(tmp_path):
    checked = check_self_approval(forbid_summary(tmp_path, signers=("alice", "bob")), {"arn": ALICE_ARN})
    assert checked["text"].endswith("; not counted: alice@example.com (acts as the executing role aliceadmin in "
                                    "123456789012)")


def test_self_approval_allowed_by_default(tmp_path):
    config = environments(tmp_path, {"signed": "required"})
    summary = check_signatures(config, "sandbox", load_plan(str(signed_plan(tmp_path))))
    assert check_self_approval(summary, {"arn": ALICE_ARN}) == summary


def test_self_approval_refuses_a_signer_the_class_does_not_map(tmp_path):
    summary = forbid_summary(tmp_path, identities={"bob@example.com": ["arn:aws:iam::123456789012:user/bob"]})
    with pytest.raises(ApprovalRefused) as exc:
        check_self_approval(summary, {"arn": OTHER_ARN})
    assert exc.value.field == "environments.sandbox.approval.identities"
    assert "alice@example.com is not: nobody could tell whether alice@example.com is the one executing" \
        in exc.value.reason


def test_self_approval_refuses_a_federated_user(tmp_path):
    with pytest.raises(ApprovalRefused, match="is not an IAM user or role"):
        check_self_approval(forbid_summary(tmp_path), {"arn": "arn:aws:sts::123456789012:federated-user/carol"})


def test_a_role_shared_by_two_approvers_counts_neither(tmp_path):
    shared = {"alice@example.com": ["arn:aws:iam::123456789012:role/Shared"],
              "bob@example.com": ["arn:aws:iam::123456789012:role/Shared"]}
    summary = forbid_summary(tmp_path, signers=("alice", "bob"), identities=shared)
    with pytest.raises(ApprovalRefused, match="0 other approver"):
        check_self_approval(summary, {"arn": "arn:aws:sts::123456789012:assumed-role/Shared/ci"})


def test_distinct_approvers_is_a_matching():
    def signer(principal, key):
        return {"principal": principal, "fingerprint": key}
    assert distinct_approvers([]) == 0
    assert distinct_approvers([signer("a", "k1"), signer("A", "k2")]) == 1      # one principal, two keys
    assert distinct_approvers([signer("a", "k1"), signer("b", "k1")]) == 1      # one key, two principals
    assert distinct_approvers([signer("a", "k1"), signer("b", "k1"), signer("c", "k2"), signer("c", "k3")]) == 2
    assert distinct_approvers([signer("a", "k1"), signer("a", "k2"), signer("b", "k1")]) == 2


# ------------------------------------------------------------------------------ configuration

@pytest.mark.parametrize("approval, field, message", [
    ({"signed": "yes"}, "approval.signed", "must be one of optional, required"),
    ({"signed": "required"}, "approval.approvers", "signed: required needs an approvers file"),
    ({"approvers": ""}, "approval.approvers", "must be the path of an allowed_signers file"),
    ({"min_approvers": 0}, "approval.min_approvers", "must be a whole number from 1 to 16"),
    ({"min_approvers": True}, "approval.min_approvers", "must be a whole number"),
    ({"signed": "required", "approvers": "a", "min_approvers": 2, "destructive_min_approvers": 1},
     "approval.destructive_min_approvers", "from 2 to 16"),
    ({"destructive_min_approvers": 2}, "approval.signed", "counting approvers needs signed: required"),
    ({"self_approval": "never"}, "approval.self_approval", "must be one of allow, forbid"),
    ({"self_approval": "forbid"}, "approval.signed", "self_approval: forbid needs signed: required"),
    ({"signed": "required", "approvers": "a", "identities": ["arn:aws:iam::123456789012:user/a"]},
     "approval.identities", "must map each approver"),
    ({"signed": "required", "approvers": "a", "identities": {"a@x": []}}, "approval.identities.a@x",
     "must be a non-empty list"),
    ({"signed": "required", "approvers": "a",
      "identities": {"a@x": ["arn:aws:sts::123456789012:assumed-role/R/a@x"]}},
     "approval.identities.a@x[0]", "is not an IAM user or role ARN"),
    ({"quorum": 2}, "approval.quorum", "unknown key"),
    (["signed"], "approval", "must be a mapping"),
])
def test_approval_settings_are_validated(tmp_path, approval, field, message):
    path = tmp_path / "environments.yml"
    path.write_text(yaml.safe_dump({"environments": {"development": {"approval": approval}}}))
    with pytest.raises(ConfigError) as exc:
        load_environments(str(path))
    assert exc.value.source == str(path) and exc.value.field == "environments.development." + field
    assert message in str(exc.value)


def test_production_cannot_have_approval_rules(tmp_path):
    path = tmp_path / "environments.yml"
    path.write_text(yaml.safe_dump({"environments": {"production": {"approval": {"signed": "required"}}}}))
    with pytest.raises(ConfigError, match="only sandbox, development and test execute"):
        load_environments(str(path))


def test_approvers_path_is_relative_to_the_environments_file(tmp_path):
    config = environments(tmp_path, {"signed": "required"}, approvers="keys/signers")
    assert config["environments"]["sandbox"]["approval"]["approvers"] == str(tmp_path / "keys" / "signers")
    assert config["environments"]["development"].get("approval") is None  # absent: today's rules
