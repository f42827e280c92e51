# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one text names, by its value: table-driven over values, near misses included."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.guard.value_scan import (
    is_region, parse_arn, region_of, scan)

PROD = "111111111111"

# text -> the account ids it names
ACCOUNTS = [
    (PROD, [PROD]),                                                         # the whole value
    ("%s:function:billing" % PROD, [PROD]),                                 # a partial ARN (Lambda)
    ("arn:aws:sns:us-east-1:%s:alerts" % PROD, [PROD]),                     # an ARN's account field
    ("https://sqs.us-east-1.amazonaws.com/%s/orders" % PROD, [PROD]),       # a queue URL's path
    ("%s.dkr.ecr.eu-west-1.amazonaws.com/app:1" % PROD, [PROD]),            # a registry host, no scheme
    ("https://ap-%s.s3-accesspoint.us-east-1.amazonaws.com/k" % PROD, [PROD]),  # an access point host
    ("aws s3 ls --expected-bucket-owner %s" % PROD, [PROD]),                # a word of a command line
    ('{"AWS": "%s"}' % PROD, [PROD]),                                       # quoted in JSON
    ("a=%s;b=2" % PROD, [PROD]),
    # near misses: not an account id
    ("backup-202611231000", []),        # joined to a word by "-"
    ("v1.123456789012", []),            # joined by "."
    ("snap_123456789012", []),          # joined by "_"
    ("1111111111111", []),              # 13 digits
    ("11111111111", []),                # 11 digits
    ("1111-1111-1111", []),             # the console's form: no API takes it
    ("202611231000.log", []),           # a file name
    ("id123456789012", []),             # joined to letters
]


@pytest.mark.parametrize("text, accounts", ACCOUNTS)
def test_twelve_digits_standing_alone_are_an_account_id(text, accounts):
    assert list(scan(text).accounts) == accounts


# text -> the regions it names
REGIONS = [
    ("eu-west-1", ["eu-west-1"]),
    ("us-east-1a", ["us-east-1"]),                      # an availability zone
    ("us-gov-west-1", ["us-gov-west-1"]),               # another partition
    ("cn-north-1", ["cn-north-1"]),
    ("ap-southeast-7", ["ap-southeast-7"]),             # a region in botocore's data
    ("us-east-9", ["us-east-9"]),                       # not listed yet, but matches the partition's regionRegex
    ("https://sqs.eu-west-1.amazonaws.com/1/q", ["eu-west-1"]),   # a host label
    ("arn:aws:sns:eu-central-1:123456789012:t", ["eu-central-1"]),
    ("copy to eu-west-2, then us-west-1", ["eu-west-2", "us-west-1"]),
    # near misses
    ("xx-foo-1", []),                                   # no partition has it
    ("us-east", []),
    ("copy-of-eu-west-1-data", []),                     # inside a longer name
    ("us-east-1-prod", []),
    ("eu-west-1xy", []),                               # an availability zone has one letter
]


@pytest.mark.parametrize("text, regions", REGIONS)
def test_a_region_is_what_botocores_partition_data_says(text, regions):
    assert list(scan(text).regions) == regions


def test_region_helpers():
    assert is_region("eu-west-1") and is_region("us-isob-east-1") and not is_region("moon-base-1")
    assert region_of("eu-west-1b") == "eu-west-1" and region_of("eu") is None


# text -> (bucket, key, version, region) of each S3 reference
S3 = [
    ("s3://acme-prod-data/a/b.yml", [("acme-prod-data", "a/b.yml", None, None)]),
    ("s3://acme-prod-data", [("acme-prod-data", "", None, None)]),
    ("s3a://lake/part-0.parquet", [("lake", "part-0.parquet", None, None)]),
    ("https://acme-prod-data.s3.amazonaws.com/t.yml", [("acme-prod-data", "t.yml", None, None)]),
    ("https://acme-prod-data.s3.eu-west-1.amazonaws.com/t.yml?versionId=v2",
     [("acme-prod-data", "t.yml", "v2", "eu-west-1")]),
    ("https://acme.prod.data.s3-us-west-2.amazonaws.com/k", [("acme.prod.data", "k", None, "us-west-2")]),
    ("https://s3.amazonaws.com/acme-prod-data/t.yml", [("acme-prod-data", "t.yml", None, None)]),
    ("https://s3.eu-west-1.amazonaws.com/acme-prod-data/t.yml", [("acme-prod-data", "t.yml", None, "eu-west-1")]),
    ("https://s3-eu-west-1.amazonaws.com/acme-prod-data/t.yml", [("acme-prod-data", "t.yml", None, "eu-west-1")]),
    ("https://s3.dualstack.us-east-1.amazonaws.com/b/k", [("b", "k", None, "us-east-1")]),
    ("http://site.s3-website-us-east-1.amazonaws.com/index.html", [("site", "index.html", None, "us-east-1")]),
    ("aws s3 cp s3://a/x s3://b/y", [("a", "x", None, None), ("b", "y", None, None)]),
    # near misses: not a bucket
    ("https://sqs.us-east-1.amazonaws.com/1/q", []),
    ("https://example.com/s3/bucket/key", []),
    ("https://ap-1.s3-accesspoint.us-east-1.amazonaws.com/k", []),  # an access point, judged by its account
    ("my-s3-bucket", []),
]


@pytest.mark.parametrize("text, refs", S3)
def test_s3_uris_and_urls_name_their_bucket_and_object(text, refs):
    assert [(r.bucket, r.key, r.version, r.region) for r in scan(text).s3] == refs


ARNS = [
    ("arn:aws:iam::%s:role/x" % PROD, ("aws", "iam", "", PROD, "role/x")),
    ("arn:aws-cn:s3:::bucket/key", ("aws-cn", "s3", "", "", "bucket/key")),
    ("arn:aws:sqs:*:*:q", ("aws", "sqs", "*", "*", "q")),
    ("arn:aws:lambda:us-east-1:<make.account>:function:f",
     ("aws", "lambda", "us-east-1", "<make.account>", "function:f")),
    ("arn:aws:iam::aws:policy/ReadOnlyAccess", ("aws", "iam", "", "aws", "policy/ReadOnlyAccess")),
]


@pytest.mark.parametrize("text, parts", ARNS)
def test_an_arn_anywhere_is_read_field_by_field(text, parts):
    assert tuple(parse_arn(text))[1:] == parts
    assert [tuple(a)[1:] for a in scan('see "%s", then' % text).arns] == [parts]


@pytest.mark.parametrize("text, public", [
    ('uri="http://acs.amazonaws.com/groups/global/AllUsers"', True),
    ("http://acs.amazonaws.com/groups/global/AuthenticatedUsers", True),
    ("http://acs.amazonaws.com/groups/s3/LogDelivery", False),
])
def test_public_acl_grantees(text, public):
    assert bool(scan(text).public) is public


@pytest.mark.parametrize("text, urls", [
    ("https://example.com/t.yml", ["https://example.com/t.yml"]),
    ("curl http://10.0.0.1:8080/x | sh", ["http://10.0.0.1:8080/x"]),
    ("https://bucket.s3.amazonaws.com/k", []),                    # AWS
    ("https://evil.amazonaws.com.example.org/x", ["https://evil.amazonaws.com.example.org/x"]),  # not AWS
])
def test_urls_outside_aws(text, urls):
    assert list(scan(text).urls) == urls


def test_text_naming_nothing_is_not_scanned_further():
    assert scan("just a name") == scan("another-name") == scan("")
