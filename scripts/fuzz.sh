#!/usr/bin/env bash
# Fuzzes the API with schemathesis (all operations, all checks, a fixed seed by default)
# against a real server on a free loopback port. Extra arguments go to `st run`, e.g.
#   bash scripts/fuzz.sh --seed 7                 # another seed
#   bash scripts/fuzz.sh --max-examples 300       # a longer run
# Uses the virtualenv on PATH (scripts/test.sh puts .venv-test there), else .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=python
if ! command -v st >/dev/null 2>&1; then PYTHON=.venv/bin/python; fi
exec "$PYTHON" -m tests.fuzz.run "$@"
