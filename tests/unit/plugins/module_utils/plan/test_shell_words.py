# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bash around a planner's aws lines is split as bash splits it, and anything else bash would do is
refused at its line. Where bash's own splitting is the reference, bash itself is asked (printf '[%s]')."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan.shell_words import ShellError, Var, read_commands


def words_of(text):
    [command] = read_commands(text)
    return [[p if isinstance(p, str) else Var(p.name) for p in word] for word in command.words]


def refusal(text, first_line=1):
    with pytest.raises(ShellError) as caught:
        read_commands(text, first_line)
    return caught.value.line, str(caught.value)


BLOCK = """\
# Create the VPC
# (the id is kept)
VPC_ID=$(aws ec2 create-vpc \\
  --cidr-block 10.0.0.0/16 \\
  --query 'Vpc.VpcId' --output text)

# unrelated note

aws ec2 create-tags --resources "$VPC_ID" --tags 'Key=Name,Value=a b'   # trailing note
SUBNET="$(aws ec2 create-subnet --vpc-id ${VPC_ID} --cidr-block 10.0.1.0/24 --query Subnet.SubnetId --output text)"
aws iam put-role-policy --role-name r --policy-name p --policy-document '{
  "Statement": [{"Resource": "arn:aws:s3:::b/${aws:username}"}]
}'
"""


def test_a_block_is_read_command_by_command_with_lines_comments_and_variables():
    commands = read_commands(BLOCK, first_line=20)
    assert [(c.line, c.assign, c.comment) for c in commands] == [
        (22, "VPC_ID", "Create the VPC (the id is kept)"), (28, None, ""), (29, "SUBNET", ""), (30, None, "")]
    first, tags, subnet, policy = commands
    assert first.words[-4:] == [["--query"], ["Vpc.VpcId"], ["--output"], ["text"]]
    assert tags.words[4:] == [[Var("VPC_ID")], ["--tags"], ["Key=Name,Value=a b"]]
    assert subnet.words[4] == [Var("VPC_ID")]
    assert policy.words[-1] == ['{\n  "Statement": [{"Resource": "arn:aws:s3:::b/${aws:username}"}]\n}']


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is the reference")
@pytest.mark.parametrize("line", [
    "aws a b 'single $X' \"double \\$Y\" plain\\ space \"a\\\\b\" 'it'\"'\"'s'",
    "aws a b --x='k=v, w' \"--y\"=\"1\" -z \\\n  continued \"multi\nline\"",
    "aws a b Key=Name,Value=x --t \"\" '' end#hash",
])
def test_splitting_is_bashs(line):
    expected = subprocess.run(["bash", "-c", "printf '[%s]' " + line[4:]], capture_output=True, text=True,
                              check=True).stdout
    ours = "".join("[%s]" % "".join(word) for word in words_of(line)[1:])
    assert ours == expected


def test_variables_inside_words_and_quotes():
    assert words_of('aws s3 x --a "arn:aws:iam::${ACCOUNT}:role/$ROLE-x" --b ${A}${B}') == [
        ["aws"], ["s3"], ["x"], ["--a"], ["arn:aws:iam::", Var("ACCOUNT"), ":role/", Var("ROLE"), "-x"],
        ["--b"], [Var("A"), Var("B")]]
    assert words_of("aws a b 'cost: $5' \"$\" x$") == [["aws"], ["a"], ["b"], ["cost: $5"], ["$"], ["x$"]]


@pytest.mark.parametrize("text, line, fragment", [
    ("aws ec2 describe-vpcs | jq -r .Vpcs", 1, "a pipe ('|') is not read"),
    ("aws a b && aws c d", 1, "'&' ('&&' or a background job) is not read"),
    ("aws a b || true", 1, "a pipe ('|')"),
    ("aws a b; aws c d", 1, "';' (several commands on one line)"),
    ("aws a b > out.json", 1, "a redirection ('>')"),
    ("aws a b --x file 2>/dev/null", 1, "a redirection ('>')"),
    ("aws a b < in", 1, "a redirection ('<')"),
    ("aws a b &", 1, "'&'"),
    ("(aws a b)", 1, "a subshell ('(')"),
    ("aws a b --x `date`", 1, "command substitution with backquotes"),
    ('aws a b --x "`date`"', 1, "command substitution with backquotes"),
    ("aws a b --x $(date)", 1, "command substitution is read only as a whole command"),
    ("aws a b --x \"$(date)\"", 1, "command substitution is read only as a whole command"),
    ("aws a b --x $((1+2))", 1, "command substitution is read only as a whole command"),
    ("X=$((1+2))", 1, "a shell variable is read only as X=$(aws"),
    ("REGION=us-east-1", 1, "a shell variable is read only as REGION=$(aws"),
    ("AWS_PAGER= aws a b", 1, "a shell variable is read only as AWS_PAGER=$(aws"),
    ("X=$(aws a b) && echo ok", 1, "nothing may follow the closing ')' of X="),
    ("X=$(aws a b\naws c d)", 2, "several commands inside $(...)"),
    ("X=$(aws a b", 1, "$( without its closing ')'"),
    ("X=$(echo hi)", 1, "only aws CLI commands are read, not 'echo'"),
    ("echo $VPC_ID", 1, "only aws CLI commands are read, not 'echo'"),
    ("jq .Vpcs out.json", 1, "not jq, which filters JSON output"),
    ("export AWS_REGION=us-east-1", 1, "not 'export'"),
    ("for r in a b\ndo aws a b\ndone", 1, "'for': loops, conditionals and groups of commands are not read"),
    ("if aws a b\nthen aws c d\nfi", 1, "'if': loops, conditionals"),
    ("aws a b --x ${X:-default}", 1, "${X:-default}: only $NAME and ${NAME} are read"),
    ("aws a b --x ${#X}", 1, "${#X}: only $NAME and ${NAME}"),
    ("aws a b --x $1", 1, "$1: special shell parameters are not read"),
    ("aws a b --x $?", 1, "$?: special shell parameters"),
    ("aws a b --x $'a\\nb'", 1, "$'...' quoting is not read"),
    ("aws a b --x *.json", 1, "unquoted * is a file name pattern"),
    ("aws a b --x file?.txt", 1, "unquoted ? is a file name pattern"),
    ("aws a b --query Vpcs[0].VpcId", 1, "unquoted [ is a file name pattern"),
    ("aws a b --tags {Key=a,Value=b}", 1, "unquoted {a,b} or {a..b} is expanded by a shell"),
    ("aws a b --x {1..3}", 1, "unquoted {a,b} or {a..b}"),
    ("aws a b --x ~/policy.json", 1, "an unquoted ~ is a home directory"),
    ("aws a b --x a=~", 1, "an unquoted ~ is a home directory"),
    ("aws a b --x 'unclosed", 1, "a quote (') is not closed"),
    ("aws a b\n\naws c d --x \"unclosed\n", 3, 'a quote (") is not closed'),
])
def test_what_a_shell_would_do_beyond_splitting_is_refused_at_its_line(text, line, fragment):
    found_line, message = refusal(text)
    assert found_line == line and fragment in message, (found_line, message)


def test_quoted_patterns_are_plain_text():
    assert words_of("aws a b --x '*.json' \"{a,b}\" '~' Tags=\\[x\\] --y a~b")[4:] == [
        ["*.json"], ["{a,b}"], ["~"], ["Tags=[x]"], ["--y"], ["a~b"]]


def test_the_line_of_a_refusal_counts_from_the_blocks_first_line():
    assert refusal("aws a b\n# note\naws c d | tee x", first_line=40)[0] == 42
