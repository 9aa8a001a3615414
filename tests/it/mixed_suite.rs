//! Rule 4 ("the only collector alive") never takes records that belong to
//! another test: a plain `#[test]` that logs (and the thread it starts) while
//! a `#[logged_test]` runs alone, and a test thread that logs after its
//! `TestLogs` was dropped or from a thread-local destructor as it exits,
//! while another test is alone.
//!
//! Each case is a pair of `#[ignore]`d tests run together in a child process
//! (`--test-threads=2`), meeting at a barrier so that they overlap; the
//! parent checks that the child passed.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;

use std::cell::RefCell;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Barrier, LazyLock, Mutex};

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

const CHILD_MODE: &str = "MIXED_SUITE_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD_MODE).is_some()
}

/// Runs the `#[ignore]`d tests whose names start with `prefix` together,
/// two at a time, in a child process; returns its output once it passed.
fn run_pair(prefix: &str) -> String {
    let mut command = common::this_binary();
    command.args(["--ignored", prefix, "--test-threads=2"]);
    let output = command.env(CHILD_MODE, "1").output().unwrap();
    let text = common::text(&output);
    assert!(output.status.success(), "the child failed:\n{text}");
    assert!(text.contains("2 passed"), "{text}");
    text
}

// --- a plain #[test] beside a logged one -------------------------------------

static MIXED: Barrier = Barrier::new(2);

#[test]
#[ignore = "run in a child process by `a_plain_test_beside_a_logged_one_is_never_misfiled`"]
fn mixed_plain_test_that_logs() {
    if !in_child() {
        return;
    }
    // The logged test's collector exists, and is the only one alive.
    MIXED.wait();
    log::warn!("mixed-plain-marker from the plain test's thread");
    std::thread::spawn(|| log::warn!("mixed-plain-marker from a thread it started"))
        .join()
        .unwrap();
    MIXED.wait();
}

#[logged_test]
#[ignore = "run in a child process by `a_plain_test_beside_a_logged_one_is_never_misfiled`"]
fn mixed_logged_test(logs: &TestLogs) {
    if !in_child() {
        return;
    }
    let before = logged_test::unattributed_count();
    MIXED.wait();
    log::info!("mixed-logged-marker");
    MIXED.wait();
    logs.assert_count("mixed-logged-marker", 1);
    if logged_test::inherits_routes() {
        logs.assert_not_contains("mixed-plain-marker");
        assert_eq!(logged_test::unattributed_count() - before, 2);
    }
}

#[test]
fn a_plain_test_beside_a_logged_one_is_never_misfiled() {
    let text = run_pair("mixed_suite::mixed_");
    // The plain test passed: libtest showed nothing of it (its records went
    // to its own captured output).
    assert!(!text.contains("panicked"), "{text}");
}

// --- a test thread whose route ended -------------------------------------------

static ENDED: Barrier = Barrier::new(2);

/// The first test's thread-local destructor says on this channel that it
/// logged.
type Channel = (Mutex<Sender<()>>, Mutex<Receiver<()>>);
static LATE: LazyLock<Channel> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel();
    (Mutex::new(tx), Mutex::new(rx))
});

struct LogsOnExit(Sender<()>);

impl Drop for LogsOnExit {
    fn drop(&mut self) {
        log::warn!("ended-marker from a thread-local destructor");
        let _ = self.0.send(());
    }
}

thread_local! {
    static ON_EXIT: RefCell<Option<LogsOnExit>> = const { RefCell::new(None) };
}

#[test]
#[ignore = "run in a child process by `a_test_thread_whose_route_ended_never_logs_into_another_test`"]
fn ended_first() {
    if !in_child() {
        return;
    }
    let logs = TestLogs::new("ended_first").unwrap();
    log::info!("ended-first-own");
    logs.assert_contains("ended-first-own");
    ON_EXIT.with(|slot| *slot.borrow_mut() = Some(LogsOnExit(LATE.0.lock().unwrap().clone())));
    // Both collectors exist.
    ENDED.wait();
    drop(logs);
    // The second test is alone now.
    log::warn!("ended-marker after drop(logs)");
    ENDED.wait();
}

#[test]
#[ignore = "run in a child process by `a_test_thread_whose_route_ended_never_logs_into_another_test`"]
fn ended_second() {
    if !in_child() {
        return;
    }
    let logs = TestLogs::new("ended_second").unwrap();
    ENDED.wait();
    ENDED.wait();
    // The first test's thread has ended and run its destructors.
    LATE.1.lock().unwrap().recv().unwrap();
    log::info!("ended-second-own");
    logs.assert_contains("ended-second-own");
    logs.assert_not_contains("ended-marker");
}

#[test]
fn a_test_thread_whose_route_ended_never_logs_into_another_test() {
    run_pair("mixed_suite::ended_");
}
