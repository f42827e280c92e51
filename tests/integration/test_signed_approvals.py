"""Signed approvals end to end (issue 16, part A): real ansible-playbook, real ssh-keygen, moto recorder.

The sandbox class of the environments file requires approvals signed by the TEST-ONLY approvers
of tests/data/keys. A plan signed by an allowed signer runs; every other approval is refused
with its reason and with NO AWS call at all (the signatures are checked when the plan is
loaded, against the rules of the plan's own class), except self-approval, which needs to know
who executes: it is refused after exactly sts:GetCallerIdentity and iam:ListAccountAliases.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from ansible_collections.coworker.aws.plugins.module_utils.plan.approval import signed_approval
from ansible_collections.coworker.aws.plugins.module_utils.plan.digest import plan_digest
from ansible_collections.coworker.aws.plugins.module_utils.plan.writer import approve
from moto_harness import REPO_ROOT, call_keys, mutating_calls, output_of, run_playbook
from workflow_support import (  # noqa: F401  pylint: disable=unused-import
    ACCOUNT, PROFILE, delete_param, plan_document, put_param, unwrapped, workflow)

pytestmark = pytest.mark.integration

KEYS = REPO_ROOT / "tests" / "data" / "keys"
APPROVE = REPO_ROOT / "playbooks" / "approve_plan.yml"
STS_ONLY = [("sts", "GetCallerIdentity"), ("iam", "ListAccountAliases")]


def environments(flow, approvers=None, **rules) -> None:
    """The workflow's environments file with approval rules for sandbox."""
    config = yaml.safe_load(flow.environments.read_text())
    config["environments"]["sandbox"]["approval"] = dict(
        {"signed": "required", "approvers": str(approvers or KEYS / "test-only-allowed_signers")}, **rules)
    flow.environments.write_text(yaml.safe_dump(config))


def key(flow, who: str) -> str:
    """A private copy of a TEST-ONLY key (git keeps no file modes; ssh-keygen wants 0600)."""
    path = flow.tmp / f"{who}.ed25519"
    if not path.exists():
        path.write_bytes((KEYS / f"test-only-{who}.ed25519").read_bytes())
        path.chmod(0o600)
    return str(path)


def fingerprint(who: str) -> str:
    """The SHA256 fingerprint of a TEST-ONLY public key, as ssh-keygen prints it."""
    return subprocess.run(["ssh-keygen", "-lf", str(KEYS / f"test-only-{who}.ed25519.pub")],
                          capture_output=True, text=True, check=True).stdout.split()[1]


def write_plan(flow, plan_id: str, destructive: bool = False):
    steps = [put_param("put_a", f"/{plan_id}/a")]
    if destructive:
        steps.append(delete_param("drop_old", f"/{plan_id}/old"))
    path = flow.tmp / "plans" / f"{plan_id}.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(plan_document(plan_id, [("Config", steps)]), sort_keys=False))
    return path


def sign(flow, path, who: str, principal: str | None = None, **extra) -> dict:
    params = dict(plan=str(path), plans_dir=None, approved_by=f"{who}@example.com", expires_in_days=None,
                  confirm=True, signing_key=key(flow, who), principal=principal)
    return approve(dict(params, **extra))


