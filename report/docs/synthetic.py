#!/usr/bin/env python3
"""A synthetic LOGGED_TEST_DIR for measuring report.html: N tests in 20
binaries (1% failing, 0.5% flaky, 0.1% crashed), each failing test with a
kept log of LINES lines; one failing test's log has BIG lines.

usage: synthetic.py DIR [N=10000] [LINES=200] [BIG=100000]
then:  cargo run -p cargo-logged-test -- report DIR -o DIR/report.html
"""
import json, os, sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
lines = int(sys.argv[3]) if len(sys.argv) > 3 else 200
big = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
levels = ["ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"]
os.makedirs(out, exist_ok=True)

def write_log(path, count, name):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for i in range(count):
            lv = levels[(i * 7) % 5]
            f.write(f"2026-12-02T10:00:{i % 60:02}.{i:06}Z {lv} [{name}] app::orders: order {i} step {i % 13} done\n")

with open(os.path.join(out, "manifest.jsonl"), "w") as m:
    first_fail = True
    for i in range(n):
        binary = f"suite_{i % 20}"
        name = f"module_{i % 37}::case_{i}"
        stem = name.replace(":", "_")
        line = {"test": name, "binary": binary, "log": None, "records": 40,
                "levels": {"error": 0, "warn": 1, "info": 20, "debug": 10, "trace": 9}}
        kind = "passed"
        if i % 100 == 7: kind = "failed"
        elif i % 200 == 13: kind = "flaky"
        elif i % 1000 == 29: kind = "crashed"
        if kind == "passed":
            line.update(outcome="passed", log_note="not kept: the test passed")
            m.write(json.dumps(line) + "\n")
            continue
        log = os.path.join(os.path.abspath(out), binary, stem, f"{stem}.log")
        count = big if first_fail and kind == "failed" else lines
        if kind == "failed": first_fail = False
        write_log(log, count, name)
        outcomes = {"failed": ["failed"], "crashed": ["crashed"], "flaky": ["failed", "passed"]}[kind]
        for a, o in enumerate(outcomes, 1):
            l = dict(line, outcome=o, attempt=a, attempts=3, run_id="synthetic")
            l["log"] = log if o != "passed" else None
            m.write(json.dumps(l) + "\n")
