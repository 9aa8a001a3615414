//! `#[should_panic]` with `markers`: the markers are checked after the body
//! panics, and the panic is resumed; a missing marker fails the test with the
//! marker report. The failing cases run in a child process (this binary,
//! re-run on the `#[ignore]`d tests below).

use crate::common;

use logged_test::{TestLogs, logged_test};

#[logged_test(markers = ["should-panic-logged"])]
#[should_panic(expected = "boom on purpose")]
fn panics_after_logging_the_marker() {
    log::info!("should-panic-logged");
    panic!("boom on purpose");
}

#[logged_test(markers = ["should-panic-async"])]
#[should_panic(expected = "async boom")]
async fn an_async_test_panics_after_logging_the_marker(logs: &TestLogs) {
    tokio::task::yield_now().await;
    log::info!("should-panic-async");
    logs.flush();
    panic!("async boom");
}

#[logged_test(markers = ["should-panic-foreign"])]
#[tokio::test]
#[should_panic = "foreign boom"]
async fn under_tokio_test_panics_after_logging_the_marker() {
    log::info!("should-panic-foreign");
    panic!("foreign boom");
}

#[logged_test(markers = ["child-marker-never-logged"])]
#[should_panic]
#[ignore = "run by `a_missing_marker_fails_a_should_panic_test` in a child process"]
fn child_panics_without_the_marker() {
    log::info!("child-something-else");
    panic!("child boom");
}

#[logged_test(markers = ["child-marker-never-logged"])]
#[tokio::test]
#[should_panic]
#[ignore = "run by `a_missing_marker_fails_a_should_panic_test` in a child process"]
async fn child_async_panics_without_the_marker() {
    log::info!("child-something-else");
    panic!("child boom");
}

#[test]
fn a_missing_marker_fails_a_should_panic_test() {
    for child in [
        "should_panic_markers::child_panics_without_the_marker",
        "should_panic_markers::child_async_panics_without_the_marker",
    ] {
        let output = common::this_binary()
            .args(["--ignored", "--exact", child, "--nocapture"])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{child} passed:\n{out}");
        assert!(
            out.contains(
                "#[logged_test] markers not found in the log: [\"child-marker-never-logged\"]"
            ),
            "{out}"
        );
        assert!(out.contains("child-something-else"), "{out}");
        assert!(
            out.contains("the body panicked as `#[should_panic]` expects, but a marker is missing"),
            "{out}"
        );
    }
}
