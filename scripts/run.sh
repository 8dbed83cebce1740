#!/usr/bin/env bash
# Set up (once) and run Faultbox on the embedded default: SQLite + in-process worker.
# Prints the URL, the admin login and a DSN, then serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/faultbox ] || [ pyproject.toml -nt .venv/.installed ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e .
  touch .venv/.installed
fi
export FAULTBOX_DATA_DIR=${FAULTBOX_DATA_DIR:-./data}
exec .venv/bin/faultbox serve "$@"
