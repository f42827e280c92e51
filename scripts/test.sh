#!/usr/bin/env bash
# The test suite: unit tests, integration tests against a moto server on
# 127.0.0.1 (real ansible-playbook, real terminal via pexpect), ansible-lint and
# ansible-doc. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@" tests
