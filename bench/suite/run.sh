#!/usr/bin/env bash
# Whole-suite benchmark: the same 400 generated tests (200 formatted `info!`
# lines each, then one marker asserted) under each logger, built in release
# mode and run alternately; prints the median wall time of each variant and
# its ratio to the no-logger baseline.
#
#   bench/suite/run.sh            # 9 rounds, --test-threads=2
#   ROUNDS=15 THREADS=2 bench/suite/run.sh
#
# Before timing anything it checks that each variant captures what it
# asserts: every variant passes; with SUITE_WRONG_MARKER set (a marker no test
# logs) every capturing variant fails all 400 tests; and test-log, which
# cannot read its own capture, shows all 400 markers and 80,000 lines in its
# captured output (`--show-output`).
set -euo pipefail

cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-9}
THREADS=${THREADS:-2}
TESTS=400
LINES=200
VARIANTS=(baseline logged_test logged_test_tracing test_log testing_logger tracing_test)
declare -A LABEL=(
    [baseline]='`#[test]`, no logger (baseline)'
    [logged_test]='`#[logged_test]`'
    [logged_test_tracing]='`#[logged_test]`, lines through `tracing::info!`'
    [test_log]='`#[test_log::test]` (env_logger)'
    [testing_logger]='`testing_logger`'
    [tracing_test]='`#[traced_test]` (tracing-test + `LogTracer`)'
)
# The peers' behaviour depends on these; run every variant without them.
unset RUST_LOG RUST_LOG_SPAN_EVENTS LOGGED_TEST_DIR LOGGED_TEST_KEEP LOGGED_TEST_LEVEL LOGGED_TEST_DEBUG SUITE_WRONG_MARKER

echo "building the variants (release)..." >&2
declare -A BIN
while IFS= read -r line; do
    name=$(sed -n 's/.*"name":"suite_\([a-z_]*\)".*/\1/p' <<<"$line")
    exe=$(sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' <<<"$line")
    if [[ -n $name && -n $exe ]]; then BIN[$name]=$exe; fi
done < <(cargo test --release --no-run --message-format=json-render-diagnostics 2>/dev/null \
    | grep '"reason":"compiler-artifact"' | grep '"executable":"/')
for v in "${VARIANTS[@]}"; do
    [[ -n ${BIN[$v]:-} ]] || { echo "no test binary for $v" >&2; exit 1; }
done

run() { # variant, extra args...
    local v=$1
    shift
    "${BIN[$v]}" -q --test-threads="$THREADS" "$@"
}

echo "checking that each variant captures what it asserts..." >&2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for v in "${VARIANTS[@]}"; do
    run "$v" >"$scratch/out" 2>&1 || { cat "$scratch/out" >&2; echo "$v: the suite fails" >&2; exit 1; }
    grep -q "test result: ok. $TESTS passed" "$scratch/out" || { echo "$v: expected $TESTS passed tests" >&2; exit 1; }
done
for v in logged_test logged_test_tracing testing_logger tracing_test; do
    SUITE_WRONG_MARKER=1 run "$v" >"$scratch/out" 2>&1 && { echo "$v: passes with a marker nobody logs" >&2; exit 1; }
    grep -q "test result: FAILED. 0 passed; $TESTS failed" "$scratch/out" \
        || { echo "$v: expected all $TESTS tests to fail with a wrong marker" >&2; tail -3 "$scratch/out" >&2; exit 1; }
done
run test_log --show-output >"$scratch/out" 2>&1
markers=$(grep -c "line $((LINES - 1)) of $LINES:" "$scratch/out" || true)
lines=$(grep -c " of $LINES: value " "$scratch/out" || true)
if [[ $markers != "$TESTS" || $lines != "$((TESTS * LINES))" ]]; then
    echo "test_log: captured $markers markers and $lines lines; expected $TESTS and $((TESTS * LINES))" >&2
    exit 1
fi
echo "ok: all variants capture what they assert (test_log: $markers markers, $lines lines captured)" >&2

declare -A TIMES
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < ROUNDS; r++)); do
    # Rotate the order so that no variant always runs first or last.
    for ((i = 0; i < ${#VARIANTS[@]}; i++)); do
        v=${VARIANTS[$(((i + r) % ${#VARIANTS[@]}))]}
        start=$EPOCHREALTIME
        run "$v" >/dev/null 2>&1
        end=$EPOCHREALTIME
        TIMES[$v]+="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) * 1000 }') "
    done
    echo "round $((r + 1))/$ROUNDS done" >&2
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { tr ' ' '\n' | grep . | sort -g | head -1; }

base=$(median <<<"${TIMES[baseline]}")
echo
echo "whole suite: $TESTS tests x $LINES info! lines, --test-threads=$THREADS, release, median of $ROUNDS runs"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
tmp=${TMPDIR:-/tmp}
echo "temp dir (where #[logged_test] makes each test's directory): $tmp, $(stat -f -c %T "$tmp")"
echo
echo "| variant | median wall time | fastest | ratio to baseline | added per test |"
echo "| --- | --- | --- | --- | --- |"
for v in "${VARIANTS[@]}"; do
    med=$(median <<<"${TIMES[$v]}")
    fastest=$(minimum <<<"${TIMES[$v]}")
    awk -v v="${LABEL[$v]}" -v m="$med" -v f="$fastest" -v b="$base" -v t="$THREADS" -v n="$TESTS" \
        'BEGIN { printf "| %s | %.1f ms | %.1f ms | %.2fx | %.0f us |\n", v, m, f, m / b, (m - b) * t * 1000 / n }'
done
echo
echo "added per test = (median - baseline median) x $THREADS threads / $TESTS tests"