def edit_approval(path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document["approval"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def execute(flow, path):
    digest = plan_digest(yaml.safe_load(path.read_text()))
    with flow.moto.recording() as calls:
        result = flow.run(type("P", (), {"path": path})(), "-e", f"approve={digest}")
    return result, calls


# ------------------------------------------------------------------------------ accepted

def test_signed_by_an_allowed_signer_runs(workflow):
    """Approved and signed through approve_plan.yml, as a person would; shown and executed."""
    environments(workflow)
    path = write_plan(workflow, "signed")
    approved = run_playbook([APPROVE, "-e", f"plan={path}", "-e", "approved_by=alice@example.com",
                             "-e", f"signing_key={key(workflow, 'alice')}", "-e", "confirm=yes"],
                            workflow.env(), workflow.tmp)
    assert approved.returncode == 0, output_of(approved)
    assert "signed by alice@example.com" in output_of(approved)
    result, calls = execute(workflow, path)
    out = unwrapped(output_of(result))
    assert result.returncode == 0, output_of(result)
    assert "Signature: verified: alice@example.com (key SHA256:" in out
    assert "Approval: verified: alice@example.com (key SHA256:" in out
    assert ("ssm", "PutParameter") in mutating_calls(calls)
    assert workflow.parameter_values() == {"/signed/a": "v1"}


def test_two_approvers_run_a_destructive_plan(workflow):
    environments(workflow, destructive_min_approvers=2)
    workflow.ssm.put_parameter(Name="/twoperson/old", Value="x", Type="String")
    path = write_plan(workflow, "twoperson", destructive=True)
    sign(workflow, path, "alice")
    cosigned = run_playbook([APPROVE, "-e", f"plan={path}", "-e", "approved_by=bob@example.com",
                             "-e", f"signing_key={key(workflow, 'bob')}", "-e", "confirm=yes"],
                            workflow.env(), workflow.tmp)
    assert cosigned.returncode == 0, output_of(cosigned)
    assert "Already signed for this digest by: alice@example.com" in output_of(cosigned)
    assert "signed by alice@example.com, bob@example.com" in unwrapped(output_of(cosigned))
    result, _calls = execute(workflow, path)
    assert result.returncode == 0, output_of(result)
    assert "bob@example.com (key SHA256:" in unwrapped(output_of(result))
    assert workflow.parameter_values() == {"/twoperson/a": "v1"}

    # who signed is in the record: the journal's approval event and both forms of the report, never a signature
    run_id = workflow.only_run()
    signed = yaml.safe_load(path.read_text())["approval"]["signatures"]
    signers = [{"principal": s["principal"], "fingerprint": fingerprint(s["principal"].split("@")[0]),
                "signed_at": s["signed_at"]} for s in signed]
    [approved] = [e for e in workflow.journal(run_id) if e["event"] == "approved"]
    assert (approved["how"], approved["signature"], approved["signers"]) == ("token", "verified", signers)
    report = workflow.report(run_id)
    assert (report["approval"]["signature"], report["approval"]["signers"]) == ("verified", signers)
    assert "- Approval: the approval token at %s; signed by %s" % (approved["ts"], ", ".join(
        "%s (key %s, signed %s)" % (s["principal"], s["fingerprint"], s["signed_at"]) for s in signers)) \
        in workflow.report_md(run_id)
    state = workflow.state_dir / "runs" / run_id
    blobs = [line for s in signed for line in s["signature"].strip().split("\n")[1:-1] if len(line) > 20]
    assert len(blobs) >= 2  # the armoured signatures' base64 lines
    assert all(blob not in (state / name).read_text() for blob in blobs
               for name in ("journal.jsonl", "report.json", "report.md"))


# ------------------------------------------------------------------------------ refused

def _unsigned(flow, path):
    approve(dict(plan=str(path), plans_dir=None, approved_by="alice@example.com", expires_in_days=None, confirm=True))


def _unknown_key(flow, path):
    sign(flow, path, "outsider", principal="alice@example.com")


def _another_digest(flow, path):
    other = write_plan(flow, "other-plan")
    signed = sign(flow, other, "alice")["approval"]
    document = yaml.safe_load(path.read_text())
    document["approval"] = dict(signed, plan_sha256=plan_digest(document))
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _expired(flow, path):
    document = yaml.safe_load(path.read_text())
    past = datetime.now(timezone.utc) - timedelta(days=3)
    document["approval"] = signed_approval(document, plan_digest(document), "alice@example.com",
                                           "alice@example.com", key(flow, "alice"), expires_in_days=1, now=past)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _expiry_extended(flow, path):
    sign(flow, path, "alice", expires_in_days=1)
    edit_approval(path, lambda approval: approval.update(expires_at="2099-01-01T00:00:00Z"))


def _same_signature_twice(flow, path):
    sign(flow, path, "alice")
    edit_approval(path, lambda approval: approval["signatures"].append(dict(approval["signatures"][0])))


def _git_namespace(flow, path):
    """alice's git commit signature (namespace "git") pasted in as her approval."""
    sign(flow, path, "alice")
    git = subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", key(flow, "alice")],
                         input=b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n", capture_output=True,
                         check=True).stdout.decode()
    edit_approval(path, lambda approval: approval["signatures"][0].update(signature=git))


def _pattern_signers(flow, path):
    alice = " ".join((KEYS / "test-only-alice.ed25519.pub").read_text().split()[:2])
    signers = flow.tmp / "pattern_signers"
    signers.write_text(f"*@example.com {alice}\n")
    environments(flow, approvers=signers)
    sign(flow, path, "alice", principal="bob@example.com")


def _control_characters(flow, path):
    sign(flow, path, "alice")
    edit_approval(path, lambda approval: approval["signatures"][0].update(principal="alice\x1b[2J@example.com"))


REFUSALS = {
    "unsigned": (_unsigned, False, "approval.signatures: approval refused: the approval is unsigned, but sandbox "
                 "requires approvals signed by approvers listed in"),
    "unknown-key": (_unknown_key, False, "which is not in the approvers file"),
    "another-digest": (_another_digest, False, "the signature does not verify for this plan"),
    "one-of-two-destructive": (lambda flow, path: sign(flow, path, "alice"), True,
                               "1 distinct approver(s) signed (alice@example.com; 1 signature(s)), but sandbox "
                               "requires 2 for a destructive plan"),
    "expired": (_expired, False, "approval.expires_at: the approval expired at"),
    "expires-at-edited": (_expiry_extended, False, "the signature does not verify for this plan"),
    "same-signature-twice": (_same_signature_twice, True, "1 distinct approver(s) signed (alice@example.com; "
                             "2 signature(s)), but sandbox requires 2"),
    "git-namespace": (_git_namespace, False, "signed for namespace 'git', not 'coworker.aws-plan'"),
    "pattern-in-approvers": (_pattern_signers, False, "pattern_signers: line 1: principal '*@example.com' is a "
                             "pattern; a principal names one approver exactly"),
    "control-characters": (_control_characters, False, "approval.signatures[0].principal: contains control "
                           "characters (alice\\x1b[2J@example.com)"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_before_any_aws_call(workflow, case):
    prepare, destructive, reason = REFUSALS[case]
    environments(workflow, destructive_min_approvers=2)
    path = write_plan(workflow, "refused", destructive=destructive)
    prepare(workflow, path)
    result, calls = execute(workflow, path)
    out = unwrapped(output_of(result))
    assert result.returncode != 0
    assert reason in out, output_of(result)
    assert "\x1b" not in output_of(result)
    assert call_keys(calls) == []          # not even sts:GetCallerIdentity
    assert workflow.parameter_values() == {}


IDENTITIES = {"alice@example.com": [f"arn:aws:iam::{ACCOUNT}:role/people/AliceAdmin"],
              "bob@example.com": [f"arn:aws:iam::{ACCOUNT}:user/bob"]}


def execute_as_role(flow, path, role: str, session_name: str):
    """Run the plan with the profile's credentials replaced by a session of ``role`` named ``session_name``."""
    sts = flow.aws_env.boto3_session().client("sts")
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                  RoleSessionName=session_name)["Credentials"]
    flow.aws_env._write_credentials(PROFILE, credentials)  # pylint: disable=protected-access
    return execute(flow, path)


def test_self_approval_through_a_session_named_after_someone_else_is_refused_after_sts_only(workflow):
    """alice signed and runs her plan through her own role, with the session named bob@example.com (issue 24):
    the role is judged, not the name, and the run stops after the identity call, before anything else."""
    environments(workflow, self_approval="forbid", identities=IDENTITIES)
    path = write_plan(workflow, "selfie")
    sign(workflow, path, "alice")
    result, calls = execute_as_role(workflow, path, "AliceAdmin", "bob@example.com")
    out = unwrapped(output_of(result))
    assert result.returncode != 0
    assert ("self-approval is forbidden in sandbox: alice@example.com signed the approval and acts as the identity "
            f"executing it (role aliceadmin in {ACCOUNT}, arn:aws:sts::{ACCOUNT}:assumed-role/AliceAdmin/"
            "bob@example.com); 0 other approver(s) signed, 1 required") in out, out
    assert call_keys(calls) == STS_ONLY  # exactly these two, once each, in this order
    assert workflow.parameter_values() == {}
    # bob's signature beside alice's satisfies the rule: the same executor may now run it
    sign(workflow, path, "bob")
    result, _calls = execute(workflow, path)
    assert result.returncode == 0, output_of(result)
    assert f"not counted: alice@example.com (acts as the executing role aliceadmin in {ACCOUNT})" in \
        unwrapped(output_of(result))
    assert workflow.parameter_values() == {"/selfie/a": "v1"}


def test_a_session_named_after_the_signer_does_not_make_anyone_the_signer(workflow):
    """A CI role no approver acts as runs alice's plan although its session is named alice@example.com."""
    environments(workflow, self_approval="forbid", identities=IDENTITIES)
    path = write_plan(workflow, "ci-run")
    sign(workflow, path, "alice")
    result, _calls = execute_as_role(workflow, path, "Deployer", "alice@example.com")
    assert result.returncode == 0, output_of(result)
    assert "not counted" not in output_of(result)
    assert workflow.parameter_values() == {"/ci-run/a": "v1"}


UNSIGNED = "claimed by tester@example.com, unsigned — anyone who can edit the file can write this"


def test_an_unsigned_approval_is_shown_as_a_claim_in_the_review_the_report_and_the_run_statistics(workflow):
    """Where the class does not require signatures an unsigned approval still runs, but is never shown as more than
    it is (issue 24): the plan's review, the environment verification, report.md, report.json and the statistics."""
    plan = workflow.write_plan("unsigned", [("Config", [put_param("put_a", "/unsigned/a")])])
    env = dict(workflow.env(), ANSIBLE_SHOW_CUSTOM_STATS="true")
    result = run_playbook(workflow.execute_args(plan, "-e", f"approve={plan.digest}"), env, workflow.tmp)
    out = unwrapped(output_of(result))
    assert result.returncode == 0, output_of(result)
    assert f"Approval: {UNSIGNED} (at " in out                     # Loading plan
    verified = out[out.index("Verify the account"):out.index("TASK [coworker.aws.execute_nonprod : Approve]")]
    assert f"Approval: {UNSIGNED}" in verified                       # Environment verification
    assert f"approval: {UNSIGNED}" in out                           # the run statistics (CUSTOM STATS)
    run_id = workflow.only_run()
    assert f"; {UNSIGNED}" in workflow.report_md(run_id)
    assert workflow.report(run_id)["approval"]["text"] == UNSIGNED
    [approved] = [e for e in workflow.journal(run_id) if e["event"] == "approved"]
    assert (approved["signature"], approved["approved_by"]) == ("unsigned", "tester@example.com")
