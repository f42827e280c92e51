# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one piece of text names, by its value: ARNs, account ids, regions, S3 buckets and objects, URLs.

Pure functions over a string (guard/values.py decides which strings of a request are read and how):

* ARNs anywhere in the text (``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``), their account and
  region judged by the perimeter;
* account ids: a run of exactly 12 digits standing alone — the whole value, or a token bounded by
  the start or end of the text, white space, quotes, ``:``, ``/``, ``=``, ``,``, ``;``, ``@``, ``|``
  or brackets (``123456789012:function:NAME``, ``.../123456789012/queue``, ``--account 123456789012``).
  Not an account id: 12 digits joined to a longer word by a letter, digit, ``-``, ``_`` or ``.``
  (``backup-202611231000``, ``v1.123456789012``), 13 digits or more, the console's
  ``1234-5678-9012`` form (no API takes it), a JSON number;
* regions: a token such as ``eu-west-1`` (or an availability zone ``eu-west-1a``) that botocore's
  partition data knows or whose partition's ``regionRegex`` it matches; ``xx-foo-1`` is no region;
* S3: ``s3://bucket/key`` URIs, virtual-hosted (``bucket.s3.REGION.amazonaws.com/key``) and
  path-style (``s3.REGION.amazonaws.com/bucket/key``) URLs, with the object key and ``versionId``;
