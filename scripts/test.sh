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
# @sentry/browser from npm (tests/browser/sentry_js, pinned by its lock) for the browser
# script's grouping test; installed again when the lock changes.
SENTRY_JS=tests/browser/sentry_js
if [ ! -e "$SENTRY_JS/node_modules/.installed" ] \
    || [ "$SENTRY_JS/package-lock.json" -nt "$SENTRY_JS/node_modules/.installed" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "== installing nodejs and npm (Debian packages) for the browser tests"
    if [ "$(id -u)" = 0 ]; then AS_ROOT=""; else AS_ROOT="sudo -n"; fi
    $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  npm ci --prefix "$SENTRY_JS" --no-audit --no-fund --loglevel=error
  touch "$SENTRY_JS/node_modules/.installed"
fi
echo "== ruff" && .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy" && .venv/bin/mypy
# The slowest tests are listed so a growing suite shows where its time goes.
# Tests spend most of their time waiting on servers and processes (pytest used ~40 %
# of a core alone), so three workers share the two cores; a file stays on one worker
# (its module fixtures are made once). FAULTBOX_TEST_WORKERS=0 runs in one process.
echo "== pytest" && .venv/bin/pytest -n "${FAULTBOX_TEST_WORKERS:-3}" --dist loadfile --durations=15 "$@"
