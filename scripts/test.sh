#!/usr/bin/env bash
# The whole test suite: lint, types, and pytest against real PostgreSQL, Redis and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"

bash scripts/ensure_services.sh

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy labelapp workers simclr_core

echo "== pytest"
export LABELAPP_DATA_DIR=${LABELAPP_TEST_DATA_DIR:-$(mktemp -d /tmp/labelapp-test.XXXXXX)}
export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/labelapp}
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
unset CELERY_BROKER_URL
exec pytest "$@"
