#!/usr/bin/env bash
# Installs returns-api into a fresh virtualenv and runs every quality gate:
# ruff (lint + format), mypy --strict, alembic check, the TypeScript types check, Chromium and
# axe-core for the browser tests (tests/browser), the schemathesis fuzz run, and pytest on
# SQLite and PostgreSQL (which includes the OpenAPI drift test and the generated Python
# client). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${RETURNS_TEST_VENV:-.venv-test}

step() { printf '\n==> %s\n' "$*"; }

step "fresh virtualenv in $VENV"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'
export PATH="$PWD/$VENV/bin:$PATH"

step "PostgreSQL"
if "$VENV/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then
  echo "PostgreSQL answers on 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  sleep 2
else
  echo "PostgreSQL is not running and cannot be started here: its tests will be skipped" \
       "(outside CI) or fail (CI=true)."
fi

step "ruff check"
ruff check .
step "ruff format --check"
ruff format --check .
step "mypy --strict src/"
mypy src

step "alembic check (SQLite)"
CHECK_DIR=$(mktemp -d)
trap 'rm -rf "$CHECK_DIR"' EXIT
RETURNS_DATABASE_URL="sqlite+aiosqlite:///$CHECK_DIR/check.db" returns-api migrate
RETURNS_DATABASE_URL="sqlite+aiosqlite:///$CHECK_DIR/check.db" alembic check

step "TypeScript: types generated from openapi/openapi.json, the journey type-checked"
if command -v npm >/dev/null 2>&1; then
  (cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check)
elif [ "${CI:-}" = "true" ]; then
  echo "npm is not installed: CI requires the TypeScript check"; exit 1
else
  echo "npm is not installed: the TypeScript check is SKIPPED outside CI"
fi

step "Browser tests: Debian's Chromium and axe-core (tests/browser)"
if [ ! -x /usr/bin/chromium ] && [ "${CI:-}" = "true" ]; then
  # Playwright drives Debian's browser; `playwright install` would download one and fail.
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi
fi
if [ -x /usr/bin/chromium ] && command -v npm >/dev/null 2>&1; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
elif [ "${CI:-}" = "true" ]; then
  echo "chromium or npm is missing: CI requires the browser tests"; exit 1
else
  echo "chromium or npm is not installed: the browser tests are SKIPPED outside CI"
fi

step "schemathesis: every operation fuzzed against openapi/openapi.json (fixed seed)"
bash scripts/fuzz.sh

step "pytest (SQLite and PostgreSQL)"
set +e
pytest "$@"
status=$?
set -e
# pytest exits 5 when no test ran: that is a failure here, never a pass.
if [ "$status" -eq 5 ]; then echo "no tests were collected"; exit 1; fi
exit "$status"
