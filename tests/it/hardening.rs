//! Writes that cannot be redirected: the log directory, a parent of it and
//! the manifest are swapped for symlinks while a collector is writing, and
//! nothing may land in the symlinks' targets.
//!
//! The manifest cases re-run this test binary on an `#[ignore]`d child test
//! (test-log's `tests/output.rs` way), because `LOGGED_TEST_DIR` is read once
//! per process; run directly, the child does nothing.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]
#![cfg(unix)]

use crate::common;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, LogError, TestLogs};

const CHILD_MODE: &str = "HARDENING_CHILD_MODE";

fn new_collector(dir: &Path) -> LogCollector {
    logged_test::init_logger().unwrap();
    LogCollector::without_ui(dir).unwrap()
}

/// Logs `n` records through `log` and `n` through the collector.
fn log_lines(collector: &LogCollector, tag: &str, n: usize) {
    for i in 0..n {
        log::info!("{tag}|{i}");
        collector.log_str(&format!("{tag}|direct|{i}"));
    }
}

/// Every file under `dir`, recursively, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

fn count_in(path: &Path, tag: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .matches(&format!("{tag}|"))
        .count()
}

#[track_caller]
fn assert_io_error<T: std::fmt::Debug>(result: Result<T, LogError>) -> String {
    match result {
        Err(error @ LogError::Io { .. }) => error.to_string(),
        other => panic!("expected LogError::Io, got {other:?}"),
    }
}

#[test]
fn a_log_directory_swapped_for_a_symlink_redirects_no_write() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let collector = new_collector(&logs);
    collector.start_new_session_blocking("first.log").unwrap();
    log_lines(&collector, "dir-before", 10);
    collector.wait_for_empty_blocking().unwrap();

    let moved = root.path().join("moved");
    let target = root.path().join("target");
    std::fs::rename(&logs, &moved).unwrap();
    std::fs::create_dir(&target).unwrap();
    symlink(&target, &logs).unwrap();

    log_lines(&collector, "dir-after", 10);
    collector.wait_for_empty_blocking().unwrap();
    collector.start_new_session_blocking("second.log").unwrap();
    log_lines(&collector, "dir-second", 10);
    collector.wait_for_empty_blocking().unwrap();

    assert_eq!(
        files_under(&target),
        Vec::<PathBuf>::new(),
        "records or sessions were written through the symlink"
    );
    // Everything went on in the directory the collector opened.
    let first = moved.join("first.log");
    assert_eq!(count_in(&first, "dir-before"), 20);
    assert_eq!(count_in(&first, "dir-after"), 20);
    assert_eq!(count_in(&moved.join("second.log"), "dir-second"), 20);
    let captured = collector.captured().unwrap();
    assert_eq!(captured.count("dir-"), 60, "{:?}", captured.messages());
}

#[test]
fn a_parent_swapped_for_a_symlink_redirects_no_write() {
    let root = tempfile::tempdir().unwrap();
    let parent = root.path().join("parent");
    let logs = parent.join("logs");
    let collector = new_collector(&logs);
    collector.start_new_session_blocking("first.log").unwrap();
    log_lines(&collector, "parent-before", 10);
    collector.wait_for_empty_blocking().unwrap();

    let moved = root.path().join("moved");
    let target = root.path().join("target");
    std::fs::rename(&parent, &moved).unwrap();
    std::fs::create_dir_all(target.join("logs")).unwrap();
    symlink(&target, &parent).unwrap();

    log_lines(&collector, "parent-after", 10);
    collector.start_new_session_blocking("second.log").unwrap();
    log_lines(&collector, "parent-second", 10);
    collector.wait_for_empty_blocking().unwrap();

    assert_eq!(
        files_under(&target),
        Vec::<PathBuf>::new(),
        "records or sessions were written through the symlinked parent"
    );
    let first = moved.join("logs/first.log");
    assert_eq!(count_in(&first, "parent-after"), 20);
    assert_eq!(
        count_in(&moved.join("logs/second.log"), "parent-second"),
        20
    );
}

#[test]
fn a_deleted_log_directory_replaced_by_a_symlink_is_an_error_not_a_redirect() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let collector = new_collector(&logs);
    collector.start_new_session_blocking("first.log").unwrap();
    log_lines(&collector, "planted-before", 10);
    collector.wait_for_empty_blocking().unwrap();

    let target = root.path().join("target");
    std::fs::create_dir(&target).unwrap();
    std::fs::remove_dir_all(&logs).unwrap();
    symlink(&target, &logs).unwrap();

    log_lines(&collector, "planted-during", 100);
    let message = assert_io_error(collector.wait_for_empty_blocking());
    assert!(message.contains("deleted"), "{message}");
    assert_io_error(collector.start_new_session_blocking("second.log"));
    log_lines(&collector, "planted-still", 100);
    assert_io_error(collector.wait_for_empty_blocking());
    assert_eq!(
        files_under(&target),
        Vec::<PathBuf>::new(),
        "the symlink planted in the directory's place was followed"
    );

    // A real directory in its place is used again.
    std::fs::remove_file(&logs).unwrap();
    std::fs::create_dir(&logs).unwrap();
    let third = collector.start_new_session_blocking("third.log").unwrap();
    log_lines(&collector, "planted-recovered", 10);
    collector.wait_for_empty_blocking().unwrap();
    assert_eq!(third, logs.join("third.log"));
    assert_eq!(count_in(&third, "planted-recovered"), 20);
    assert_eq!(files_under(&target), Vec::<PathBuf>::new());
}

