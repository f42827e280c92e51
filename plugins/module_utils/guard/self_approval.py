# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Self-approval, judged on identities the executor cannot choose.

With ``self_approval: forbid`` a class counts no signature of the person who executes. Who
executes is what STS says the session is, reduced to what the executor cannot pick:

* an IAM user (``arn:aws:iam::<acct>:user/<path>/<name>``): that user;
* an assumed role (``arn:aws:sts::<acct>:assumed-role/<role>/<session>``): the *role*; the
  session name is chosen by whoever assumes the role, so it never decides anything;
* the account's root user: the root user;
* a federated user (``federated-user/<name>``, from GetFederationToken): nobody can be told,
  the name is the caller's choice: refused;
* and, where the executor assumed the role itself and AWS returned one, the ``SourceIdentity``
  (set once by the first assumer or the identity provider, and kept along a role chain).

A signer is an approvers-file principal (an e-mail, a name): the class says which IAM users and
roles each one acts as (``approval.identities``). A signer whose identities include the
executing user or role, or whose principal is the SourceIdentity, is the executor: their
signature is not counted. A role several approvers share identifies none of them apart, so a
plan run through it counts none of their signatures: give the executor (a CI role, say) an
identity no approver lists. Every signer must be listed: an approver the class does not map
cannot be told from the executor, and is refused rather than assumed to be someone else.
"""

from __future__ import annotations

import re

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError, GuardRefusal

IAM_IDENTITY_RE = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):(user|role)/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,128})")
ROOT_RE = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):root")
ASSUMED_ROLE_RE = re.compile(r"arn:aws[a-z-]*:sts::([0-9]{12}):assumed-role/([\w+=,.@-]{1,64})/[\w+=,.@-]+")


class ApprovalRefused(GuardRefusal):
    """The approval does not satisfy the class's rules; ``field`` names the plan or environments-file field."""

    def __init__(self, field, reason):
        self.field, self.reason = field, reason
        super().__init__("STOPPING: approval refused — %s: %s. Nothing was changed." % (field, reason))


def iam_identity(arn):
    """``(kind, account, name)`` of an IAM user or role ARN (any path; names compared as AWS does, without
    case), of the root user, or of the role behind an assumed-role session; None for anything else."""
    text = str(arn or "")
    match = IAM_IDENTITY_RE.fullmatch(text)
    if match:
        return match.group(2), match.group(1), match.group(3).lower()
    match = ASSUMED_ROLE_RE.fullmatch(text)
    if match:
        return "role", match.group(1), match.group(2).lower()
    match = ROOT_RE.fullmatch(text)
    return ("root", match.group(1), "") if match else None


def parse_identities(path, where, value):
    """Validate ``approval.identities``: approver principal -> list of IAM user or role ARNs."""
    if not isinstance(value, dict):
        raise ConfigError(path, where, "must map each approver (as in the approvers file) to the IAM user and role "
                          "ARNs they act as")
    identities = {}
    for principal, arns in value.items():
        field = "%s.%s" % (where, principal)
        if not isinstance(principal, str) or not principal or not isinstance(arns, list) or not arns:
            raise ConfigError(path, field, "must be a non-empty list of IAM user or role ARNs")
        parsed = []
        for index, arn in enumerate(arns):
            identity = iam_identity(arn) if isinstance(arn, str) else None
            if identity is None or not str(arn).startswith("arn:") or ":sts:" in str(arn):
                raise ConfigError(path, "%s[%d]" % (field, index), "%r is not an IAM user or role ARN "
                                  "(arn:aws:iam::<account>:user/<name> or ...:role/<name>)" % (arn,))
            parsed.append(identity)
        identities[principal.lower()] = parsed
    return identities


def _describe(identity):
    kind, account, name = identity
    return "the root user of %s" % account if kind == "root" else "%s %s in %s" % (kind, name, account)


def executing(summary, identity):
    """The signers who are the executing identity (principals, sorted); ApprovalRefused when that cannot be
    told (a federated user, or a signer the class does not map to IAM identities)."""
    executor = iam_identity(identity["arn"])
    where = "environments.%s.approval.identities" % summary["environment"]
    if executor is None:
        raise ApprovalRefused("approval", "self-approval is forbidden in %s and the executing identity %s is not "
                              "an IAM user or role (a federated user names itself): run as an IAM user or role"
                              % (summary["environment"], identity["arn"]))
    source = (identity.get("source_identity") or "").lower()
    own = set()
    for signer in summary["signers"]:
        principal = signer["principal"].lower()
        listed = (summary.get("identities") or {}).get(principal)
        if listed is None:
            raise ApprovalRefused(where, "self-approval is forbidden in %s, so every approver's IAM users and "
                                  "roles must be listed there, and %s is not: nobody could tell whether %s is "
                                  "the one executing (%s)" % (summary["environment"], signer["principal"],
                                                              signer["principal"], identity["arn"]))
        if executor in listed or (source and source == principal):
            own.add(signer["principal"])
    return sorted(own), _describe(executor)
