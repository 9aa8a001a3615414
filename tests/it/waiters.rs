//! A waiter is woken after the collector's lock is released: a task whose
//! waker logs into the same collector (an instrumented executor, a traced
//! runtime) does not deadlock the thread that logged the marker.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::future::Future as _;
use std::sync::Arc;
use std::time::Duration;

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, TestLogs};

/// A watchdog against a hang, never reached when the test passes.
const WATCHDOG: Duration = Duration::from_secs(60);

struct LoggingWaker(Arc<LogCollector>);

impl std::task::Wake for LoggingWaker {
    fn wake(self: Arc<Self>) {
        self.0.log_str("the waker logged");
    }
}

fn a_waker_that_logs_does_not_deadlock(collector: Arc<LogCollector>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _enter = runtime.enter();
    let waker = std::task::Waker::from(Arc::new(LoggingWaker(Arc::clone(&collector))));
    let mut cx = std::task::Context::from_waker(&waker);
    let waiting = Arc::clone(&collector);
    let mut wait = Box::pin(async move {
        waiting
            .wait_for("the marker", Duration::from_secs(60))
            .await
    });
    assert!(wait.as_mut().poll(&mut cx).is_pending());

    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let logging = Arc::clone(&collector);
    std::thread::spawn(move || {
        logging.log_str("the marker");
        let _ = done_tx.send(());
    });
    if done_rx.recv_timeout(WATCHDOG).is_err() {
        // Leave the deadlocked collector alone rather than hang on drop.
        std::mem::forget(wait);
        std::mem::forget(collector);
        panic!("logging the marker never returned");
    }
    assert!(wait.as_mut().poll(&mut cx).is_ready());
    assert!(collector.captured().unwrap().contains("the waker logged"));
}

#[test]
fn a_waker_that_logs_does_not_deadlock_a_disk_collector() {
    let dir = tempfile::tempdir().unwrap();
    a_waker_that_logs_does_not_deadlock(Arc::new(LogCollector::without_ui(dir.path()).unwrap()));
}

#[test]
fn a_waker_that_logs_does_not_deadlock_a_test_log() {
    let logs = TestLogs::new("waiters::waker").unwrap();
    a_waker_that_logs_does_not_deadlock(Arc::clone(logs.collector()));
}
