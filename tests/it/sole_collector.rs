//! Rule 4: with exactly one collector alive, threads that never had a route
//! log into it. (The collectors are made on other threads, so that the
//! threads this test starts inherit no route from it.)
//! It runs in a process of its own (a child run of this binary,
//! `common::run_alone`), because it depends on the process-wide count.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;
use std::path::Path;

use logged_test::LogAssertions as _;
use logged_test::LogCollector;

fn collector_made_elsewhere(dir: &Path) -> LogCollector {
    std::thread::scope(|s| {
        s.spawn(|| LogCollector::without_ui(dir).unwrap())
            .join()
            .unwrap()
    })
}

#[test]
fn the_only_collector_alive_gets_records_from_unrouted_threads() {
    common::run_alone("sole_collector::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `the_only_collector_alive_gets_records_from_unrouted_threads`"]
fn in_its_own_process() {
    if !common::alone("sole_collector::in_its_own_process") {
        return;
    }
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let only = collector_made_elsewhere(dir.path());
    assert_eq!(logged_test::active_collectors(), [only.id()]);
    std::thread::spawn(|| log::info!("sole-unrouted"))
        .join()
        .unwrap();
    only.captured().unwrap().assert_contains("sole-unrouted");

    // A second collector makes the unrouted thread ambiguous: rule 5.
    let second = collector_made_elsewhere(&dir.path().join("second"));
    let before = logged_test::unattributed_count();
    std::thread::spawn(|| log::info!("ambiguous"))
        .join()
        .unwrap();
    assert_eq!(logged_test::unattributed_count(), before + 1);
    only.captured().unwrap().assert_not_contains("ambiguous");
    second.captured().unwrap().assert_not_contains("ambiguous");

    // Back to one: rule 4 again.
    drop(second);
    std::thread::spawn(|| log::info!("sole-again"))
        .join()
        .unwrap();
    only.captured().unwrap().assert_contains("sole-again");
}
