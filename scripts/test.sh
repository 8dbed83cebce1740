#!/usr/bin/env bash
# Set up (once) and run the whole test suite: lint, format check, types, tests.
# Uses the PostgreSQL server on 127.0.0.1:5432 when there is one; otherwise starts
# a private one (installing Debian's postgresql package if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
# The SDK (sdk/, its own distribution) goes into the same venv; its tests are tests/sdk/.
if [ ! -x .venv/bin/pytest ] || [ pyproject.toml -nt .venv/.installed-test ] \
    || [ sdk/pyproject.toml -nt .venv/.installed-test ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e '.[test]' -e ./sdk
  touch .venv/.installed-test
fi
source scripts/test-services.sh
echo "== ruff" && .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy" && .venv/bin/mypy
echo "== pytest" && .venv/bin/pytest "$@"
