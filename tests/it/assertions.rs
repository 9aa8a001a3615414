//! Assertion helpers: they pass when they should, and their failure reports
//! say what was expected and show what was logged.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use logged_test::LogAssertions as _;
use logged_test::{CapturedLogs, LogCollector, TestLogs};

/// Runs `f`, which must panic, and returns the panic message.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion should have failed");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn captured(messages: &[(log::Level, &str)]) -> (tempfile::TempDir, CapturedLogs) {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    collector.start_new_session_blocking("assert.log").unwrap();
    for (level, message) in messages {
        collector.log(*level, message);
    }
    let logs = collector.captured().unwrap();
    (dir, logs)
}

#[test]
fn smoke() {
    let (_dir, logs) = captured(&[(log::Level::Info, "assert-smoke")]);
    logs.assert_contains("assert-smoke");
    logs.assert_not_contains("absent");
    logs.assert_count("assert-smoke", 1);
    logs.assert_logged_at(log::Level::Info, "smoke");
    logs.assert_in_order(&["assert-smoke"]);
    assert!(logs.contains("smoke"));
    assert_eq!(logs.count("nothing"), 0);
}

#[test]
fn assert_contains_reports_marker_file_count_records_and_closest() {
    let (_dir, logs) = captured(&[
        (log::Level::Info, "starting up"),
        (log::Level::Error, "connection refused by 10.0.0.1"),
        (log::Level::Info, "shutting down"),
    ]);
    let message = panic_message(|| logs.assert_contains("connection accepted"));
    assert!(
        message.starts_with("expected a record containing \"connection accepted\"; none of 3 did"),
        "{message}"
    );
    assert!(
        message.contains("assert.log"),
        "names the session file: {message}"
    );
    assert!(message.contains("captured records (3):"), "{message}");
    assert!(message.contains("  2 | "), "numbers the records: {message}");
    assert!(
        message.contains("closest record (#2):\n  ") && message.contains("connection refused"),
        "{message}"
    );
    assert!(message.contains("LOGGED_TEST_KEEP=1"), "{message}");
}

#[test]
fn long_logs_show_the_last_50_records_and_say_how_many_were_left_out() {
    let lines: Vec<String> = (1..=123).map(|i| format!("record number {i}")).collect();
    let records: Vec<_> = lines
        .iter()
        .map(|l| (log::Level::Info, l.as_str()))
        .collect();
    let (_dir, logs) = captured(&records);
    let message = panic_message(|| logs.assert_contains("missing-marker-xyz"));
    assert!(message.contains("none of 123 did"), "{message}");
    assert!(
        message.contains("(last 50 of 123; 73 earlier records omitted)"),
        "{message}"
    );
    assert!(message.contains("record number 123"));
    assert!(!message.contains("record number 73\n"), "{message}");
    assert!(message.contains("record number 74\n"), "{message}");
}

#[test]
fn assert_not_contains_names_the_offending_records() {
    let (_dir, logs) = captured(&[
        (log::Level::Info, "ok"),
        (log::Level::Warn, "secret=hunter2"),
    ]);
    let message = panic_message(|| logs.assert_not_contains("secret="));
    assert!(
        message.starts_with("expected no record containing \"secret=\"; 1 did (#2)"),
        "{message}"
    );
}

#[test]
fn assert_in_order_says_which_marker_broke_the_order() {
    let (_dir, logs) = captured(&[
        (log::Level::Info, "build"),
        (log::Level::Info, "scan"),
        (log::Level::Info, "install"),
    ]);
    logs.assert_in_order(&["scan", "install"]);
    let message = panic_message(|| logs.assert_in_order(&["scan", "build"]));
    assert!(
        message.contains("no record containing \"build\" after \"scan\" (record #2); it only appears earlier, at #1"),
        "{message}"
    );
}

#[test]
fn assert_count_reports_the_actual_count_and_where() {
    let (_dir, logs) = captured(&[(log::Level::Info, "retry"), (log::Level::Info, "retry")]);
    let message = panic_message(|| logs.assert_count("retry", 3));
    assert!(
        message.starts_with("expected 3 records containing \"retry\"; found 2 (#1, #2)"),
        "{message}"
    );
}

#[test]
fn assert_logged_at_matches_the_exact_level() {
    let (_dir, logs) = captured(&[(log::Level::Warn, "disk 91% full")]);
    logs.assert_logged_at(log::Level::Warn, "disk");
    let message = panic_message(|| logs.assert_logged_at(log::Level::Error, "disk"));
    assert!(
        message
            .starts_with("expected a ERROR record containing \"disk\"; it was logged at WARN only"),
        "{message}"
    );
}

#[test]
fn assert_records_runs_any_check() {
    let (_dir, logs) = captured(&[(log::Level::Debug, "noisy")]);
    let message = panic_message(|| {
        logs.assert_records(|records| {
            if records.iter().any(|r| r.level == log::Level::Debug) {
                Err("no debug records expected".into())
            } else {
                Ok(())
            }
        })
    });
    assert!(
        message.starts_with("no debug records expected\n"),
        "{message}"
    );
}

#[test]
fn test_logs_assertions_flush_first_and_name_the_test() {
    let logs = TestLogs::new("assertions::named").unwrap();
    let helper = logged_test::thread::spawn(|| log::info!("from-helper-thread-7"));
    helper.join().unwrap();
    logs.assert_contains("from-helper-thread-7");
    let message = panic_message(|| logs.assert_contains("never-logged"));
    assert!(
        message.contains("test:      assertions::named"),
        "{message}"
    );
    assert!(
        message.contains(&logs.session_path().display().to_string()),
        "{message}"
    );
}

#[test]
#[should_panic(expected = "expected a record containing \"should-panic-marker\"; none of 0 did")]
fn a_failed_assertion_works_with_should_panic() {
    let logs = TestLogs::new("assertions::should_panic").unwrap();
    logs.assert_contains("should-panic-marker");
}

#[test]
fn the_failure_location_is_the_callers_line() {
    let logs = TestLogs::new("assertions::location").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let previous = std::panic::take_hook();
    // Only this thread's panic is recorded; other tests' panics go through.
    let this_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == this_thread {
            let _ = tx.send(info.location().map(|l| (l.file().to_owned(), l.line())));
        }
    }));
    let expected_line = line!() + 1;
    let result = catch_unwind(AssertUnwindSafe(|| logs.assert_count("x", 1)));
    std::panic::set_hook(previous);
    assert!(result.is_err());
    let location = rx.recv().unwrap().unwrap();
    assert_eq!(location, (file!().to_owned(), expected_line));
}
