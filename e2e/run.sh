#!/usr/bin/env bash
# Browser test: builds `kyosai`, starts it with demo data on a free port and a fresh data directory,
# then walks sign-up → e-mail verification → TOTP → enrollment in both programs (and the staff
# queue), and the demo member 山田 through every contract procedure, in headless Debian chromium at
# 390×844, scanning every page with axe-core.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "chromium not found at $CHROMIUM (Debian: apt-get install -y chromium)" >&2
  exit 2
fi
if [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -d "$HERE/node_modules/axe-core" ]; then
  (cd "$HERE" && npm install --no-audit --no-fund)
fi

echo "building kyosai…" >&2
# The whole workspace, so the features match the test build and nothing is compiled twice.
cargo build -q --workspace
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/debug/kyosai"

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
DATA_DIR="$(mktemp -d -t kyosai-e2e-XXXXXX)"
LOG="$DATA_DIR/server.log"
"$BIN" serve --demo --addr "127.0.0.1:$PORT" --data-dir "$DATA_DIR" >"$LOG" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  if [ "${KEEP_DATA:-}" = "" ]; then rm -rf "$DATA_DIR"; else echo "data kept in $DATA_DIR" >&2; fi
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$LOG" >&2; echo "server exited" >&2; exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$LOG" >&2; exit 1; }
# Bill the demo book for next month (Japan time; its contracts start debiting then) and post a
# simulated bank answer, so the staff billing screens show a run, files, an import and a report.
NEXT_MONTH="$(TZ=Asia/Tokyo date -d "$(TZ=Asia/Tokyo date +%Y-%m-15) +1 month" +%Y-%m)"
"$BIN" billing run --month "$NEXT_MONTH" --out "$DATA_DIR/billing" --data-dir "$DATA_DIR" >>"$LOG" 2>&1 \
  || { cat "$LOG" >&2; exit 1; }
for REQUEST in "$DATA_DIR"/billing/*.dat; do
  "$BIN" dev bank-simulate --in "$REQUEST" --out "$REQUEST.result" --fail-rate 0.5 --seed 7 >>"$LOG" 2>&1
  "$BIN" billing import-results "$REQUEST.result" --data-dir "$DATA_DIR" >>"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
done

HELP_OUT="$DATA_DIR/help"
E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_DATA_DIR="$DATA_DIR" E2E_HELP_DIR="$HELP_OUT" CHROMIUM="$CHROMIUM" \
  node --test --test-reporter=spec "$HERE/"

# The public help pages (/help) are made from these walks (issue #14 item 3). The steps of every
# guide must equal the committed ones, so a changed screen cannot leave a stale guide behind;
# E2E_UPDATE_HELP=1 refreshes the committed guides (steps and screenshots) instead.
HELP_COMMITTED="$ROOT/crates/kyosai-web/static/help"
guides() { (cd "$1" 2>/dev/null && find . -name steps.json | sort); }
if [ -n "${E2E_UPDATE_HELP:-}" ]; then
  rm -rf "$HELP_COMMITTED"
  mkdir -p "$HELP_COMMITTED"
  cp -r "$HELP_OUT"/. "$HELP_COMMITTED"/
  echo "help pages refreshed in $HELP_COMMITTED" >&2
else
  stale=""
  [ "$(guides "$HELP_OUT")" = "$(guides "$HELP_COMMITTED")" ] || stale="the set of guides differs"
  for f in $(guides "$HELP_OUT"); do
    cmp -s "$HELP_OUT/$f" "$HELP_COMMITTED/$f" || stale="$stale $f"
  done
  if [ -n "$stale" ]; then
    echo "help pages are stale ($stale): run E2E_UPDATE_HELP=1 e2e/run.sh and commit crates/kyosai-web/static/help" >&2
    exit 1
  fi
fi
