# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who approved, proven: a class's approval rules checked against the plan's signatures.

The environments file gives each class (optionally)::

    approval: {signed: required, approvers: approvers.allowed_signers, min_approvers: 1,
               destructive_min_approvers: 2, self_approval: forbid,
               identities: {alice@example.com: ["arn:aws:iam::123456789012:role/alice-admin"]}}

``check_signatures`` needs only the plan and the class (the plan's own
``target.environment``: a run elsewhere is refused by the account check anyway),
so it runs before any AWS call. ``check_self_approval`` needs the identity STS
reported: it is judged on the IAM user or role behind the session, never on a name
the executor chooses (guard/self_approval.py).
"""

from __future__ import annotations

import os

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.guard.allowed_signers import (
    principals_of, read_allowed_signers)
from ansible_collections.coworker.aws.plugins.module_utils.guard.self_approval import (
    ApprovalRefused, executing, parse_identities)
from ansible_collections.coworker.aws.plugins.module_utils.plan import ssh_keygen
from ansible_collections.coworker.aws.plugins.module_utils.plan.signatures import (
    MAX_SIGNATURES, approval_message, parse_signature)

# what an approval block without a signature proves: nothing but that someone wrote it
UNSIGNED = "claimed by %s, unsigned — anyone who can edit the file can write this"
APPROVAL_KEYS = ("signed", "approvers", "min_approvers", "destructive_min_approvers", "self_approval", "identities")
DEFAULT_SETTINGS = {"signed": "optional", "approvers": None, "min_approvers": 1, "destructive_min_approvers": 1,
                    "self_approval": "allow", "identities": {}}


def _choice(path, where, value, choices):
    if value not in choices:
        raise ConfigError(path, where, "must be one of %s, got %r" % (", ".join(choices), value))
    return value


def _count(path, where, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_SIGNATURES:
        raise ConfigError(path, where, "must be a whole number from %d to %d, got %r" % (minimum, MAX_SIGNATURES, value))
    return value


def approval_settings(path, field, executable, value):
    """Validate and normalise a class's ``approval`` mapping (``None``: today's rules, unsigned accepted)."""
    if value is None:
        return dict(DEFAULT_SETTINGS)
    where = field + ".approval"
    if not executable:
        raise ConfigError(path, where, "only sandbox, development and test execute; this class cannot have one")
    if not isinstance(value, dict):
        raise ConfigError(path, where, "must be a mapping with keys %s" % ", ".join(APPROVAL_KEYS))
    unknown = sorted(str(key) for key in value if key not in APPROVAL_KEYS)
    if unknown:
        raise ConfigError(path, "%s.%s" % (where, unknown[0]), "unknown key (allowed: %s)" % ", ".join(APPROVAL_KEYS))
    settings = dict(DEFAULT_SETTINGS)
    settings["signed"] = _choice(path, where + ".signed", value.get("signed", "optional"), ("optional", "required"))
    settings["self_approval"] = _choice(path, where + ".self_approval", value.get("self_approval", "allow"),
                                        ("allow", "forbid"))
    settings["min_approvers"] = _count(path, where + ".min_approvers", value.get("min_approvers", 1), 1)
    settings["destructive_min_approvers"] = _count(path, where + ".destructive_min_approvers",
                                                   value.get("destructive_min_approvers", settings["min_approvers"]),
                                                   settings["min_approvers"])
    approvers = value.get("approvers")
    if approvers is not None:
        if not isinstance(approvers, str) or not approvers.strip():
            raise ConfigError(path, where + ".approvers", "must be the path of an allowed_signers file")
        # relative to the environments file, so the pair can be moved together
        settings["approvers"] = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.expanduser(approvers))
    if settings["signed"] == "required" and not settings["approvers"]:
        raise ConfigError(path, where + ".approvers", "signed: required needs an approvers file (allowed_signers format)")
    if settings["signed"] == "optional" and settings["destructive_min_approvers"] > 1:
        raise ConfigError(path, where + ".signed", "counting approvers needs signed: required (an unsigned approval "
                          "cannot be counted)")
    if settings["signed"] == "optional" and settings["self_approval"] == "forbid":
        raise ConfigError(path, where + ".signed", "self_approval: forbid needs signed: required (an unsigned "
                          "approval names whoever its writer chose)")
    if value.get("identities") is not None:
        settings["identities"] = parse_identities(path, where + ".identities", value["identities"])
    return settings


def settings_for(config, environment):
    return config["environments"].get(environment, {}).get("approval") or dict(DEFAULT_SETTINGS)


def _check_one(settings, entries, entry, message):
    """Verified ``{principal, fingerprint, signed_at}`` of one signature, or the reason it is refused."""
    parsed = parse_signature(entry["signature"])
    if parsed["namespace"] != ssh_keygen.NAMESPACE:
        return "signed for namespace %r, not %r: not an approval of a plan" % (parsed["namespace"], ssh_keygen.NAMESPACE)
    listed = principals_of(entries, parsed["public_key"])
    if not listed:
        return "signed by key %s, which is not in the approvers file %s" % (parsed["fingerprint"], settings["approvers"])
    if entry["principal"] not in listed:
        return "key %s is listed for %s in %s, not for %s" % (
            parsed["fingerprint"], ", ".join(listed), settings["approvers"], entry["principal"])
    good, detail = ssh_keygen.verify(settings["approvers"], entry["principal"], message, entry["signature"])
    if not good:
        return ("the signature does not verify for this plan (ssh-keygen: %s): it was made for another digest or "
                "expiry, or plan_sha256, expires_at or signed_at was edited after signing; have it signed again"
                % detail)
    return {"principal": entry["principal"], "fingerprint": parsed["fingerprint"], "signed_at": entry["signed_at"]}


def distinct_approvers(signers):
    """How many different people signed: a maximum matching of principals to keys, so that neither the
    same key under two principals nor one principal with two keys (nor a copied signature) counts twice."""
    keys_of = {}
    for signer in signers:
        keys_of.setdefault(signer["principal"].lower(), set()).add(signer["fingerprint"])
    holder = {}

    def assign(principal, visited):
        for key in sorted(keys_of[principal]):
            if key not in visited:
                visited.add(key)
                if key not in holder or assign(holder[key], visited):
                    holder[key] = principal
                    return True
        return False

    return sum(1 for principal in sorted(keys_of) if assign(principal, set()))


def _required(settings, destructive):
    return settings["destructive_min_approvers"] if destructive else settings["min_approvers"]


def _summary(settings, environment, destructive, status, signers, text):
    return {"approved_by": None, "status": status, "signers": signers, "environment": environment, "destructive": destructive,
            "required": _required(settings, destructive) if status == "verified" else 0,
            "approvers": settings["approvers"], "self_approval": settings["self_approval"],
            "identities": settings["identities"], "text": text}


def _signers_text(signers):
    return ", ".join("%s (key %s)" % (s["principal"], s["fingerprint"]) for s in signers)


def check_signatures(config, environment, loaded):
    """Verify the plan's signed approval against ``environment``'s rules before any AWS call.

    Returns the approval summary shown to the person; raises ApprovalRefused with the reason.
    """
    settings = settings_for(config, environment)
    approval = loaded["document"].get("approval") or {}
    entries = approval.get("signatures") or []
    destructive = any(step["destructive"] for step in loaded["plan"]["steps"])
    if not entries:
        if settings["signed"] == "required":
            raise ApprovalRefused("approval.signatures", "the approval is unsigned, but %s requires approvals signed "
                                  "by approvers listed in %s: sign it with playbooks/approve_plan.yml -e signing_key=..."
                                  % (environment, settings["approvers"]))
        return dict(_summary(settings, environment, destructive, "unsigned", [], unsigned_text(approval.get("approved_by"))),
                    approved_by=approval.get("approved_by"))
    claimed = [{"principal": e["principal"], "signed_at": e["signed_at"]} for e in entries]
    if not settings["approvers"]:
        return _summary(settings, environment, destructive, "unverified", claimed, "%s, not verified: "
                        "%s has no approvers file" % (", ".join(e["principal"] for e in entries), environment))
    approvers = read_allowed_signers(settings["approvers"])
    signers = []
    for index, entry in enumerate(entries):
        message = approval_message(loaded["sha256"], approval.get("expires_at"), entry["principal"], entry["signed_at"])
        verdict = _check_one(settings, approvers, entry, message)
        if isinstance(verdict, str):
            raise ApprovalRefused("approval.signatures[%d]" % index, "signature of %s refused: %s"
                                  % (entry["principal"], verdict))
        signers.append(verdict)
    summary = _summary(settings, environment, destructive, "verified", signers,
                       "verified: %s" % _signers_text(signers))
    _check_count(summary, signers)
    return summary


def unsigned_text(approved_by):
    """How an unsigned approval is shown everywhere (review, verification, report, run statistics)."""
    return UNSIGNED % (approved_by or "nobody")


def _check_count(summary, signers):
    count, required = distinct_approvers(signers), summary["required"]
    if summary["approvers"] and count < required:
        raise ApprovalRefused("approval.signatures", "%d distinct approver(s) signed (%s; %d signature(s)), but %s "
                              "requires %d for a%s plan" % (
                                  count, ", ".join(sorted({s["principal"] for s in signers})) or "nobody",
                                  len(signers), summary["environment"], required,
                                  " destructive" if summary["destructive"] else " non-destructive"))


def check_self_approval(summary, identity):
    """Refuse when self-approval is forbidden and the executing identity's own approval is needed to pass
    (who executes: the IAM user or role behind the session, and its SourceIdentity; guard/self_approval.py)."""
    if summary["self_approval"] != "forbid":
        return summary
    if summary["status"] != "verified":  # unreachable through the file's rules (forbid needs signed: required)
        raise ApprovalRefused("approval", "self-approval is forbidden in %s and the approval is not verified: "
                              "nobody can tell who approved" % summary["environment"])
    own, executor = executing(summary, identity)
    others = [s for s in summary["signers"] if s["principal"] not in own]
    if own and distinct_approvers(others) < summary["required"]:
        raise ApprovalRefused("approval", "self-approval is forbidden in %s: %s signed the approval and acts as the "
                              "identity executing it (%s, %s); %d other approver(s) signed, %d required"
                              % (summary["environment"], ", ".join(own), executor, identity["arn"],
                                 distinct_approvers(others), summary["required"]))
    if own:
        summary = dict(summary, text=summary["text"] + "; not counted: %s (acts as the executing %s)"
                       % (", ".join(own), executor))
    return summary


def signature_record(summary):
    """What a journal and a report keep of a checked approval: who signed, with which key, and when, for
    verified signatures; the principals only claimed (no approvers file to check them); never a signature."""
    record = {"signature": summary["status"], "signers": []}
    if summary["status"] == "verified":
        record["signers"] = [{"principal": s["principal"], "fingerprint": s["fingerprint"],
                              "signed_at": s["signed_at"]} for s in summary["signers"]]
    elif summary["status"] == "unverified":
        record["claimed"] = [s["principal"] for s in summary["signers"]]
    else:
        record["approved_by"] = summary["approved_by"]
    return record