#[test]
fn a_deleted_parent_replaced_by_a_symlink_is_an_error_not_a_redirect() {
    let root = tempfile::tempdir().unwrap();
    let parent = root.path().join("parent");
    let logs = parent.join("logs");
    let collector = new_collector(&logs);
    collector.start_new_session_blocking("first.log").unwrap();
    log_lines(&collector, "gone-before", 10);
    collector.wait_for_empty_blocking().unwrap();

    let target = root.path().join("target");
    std::fs::create_dir_all(target.join("logs")).unwrap();
    std::fs::remove_dir_all(&parent).unwrap();
    symlink(&target, &parent).unwrap();

    log_lines(&collector, "gone-during", 100);
    assert_io_error(collector.wait_for_empty_blocking());
    assert_io_error(collector.start_new_session_blocking("second.log"));
    log_lines(&collector, "gone-still", 100);
    assert_io_error(collector.wait_for_empty_blocking());
    assert_eq!(
        files_under(&target),
        Vec::<PathBuf>::new(),
        "the symlink planted in the parent's place was followed"
    );
}

// ---- the manifest ----

fn run_child(mode: &str, logged_test_dir: &Path) -> Output {
    let output = common::this_binary()
        .args([
            "--ignored",
            "--exact",
            "hardening::child_finishes_two_tests",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MODE, mode)
        .env("LOGGED_TEST_DIR", logged_test_dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    output
}

fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Run by the manifest tests in a process of its own: two passing tests,
/// each appending one line to the manifest in `LOGGED_TEST_DIR`. In mode
/// `swap`, the directory is swapped for a symlink between the two.
#[test]
#[ignore = "run by the manifest tests in a child process"]
fn child_finishes_two_tests() {
    let Ok(mode) = std::env::var(CHILD_MODE) else {
        return;
    };
    let dir = PathBuf::from(std::env::var_os("LOGGED_TEST_DIR").unwrap());
    let logs = TestLogs::new("hardening::first").unwrap();
    log::info!("first test");
    logs.assert_contains("first test");
    drop(logs);
    if mode == "swap" {
        let elsewhere = dir.with_extension("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::rename(&dir, dir.with_extension("moved")).unwrap();
        symlink(&elsewhere, &dir).unwrap();
    }
    let logs = TestLogs::new("hardening::second").unwrap();
    log::info!("second test");
    logs.assert_contains("second test");
}

#[test]
fn the_manifest_gets_one_line_per_test() {
    let root = tempfile::tempdir().unwrap();
    let ci = root.path().join("ci");
    let output = run_child("plain", &ci);
    let manifest = std::fs::read_to_string(ci.join("manifest.jsonl")).unwrap();
    assert_eq!(
        manifest.lines().count(),
        2,
        "{manifest}\n{}",
        describe(&output)
    );
    assert!(manifest.contains("hardening::second"), "{manifest}");
}

#[test]
fn a_symlink_planted_at_the_manifest_is_refused_once_and_not_written_through() {
    let root = tempfile::tempdir().unwrap();
    let ci = root.path().join("ci");
    std::fs::create_dir(&ci).unwrap();
    let precious = root.path().join("precious.txt");
    std::fs::write(&precious, "keep").unwrap();
    symlink(&precious, ci.join("manifest.jsonl")).unwrap();

    let output = run_child("plain", &ci);
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("could not append to the manifest").count(),
        1,
        "expected the refusal printed once\n{}",
        describe(&output)
    );
    assert!(stderr.contains("symlink"), "{}", describe(&output));
}

#[test]
fn a_manifest_directory_swapped_for_a_symlink_keeps_its_lines() {
    let root = tempfile::tempdir().unwrap();
    let ci = root.path().join("ci");
    let output = run_child("swap", &ci);
    let elsewhere = ci.with_extension("elsewhere");
    assert!(
        !elsewhere.join("manifest.jsonl").exists(),
        "the manifest was written through the symlink\n{}",
        describe(&output)
    );
    let manifest =
        std::fs::read_to_string(ci.with_extension("moved").join("manifest.jsonl")).unwrap();
    assert_eq!(
        manifest.lines().count(),
        2,
        "{manifest}\n{}",
        describe(&output)
    );
}
