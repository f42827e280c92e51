# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the aws CLI command line unit tests (test_cli*.py): a parse error checked to name its field."""

from __future__ import annotations

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.errors import PlanError
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli import parse_command

SOURCE, FIELD = "plans/dev.yml", "steps[0].call.command"
TAGS = [{"Key": "Name", "Value": "dev"}, {"Key": "Env", "Value": "dev"}]


def error(command):
    """The rendered PlanError for ``command``, checked to name the source and the field."""
    with pytest.raises(PlanError) as info:
        parse_command(command, SOURCE, FIELD)
    assert [field for field, _message in info.value.problems] == [FIELD]
    text = str(info.value)
    assert text.startswith("%s: %s: " % (SOURCE, FIELD))
    return text
