#!/usr/bin/env bash
# The test command (README): every Rust test of the workspace, then the browser tests.
# PostgreSQL tests run when KYOSAI_TEST_POSTGRES_URL is set (scripts/with-postgres.sh sets it;
# .ci/run uses it) and announce that they were skipped otherwise. Browser tests run when Node.js and
# Chromium are installed (KYOSAI_E2E=1 makes them mandatory).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KYOSAI_TEST_POSTGRES_URL:-}" ]; then
  echo "NOTE: PostgreSQL tests skipped (KYOSAI_TEST_POSTGRES_URL not set; run scripts/with-postgres.sh scripts/test.sh)"
fi

cargo test --workspace --all-targets

if [ -f e2e/package.json ]; then
  if command -v node >/dev/null && [ -x /usr/bin/chromium ]; then
    (cd e2e && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && ./run.sh)
  elif [ "${KYOSAI_E2E:-0}" = 1 ]; then
    echo "e2e: Node.js and /usr/bin/chromium are required (KYOSAI_E2E=1)" >&2
    exit 1
  else
    echo "NOTE: browser tests skipped (install nodejs and chromium to run them)"
  fi
fi
