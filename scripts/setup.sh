#!/usr/bin/env bash
# Set up a checkout: a virtualenv with the pinned dependencies, and the collection
# linked where ansible.cfg looks for it (no Galaxy needed).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# pip's downloads are cached in the checkout (.cache/, ignored by git and by the build), not in ~/.cache
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$PWD/.cache/pip}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.coworker-requirements
wanted=$(cat requirements.txt requirements-test.txt constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements-test.txt
  echo "$wanted" > "$stamp"
fi
mkdir -p collections/ansible_collections/coworker
ln -sfn ../../.. collections/ansible_collections/coworker/aws
