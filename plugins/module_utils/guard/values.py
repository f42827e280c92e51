# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every value a request names, wherever it appears: the walk the perimeter and the grants share.

A resolved request is walked with its botocore input shape. Each string is judged by its value
(guard/value_scan.py) and read according to its member's role (guard/model_roles.py); JSON and
YAML held in a string are parsed and walked the same way (keys act as member names, the path goes
on after ``#/``), so nothing is hidden by nesting. The walk says what the request names; the
perimeter (guard/perimeter.py) says whether that is allowed. A finding is ``Found(kind, path, value,
info)``:

``arn``      an ARN (info: value_scan.Arn)            ``account``  a 12-digit account id
``region``   a region (info: "source" when only read)  ``bucket``   an S3 bucket named by the call
``object``   an S3 object the API fetches by reference (info: (bucket, key, version))
``unfetchable`` a fetch member that names no S3 object (a URL outside AWS, a bare name)
``grant``    a principal given access (info: the policy statement's effect, or "Allow" for sharing)
``public``   a value that shares with every AWS account (``all``, ``*``, a public ACL or grantee)
``creates``  the bucket S3 ``CreateBucket`` makes (not checked for ownership)
``deploys``  StackSet deployment targets that name organizational units or a file of accounts

Free text (descriptions, comments, tag keys and values) is read for whole ARNs only: a 12-digit
number or a region name in a sentence names nothing.
"""

from __future__ import annotations

import collections
import json
import re

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.guard import model_roles as roles
from ansible_collections.coworker.aws.plugins.module_utils.guard.value_scan import ACCOUNT_RE, parse_arn, scan
from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import load_embedded_yaml

Found = collections.namedtuple("Found", "kind path value info")
PUBLIC_VALUES = ("all", "*")
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
LEGACY_LOCATIONS = {"EU": "eu-west-1"}
REVOKING_RE = re.compile(r"(^|[.\[])(Remove|Revoke|remove|revoke)|ToRemove|toRemove")
ORGANIZATION_RE = re.compile(r"(o|ou|r)-[a-z0-9]{4,32}(-[a-z0-9]{8,32})?")
# a document in a string is walked only when it looks like one: JSON, or several lines of YAML
YAML_HINT_RE = re.compile(r"^\s*[\w\"'-][^\n]*:(\s|$)", re.M)


def named_values(service, operation, params):
    """Every Found of one resolved request (its operation's model decides the roles)."""
    return _walked(service, operation, params).found


def policy_documents(service, operation, params):
    """``[(path, text)]``: the policy documents of a request, as its operation's model identifies them."""
    if not roles.may_carry_policy(service, operation):
        return []
    return _walked(service, operation, params).policies


def _walked(service, operation, params):
    walker = _Walker(service, operation)
    shape = service_model.operation_model(service, operation).input_shape
    if shape is not None and isinstance(params, dict):
        walker.structure(params, shape, "")
    return walker


def _join(path, key):
    return "%s.%s" % (path, key) if path else str(key)


def _parse_document(text):
    """The JSON or YAML document a string holds (a mapping or a list), else None."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, (dict, list)):
            return document
    if "\n" in text and YAML_HINT_RE.search(text):
        document = load_embedded_yaml(text)
        if isinstance(document, (dict, list)):
            return document
    return None


class _Walker:
    """One walk of one request; ``found`` collects what it names."""

    def __init__(self, service, operation):
        self.service = service
        self.operation = operation
        self.sharing = roles.is_sharing(service, operation)
        self.found = []
        self.policies = []

    def add(self, kind, path, value, info=None):
        self.found.append(Found(kind, path, value, info))

    # -- the model's shapes ----------------------------------------------
    def value(self, value, shape, path, role, name=None):
        kind = shape.type_name if shape is not None else None
        if isinstance(value, str):
            self.string(value, path, role, name)
        elif isinstance(value, dict) and kind == "structure":
            self.structure(value, shape, path)
        elif isinstance(value, dict):
            self.mapping(value, shape.value if kind == "map" else None, path, role)
        elif isinstance(value, list):
            member = shape.member if kind == "list" else None
            for index, item in enumerate(value):
                self.value(item, member, "%s[%d]" % (path, index), role, name)

    def structure(self, value, shape, path):
        self._fetched_object(value, shape, path)
        named = _pair_role(value)
        revoking = str(value.get("OperationType", "")).lower() == "remove"
        for key, item in value.items():
            role = roles.member_role(self.service, shape.name, key)
            if key in ("AttributeValue", "Values") and named:
                role = named
            if revoking and role == roles.PRINCIPAL:
                continue  # OperationType remove: the accounts lose access
            if key == "OrganizationalUnitIds" or (key == "AccountsUrl" and shape.name == "DeploymentTargets"):
                self.add("deploys", _join(path, key), item)  # StackSets: every account of the units or the file
                continue
            self.value(item, shape.members.get(key), _join(path, key), role, key)

    def mapping(self, value, shape, path, role):
        for key, item in value.items():
            own = roles.name_role(str(key))
            self.value(item, shape, _join(path, key), roles.FREE_TEXT if role == roles.FREE_TEXT else
                       own if own != roles.PLAIN else role, str(key))

    def _fetched_object(self, value, shape, path):
        members = roles.object_members(self.service, shape.name)
        if not members or not isinstance(value.get(members[0]), str) or not isinstance(value.get(members[1]), str):
            return
        bucket, key = value[members[0]], value[members[1]]
        version = value.get(members[2]) if members[2] else None
        suffix = "?versionId=%s" % version if version else ""
        self.add("object", _join(path, members[0]), "s3://%s/%s%s" % (bucket, key, suffix), (bucket, key, version))

    # -- one string --------------------------------------------------------
    def string(self, text, path, role, name):
        if role == roles.FREE_TEXT:
            for arn in scan(text).arns:
                self.add("arn", path, arn.text, arn)
            return
        if role == roles.PRINCIPAL and self.sharing:
            if REVOKING_RE.search(path) or self._principal(text, path, "Allow", name):
                return  # a revocation takes access away; a grant is listed (and judged by the class)
        if role == roles.CANNED_ACL and text.lower() in PUBLIC_ACLS:
            self.add("public", path, text, "the canned ACL %r lets every AWS account (or everyone) in" % text)
            return
        if role == roles.POLICY:
            self.policies.append((path, text))
        document = _parse_document(text) if role != roles.FETCH else None
        if document is not None:
            self.document(document, path + "#", role == roles.POLICY)
            return
        self.scanned(text, path, role)
        if role == roles.BUCKET:
            self._bucket_member(text, path)
        elif role == roles.FETCH:
            self._fetch_member(text, path)
        elif role in (roles.REGION, roles.SOURCE_REGION) and text in LEGACY_LOCATIONS:
            self.add("region", path, LEGACY_LOCATIONS[text], "source" if role == roles.SOURCE_REGION else None)

    def scanned(self, text, path, role):
        found = scan(text)
        for arn in found.arns:
            self.add("arn", path, arn.text, arn)
        for account in found.accounts:
            self.add("account", path, account, text)
        for region in found.regions:
            self.add("region", path, region, "source" if role == roles.SOURCE_REGION else None)
        for ref in found.s3:
            self.add("bucket", path, ref.bucket, ref.text)
        for grantee in found.public:
            self.add("public", path, text, "the grantee %s is every AWS account (or everyone)" % grantee)

    def _bucket_member(self, text, path):
        if text.startswith(("arn:", "s3:", "s3a:", "s3n:", "http:", "https:")):
            return  # an ARN or a URL: scanned already
        bucket = text.lstrip("/").split("/", 1)[0]
        if (self.service, self.operation, path) == ("s3", "CreateBucket", "Bucket"):
            self.add("creates", path, bucket)
        elif bucket:
            self.add("bucket", path, bucket, text)

    def _fetch_member(self, text, path):
        objects = [ref for ref in scan(text).s3 if ref.key and not ref.key.endswith("/")]
        if len(objects) == 1 and objects[0].text == text:
            ref = objects[0]
            self.add("object", path, text, (ref.bucket, ref.key, ref.version))
        elif "<" in text:  # an output not known before the run: its content cannot be pinned at approval
            self.add("unfetchable", path, text, "named by a value known only at run time, so its content cannot be "
                     "pinned at approval")
        else:
            self.add("unfetchable", path, text, "a URL outside AWS" if scan(text).urls else
                     "not one S3 object (s3://bucket/key or an S3 URL)")

    # -- principals and documents ---------------------------------------------
    def _principal(self, text, path, effect, name=None):
        """A value that says who gets access: a grant, public, or (False) not a principal at all."""
        if text.strip().lower() in PUBLIC_VALUES:
            self.add("public", path, text,
                     "%s %r shares the resource with every AWS account" % (name or "principal", text))
            return True
        if _names_principal(text) or ORGANIZATION_RE.fullmatch(text.strip()):
            self.add("grant", path, text.strip(), effect)
            return True
        return False

    def document(self, document, path, policy=False, name=None):
        if policy and isinstance(document, dict):
            self.policy(document, path)
        elif isinstance(document, dict):
            for key, item in document.items():
                role = roles.name_role(str(key))
                self.scanned(str(key), path, roles.PLAIN)
                if role == roles.POLICY and isinstance(item, (dict, str)):
                    parsed = _parse_document(item) if isinstance(item, str) else item
                    self.document(parsed if parsed is not None else item, "%s/%s" % (path, key), True)
                else:
                    self.embedded(item, "%s/%s" % (path, key), role, str(key))
        elif isinstance(document, list):
            for index, item in enumerate(document):
                self.embedded(item, "%s/%d" % (path, index), roles.PLAIN, name)

    def embedded(self, item, path, role, name):
        if isinstance(item, str):
            self.string(item, path, roles.FREE_TEXT if role == roles.FREE_TEXT else
                        roles.PLAIN if role in (roles.BUCKET, roles.FETCH, roles.PRINCIPAL) else role, name)
        elif isinstance(item, (dict, list)) and role == roles.FREE_TEXT:
            self._free(item, path)
        elif isinstance(item, (dict, list)):
            self.document(item, path, name=name)

    def _free(self, item, path):
        for text in _strings(item):
            for arn in scan(text).arns:
                self.add("arn", path, arn.text, arn)

    def policy(self, document, path):
        statements = document.get("Statement")
        statements = statements if isinstance(statements, list) else [statements]
        for key, item in document.items():
            if key != "Statement":
                self.embedded(item, "%s/%s" % (path, key), roles.PLAIN, key)
        for index, statement in enumerate(statements):
            where = "%s/Statement/%d" % (path, index) if isinstance(document.get("Statement"), list) \
                else "%s/Statement" % path
            if not isinstance(statement, dict):
                self.embedded(statement, where, roles.PLAIN, None)
                continue
            effect = str(statement.get("Effect", "Allow"))
            for key, item in statement.items():
                if key in ("Principal", "NotPrincipal"):
                    self._statement_principals(item, "%s/%s" % (where, key), effect, key == "NotPrincipal")
                else:
                    self.embedded(item, "%s/%s" % (where, key), roles.PLAIN, key)

    def _statement_principals(self, principal, path, effect, negated):
        if effect.strip().lower() != "allow":
            return  # a Deny lets nobody in
        if negated:  # Allow with NotPrincipal: everyone but the principals named
            self.add("grant", path, "*", "Allow (NotPrincipal)")
            return
        if principal == "*":
            self.add("grant", path, "*", effect)
            return
        if not isinstance(principal, dict):
            self.embedded(principal, path, roles.PLAIN, None)
            return
        for kind, values in principal.items():
            for index, value in enumerate(values if isinstance(values, list) else [values]):
                where = "%s/%s%s" % (path, kind, "/%d" % index if isinstance(values, list) else "")
                if not isinstance(value, str):
                    continue
                if kind in ("AWS", "Federated", "CanonicalUser") and value.strip() == "*":
                    self.add("grant", where, "*", effect)
                elif kind == "AWS" and self._principal_grant(value, where, effect):
                    continue
                elif kind in ("Federated", "CanonicalUser") and not parse_arn(value):
                    self.add("grant", where, "%s %s" % (kind, value), effect)  # identities outside AWS accounts
                elif kind == "Federated":
                    self.add("grant", where, value, effect)
                else:
                    self.scanned(value, where, roles.PLAIN)

    def _principal_grant(self, value, path, effect):
        if _names_principal(value):
            self.add("grant", path, value.strip(), effect)
            return True
        return False


def _names_principal(text):
    """An account id, an ARN, or a check-mode placeholder for a value not known yet (listed, judged when known)."""
    text = text.strip()
    return bool(ACCOUNT_RE.fullmatch(text) or parse_arn(text) or (text.startswith("<") and text.endswith(">")))


def _pair_role(value):
    """SNS AttributeName/AttributeValue, SSM attachment Key/Values: the name gives the value its role."""
    name = value.get("AttributeName")
    if isinstance(name, str) and "AttributeValue" in value:
        role = roles.name_role(name)
        return role if role != roles.PLAIN else None
    key = value.get("Key")
    if isinstance(key, str) and "Values" in value and key.lower().endswith(("url", "uri")):
        return roles.FETCH
    return None


def _strings(item):
    if isinstance(item, str):
        yield item
    elif isinstance(item, dict):
        for value in item.values():
            yield from _strings(value)
    elif isinstance(item, list):
        for value in item:
            yield from _strings(value)


def principal_account(principal):
    """The account a grant's principal belongs to: 12 digits, an ARN's account, or the principal itself."""
    arn = parse_arn(principal)
    if arn:
        return arn.account
    return principal


def is_grant(account, item):
    """Whether a ``grant`` finding lets in someone other than ``account`` (a placeholder counts: not known yet)."""
    return item.kind == "grant" and principal_account(item.value) != account
