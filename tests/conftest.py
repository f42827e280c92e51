"""Root test configuration: make this checkout importable as the coworker.aws collection.

Plugins import each other as ``ansible_collections.coworker.aws.plugins...``, so both the
unit tests (through sys.path) and ansible-playbook (through collections_path in
ansible.cfg) need ``collections/ansible_collections/coworker/aws`` to be this repository.
The ``collections/`` directory is gitignored; the link is (re)created here on demand.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS_DIR = REPO_ROOT / "collections"
COLLECTION_LINK = COLLECTIONS_DIR / "ansible_collections" / "coworker" / "aws"
INTEGRATION_DIR = REPO_ROOT / "tests" / "integration"


def link_collection() -> None:
    """Create the collection symlink if missing; safe when pytest-xdist workers race.

    The link is relative ("../../..") so it keeps working if the checkout moves. A path
    that exists but is not this repository is reported, never deleted.
    """
    COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(os.path.join("..", "..", ".."), COLLECTION_LINK, target_is_directory=True)
    except FileExistsError:
        pass
    if COLLECTION_LINK.resolve() != REPO_ROOT:
        raise RuntimeError(f"{COLLECTION_LINK} exists but is not a link to {REPO_ROOT}")


def put_collections_on_path() -> None:
    """Let `import ansible_collections.coworker.aws...` find this checkout first."""
    path = str(COLLECTIONS_DIR)
    if path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)


link_collection()
put_collections_on_path()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "integration: runs against a local moto server and/or ansible-playbook")


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration is an integration test, marked or not, so
    `-m integration` / `-m "not integration"` never miss one."""
    for item in items:
        if INTEGRATION_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
