//! What a failing `#[logged_test]` shows, checked by re-running this test
//! binary on the `#[ignore]`d tests below (test-log's `tests/output.rs` way):
//! the log tail and the file's path in the test's output, the directory kept
//! on failure and removed on success, and the CI manifest.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use logged_test::{LogAssertions as _, TestLogs, logged_test};
use std::path::{Path, PathBuf};

use crate::common;

#[logged_test]
#[ignore = "run by `failing_test_output` in a child process"]
fn child_panics_after_logging() {
    for i in 1..=40 {
        log::info!("child-tail-line-{i}");
    }
    panic!("child body failed on purpose");
}

#[logged_test(markers = ["child-marker-present", "child-marker-missing"])]
#[ignore = "run by `failing_test_output` in a child process"]
fn child_misses_a_marker() {
    log::info!("child-marker-present");
    log::warn!("child-marker-mising (typo)");
}

#[logged_test]
#[ignore = "run by `failing_test_output` in a child process"]
fn child_returns_err() -> Result<(), String> {
    log::error!("child-about-to-return-err");
    Err("child returned Err on purpose".into())
}

#[logged_test]
#[ignore = "run by `failing_test_output` in a child process"]
fn child_passes(logs: &TestLogs) {
    log::info!("child-passing-line");
    logs.assert_contains("child-passing-line");
}

struct ChildRun {
    success: bool,
    output: String,
}

fn run_child(test: &str, logs_dir: &Path) -> ChildRun {
    let output = common::rerun(test)
        .env("LOGGED_TEST_DIR", logs_dir)
        .output()
        .unwrap();
    ChildRun {
        success: output.status.success(),
        output: common::text(&output),
    }
}

/// The `full log: <path> (directory kept: <dir>)` line.
fn kept_dir(output: &str) -> PathBuf {
    let line = output
        .lines()
        .find(|l| l.contains("full log: "))
        .unwrap_or_else(|| panic!("no `full log:` line in:\n{output}"));
    let dir = line
        .split("(directory kept: ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(") ----"))
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    PathBuf::from(dir)
}

fn manifest(logs_dir: &Path) -> String {
    std::fs::read_to_string(logs_dir.join(logged_test::MANIFEST_FILE)).unwrap_or_default()
}

#[test]
fn a_panicking_test_prints_its_log_tail_and_keeps_its_directory() {
    let logs_dir = tempfile::tempdir().unwrap();
    let run = run_child(
        "failure_output::child_panics_after_logging",
        logs_dir.path(),
    );
    assert!(!run.success, "the child test should fail:\n{}", run.output);
    let out = &run.output;
    assert!(out.contains("child body failed on purpose"), "{out}");
    assert!(
        out.contains(
            "---- captured log of `failure_output::child_panics_after_logging` (logged-test) ----"
        ),
        "{out}"
    );
    // The panic is a record where it happened, and the tail ends at it.
    assert!(
        out.contains("captured records around the failure (#41 of 41, marked `>`; 11 earlier records omitted):"),
        "{out}"
    );
    assert!(out.contains("child-tail-line-40"), "{out}");
    assert!(!out.contains("child-tail-line-11\n"), "{out}");
    assert!(
        out.contains(
            "logged_test: panicked at tests/it/failure_output.rs:22:5: child body failed on purpose"
        ),
        "{out}"
    );
    let dir = kept_dir(out);
    assert!(dir.starts_with(logs_dir.path()), "{}", dir.display());
    let log = std::fs::read_to_string(dir.join("failure_output__child_panics_after_logging.log"))
        .unwrap();
    assert_eq!(log.matches("child-tail-line-").count(), 40);
    assert!(log.contains("ERROR"), "{log}");
    let manifest = manifest(logs_dir.path());
    assert!(
        manifest.contains("\"test\":\"failure_output::child_panics_after_logging\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("\"outcome\":\"failed\",\"records\":41"),
        "{manifest}"
    );
    assert!(manifest.contains("\"info\":40"), "{manifest}");
}

#[test]
fn a_missing_marker_fails_with_the_report() {
    let logs_dir = tempfile::tempdir().unwrap();
    let run = run_child("failure_output::child_misses_a_marker", logs_dir.path());
    assert!(!run.success, "{}", run.output);
    let out = &run.output;
    assert!(
        out.contains("#[logged_test] markers not found in the log: [\"child-marker-missing\"]"),
        "{out}"
    );
    assert!(out.contains("captured records (2):"), "{out}");
    assert!(out.contains("closest record (#2):"), "{out}");
    assert!(out.contains("child-marker-mising (typo)"), "{out}");
    // The report already listed the records: the tail is not printed twice.
    assert!(!out.contains("---- captured log of"), "{out}");
    assert!(kept_dir(out).is_dir());
}

#[test]
fn a_test_returning_err_prints_its_log_tail() {
    let logs_dir = tempfile::tempdir().unwrap();
    let run = run_child("failure_output::child_returns_err", logs_dir.path());
    assert!(!run.success, "{}", run.output);
    let out = &run.output;
    assert!(out.contains("child-about-to-return-err"), "{out}");
    assert!(out.contains("child returned Err on purpose"), "{out}");
    assert!(kept_dir(out).is_dir());
    assert!(manifest(logs_dir.path()).contains("\"outcome\":\"failed\""));
}

#[test]
fn a_passing_test_prints_nothing_and_removes_its_directory() {
    let logs_dir = tempfile::tempdir().unwrap();
    let run = run_child("failure_output::child_passes", logs_dir.path());
    assert!(run.success, "{}", run.output);
    assert!(!run.output.contains("captured log of"), "{}", run.output);
    let left: Vec<_> = std::fs::read_dir(logs_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        [logged_test::MANIFEST_FILE],
        "only the manifest stays"
    );
    let manifest = manifest(logs_dir.path());
    assert!(
        manifest.contains("\"test\":\"failure_output::child_passes\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("\"outcome\":\"passed\",\"records\":1"),
        "{manifest}"
    );
}
