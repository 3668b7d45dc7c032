#!/usr/bin/env bash
# Compares the system allocator, jemalloc and mimalloc on offer_flood with ONE release build
# (features jemalloc + mimalloc: the allocator is picked at run time by
# BENCH_ALLOCATOR, each variant paying the same switch), runs interleaved
# system/jemalloc/mimalloc, N rounds, JSON lines tagged with "case", "rep" and "runner" (the
# allocator) appended to target/alloc-results.jsonl.
#
#   scripts/bench/compare_allocators.sh [N]
#   CASES="W2 W8" EXTRA="--duration 3" scripts/bench/compare_allocators.sh 5
#
# Then: scripts/bench/summarize.py target/alloc-results.jsonl
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
REPS="${1:-5}"
OUT="${RESULTS:-$ROOT/target/alloc-results.jsonl}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
EXTRA="${EXTRA:---duration 4 --ceiling-secs 1 --limit-secs 2}"
ALLOCATORS="${ALLOCATORS:-system jemalloc mimalloc}"
declare -A FLAGS=(
    [W2]="--workload W2"
    [W3]="--workload W3"
    [W5]="--workload W5"
    [W8]="--workload W8 --max-offers 4000"
)
CASES="${CASES:-W2 W8}"

cargo build -q --release --features jemalloc,mimalloc --example offer_flood
BIN="$TARGET_DIR/release/examples/offer_flood"

# shellcheck source=scripts/bench/common.sh
. "$ROOT/scripts/bench/common.sh"

for rep in $(seq 1 "$REPS"); do
    for case in $CASES; do
        for alloc in $ALLOCATORS; do
            echo "== rep $rep  $case  $alloc" >&2
            # shellcheck disable=SC2086
            BENCH_ALLOCATOR="$alloc" "$BIN" ${FLAGS[$case]} $EXTRA 2>/dev/null \
                | tag "$case" "$rep" "$alloc" >>"$OUT" || echo "   failed" >&2
        done
    done
done
echo "results in $OUT" >&2
