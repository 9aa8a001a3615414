//! Rule 3: with exactly one collector alive, unrouted threads log into it.
//! Its own binary, with one test, because it depends on the process-wide count.

use logged_test::LogCollector;

#[test]
fn the_only_collector_alive_gets_records_from_unrouted_threads() {
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let only = LogCollector::without_ui(dir.path()).unwrap();
    assert_eq!(logged_test::active_collectors(), [only.id()]);
    std::thread::spawn(|| log::info!("sole-unrouted"))
        .join()
        .unwrap();
    only.captured().unwrap().assert_contains("sole-unrouted");

    // A second collector makes the unrouted thread ambiguous: rule 4.
    let second = LogCollector::without_ui(dir.path().join("second")).unwrap();
    let before = logged_test::unattributed_count();
    std::thread::spawn(|| log::info!("ambiguous"))
        .join()
        .unwrap();
    assert_eq!(logged_test::unattributed_count(), before + 1);
    only.captured().unwrap().assert_not_contains("ambiguous");
    second.captured().unwrap().assert_not_contains("ambiguous");

    // Back to one: rule 3 again.
    drop(second);
    std::thread::spawn(|| log::info!("sole-again"))
        .join()
        .unwrap();
    only.captured().unwrap().assert_contains("sole-again");
}
