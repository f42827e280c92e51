# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cli_names mirrors the installed aws CLI v1: a CLI upgrade that changes a table fails here.

awscli is read in a subprocess: importing it changes how the process imports botocore.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.plan import cli_names

pytest.importorskip("awscli")

DUMP = """
import json
import awscli.clidriver  # loads awscli's modules in the order they import each other
from awscli.customizations.argrename import ARGUMENT_RENAMES, HIDDEN_ALIASES
from awscli.paramfile import PARAMFILE_DISABLED
from awscli.argprocess import ParamShorthand
from awscli.customizations.ec2 import protocolarg
import awscli, os
with open(os.path.join(os.path.dirname(awscli.__file__), "data", "cli.json")) as handle:
    options = sorted(json.load(handle)["options"])
params = {}
for name in ("tcp", "udp", "icmp", "all", "47"):
    fixed = {"Protocol": name}
    protocolarg._fix_args(fixed)
    params[name] = fixed["Protocol"]
old_list = [[s, o, a] for s, o, a in %r if ParamShorthand()._uses_old_list_case(s, o, a)]
print(json.dumps({"renames": ARGUMENT_RENAMES, "aliases": HIDDEN_ALIASES, "text": sorted(PARAMFILE_DISABLED),
                  "options": options, "protocols": params, "old_list": old_list}))
"""


@pytest.fixture(scope="module")
def awscli_tables():
    cases = [[service, operation, argument] for (service, operation), argument in cli_names.OLD_LIST_CASE.items()]
    completed = subprocess.run([sys.executable, "-c", DUMP % cases], capture_output=True, text=True, check=True,
                               timeout=120)
    return json.loads(completed.stdout)


def _dotted(table):
    return {"%s.%s.%s" % key: value for key, value in table.items()}


def test_renames_and_hidden_aliases(awscli_tables):
    assert _dotted(cli_names.ARGUMENT_RENAMES) == awscli_tables["renames"]
    assert _dotted(cli_names.HIDDEN_ALIASES) == awscli_tables["aliases"]


def test_parameters_whose_urls_the_cli_passes_as_text(awscli_tables):
    ours = {"%s.%s.%s" % key for key in cli_names.TEXT_URL_OPTIONS}
    # "custom.*" are the CLI's own s3/cloudformation commands, which are not API calls
    assert ours == {name for name in awscli_tables["text"] if not name.startswith("custom.")}


def test_global_options(awscli_tables):
    assert sorted(cli_names.GLOBAL_OPTIONS) == awscli_tables["options"]


def test_network_acl_protocols(awscli_tables):
    assert {name: cli_names.NETWORK_ACL_PROTOCOLS.get(name, name) for name in awscli_tables["protocols"]} == \
        awscli_tables["protocols"]


def test_old_list_case(awscli_tables):
    assert len(awscli_tables["old_list"]) == len(cli_names.OLD_LIST_CASE) == 8
