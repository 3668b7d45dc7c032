#!/usr/bin/env bash
# Runs the benchmark suite N times (default 5), ours and pymesos interleaved (A/B/A/B), and
# appends every run's JSON line, tagged with "case" and "rep", to target/bench-results.jsonl.
#
#   scripts/bench/run_suite.sh [N]
#   CASES="W2 W8" EXTRA="--duration 10" scripts/bench/run_suite.sh 5
#   PEERS=ours scripts/bench/run_suite.sh 5          # skip pymesos
#   BEFORE_BIN=/path/to/old/offer_flood PEERS="ours before pymesos" scripts/bench/run_suite.sh 5
#                                                    # an older build interleaved as "before"
#
# Then: scripts/bench/summarize.py target/bench-results.jsonl
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
REPS="${1:-5}"
OUT="${RESULTS:-$ROOT/target/bench-results.jsonl}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PEERS="${PEERS:-ours pymesos}"
EXTRA="${EXTRA:-}"
# case name -> offer_flood flags
declare -A FLAGS=(
    [W2]="--workload W2"
    [W2-json]="--workload W2 --encoding json"
    [W2-q10k]="--workload W2 --queue 10000"
    [W2-W1]="--workload W2 --window 1"
    [W2-W16]="--workload W2 --window 16"
    [W2-W256]="--workload W2 --window 256"
    [W1]="--workload W1"
    [W3]="--workload W3"
    [W4]="--workload W4"
    [W5]="--workload W5"
    [W6]="--workload W6"
    [W7]="--workload W7"
    [W8]="--workload W8"
)
CASES="${CASES:-W2 W2-json W2-q10k W3 W8 W5 W4 W1 W6 W7 W2-W1 W2-W16 W2-W256}"

cargo build -q --release --example offer_flood
BIN="$TARGET_DIR/release/examples/offer_flood"
mkdir -p "$(dirname "$OUT")"

# shellcheck source=scripts/bench/common.sh
. "$ROOT/scripts/bench/common.sh"

for rep in $(seq 1 "$REPS"); do
    for case in $CASES; do
        for peer in $PEERS; do
            echo "== rep $rep  $case  $peer" >&2
            # shellcheck disable=SC2086
            if [ "$peer" = "ours" ]; then
                "$BIN" ${FLAGS[$case]} $EXTRA 2>/dev/null | tag "$case" "$rep" ours >>"$OUT" || echo "   failed" >&2
            elif [ "$peer" = "before" ]; then
                "${BEFORE_BIN:?BEFORE_BIN names the older offer_flood binary}" ${FLAGS[$case]} $EXTRA 2>/dev/null \
                    | tag "$case" "$rep" before >>"$OUT" || echo "   failed" >&2
            else
                scripts/bench/run_pymesos.sh ${FLAGS[$case]} $EXTRA 2>/dev/null | tag "$case" "$rep" pymesos >>"$OUT" || echo "   failed" >&2
            fi
        done
    done
done
echo "results in $OUT" >&2
