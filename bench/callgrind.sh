#!/usr/bin/env bash
# Instructions per call on the logging thread (callgrind), the figure to
# decide with on a noisy machine: `log::info!("text {i}")` and
# `tracing::info!(n, "text")` in memory mode and on disk, and one
# `captured()` snapshot of 20,000 records. Counts only what runs inside
# the measured functions of bench/suite/tests/percall.rs (the persister's
# work on its own thread is not counted).
#
#   bench/callgrind.sh
set -euo pipefail
cd "$(dirname "$0")/suite"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
unset RUST_LOG LOGGED_TEST_DIR LOGGED_TEST_KEEP LOGGED_TEST_LEVEL LOGGED_TEST_DEBUG LOGGED_TEST_LIVE
exe=$(cargo test --release --no-run --message-format=json-render-diagnostics 2>/dev/null \
    | grep '"reason":"compiler-artifact"' | grep '"name":"suite_percall"' \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
[[ -n $exe ]] || { echo "no percall binary" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
CALLS=1000
echo "| mode | measured | instructions per call |"
echo "| --- | --- | --- |"
for mode in memory_mode disk_mode; do
    for fn in percall_log percall_tracing percall_captured; do
        [[ $mode == disk_mode && $fn == percall_captured ]] && continue
        valgrind --tool=callgrind --callgrind-out-file="$scratch/out" \
            --toggle-collect="*$fn*" "$exe" --exact "$mode" --test-threads=1 -q >/dev/null 2>"$scratch/err" \
            || { cat "$scratch/err" >&2; exit 1; }
        ir=$(sed -n 's/^summary: //p' "$scratch/out")
        case $fn in
            percall_log) what='`log::info!("text {i}")`'; per=$((ir / CALLS)) ;;
            percall_tracing) what='`tracing::info!(n = i, "text")`'; per=$((ir / CALLS)) ;;
            percall_captured) what="one \`captured()\` of $((2 * CALLS)) records"; per=$ir ;;
        esac
        echo "| ${mode%_mode} | $what | $per |"
    done
done
