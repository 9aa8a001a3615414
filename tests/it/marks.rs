//! Marks and clearing: `since(mark)` holds what came after the mark and
//! takes every assertion, `wait_for_since` ignores matches before the mark,
//! and `clear()` hides earlier records from assertions but not from the file.

use std::time::Duration;

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

/// Long enough never to be reached when the test passes.
const PATIENCE: Duration = Duration::from_secs(60);

#[logged_test]
fn smoke(logs: &TestLogs) {
    log::info!("marks-smoke: before");
    let mark = logs.mark();
    log::info!("marks-smoke: after");
    assert_eq!(logs.since(mark).messages(), ["marks-smoke: after"]);
}

#[logged_test]
fn every_assertion_works_on_what_came_after_a_mark(logs: &TestLogs) {
    log::warn!("marks-all: request 1 failed");
    let mark = logs.mark();
    log::info!("marks-all: request 2 started");
    #[cfg(feature = "kv")]
    log::warn!(attempt = 2; "marks-all: request 2 retried");
    #[cfg(not(feature = "kv"))]
    log::warn!("marks-all: request 2 retried");
    log::info!("marks-all: request 2 done");
    let after = logs.since(mark);
    assert_eq!(after.len(), 3);
    after.assert_not_contains("request 1");
    after.assert_contains("request 2");
    after.assert_count("marks-all", 3);
    after.assert_logged_at(log::Level::Warn, "retried");
    after.assert_in_order(&["started", "retried", "done"]);
    #[cfg(feature = "kv")]
    after.assert_field("retried", "attempt", "2");
    // The whole log still has the first record.
    logs.assert_contains("request 1");
    // A later mark sees less; marks compare in order.
    let later = logs.mark();
    assert!(mark < later);
    assert!(logs.since(later).is_empty());
}

#[logged_test]
fn wait_for_since_ignores_matches_before_the_mark(logs: &TestLogs) {
    log::info!("marks-wait: server ready");
    let mark = logs.mark();
    // Only an earlier record matches: no wait is needed to know it is not
    // there yet, and the short timeout just ends the call.
    assert!(!logs.wait_for_since_blocking(mark, "server ready", Duration::from_millis(1)));
    let (go, ready) = std::sync::mpsc::channel::<()>();
    let worker = logged_test::thread::spawn(move || {
        ready.recv().unwrap();
        log::info!("marks-wait: server ready again");
    });
    go.send(()).unwrap();
    assert!(logs.wait_for_since_blocking(mark, "server ready", PATIENCE));
    worker.join().unwrap();
    assert_eq!(
        logs.since(mark).messages(),
        ["marks-wait: server ready again"]
    );
}

#[logged_test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_in_an_async_test(logs: &TestLogs) {
    log::info!("marks-async: job 1 done");
    let mark = logs.mark();
    let task = tokio::spawn(async { log::info!("marks-async: job 2 done") });
    assert!(logs.wait_for_since(mark, "done", PATIENCE).await);
    task.await.unwrap();
    let after = logs.since(mark);
    after.assert_contains("job 2");
    after.assert_not_contains("job 1");
}

#[logged_test]
async fn wait_for_since_on_a_current_thread_runtime(logs: &TestLogs) {
    log::info!("marks-current: tick");
    let mark = logs.mark();
    tokio::spawn(async { log::info!("marks-current: tick again") });
    assert!(logs.wait_for_since(mark, "tick", PATIENCE).await);
    assert_eq!(logs.since(mark).messages(), ["marks-current: tick again"]);
}

#[logged_test]
fn clear_hides_earlier_records_from_assertions_not_from_the_file(logs: &TestLogs) {
    log::info!("marks-clear: warm-up");
    log::info!("marks-clear: warm-up again");
    logs.clear();
    log::info!("marks-clear: measured");
    logs.assert_not_contains("warm-up");
    assert!(!logs.contains("warm-up"));
    assert_eq!(logs.count("marks-clear"), 1);
    assert_eq!(logs.captured().messages(), ["marks-clear: measured"]);
    assert_eq!(logs.count_where(|r| r.message.contains("warm-up")), 0);
    logs.flush();
    let file = std::fs::read_to_string(logs.session_path()).unwrap();
    assert!(file.contains("marks-clear: warm-up again"), "{file}");
    assert!(file.contains("marks-clear: measured"), "{file}");
}

#[logged_test]
fn wait_for_after_clear_waits_for_a_new_record(logs: &TestLogs) {
    let start = logs.mark();
    log::info!("marks-clear-wait: connected");
    logs.clear();
    assert!(!logs.wait_for_blocking("connected", Duration::from_millis(1)));
    let worker = logged_test::thread::spawn(|| log::info!("marks-clear-wait: connected again"));
    assert!(logs.wait_for_blocking("connected", PATIENCE));
    worker.join().unwrap();
    // A mark taken before the clear sees no cleared record either.
    assert_eq!(
        logs.since(start).messages(),
        ["marks-clear-wait: connected again"]
    );
}

#[logged_test]
#[should_panic(expected = "expected a record containing \"marks-report: before\"")]
fn a_failing_assertion_after_a_mark_reports_what_came_after(logs: &TestLogs) {
    log::info!("marks-report: before");
    let mark = logs.mark();
    log::info!("marks-report: after");
    logs.since(mark).assert_contains("marks-report: before");
}
