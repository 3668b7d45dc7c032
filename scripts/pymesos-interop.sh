#!/usr/bin/env bash
# Interop check against a framework we did not write: a pymesos (Python) scheduler and
# executor run against `mesos-local`. Subscribe, offers, command tasks and custom-executor
# tasks, framework messages both ways, every task FINISHED, every acknowledgement accepted.
#
# Creates a virtualenv in ${PYMESOS_VENV:-$CARGO_TARGET_DIR/pymesos-venv} (default target dir
# ./target) if missing and installs pymesos into it. pymesos needs `http-parser`, whose C
# extension does not build on Python >= 3.11 (longintrepr.h is gone); the recipe installs
# http-parser's pure-Python parser (http_parser.pyparser, which pymesos falls back to) by
# building the sdist with its extension switched off.
#
# Env: MESOS_LOCAL_BIN (path of the mesos-local binary; built with cargo when unset),
#      PYTHON (default python3). Exits non-zero, loudly, if any step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="${PYMESOS_VENV:-$TARGET/pymesos-venv}"
PYTHON="${PYTHON:-python3}"
fail() { echo "pymesos-interop: FAIL: $*" >&2; exit 1; }
# shellcheck source=scripts/pymesos-venv.sh
source "$ROOT/scripts/pymesos-venv.sh"

PY="$VENV/bin/python"
echo "pymesos-interop: using $("$PY" -c 'import pymesos, http_parser.http as h; print("pymesos", pymesos.__file__, "parser", h.HttpParser.__module__)')"

if [[ -z "${MESOS_LOCAL_BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --quiet --bin mesos-local) || fail "cannot build mesos-local"
  MESOS_LOCAL_BIN="$TARGET/debug/mesos-local"
fi
[[ -x "$MESOS_LOCAL_BIN" ]] || fail "mesos-local binary not found at $MESOS_LOCAL_BIN"

LOG="$(mktemp)"
"$MESOS_LOCAL_BIN" --port 0 --agents 2 --resources 'cpus:2;mem:2048;disk:1024;ports:[31000-31100]' \
  --heartbeat-interval 1 >"$LOG.out" 2>"$LOG" &
CLUSTER=$!
cleanup() { kill "$CLUSTER" 2>/dev/null || true; wait "$CLUSTER" 2>/dev/null || true; rm -f "$LOG" "$LOG.out"; }
trap cleanup EXIT

URL=""
for _ in $(seq 1 200); do
  URL="$(sed -n 's/^mesos-local listening on //p' "$LOG.out" | head -1)"
  [[ -n "$URL" ]] && break
  kill -0 "$CLUSTER" 2>/dev/null || { cat "$LOG" >&2; fail "mesos-local exited"; }
  sleep 0.05
done
[[ -n "$URL" ]] || fail "mesos-local did not print its URL"
MASTER="${URL#http://}"
echo "pymesos-interop: mesos-local at $URL"

set +e
timeout 120 "$PY" "$ROOT/scripts/pymesos/scheduler.py" "$MASTER" "$PY $ROOT/scripts/pymesos/executor.py"
RC=$?
set -e
if [[ $RC -ne 0 ]]; then
  echo "---- mesos-local log (tail) ----" >&2
  tail -n 40 "$LOG" >&2
  fail "pymesos scheduler exited with $RC"
fi
echo "pymesos-interop: OK"
