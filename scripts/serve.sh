#!/usr/bin/env bash
# Installs returns-api into .venv and serves it: embedded SQLite (./returns.db) by default,
# migrations applied on start. Any RETURNS_* variable from the README applies.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/returns-api ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
fi
exec .venv/bin/returns-api serve "$@"