* AWS host names (``123456789012.dkr.ecr.REGION.amazonaws.com``): the account and region labels;
* public S3 ACL grantees (``http://acs.amazonaws.com/groups/global/AllUsers``, ``AuthenticatedUsers``);
* other ``http(s)://`` URLs, which content fetched by reference may not name.

No Ansible imports: this runs inside module zips and in controller plugins.
"""

from __future__ import annotations

import collections
import functools
import re
from urllib.parse import parse_qs, unquote, urlsplit

try:
    import botocore.session
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    botocore = None

Arn = collections.namedtuple("Arn", "text partition service region account resource")
S3Ref = collections.namedtuple("S3Ref", "text bucket key version region")
Scan = collections.namedtuple("Scan", "arns accounts regions s3 urls public")
EMPTY = Scan((), (), (), (), (), ())

# the resource part stops where a quoted or listed text would end
ARN_RE = re.compile(r"arn:(aws[a-z-]*):([a-z0-9-]*):([^:\s\"'<>]*|<[^>\s]*>):([^:\s\"']*):([^\s\"',\]}]*)")
ACCOUNT_RE = re.compile(r"(?<![\w.\-*?])[0-9]{12}(?![\w.\-*?])")
REGION_TOKEN_RE = re.compile(r"(?<![\w.\-])([a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2})[a-z]?(?![\w\-])")
URL_RE = re.compile(r"\b(https?|s3a?|s3n)://([^/\s\"'?#<>]+)([^\s\"'<>]*)", re.I)
AWS_HOST_RE = re.compile(r"(?<![\w.\-/])((?:[\w-]+\.)+(?:amazonaws\.com(?:\.cn)?|amazonaws\.eu))(?![\w.\-])", re.I)
PUBLIC_GRANTEE_RE = re.compile(r"acs\.amazonaws\.com/groups/global/(AllUsers|AuthenticatedUsers)", re.I)
AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".amazonaws.eu")
# labels that start the S3 part of a host name: s3, s3-REGION, s3-website-REGION, s3.dualstack, ...
S3_LABEL_RE = re.compile(r"^s3(?:-website|-fips)?(?:-(?P<region>[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}))?$")
S3_SERVICE_LABELS = ("s3-accesspoint", "s3-control", "s3-object-lambda", "s3-outposts", "s3express-control")
# cheap test before the regular expressions: most strings of a request name none of these things
WORTH_SCANNING_RE = re.compile(r"[0-9]|arn:|://|amazonaws")


@functools.lru_cache(maxsize=1)
def _partitions():
    data = botocore.session.get_session().get_data("endpoints")
    known = frozenset(region for partition in data["partitions"] for region in partition["regions"])
    patterns = tuple(re.compile(p["regionRegex"]) for p in data["partitions"] if p.get("regionRegex"))
    return known, patterns


@functools.lru_cache(maxsize=2048)
def is_region(name):
    """Whether ``name`` is a region: botocore's partition data lists it or a partition's regionRegex matches."""
    known, patterns = _partitions()
    return name in known or any(pattern.match(name) for pattern in patterns)


def region_of(token):
    """The region a region name or an availability zone (``eu-west-1a``) names, else None."""
    match = REGION_TOKEN_RE.fullmatch(token)
    return match.group(1) if match and is_region(match.group(1)) else None


def parse_arn(text):
    """An Arn if ``text`` is exactly one ARN, else None."""
    match = ARN_RE.fullmatch(text)
    return Arn(text, *match.groups()) if match else None


def is_aws_host(host):
    host = host.lower().rstrip(".")
    return host.endswith(AWS_SUFFIXES)


def _s3_in_host(host, path, query):
    """The S3 bucket (and object) an AWS URL names: virtual-hosted or path-style; None for other services."""
    labels = host.lower().split(".")
    for index, label in enumerate(labels):
        match = S3_LABEL_RE.match(label)
        if label in S3_SERVICE_LABELS:
            return None
        if not match:
            continue
        region = match.group("region") or next((part for part in labels[index + 1:-2] if is_region(part)), None)
        if index:  # bucket.s3...: the key is the whole path
            bucket, key = ".".join(labels[:index]), path.lstrip("/")
        else:  # s3.REGION.amazonaws.com/bucket/key
            bucket, _slash, key = path.lstrip("/").partition("/")
        version = (parse_qs(query).get("versionId") or [None])[0]
        return (unquote(bucket), unquote(key), version, region) if bucket else None
    return None


def _host_names(host):
    """Accounts and regions named by the labels of an AWS host (ECR registries, access points, endpoints)."""
    accounts, regions = [], []
    for label in host.lower().split("."):
        if ACCOUNT_RE.fullmatch(label):
            accounts.append(label)
        elif label.startswith(("s3-", "s3.")) and region_of(label[3:]):
            regions.append(region_of(label[3:]))
        elif region_of(label):
            regions.append(region_of(label))
        else:  # an access point: NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com
            tail = label.rsplit("-", 1)[-1]
            if label != tail and ACCOUNT_RE.fullmatch(tail):
                accounts.append(tail)
    return accounts, regions


def _urls(text, found):
    accounts, regions, s3, urls = found["accounts"], found["regions"], found["s3"], found["urls"]
    for match in URL_RE.finditer(text):
        scheme, host, rest = match.group(1).lower(), match.group(2), match.group(3)
        parts = urlsplit("http://x" + rest) if rest else None
        path, query = (parts.path, parts.query) if parts else ("", "")
        if scheme.startswith("s3"):
            s3.append(S3Ref(match.group(0), unquote(host), unquote(path.lstrip("/")),
                            (parse_qs(query).get("versionId") or [None])[0], None))
            continue
        host_only = host.rsplit("@", 1)[-1].split(":", 1)[0]
        if not is_aws_host(host_only):
            urls.append(match.group(0))
            continue
        named = _s3_in_host(host_only, path, query)
        if named:
            s3.append(S3Ref(match.group(0), *named))
        more_accounts, more_regions = _host_names(host_only)
        accounts.extend(more_accounts)
        regions.extend(more_regions)


def _bare_hosts(text, found):
    for match in AWS_HOST_RE.finditer(text):
        more_accounts, more_regions = _host_names(match.group(1))
        found["accounts"].extend(more_accounts)
        found["regions"].extend(more_regions)


@functools.lru_cache(maxsize=8192)
def scan(text):
    """Everything ``text`` names (a Scan of tuples); the same text is read once however often it is judged."""
    if not WORTH_SCANNING_RE.search(text):
        return EMPTY
    found = {"accounts": [], "regions": [], "s3": [], "urls": []}
    arns = tuple(Arn(m.group(0), *m.groups()) for m in ARN_RE.finditer(text))
    found["accounts"].extend(ACCOUNT_RE.findall(text))
    found["regions"].extend(m.group(1) for m in REGION_TOKEN_RE.finditer(text) if is_region(m.group(1)))
    if "://" in text:
        _urls(text, found)
    if "amazonaws" in text:
        _bare_hosts(text, found)
    public = tuple(m.group(0) for m in PUBLIC_GRANTEE_RE.finditer(text))
    return Scan(arns, tuple(dict.fromkeys(found["accounts"])), tuple(dict.fromkeys(found["regions"])),
                tuple(found["s3"]), tuple(found["urls"]), public)
