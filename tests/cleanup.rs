//! No registry entry and no thread outlive their collector.
//! Its own binary, with one test, because it counts process-wide state.

use std::sync::{Arc, Barrier};

use logged_test::LogCollector;

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn every_collector_unregisters_and_stops_its_thread() {
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let threads_before = thread_count();
    let unattributed_before = logged_test::unattributed_count();

    for i in 0..200 {
        let c = LogCollector::without_ui(dir.path().join(format!("seq-{i}"))).unwrap();
        log::info!("sequential {i}");
        c.captured()
            .unwrap()
            .assert_contains(&format!("sequential {i}"));
    }
    assert!(logged_test::active_collectors().is_empty());

    let barrier = Arc::new(Barrier::new(64));
    let workers: Vec<_> = (0..64)
        .map(|i| {
            let dir = dir.path().join(format!("par-{i}"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let c = LogCollector::without_ui(dir).unwrap();
                barrier.wait(); // all 64 alive at once
                log::info!("parallel {i}");
                c.captured()
                    .unwrap()
                    .assert_contains(&format!("parallel {i}"));
                barrier.wait();
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(logged_test::active_collectors().is_empty());
    assert_eq!(logged_test::unattributed_count(), unattributed_before);
    if cfg!(target_os = "linux") {
        assert_eq!(
            thread_count(),
            threads_before,
            "a persister thread outlived its collector"
        );
    }
}
