//! Another logger installed before ours: capture cannot work, and every entry
//! point says so. It runs in a process of its own (a child run of this
//! binary, `common::run_alone`), because the `log` slot is set once per
//! process.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;
use std::sync::Mutex;

use logged_test::{LogCollector, LogError, TestLogs};

/// A trivial logger of our own, standing in for `env_logger` and friends.
struct Foreign {
    seen: Mutex<Vec<String>>,
}

impl log::Log for Foreign {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        self.seen.lock().unwrap().push(record.args().to_string());
    }

    fn flush(&self) {}
}

static FOREIGN: Foreign = Foreign {
    seen: Mutex::new(Vec::new()),
};

#[track_caller]
fn assert_explains_foreign_logger(message: &str) {
    for part in [
        "another logger already owns the `log` slot",
        "cannot capture",
        "remove the other logger's init call",
        "`tracing_subscriber`'s `init()` or `try_init()`",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn a_logger_installed_first_makes_every_entry_point_fail_with_the_reason() {
    common::run_alone("foreign_logger::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `a_logger_installed_first_makes_every_entry_point_fail_with_the_reason`"]
fn in_its_own_process() {
    if !common::alone("foreign_logger::in_its_own_process") {
        return;
    }
    log::set_logger(&FOREIGN).unwrap();
    log::set_max_level(log::LevelFilter::Info);

    let err = logged_test::init_logger().unwrap_err();
    assert!(matches!(err, LogError::ForeignLogger), "{err:?}");
    assert_explains_foreign_logger(&err.to_string());

    // What `#[logged_test]` calls to set a test up; the macro panics with
    // this error's message.
    let err = TestLogs::new("foreign_logger::test").unwrap_err();
    assert!(matches!(err, LogError::ForeignLogger), "{err:?}");
    assert_explains_foreign_logger(&err.to_string());

    let dir = tempfile::tempdir().unwrap();
    let collector = std::sync::Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    let err = collector
        .clone()
        .init_global_logger(log::LevelFilter::Trace)
        .unwrap_err();
    assert!(matches!(err, LogError::ForeignLogger), "{err:?}");
    // Idempotent for our own logger only: a second call, from another
    // collector, still reports the foreign one.
    let other = std::sync::Arc::new(LogCollector::without_ui(dir.path().join("b")).unwrap());
    let err = other
        .init_global_logger(log::LevelFilter::Trace)
        .unwrap_err();
    assert!(matches!(err, LogError::ForeignLogger), "{err:?}");

    // The other logger keeps its records and its level; direct writes to a
    // collector still work.
    log::info!("foreign-keeps-this");
    log::debug!("foreign-level-still-info");
    collector.log_str("direct-still-captured");
    let captured = collector.captured().unwrap();
    assert_eq!(captured.messages(), ["direct-still-captured"]);
    assert_eq!(*FOREIGN.seen.lock().unwrap(), ["foreign-keeps-this"]);
    assert_eq!(log::max_level(), log::LevelFilter::Info);
}
