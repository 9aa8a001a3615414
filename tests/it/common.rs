//! What the tests that re-run this binary share: the one way to start a
//! child run of it (test-log's `tests/output.rs` way), with none of the
//! caller's `LOGGED_TEST_*` settings; a test that needs a process of its
//! own ([`run_alone`]); and the child's output as text.
//!
//! Every child is this binary, so its tests are named by their libtest path
//! (`module::name`), and `--exact` needs that path.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test support code fails the test by panicking"
)]

use std::ffi::OsStr;
use std::process::{Command, Output};

/// Set on a child started by [`run_alone`]; [`alone`] reads it.
const ALONE: &str = "IT_RUN_ALONE";

/// Under `cargo nextest run --retries`, a child is not an attempt.
const NEXTEST_ATTEMPT: [&str; 4] = [
    "NEXTEST_ATTEMPT",
    "NEXTEST_ATTEMPT_ID",
    "NEXTEST_TOTAL_ATTEMPTS",
    "NEXTEST_RUN_ID",
];

/// Takes every `LOGGED_TEST_*` variable of this process (whatever its name:
/// `LOGGED_TEST_LIVE=info cargo test` must not reach the children) and
/// nextest's attempt variables off `command`.
pub(crate) fn scrub(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LOGGED_TEST_") {
            command.env_remove(&name);
        }
    }
    for name in NEXTEST_ATTEMPT {
        command.env_remove(name);
    }
    command
}

/// This test binary, with a scrubbed environment ([`scrub`]) and no
/// arguments.
pub(crate) fn this_binary() -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    scrub(&mut command);
    command
}

/// This test binary, set to run the `#[ignore]`d test `name` (its libtest
/// path, `module::name`) alone, on one test thread, with its output shown;
/// set variables on it as needed.
pub(crate) fn rerun(name: &str) -> Command {
    let mut command = rerun_captured(name);
    command.arg("--nocapture");
    command
}

/// As [`rerun`], but libtest captures the child's output as usual (a
/// passing test's output is then not shown).
pub(crate) fn rerun_captured(name: &str) -> Command {
    let mut command = this_binary();
    command.args(["--ignored", "--exact", name, "--test-threads=1"]);
    command
}

/// Runs the `#[ignore]`d test `name` (`module::name`) in a process of its
/// own, for a test that sets process-wide state (the `log` slot, the global
/// `tracing` subscriber) or counts it (unattributed records, collectors
/// alive, threads, open files, peak memory); fails with the child's output
/// unless that one test ran and passed. The child checks [`alone`] first.
#[track_caller]
pub(crate) fn run_alone(name: &str) -> String {
    let output = rerun(name)
        .env(ALONE, name)
        .output()
        .expect("run the test binary");
    let text = text(&output);
    assert!(
        output.status.success() && text.contains("test result: ok. 1 passed"),
        "`{name}` failed in a process of its own:\n{text}"
    );
    text
}

/// Runs every `#[ignore]`d test under the module path `prefix` (`module::`)
/// in one process of their own, one after another, for tests that must know
/// every collector alive in the process; fails with the child's output
/// unless exactly `expected` tests ran and passed. The children check
/// [`alone`] with `prefix` first.
#[track_caller]
pub(crate) fn run_alone_together(prefix: &str, expected: usize) -> String {
    let output = this_binary()
        .args(["--ignored", prefix, "--test-threads=1", "--nocapture"])
        .env(ALONE, prefix)
        .output()
        .expect("run the test binary");
    let text = text(&output);
    assert!(
        output.status.success() && text.contains(&format!("test result: ok. {expected} passed")),
        "the tests under `{prefix}` failed in a process of their own:\n{text}"
    );
    text
}

/// Whether this process is the one [`run_alone`] started for `name`: the
/// child test returns at once otherwise (run with `--ignored` next to the
/// other tests, it would change or miscount their process-wide state).
pub(crate) fn alone(name: &str) -> bool {
    std::env::var_os(ALONE).as_deref() == Some(OsStr::new(name))
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
