# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``${...}`` references: parsing, typed and textual substitution, the ``$${`` escape."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan.references import (
    ReferenceProblem, exact_reference, iter_strings, parse_reference, references_in, resolve, resolve_string)

CONTEXT = {
    "target": {"account_id": "123456789012", "region": "us-east-1"},
    "run": {"id": "20261124T000000Z-demo-abc123"},
    "create_vpc": {"vpc_id": "vpc-0abc", "cidrs": ["10.0.0.0/16", "10.1.0.0/16"], "count": 2,
                   "tags": {"Name": "dev"}, "flag": False, "nothing": None},
}


@pytest.mark.parametrize("text, expected", [
    ("plain", []),
    ("${target.account_id}", [("target", "account_id")]),
    ("arn:aws:iam::${target.account_id}:role/${create_role.name}", [("target", "account_id"),
                                                                    ("create_role", "name")]),
    ("$${aws:username}", []),
    ("$${not.a_ref} and ${run.id}", [("run", "id")]),
    ("${unclosed", []),
    ("{{ lookup('pipe', 'id') }}", []),
])
def test_references_in(text, expected):
    assert list(references_in(text)) == expected


@pytest.mark.parametrize("text", ["${foo}", "${a.b.c}", "${ a.b }", "${}", "${1x.y}", "${a.b-c}", "${aws:username}"])
def test_malformed_references_are_refused_with_advice(text):
    with pytest.raises(ReferenceProblem) as exc:
        references_in("prefix " + text)
    assert str(exc.value).startswith("malformed reference %s" % text)
    assert "$${" in str(exc.value)


def test_parse_reference():
    assert parse_reference("create_vpc.vpc_id") == ("create_vpc", "vpc_id")


@pytest.mark.parametrize("text, expected", [
    ("${create_vpc.vpc_id}", ("create_vpc", "vpc_id")),
    ("x${create_vpc.vpc_id}", None),
    ("${create_vpc.vpc_id} ", None),
    ("${a.b}${c.d}", None),
    ("$${a.b}", None),
])
def test_exact_reference(text, expected):
    assert exact_reference(text) == expected


def test_exact_reference_keeps_the_type():
    assert resolve("${create_vpc.cidrs}", CONTEXT) == ["10.0.0.0/16", "10.1.0.0/16"]
    assert resolve("${create_vpc.count}", CONTEXT) == 2
    assert resolve("${create_vpc.flag}", CONTEXT) is False
    assert resolve("${create_vpc.nothing}", CONTEXT) is None


def test_embedded_reference_becomes_text():
    assert resolve_string("arn:aws:ec2:${target.region}:${target.account_id}:vpc/${create_vpc.vpc_id}", CONTEXT) == \
        "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc"
    assert resolve_string("n=${create_vpc.count} cidrs=${create_vpc.cidrs} tags=${create_vpc.tags}", CONTEXT) == \
        'n=2 cidrs=["10.0.0.0/16", "10.1.0.0/16"] tags={"Name": "dev"}'


def test_double_dollar_is_a_literal():
    assert resolve_string("arn:aws:s3:::b/$${aws:username}/*", CONTEXT) == "arn:aws:s3:::b/${aws:username}/*"
    assert resolve_string("$${run.id} is ${run.id}", CONTEXT) == "${run.id} is 20261124T000000Z-demo-abc123"


def test_resolve_walks_nested_params_and_leaves_other_values():
    params = {"VpcId": "${create_vpc.vpc_id}", "Count": 3, "Enabled": True,
              "Tags": [{"Key": "Run", "Value": "run-${run.id}"}], "Cidrs": "${create_vpc.cidrs}"}
    assert resolve(params, CONTEXT) == {"VpcId": "vpc-0abc", "Count": 3, "Enabled": True,
                                        "Tags": [{"Key": "Run", "Value": "run-20261124T000000Z-demo-abc123"}],
                                        "Cidrs": ["10.0.0.0/16", "10.1.0.0/16"]}
    assert params["VpcId"] == "${create_vpc.vpc_id}"  # the plan itself is not changed


@pytest.mark.parametrize("text", ["${later.value}", "x-${create_vpc.missing}"])
def test_missing_value_is_a_problem(text):
    with pytest.raises(ReferenceProblem) as exc:
        resolve({"A": [text]}, CONTEXT)
    assert "has no value" in str(exc.value)


def test_placeholder_mode_shows_what_is_not_known_yet():
    assert resolve({"VpcId": "${later.vpc_id}", "Arn": "a/${later.arn}"}, CONTEXT, placeholder=True) == {
        "VpcId": "<later.vpc_id>", "Arn": "a/<later.arn>"}


def test_templates_are_never_evaluated():
    text = "{{ lookup('pipe', 'id') }} {% raw %}x{% endraw %} ${run.id}"
    assert resolve_string(text, CONTEXT) == "{{ lookup('pipe', 'id') }} {% raw %}x{% endraw %} " \
                                            "20261124T000000Z-demo-abc123"


def test_iter_strings_gives_the_path_of_each_string():
    params = {"A": "x", "B": [{"C": "y"}, 5, "z"], "D": {"E": {"F": "w"}}, "G": None}
    assert list(iter_strings(params)) == [("A", "x"), ("B[0].C", "y"), ("B[2]", "z"), ("D.E.F", "w")]
