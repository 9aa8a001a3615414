#!/usr/bin/env bash
# Does a short passing test wait on another thread? Runs the 400 short
# passing tests of bench/suite (two-argument workload) under `strace -f`
# with and without `#[logged_test]`, and prints the futex and sched_yield
# calls of each run: in all, and those made with logged-test code on the
# stack (`strace -k`), split into the persister's timer ticks (one per
# 25 ms while tests run, whatever their number) and everything else (the
# `pthread_create` hook's frame, at the bottom of every thread, does not count).
# Issue #18's target: no sched_yield, and no futex call of ours per test:
# the rest of the difference to the no-logger run is libtest's own
# (its result channel and thread joins, which vary from run to run).
#
#   bench/waits.sh                 # --test-threads=2
#   THREADS=4 MAX_OURS=20 bench/waits.sh
#
# Exits non-zero when a `#[logged_test]` variant makes more than MAX_OURS
# (default 10) futex calls from logged-test code other than the timer's,
# or any sched_yield from logged-test code.
set -euo pipefail
cd "$(dirname "$0")/suite"
THREADS=${THREADS:-2}
MAX_OURS=${MAX_OURS:-10}
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 2; }
unset RUST_LOG LOGGED_TEST_DIR LOGGED_TEST_KEEP LOGGED_TEST_LEVEL LOGGED_TEST_DEBUG LOGGED_TEST_LIVE SUITE_WRONG_MARKER

declare -A BIN
while IFS= read -r line; do
    name=$(sed -n 's/.*"name":"suite_\([a-z_]*\)".*/\1/p' <<<"$line")
    exe=$(sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' <<<"$line")
    if [[ -n $name && -n $exe ]]; then BIN[$name]=$exe; fi
done < <(cargo test --release --no-run --message-format=json-render-diagnostics 2>/dev/null \
    | grep '"reason":"compiler-artifact"' | grep '"executable":"/')

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
count() { # variant -> "futex sched_yield our_futex ticks our_yields"
    strace -f -k -e trace=futex,sched_yield -o "$scratch/$1" "${BIN[$1]}" -q --test-threads="$THREADS" >"$scratch/$1.out" 2>&1 \
        || { cat "$scratch/$1.out" >&2; echo "$1 failed" >&2; exit 1; }
    awk '
        function done_call() {
            if (call == "") return
            if (call == "futex") { f++; if (ours && tick) t++; else if (ours) of++ }
            else { y++; if (ours) oy++ }
            call = ""
        }
        # Frames come innermost first: a call is ours if a logged-test frame
        # comes before any of libtest (whose result channel, inlined next to
        # a test body, can show a test-body frame such as `TestLogs::drop`).
        / > / {
            if (!decided && $0 ~ /test::run_test|test::event|test::console|RunningTest|mpmc::Sender<test/) decided = 1
            if (!decided && $0 ~ /logged_test::/ && $0 !~ /start_with_route/) { ours = 1; decided = 1 }
            if ($0 ~ /Persister::run/) tick = 1
            next
        }
        { done_call() }
        / futex\(/ && !/resumed/ { call = "futex"; ours = 0; tick = 0; decided = 0 }
        / sched_yield\(/ && !/resumed/ { call = "sched_yield"; ours = 0; tick = 0; decided = 0 }
        END { done_call(); printf "%d %d %d %d %d\n", f, y, of, t, oy }' "$scratch/$1"
}
read -r base_f base_y _ < <(count two_baseline)
echo "| variant (400 short passing tests, --test-threads=$THREADS) | futex calls | sched_yield calls | futex from logged-test: timer ticks / other | sched_yield from logged-test |"
echo "| --- | --- | --- | --- | --- |"
echo "| no logger (libtest alone) | $base_f | $base_y | - | - |"
status=0
for v in two_logged_test two_logged_test_captured two_test_log; do
    read -r f y of t oy < <(count "$v")
    echo "| $v | $f | $y | $t / $of | $oy |"
    if [[ $v == two_logged_* ]] && ((of > MAX_OURS || oy > 0)); then
        echo "$v: $of futex calls from logged-test besides the timer (at most $MAX_OURS), $oy sched_yield" >&2
        status=1
    fi
done
exit $status
