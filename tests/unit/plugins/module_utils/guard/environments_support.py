# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the environments file's unit tests (test_environments*.py): a full example file, writing one,
and the ConfigError loading one raises."""

from __future__ import annotations

import textwrap

import pytest

from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments
from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError

FULL = """
environments:
  sandbox:     {account_ids: ["123456789012"], account_aliases: ["*-sandbox"], profiles: ["sandbox-*"], regions: ["*"]}
  development: {account_ids: ["333333333333"], account_aliases: ["*-dev"], profiles: ["dev-*"],
                regions: [us-east-1, us-west-2]}
  test:        {account_ids: ["444444444444"], account_aliases: ["*-test", "*-qa"], profiles: ["test-*", "qa-*"],
                regions: ["eu-*"]}
  staging:     {account_ids: ["222222222222"], account_aliases: ["*-staging", "*-preprod"], profiles: ["staging-*"]}
  production:  {account_ids: ["111111111111"], account_aliases: ["*-prod", "*-production"], profiles: ["prod-*"]}
unknown_environment: staging
"""


def write(tmp_path, text, name="environments.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def config_error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_environments(path)
    return path, str(info.value)
