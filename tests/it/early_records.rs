//! In a process of their own (`common::run_alone_together`, one after another): what a test
//! thread logs before its `TestLogs` exists goes unattributed only while no other test's
//! collector is alone in the process (rule 4), so these tests must know every collector alive.
//!
//! A `TestLogs` adopts the records its own thread logged before it was made and that no
//! collector took: those of an rstest fixture listed before `test_logs`. A thread that logged
//! and ended leaves nothing to another thread's `TestLogs`.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::sync::{Mutex, MutexGuard, PoisonError};

use logged_test::prelude::*;

use crate::common;

/// The tests below, each `#[ignore]`d and run by [`in_a_process_of_their_own`].
const CHILDREN: &str = "early_records::alone::";

#[test]
fn in_a_process_of_their_own() {
    let expected = if cfg!(feature = "rstest") { 5 } else { 4 };
    common::run_alone_together(CHILDREN, expected);
}

/// Held by each test while it logs: with no other test's collector alive, a record of a
/// thread without a route is unattributed even where threads do not inherit routes (else
/// rule 4, the only collector alive, would take it).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    let one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    earlier_test();
    one
}

/// What an earlier test of the process leaves: the logger installed and `log`'s max level
/// open (it starts at `Off`, and only a collector raises it), on a thread of its own.
fn earlier_test() {
    std::thread::spawn(|| drop(TestLogs::new("early_records::earlier_test").unwrap()))
        .join()
        .unwrap();
}

/// Logs on a thread of its own, which then ends.
fn log_on_a_thread_that_ends(name: &str, marker: &str) {
    let marker = marker.to_owned();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || log::warn!("{marker}"))
        .unwrap()
        .join()
        .unwrap();
}

mod alone {
    use super::*;

    #[test]
    #[ignore = "run by `early_records::in_a_process_of_their_own`"]
    fn a_test_logs_adopts_what_its_thread_logged_before_it() {
        if !common::alone(CHILDREN) {
            return;
        }
        let _one = one_at_a_time();
        let before = logged_test::unattributed_count();
        std::thread::Builder::new()
            .name("early-records::adopter".to_owned())
            .spawn(move || {
                log::info!("early-adopted-1");
                log::debug!("early-adopted-2");
                let logs = TestLogs::new("early_records::adopter").unwrap();
                log::info!("early-after");
                logs.assert_in_order(&["early-adopted-1", "early-adopted-2", "early-after"]);
                let captured = logs.captured();
                assert_eq!(captured.len(), 3, "{}", captured.text());
                // In order, with the timestamps they were logged at.
                let records = captured.records();
                assert!(records[0].timestamp <= records[1].timestamp);
                // They were unattributed when logged, and stay counted.
                assert!(logged_test::unattributed_count() >= before + 2);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    #[ignore = "run by `early_records::in_a_process_of_their_own`"]
    fn a_thread_that_logged_and_ended_leaves_nothing_to_the_next() {
        if !common::alone(CHILDREN) {
            return;
        }
        let _one = one_at_a_time();
        // A plain test's thread: logs with no collector, then ends.
        log_on_a_thread_that_ends("early-records::plain", "early-left-behind");
        std::thread::Builder::new()
            .name("early-records::next".to_owned())
            .spawn(|| {
                let logs = TestLogs::new("early_records::next").unwrap();
                log::info!("early-next-own");
                logs.assert_not_contains("early-left-behind");
                logs.assert_contains("early-next-own");
                assert_eq!(logs.captured().len(), 1);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    #[ignore = "run by `early_records::in_a_process_of_their_own`"]
    fn a_test_logs_made_again_on_the_thread_adopts_nothing_twice() {
        if !common::alone(CHILDREN) {
            return;
        }
        let _one = one_at_a_time();
        std::thread::Builder::new()
            .name("early-records::twice".to_owned())
            .spawn(|| {
                log::info!("early-once");
                let first = TestLogs::new("early_records::twice_1").unwrap();
                first.assert_count("early-once", 1);
                drop(first);
                // This thread's route ended: what it logs now is no test's.
                log::info!("early-after-route-ended");
                let second = TestLogs::new("early_records::twice_2").unwrap();
                second.assert_not_contains("early-once");
                second.assert_not_contains("early-after-route-ended");
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    #[ignore = "run by `early_records::in_a_process_of_their_own`"]
    fn the_oldest_are_dropped_past_the_bound_and_counted() {
        if !common::alone(CHILDREN) {
            return;
        }
        let _one = one_at_a_time();
        std::thread::Builder::new()
            .name("early-records::bounded".to_owned())
            .spawn(|| {
                for i in 0..300 {
                    log::info!("early-bounded-{i:03}");
                }
                let logs = TestLogs::new("early_records::bounded").unwrap();
                logs.assert_not_contains("early-bounded-043");
                logs.assert_contains("early-bounded-044");
                logs.assert_contains("early-bounded-299");
                logs.assert_contains("44 earlier records of this thread");
                assert_eq!(logs.count("early-bounded-"), 256);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[cfg(feature = "rstest")]
    mod with_rstest {
        use std::sync::MutexGuard;

        use logged_test::prelude::*;
        use logged_test::test_logs;
        use rstest::{fixture, rstest};

        /// A fixture listed before `test_logs`: built, and logging, before the test's logs exist.
        #[fixture]
        fn database() -> (MutexGuard<'static, ()>, u32) {
            let one = super::super::one_at_a_time();
            log::info!("early-fixture: database seeded");
            (one, 7)
        }

        #[rstest]
        #[ignore = "run by `early_records::in_a_process_of_their_own`"]
        fn a_fixture_listed_before_test_logs_is_in_its_log(
            database: (MutexGuard<'static, ()>, u32),
            test_logs: TestLogs,
        ) {
            if !crate::common::alone(super::CHILDREN) {
                return;
            }
            log::info!("early-fixture: test body with {}", database.1);
            test_logs.assert_in_order(&["database seeded", "test body with 7"]);
            // The test's logs go before the guard that keeps the other tests out.
            drop(test_logs);
        }
    }
}
