"""Without PyYAML the modules import and then fail with Ansible's missing-library message.

Runs in a child interpreter where ``import yaml`` raises ImportError, so this process's
modules are left alone (ansible-test's import sanity test checks the same from outside).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[5] / "collections"

CHILD = r"""
import json, sys
sys.modules["yaml"] = None  # import yaml -> ImportError
sys.path.insert(0, sys.argv[1])
from ansible_collections.coworker.aws.plugins.module_utils import common
from ansible_collections.coworker.aws.plugins.module_utils.plan import safe_yaml
from ansible_collections.coworker.aws.plugins.module_utils.guard import environments
from ansible_collections.coworker.aws.plugins.module_utils.plan import writer


class Failed(Exception):
    pass


class Module:
    def fail_json(self, msg, **kwargs):
        raise Failed(msg)


try:
    common.require_libraries(Module())
    message = None
except Failed as exc:
    message = str(exc)
print(json.dumps({"has_yaml": safe_yaml.HAS_YAML, "loader": safe_yaml.StrictLoader is None, "message": message}))
"""


def test_modules_report_missing_pyyaml_instead_of_crashing_on_import():
    result = subprocess.run([sys.executable, "-c", CHILD, str(COLLECTIONS)], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["has_yaml"] is False and seen["loader"] is True
    assert "PyYAML" in seen["message"] and "required" in seen["message"]


def test_with_pyyaml_the_strict_loader_still_refuses_duplicates_and_keeps_times_as_text():
    from ansible_collections.coworker.aws.plugins.module_utils.plan import safe_yaml

    assert safe_yaml.HAS_YAML and safe_yaml.load_yaml("at: 2026-01-01 10:00:00") == {"at": "2026-01-01 10:00:00"}
    try:
        safe_yaml.load_yaml("a: 1\na: 2\n")
    except safe_yaml.YAMLError as exc:
        assert "duplicate key 'a'" in str(exc)
    else:
        raise AssertionError("duplicate key accepted")
