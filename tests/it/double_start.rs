//! A test registered twice (`#[test]` written above `#[logged_test]`) runs
//! twice in one process; the second start fails, naming the order to use.
//! Checked by re-running this test binary on the `#[ignore]`d test below.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;

use logged_test::logged_test;

// The order the check exists for: `#[test]` is expanded first, invisibly to
// `#[logged_test]`, which then adds its own `#[test]`.
#[test]
#[logged_test]
#[ignore = "run by the tests below in a child process"]
fn child_registered_twice() {
    log::info!("child-registered-twice ran");
}

/// Runs `child_registered_twice` alone in a child process; its output.
fn run_child(threads: &str) -> (bool, String) {
    let output = common::this_binary()
        .args([
            "--ignored",
            "--exact",
            "double_start::child_registered_twice",
            "--nocapture",
        ])
        .arg(format!("--test-threads={threads}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn the_second_start_fails_naming_the_order() {
    for threads in ["1", "2"] {
        let (success, out) = run_child(threads);
        assert!(!success, "with {threads} threads, the child passed:\n{out}");
        assert!(out.contains("running 2 tests"), "{out}");
        assert!(out.contains("1 passed; 1 failed"), "{out}");
        assert!(
            out.contains(
                "#[logged_test] `double_start::child_registered_twice` started a second time in this process"
            ),
            "{out}"
        );
        assert!(
            out.contains("write `#[logged_test]` above the other test attributes"),
            "{out}"
        );
    }
}
