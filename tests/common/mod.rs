//! What the test files that re-run their own binary share: the command
//! that runs one `#[ignore]`d child test alone (test-log's `tests/output.rs`
//! way), and the child's output as text.
// Each test binary uses some of these.
#![allow(
    dead_code,
    clippy::expect_used,
    clippy::panic,
    reason = "test support code"
)]

use std::process::{Command, Output};

/// Every `LOGGED_TEST_*` variable: a child starts with none of the caller's.
const VARIABLES: [&str; 8] = [
    "LOGGED_TEST_DIR",
    "LOGGED_TEST_KEEP",
    "LOGGED_TEST_LEVEL",
    "LOGGED_TEST_LIVE",
    "LOGGED_TEST_DEBUG",
    "LOGGED_TEST_UNATTRIBUTED",
    "LOGGED_TEST_DENY",
    "LOGGED_TEST_FILTER",
];

/// This test binary, set to run the `#[ignore]`d test `name` alone, on one
/// test thread, with its output shown; set variables on it as needed.
pub(crate) fn rerun(name: &str) -> Command {
    let mut command = rerun_captured(name);
    command.arg("--nocapture");
    command
}

/// As [`rerun`], but libtest captures the child's output as usual (a
/// passing test's output is then not shown).
pub(crate) fn rerun_captured(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command.args(["--ignored", "--exact", name, "--test-threads=1"]);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    // Under `cargo nextest run --retries`, the child is not an attempt.
    for variable in [
        "NEXTEST_ATTEMPT",
        "NEXTEST_TOTAL_ATTEMPTS",
        "NEXTEST_RUN_ID",
    ] {
        command.env_remove(variable);
    }
    command
}

/// The child's stdout, then its stderr.
pub(crate) fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// The kept directory of test `test` under the log root `root`: the binary
/// directory is named after the test binary's file name (with cargo's hash),
/// so it is looked up rather than spelled out.
pub(crate) fn kept_test_dir(root: &std::path::Path, test: &str) -> std::path::PathBuf {
    std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", root.display()))
        .flatten()
        .map(|entry| entry.path().join(test))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("no kept directory for `{test}` under `{}`", root.display()))
}
