#!/usr/bin/env bash
# Runs one benchmark workload against the pymesos peer and prints offer_flood's report,
# ending with its JSON line ("peer":"pymesos").
#
#   scripts/bench/run_pymesos.sh [offer_flood flags...]
#   scripts/bench/run_pymesos.sh --workload W2 --duration 10
#   BENCH_PROFILE=dev scripts/bench/run_pymesos.sh --quick      # smoke, debug build
#
# Sets up target/pymesos-venv (pymesos 0.3.15; shared with the interop test) on first use,
# with scripts/pymesos-venv.sh.
#
# pymesos speaks JSON only, so the stream is JSON (--encoding json is forced).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="${PYMESOS_VENV:-$TARGET/pymesos-venv}"
PYTHON="${PYTHON:-python3}"
PROFILE="${BENCH_PROFILE:-release}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# shellcheck source=scripts/pymesos-venv.sh
source "$ROOT/scripts/pymesos-venv.sh"

if [ "$PROFILE" = "release" ]; then
    cargo build -q --release --example offer_flood >&2
    BIN="$TARGET_DIR/release/examples/offer_flood"
else
    cargo build -q --example offer_flood >&2
    BIN="$TARGET_DIR/debug/examples/offer_flood"
fi

OUT="$(mktemp)"
PEER_PID=""
FLOOD_PID=""
cleanup() {
    [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null || true
    [ -n "$FLOOD_PID" ] && kill "$FLOOD_PID" 2>/dev/null || true
    rm -f "$OUT"
}
trap cleanup EXIT

# Drop any --encoding the caller gave (offer_flood takes it once; pymesos is JSON anyway).
ARGS=()
skip=0
for arg in "$@"; do
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case "$arg" in
        --encoding) skip=1 ;;
        --encoding=*) ;;
        *) ARGS+=("$arg") ;;
    esac
done

"$BIN" --serve-only --port 0 --peer pymesos "${ARGS[@]}" --encoding json >"$OUT" &
FLOOD_PID=$!

# The first stdout line says where the source listens and which queue to build.
HELLO=""
for _ in $(seq 1 300); do
    HELLO="$(head -n1 "$OUT" 2>/dev/null || true)"
    case "$HELLO" in *listening*) break ;; esac
    if ! kill -0 "$FLOOD_PID" 2>/dev/null; then
        echo "offer_flood exited early" >&2
        exit 1
    fi
    sleep 0.1
done
case "$HELLO" in *listening*) ;; *) echo "offer_flood did not start" >&2; exit 1 ;; esac

read -r MASTER QUEUE SEED MIX REFILL < <("$VENV/bin/python" -c '
import json, sys
h = json.loads(sys.argv[1])
print(h["listening"].split("//", 1)[1], h["queue"], h["seed"], h["task_mix"], "1" if h["refill"] else "0")
' "$HELLO")

PEER_ARGS=(--master "$MASTER" --queue "$QUEUE" --seed "$SEED" --task-mix "$MIX")
[ "$REFILL" = "1" ] && PEER_ARGS+=(--refill)
"$VENV/bin/python" "$ROOT/scripts/bench/pymesos_peer.py" "${PEER_ARGS[@]}" >&2 &
PEER_PID=$!

STATUS=0
wait "$FLOOD_PID" || STATUS=$?
FLOOD_PID=""
# The peer's CPU time (utime + stime) over its whole life, for CPU-us per offer.
PEER_CPU="$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$PEER_PID/stat" 2>/dev/null || echo "")"
tail -n +2 "$OUT" | sed '$d'
tail -n 1 "$OUT" | "$VENV/bin/python" -c '
import json, sys
line = json.loads(sys.stdin.read())
cpu = sys.argv[1]
if cpu:
    line["peer_cpu_s"] = float(cpu)
    if line.get("offers_answered"):
        line["framework_cpu_us_per_offer"] = round(float(cpu) * 1e6 / line["offers_answered"], 1)
print(json.dumps(line, separators=(",", ":")))' "$PEER_CPU"
exit "$STATUS"
