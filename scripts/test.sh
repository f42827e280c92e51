#!/usr/bin/env bash
# The test suite: unit tests, integration tests against a moto server on
# 127.0.0.1 (real ansible-playbook, real terminal via pexpect), ansible-lint and
# ansible-doc. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
# three workers on two cores: most of an integration test is waiting on ansible-playbook, moto and
# pexpect, so a third worker keeps the CPUs busy (10m44s against 14m49s with two, 1,577 tests); work stealing
# evens out the long tests at the end (with 2 crash trials and a 250-line CLI sample in CI: 12m11s against
# 13m02s, 1,610 tests; four workers: 13m55s)
exec .venv/bin/python -m pytest -n 3 --dist worksteal -p no:cacheprovider "$@" tests
