//! What goes wrong with a test's files is said where a person sees it: a
//! manifest that cannot be written and a directory that cannot be removed
//! are printed on the real stderr even when the test passes (libtest hides
//! a passing test's captured output), the manifest line says so too, and
//! the failure report never calls a missing directory "kept".
//!
//! Each case re-runs this test binary on an `#[ignore]`d child, with
//! libtest capturing its output as usual.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::path::PathBuf;

use logged_test::LogAssertions as _;
use logged_test::TestLogs;

use crate::common;

fn logged_test_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("LOGGED_TEST_DIR").unwrap())
}

#[test]
#[ignore = "run by `a_manifest_that_cannot_be_written_is_reported_once_on_the_real_stderr`"]
fn child_two_passing_tests() {
    for name in ["visible::first", "visible::second"] {
        let logs = TestLogs::new(name).unwrap();
        log::info!("{name} ran");
        logs.assert_contains("ran");
    }
}

#[test]
fn a_manifest_that_cannot_be_written_is_reported_once_on_the_real_stderr() {
    let ci = tempfile::tempdir().unwrap();
    // A directory where the manifest file should be: every append fails.
    std::fs::create_dir(ci.path().join("manifest.jsonl")).unwrap();
    let output = common::rerun_captured("visible_failures::child_two_passing_tests")
        .env("LOGGED_TEST_DIR", ci.path())
        .output()
        .unwrap();
    let shown = common::text(&output);
    assert!(output.status.success(), "{shown}");
    assert_eq!(
        shown.matches("could not append to the manifest").count(),
        1,
        "expected one message, outside libtest's capture:\n{shown}"
    );
}

#[cfg(unix)]
#[test]
#[ignore = "run by `a_directory_that_cannot_be_removed_is_reported_in_the_manifest_and_on_stderr`"]
fn child_passes_with_its_binary_directory_swapped_for_a_symlink() {
    let logs = TestLogs::new("visible::unremovable").unwrap();
    log::info!("on disk");
    let binary_dir = logs.dir().parent().unwrap().to_path_buf();
    let moved = binary_dir.with_extension("moved");
    std::fs::rename(&binary_dir, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &binary_dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_directory_that_cannot_be_removed_is_reported_in_the_manifest_and_on_stderr() {
    let ci = tempfile::tempdir().unwrap();
    let output = common::rerun_captured(
        "visible_failures::child_passes_with_its_binary_directory_swapped_for_a_symlink",
    )
    .env("LOGGED_TEST_DIR", ci.path())
    .output()
    .unwrap();
    let shown = common::text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains("could not be removed") && shown.contains("never follows"),
        "{shown}"
    );
    let manifest = std::fs::read_to_string(ci.path().join("manifest.jsonl")).unwrap();
    assert!(
        manifest.contains("\"log_note\":\"not removed: "),
        "{manifest}"
    );
    // The symlink was not followed: the test's directory is still there.
    let moved: Vec<_> = std::fs::read_dir(ci.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "moved"))
        .collect();
    assert_eq!(moved.len(), 1, "{manifest}");
    assert_eq!(std::fs::read_dir(&moved[0]).unwrap().count(), 1);
}

#[test]
#[ignore = "run by `a_failing_test_whose_directory_was_removed_is_not_reported_kept`"]
fn child_fails_after_its_directory_was_removed() {
    let logs = TestLogs::new("visible::removed").unwrap();
    log::info!("the record above the failure");
    std::fs::remove_dir_all(logs.dir()).unwrap();
    assert!(!logged_test_dir().join("nothing").exists());
    panic!("failing on purpose");
}

#[test]
fn a_failing_test_whose_directory_was_removed_is_not_reported_kept() {
    let ci = tempfile::tempdir().unwrap();
    let output =
        common::rerun_captured("visible_failures::child_fails_after_its_directory_was_removed")
            .env("LOGGED_TEST_DIR", ci.path())
            .output()
            .unwrap();
    let shown = common::text(&output);
    assert!(!output.status.success(), "{shown}");
    assert!(shown.contains("the record above the failure"), "{shown}");
    assert!(
        !shown.contains("kept"),
        "a missing directory reported kept:\n{shown}"
    );
    let manifest = std::fs::read_to_string(ci.path().join("manifest.jsonl")).unwrap();
    assert!(
        manifest.contains("\"log\":null") && manifest.contains("\"outcome\":\"failed\""),
        "{manifest}"
    );
}

#[cfg(unix)]
#[test]
#[ignore = "run by `a_passing_test_s_read_only_parts_are_removed`"]
fn child_passes_after_making_read_only_parts() {
    use std::os::unix::fs::PermissionsExt as _;
    let logs = TestLogs::new("visible::read_only").unwrap();
    for (sub, mode) in [("read-only", 0o500), ("unreadable", 0o000)] {
        let dir = logs.dir().join(sub);
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        std::fs::write(dir.join("file"), "x").unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Issue 17, item 10 (as root, permissions do not stop a removal; the unit
/// tests in `src/engine/session.rs` were also run as an unprivileged user).
#[cfg(unix)]
#[test]
fn a_passing_test_s_read_only_parts_are_removed() {
    let ci = tempfile::tempdir().unwrap();
    let output =
        common::rerun_captured("visible_failures::child_passes_after_making_read_only_parts")
            .env("LOGGED_TEST_DIR", ci.path())
            .output()
            .unwrap();
    let shown = common::text(&output);
    assert!(output.status.success(), "{shown}");
    let manifest = std::fs::read_to_string(ci.path().join("manifest.jsonl")).unwrap();
    assert!(manifest.contains("not kept: the test passed"), "{manifest}");
    let left: Vec<_> = std::fs::read_dir(ci.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["manifest.jsonl"], "left behind\n{shown}");
}
