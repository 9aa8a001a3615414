//! Everyday helpers: waiting that explains itself, predicates over records,
//! live output for long tests, and read-back that never goes through a path.

use std::time::Duration;

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, TestLogs, logged_test};

use crate::common;

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn assert_logged_within_returns_once_the_record_arrives() {
    let logs = TestLogs::new("everyday::within").unwrap();
    let worker = logged_test::thread::spawn(|| log::info!("worker listening on 7000"));
    logs.assert_logged_within_blocking("listening on 7000", Duration::from_secs(30));
    worker.join().unwrap();
}

#[test]
fn assert_logged_within_reports_what_was_logged_on_timeout() {
    let logs = TestLogs::new("everyday::within_timeout").unwrap();
    log::info!("server starting on 7001");
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        logs.assert_logged_within_blocking("server ready", Duration::from_millis(20));
    }))
    .unwrap_err();
    let report = panic_text(failure);
    assert!(
        report.contains("expected a record containing \"server ready\" within 20ms"),
        "{report}"
    );
    assert!(report.contains("server starting on 7001"), "{report}");
    assert!(report.contains("closest record"), "{report}");
    assert!(report.contains("everyday__within_timeout.log"), "{report}");
}

#[logged_test]
async fn assert_logged_within_async_waits_for_a_task(logs: &TestLogs) {
    tokio::spawn(async { log::info!("task finished its work") });
    logs.assert_logged_within("finished its work", Duration::from_secs(30))
        .await;
}

#[test]
fn predicates_select_records_by_any_field() {
    let logs = TestLogs::new("everyday::predicates").unwrap();
    log::warn!(target: "db", "slow query: 812 ms");
    log::info!(target: "db", "fast query: 3 ms");
    log::warn!(target: "http", "slow request");
    let slow_db = |r: &logged_test::CapturedRecord| r.target == "db" && r.level == log::Level::Warn;
    assert_eq!(logs.count_where(slow_db), 1);
    assert_eq!(logs.captured().matching_where(slow_db).count(), 1);
    logs.assert_any("a slow db query", slow_db);
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        logs.assert_any("an error from db", |r| {
            r.target == "db" && r.level == log::Level::Error
        });
    }))
    .unwrap_err();
    let report = panic_text(failure);
    assert!(
        report.contains("expected an error from db; none of 3 records matched"),
        "{report}"
    );
}

#[test]
fn old_sessions_read_back_the_same_when_their_files_are_deleted_or_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("secret.txt"), "not a log line\n").unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    for n in 0..20 {
        collector
            .start_new_session_blocking(&format!("session-{n}.log"))
            .unwrap();
        collector.log_str(&format!("record of session {n}"));
    }
    collector.wait_for_empty_blocking().unwrap();
    let before = collector.captured().unwrap().messages().join("\n");
    for n in 0..10 {
        let path = dir.path().join(format!("session-{n}.log"));
        std::fs::remove_file(&path).unwrap();
        if n % 2 == 0 {
            #[cfg(unix)]
            std::os::unix::fs::symlink(elsewhere.path().join("secret.txt"), &path).unwrap();
        }
    }
    let after = collector.captured().unwrap();
    assert_eq!(after.messages().join("\n"), before);
    assert_eq!(after.len(), 20);
    after.assert_not_contains("not a log line");
}

#[test]
#[ignore = "run by `live_output_shows_records_as_they_happen`"]
fn child_logs_with_live_output() {
    let logs = TestLogs::new("everyday::live_child").unwrap_or_else(|e| panic!("{e}"));
    log::debug!("live-debug-line");
    log::warn!("live-warn-line");
    logs.assert_contains("live-warn-line");
}

#[test]
fn live_output_shows_records_as_they_happen() {
    // Without --nocapture: libtest hides a passing test's output, so what
    // shows was written past its capture.
    let output = common::rerun_captured("everyday::child_logs_with_live_output")
        .env("LOGGED_TEST_LIVE", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("[everyday::live_child] ") && stderr.contains("live-warn-line"),
        "{stderr}"
    );
    assert!(!stderr.contains("live-debug-line"), "{stderr}");
}

#[test]
fn an_invalid_live_level_is_an_error_naming_the_variable() {
    let output = common::rerun_captured("everyday::child_logs_with_live_output")
        .env("LOGGED_TEST_LIVE", "loud")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(!output.status.success());
    assert!(
        text.contains("`LOGGED_TEST_LIVE` has the value \"loud\""),
        "{text}"
    );
}

#[test]
fn test_logs_can_be_shared_with_threads_and_dropped_on_another() {
    let logs = TestLogs::new("everyday::shared").unwrap();
    std::thread::scope(|s| {
        for i in 0..4 {
            let logs = &logs;
            s.spawn(move || {
                // Routed explicitly: without the `inherit` feature a new
                // thread has no route of its own.
                let _route = logs.collector().enter();
                log::info!("scoped worker {i}");
                logs.assert_contains(&format!("scoped worker {i}"));
            });
        }
    });
    // Moved to another thread and dropped there: this thread's other
    // routes are untouched, and nothing panics.
    let dir = tempfile::tempdir().unwrap();
    let other = LogCollector::without_ui(dir.path()).unwrap();
    let _guard = other.enter();
    std::thread::spawn(move || drop(logs)).join().unwrap();
    log::info!("after the move");
    other.captured().unwrap().assert_contains("after the move");
}
