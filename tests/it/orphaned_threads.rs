//! A thread that outlives its test: what it logs afterwards is unattributed
//! and reaches no other test, even when the later test has the only
//! collector alive. It runs in a process of its own (a child run of
//! this binary, `common::run_alone`), so the process-wide counts
//! (`unattributed_count`, "the only collector alive") are this test's.
//!
//! Each "test" below is a thread that creates a `TestLogs` and ends, the way
//! libtest runs tests one after another (`--test-threads=1`).
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;
use std::sync::mpsc;

use logged_test::LogAssertions as _;
use logged_test::TestLogs;

/// A thread that logs one record per message (or starts a thread that logs
/// it, for a message starting with `child: `) and answers once it has.
struct Leaked {
    orders: mpsc::Sender<String>,
    done: mpsc::Receiver<()>,
}

impl Leaked {
    /// Starts the thread; `start` decides how (so that it inherits a route,
    /// or is spawned with the crate's `thread::spawn`, ...).
    fn start(start: impl FnOnce(Box<dyn FnOnce() + Send>)) -> Leaked {
        let (orders, inbox) = mpsc::channel::<String>();
        let (ack, done) = mpsc::channel();
        start(Box::new(move || {
            for line in inbox {
                match line.strip_prefix("child: ") {
                    Some(line) => {
                        let line = line.to_owned();
                        std::thread::spawn(move || log::info!("{line}"))
                            .join()
                            .unwrap();
                    }
                    None => log::info!("{line}"),
                }
                ack.send(()).unwrap();
            }
        }));
        Leaked { orders, done }
    }

    fn log(&self, line: &str) {
        self.orders.send(line.to_owned()).unwrap();
        self.done.recv().unwrap();
    }
}

fn plain(run: Box<dyn FnOnce() + Send>) {
    std::thread::spawn(run);
}

fn through_the_crate(run: Box<dyn FnOnce() + Send>) {
    logged_test::thread::spawn(run);
}

#[test]
fn a_thread_that_outlives_its_test_never_logs_into_a_later_one() {
    common::run_alone("orphaned_threads::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `a_thread_that_outlives_its_test_never_logs_into_a_later_one`"]
fn in_its_own_process() {
    if !common::alone("orphaned_threads::in_its_own_process") {
        return;
    }
    let inherits = logged_test::__private::INHERITS_ROUTES;
    logged_test::init_logger().unwrap();

    // Test one: starts threads that it leaks; one of them before it has a
    // route (it finds it through its creator), one through the crate.
    let (first_captured, leaked) = std::thread::spawn(|| {
        let early = Leaked::start(plain);
        let logs = TestLogs::new("orphans::first").unwrap();
        let inherited = Leaked::start(plain);
        let spawned = Leaked::start(through_the_crate);
        early.log("orphan early: during the first test");
        inherited.log("orphan inherited: during the first test");
        spawned.log("orphan spawned: during the first test");
        (logs.captured(), [early, inherited, spawned])
    })
    .join()
    .unwrap();
    first_captured.assert_count("orphan spawned: during the first test", 1);
    if inherits {
        first_captured.assert_count("orphan early: during the first test", 1);
        first_captured.assert_count("orphan inherited: during the first test", 1);
    }

    // A thread that never had a route: the only-collector rule applies.
    let never_routed = Leaked::start(plain);

    // Test two, alone in the process, while the first test's threads log on.
    let before = logged_test::unattributed_count();
    let (second_captured, unattributed) = std::thread::spawn(move || {
        let logs = TestLogs::new("orphans::second").unwrap();
        assert_eq!(logged_test::active_collectors(), [logs.collector().id()]);
        let [early, inherited, spawned] = &leaked;
        early.log("orphan early: after the first test");
        inherited.log("orphan inherited: after the first test");
        spawned.log("orphan spawned: after the first test");
        inherited.log("child: orphan child: started after the first test");
        never_routed.log("never routed: while the second test is alone");
        let unattributed = logged_test::unattributed_count() - before;
        (logs.captured(), unattributed)
    })
    .join()
    .unwrap();

    second_captured.assert_not_contains("orphan spawned");
    second_captured.assert_count("never routed: while the second test is alone", 1);
    if inherits {
        // Without the hook these threads never had a route, and the
        // only-collector rule takes them.
        for orphan in ["early", "inherited", "child"] {
            second_captured.assert_not_contains(&format!("orphan {orphan}"));
        }
    }
    let expected = if inherits { 4 } else { 1 };
    assert_eq!(
        unattributed, expected,
        "expected the {expected} records of the first test's orphaned threads to be unattributed"
    );
}
