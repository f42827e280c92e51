# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""parse_command and render_cli against the aws CLI v1 itself, over the CLI's documented examples.

CI checks a fixed, seeded sample of the example lines; ``COWORKER_CLI_DIFFERENTIAL=full`` checks all
of them (several minutes; ``benchmarks/cli_differential.py --diffs`` prints the figures and every
difference). The oracle (benchmarks/cli_oracle.py) runs awscli in process and sends nothing.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

pytest.importorskip("awscli")
sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "benchmarks"))
import cli_differential  # noqa: E402
from cli_oracle import AwsCliOracle  # noqa: E402

SAMPLE_SIZE = 400
FULL = os.environ.get("COWORKER_CLI_DIFFERENTIAL") == "full"


@pytest.fixture(scope="module")
def oracle():
    return AwsCliOracle()


@pytest.fixture(scope="module")
def results(oracle):
    lines = cli_differential.example_lines()
    if not FULL:
        lines = cli_differential.sample(lines, SAMPLE_SIZE)
    return cli_differential.run(lines, oracle)


@pytest.fixture(scope="module")
def figures(results):
    return cli_differential.figures(results)


def _listing(results):
    return "\n".join("[%s] %s\n%s" % (r.source, r.command, r.detail) for r in cli_differential.differences(results))


def test_the_sample_is_mostly_cli_accepted_api_lines(figures):
    assert figures["accepted"] >= 0.8 * figures["lines"], figures


def test_no_crash(results, figures):
    assert figures["crashes"] == 0, _listing(results)


def test_parse_equal_to_the_cli(results, figures):
    hits, total, share = figures["parse_equal_excluding_refusals"]
    assert share >= 99.0, "%d/%d\n%s" % (hits, total, _listing(results))
    assert figures["parse_equal_all"][2] >= (97.0 if FULL else 85.0), figures


def test_every_on_purpose_refusal_is_refused(results, figures):
    hits, total, _ = figures["refusals_refused"]
    assert hits == total, _listing(results)


def test_round_trip_through_the_cli(results, figures):
    hits, total, share = figures["round_trip"]
    assert share >= 99.5, "%d/%d\n%s" % (hits, total, _listing(results))


# -- the oracle and the corpus themselves -----------------------------------------------------------------------
def test_oracle_reads_no_file_and_fetches_no_url(oracle, tmp_path):
    secret = tmp_path / "policy.json"
    secret.write_text('{"Version": "2012-10-17", "Statement": []}')
    for value in ("file://%s" % secret, "fileb://%s" % secret, "https://127.0.0.1:9/p.json"):
        outcome = oracle.call(["iam", "create-role", "--role-name", "r", "--assume-role-policy-document", value])
        assert (outcome.kind, outcome.error, outcome.params) == ("paramfile", value, None)


def test_oracle_captures_the_call_the_cli_would_make(oracle):
    outcome = oracle.call(shlex.split("ec2 run-instances --image-id ami-1 --count 2:3 --region eu-west-1"))
    assert (outcome.kind, outcome.service, outcome.operation) == ("call", "ec2", "RunInstances")
    assert outcome.params == {"ImageId": "ami-1", "MinCount": 2, "MaxCount": 3}
    assert oracle.call(["ec2", "create-vpc", "--bogus"]).kind == "rejected"
    assert oracle.call(["ec2", "create-vpc", "--tag-specifications", "Tagz=1"]).kind == "rejected"


def test_example_lines_join_continuations_and_multi_line_quotes(tmp_path):
    folder = tmp_path / "dynamodb"
    folder.mkdir()
    (folder / "put-item.rst").write_text(
        "Example::\n\n    aws dynamodb put-item \\\n        --table-name T \\\n        --item '{\n"
        '            "a": {"S": "b"}\n        }'"'\n\nOutput::\n\n    {}\n")
    [(source, line)] = cli_differential.example_lines(str(tmp_path))
    assert source == os.path.join("dynamodb", "put-item.rst")
    assert shlex.split(line)[:5] == ["aws", "dynamodb", "put-item", "--table-name", "T"]
    assert shlex.split(line)[6].split() == ["{", '"a":', '{"S":', '"b"}', "}"]
    assert cli_differential.uses_shell("aws ec2 describe-vpcs | jq .") is True
    assert cli_differential.uses_shell("aws ec2 describe-vpcs --filters 'Name=a|b,Values=c'") is False
