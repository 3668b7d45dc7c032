#!/usr/bin/env bash
# scripts/fuzz.sh [cases] — runs every fuzz target with a larger budget and prints, per
# target, its executions and failures; exits non-zero if any target failed, crashed or hung.
#
# Fuzzing. Every parser that reads hostile input is fuzzed on stable Rust with `proptest`
# (a dev-dependency), as ordinary `#[test] fn fuzz_*` functions in a `fuzz_tests` module
# beside the code they attack, so they reach internals without a door: the RecordIO decoder
# (`src/recordio/fuzz_tests.rs`: raw bytes cut at random points, framed records with a
# corrupted byte), event decoding in JSON and protobuf for scheduler and executor events
# (`src/json/fuzz_tests.rs`: raw bytes, and JSON documents generated from the protobuf
# descriptors with wrong types and unknown enum names, then their protobuf bytes corrupted;
# both directions against the prost-reflect reference mapping; protobuf bytes written as JSON),
# the slim OFFERS decode (`src/codec/fuzz_tests.rs`: raw bytes, and generated OFFERS events
# cut short or with bytes replaced, its offers compared with prost's decode),
# the local master's request parsing (`src/server/call/fuzz_tests.rs` for scheduler calls,
# `src/local/http/fuzz_tests.rs` for executor calls: junk and exact headers, raw, JSON and
# protobuf bodies), resource text and the resource algebra (`src/resources/fuzz_tests.rs`:
# text round trips; ranges stay normalised; add/subtract inverse where defined; `contains`
# agrees with `subtract`; what a demand takes, launched, is contained in what was offered
# and adds back to it), the executor environment (`src/executor/env_fuzz_tests.rs`) and
# pinspider's page extraction (`examples/pinspider/extract/fuzz_tests.rs`: generated pages,
# fixture pages with slices replaced, counts). Properties are "no panic, a clear error or a
# well-formed result", plus round trips where they hold. The harness (`src/fuzzing.rs`)
# reads the number of cases per target from `MESOS_ACTIX_FUZZ_CASES` (default 256, so a
# plain `cargo test` stays fast), catches panics as failures, shrinks a failure to a
# minimal input and prints `fuzz-target NAME: N executions, F failures`. Hangs are caught
# here: each target runs under `timeout` (`MESOS_ACTIX_FUZZ_TIMEOUT` seconds, default 900).
# Every failure found so far is fixed and kept as a named regression test.
#
# Usage: scripts/fuzz.sh [cases]     (cases per target; default 10000, about 5-10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

cases=${1:-${MESOS_ACTIX_FUZZ_CASES:-10000}}
limit=${MESOS_ACTIX_FUZZ_TIMEOUT:-900}
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# The test binary that `cargo test $1` builds.
test_binary() {
    cargo test "$@" --no-run --message-format=json 2>/dev/null |
        grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4
}

echo "building the fuzz targets ..."
lib=$(test_binary --lib)
example=$(test_binary --example pinspider)
if [ -z "$lib" ] || [ -z "$example" ]; then
    echo "fuzz.sh: the test binaries did not build (run cargo test --lib --no-run)" >&2
    exit 2
fi

failed=0
targets=0
total=0
printf '%-56s %12s %9s\n' target executions failures
for bin in "$lib" "$example"; do
    for test in $("$bin" --list 2>/dev/null | sed -n 's/^\(.*fuzz_tests::fuzz_[a-z0-9_]*\): test$/\1/p'); do
        targets=$((targets + 1))
        log="$logs/$targets.log"
        rc=0
        MESOS_ACTIX_FUZZ_CASES=$cases timeout "$limit" \
            "$bin" --exact "$test" --nocapture --test-threads=1 >"$log" 2>&1 || rc=$?
        line=$(grep -o -m1 'fuzz-target [^:]*: [0-9]* executions, [0-9]* failures' "$log" || true)
        execs=$(sed -n 's/^fuzz-target [^:]*: \([0-9]*\) executions.*/\1/p' <<<"$line")
        fails=$(sed -n 's/.* \([0-9]*\) failures$/\1/p' <<<"$line")
        execs=${execs:-0}
        total=$((total + execs))
        if [ "$rc" -eq 124 ]; then
            fails="hang (over ${limit}s)"
        elif [ "$rc" -ne 0 ] && [ "${fails:-0}" = 0 ]; then
            fails="crash (exit $rc)"
        fi
        printf '%-56s %12s %9s\n' "$test" "$execs" "${fails:-?}"
        if [ "$rc" -ne 0 ]; then
            failed=$((failed + 1))
            grep -A30 -m1 -E 'failed:|minimal failing input|panicked' "$log" | sed 's/^/    /' | head -40
        fi
    done
done
echo "fuzz.sh: $targets targets, $total executions, $failed failed ($cases cases per target)"
[ "$failed" -eq 0 ]
