//! Unattributed records are printed at `warn` and above by default,
//! `LOGGED_TEST_UNATTRIBUTED=<level>` changes the level, and every one is
//! counted; an invalid value is an error naming the variable. Each case is
//! a child process, since the variable is read once per process.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;

use logged_test::{LogCollector, TestLogs};

const CHILD: &str = "unattributed_level::child_logs_unattributed_records_at_two_levels";
const CHILD_MODE: &str = "UNATTRIBUTED_LEVEL_CHILD";

#[test]
#[ignore = "run in a child process by the tests below"]
fn child_logs_unattributed_records_at_two_levels() {
    if std::env::var_os(CHILD_MODE).is_none() {
        return;
    }
    if let Err(error) = TestLogs::new("unattributed_level") {
        println!("TestLogs::new failed: {error}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Two collectors made on other threads: an unrouted thread's records
    // then belong to no one.
    let make = |name: &'static str| {
        let path = dir.path().join(name);
        std::thread::spawn(move || LogCollector::without_ui(path).unwrap())
            .join()
            .unwrap()
    };
    let (_a, _b) = (make("a"), make("b"));
    let before = logged_test::unattributed_count();
    std::thread::spawn(|| {
        log::info!("level-probe-info");
        log::warn!("level-probe-warn");
    })
    .join()
    .unwrap();
    println!("counted={}", logged_test::unattributed_count() - before);
}

fn run(value: Option<&str>) -> String {
    let mut command = common::rerun(CHILD);
    command.env(CHILD_MODE, "1");
    if let Some(value) = value {
        command.env("LOGGED_TEST_UNATTRIBUTED", value);
    }
    let output = command.output().unwrap();
    let text = common::text(&output);
    assert!(output.status.success(), "{text}");
    text
}

#[test]
fn warn_and_above_are_printed_by_default_and_all_are_counted() {
    let text = run(None);
    assert!(text.contains("counted=2"), "{text}");
    assert!(text.contains("level-probe-warn"), "{text}");
    assert!(!text.contains("level-probe-info"), "{text}");
}

#[test]
fn the_variable_sets_the_printed_level() {
    let text = run(Some("trace"));
    assert!(text.contains("counted=2"), "{text}");
    assert!(text.contains("level-probe-info"), "{text}");
    let text = run(Some("off"));
    assert!(text.contains("counted=2"), "{text}");
    assert!(!text.contains("level-probe-"), "{text}");
}

#[test]
fn an_invalid_value_is_an_error_naming_the_variable() {
    let text = run(Some("loud"));
    assert!(text.contains("TestLogs::new failed"), "{text}");
    assert!(text.contains("LOGGED_TEST_UNATTRIBUTED"), "{text}");
    assert!(text.contains("loud"), "{text}");
}
