//! No registry entry, thread or directory outlives its collector, and the
//! number of threads does not grow with the number of collectors alive.
//! It runs in a process of its own (a child run of this binary,
//! `common::run_alone`), because it counts process-wide state.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;
use std::path::Path;
use std::sync::{Arc, Barrier};

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, TestLogs};

const SEQUENTIAL: usize = 200;
const CONCURRENT: usize = 64;
/// The process's one persister thread, started with the first collector and
/// serving every collector after it.
const PERSISTER: usize = 1;

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// `LOGGED_TEST_KEEP=1` keeps passing tests' directories on purpose.
fn keep_forced() -> bool {
    matches!(
        std::env::var("LOGGED_TEST_KEEP").as_deref(),
        Ok("1" | "true")
    )
}

/// Checks a `TestLogs` directory is private to the user.
#[track_caller]
fn assert_private(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} has mode {mode:o}", dir.display());
    }
}

/// Runs one `TestLogs` through its life: private while alive, gone after a pass.
fn test_logs_lifecycle(name: &str) {
    let logs = TestLogs::new(name).unwrap();
    let dir = logs.dir().to_path_buf();
    assert_private(&dir);
    log::info!("{name} ran");
    logs.assert_contains(&format!("{name} ran"));
    drop(logs);
    if !keep_forced() {
        assert!(!dir.exists(), "{} outlived its passing test", dir.display());
    }
}

/// One collector of the sequential phase; `i` picks how it is used.
fn use_and_drop(i: usize, dir: &Path) {
    let marker = format!("sequential {i}");
    match i % 4 {
        // Routed by rule 2, read back with `captured`.
        0 => {
            let c = LogCollector::without_ui(dir.join(format!("seq-{i}"))).unwrap();
            log::info!("{marker}");
            c.captured().unwrap().assert_contains(&marker);
        }
        // A UI channel whose receiver goes first, and a session.
        1 => {
            let (ui_tx, ui_rx) = tokio::sync::mpsc::channel(1);
            let c = LogCollector::new(dir.join(format!("seq-{i}")), ui_tx).unwrap();
            c.start_new_session_blocking("s.log").unwrap();
            drop(ui_rx);
            log::info!("{marker}");
            c.wait_for_empty_blocking().unwrap();
        }
        // The harness: a temporary directory of its own.
        2 => test_logs_lifecycle(&format!("cleanup::sequential_{i}")),
        // Created here, used and dropped on another thread.
        _ => {
            let c = LogCollector::without_ui(dir.join(format!("seq-{i}"))).unwrap();
            std::thread::spawn(move || {
                c.log_str(&marker);
                c.captured().unwrap().assert_contains(&marker);
            })
            .join()
            .unwrap();
        }
    }
}

#[test]
fn every_collector_unregisters_and_threads_stay_bounded() {
    common::run_alone("cleanup::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `every_collector_unregisters_and_threads_stay_bounded`"]
fn in_its_own_process() {
    if !common::alone("cleanup::in_its_own_process") {
        return;
    }
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();

    let threads_before = thread_count();
    // An unattributed record is printed where it is logged: it starts no
    // thread. (The collectors are made on another thread, so that neither
    // is this thread's route.)
    {
        let path = dir.path().to_path_buf();
        let _collectors = std::thread::spawn(move || {
            let a = LogCollector::without_ui(path.join("warm-a")).unwrap();
            let b = LogCollector::without_ui(path.join("warm-b")).unwrap();
            (a, b)
        })
        .join()
        .unwrap();
        std::thread::spawn(|| log::info!("warm-up, unattributed"))
            .join()
            .unwrap();
        assert_eq!(logged_test::unattributed_count(), 1);
    }
    let unattributed_before = logged_test::unattributed_count();

    for i in 0..SEQUENTIAL {
        use_and_drop(i, dir.path());
        assert!(
            logged_test::active_collectors().is_empty(),
            "collector {i} is still registered: {:?}",
            logged_test::active_collectors()
        );
    }

    let barrier = Arc::new(Barrier::new(CONCURRENT + 1));
    let workers: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let dir = dir.path().join(format!("par-{i}"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                // Even workers also run a harness, which routes their thread.
                let logs =
                    (i % 2 == 0).then(|| TestLogs::new(&format!("cleanup::parallel_{i}")).unwrap());
                let c = LogCollector::without_ui(dir).unwrap();
                barrier.wait(); // all alive at once
                log::info!("parallel {i}");
                c.log_str(&format!("direct {i}"));
                let mine = c.captured().unwrap();
                let harness = logs
                    .as_ref()
                    .map(|logs| (logs.captured(), logs.dir().to_path_buf()));
                barrier.wait(); // the unrouted thread below has logged
                // Assert only now: a panic before the barrier would hang the others.
                mine.assert_contains(&format!("direct {i}"));
                match &harness {
                    Some((routed, dir)) => {
                        assert_private(dir);
                        routed.assert_contains(&format!("parallel {i}"));
                        mine.assert_not_contains("parallel");
                    }
                    None => mine.assert_contains(&format!("parallel {i}")),
                }
                drop((logs, c));
                harness.map(|(_, dir)| dir)
            })
        })
        .collect();
    barrier.wait();
    let alive_at_once = logged_test::active_collectors().len();
    // One persister serves every collector: 96 alive collectors add no
    // thread beyond the 64 workers this test started itself and the persister.
    let threads_at_peak = thread_count();
    // Routed nowhere and many collectors alive: each record is unattributed.
    std::thread::spawn(|| {
        for i in 0..CONCURRENT {
            log::info!("unrouted {i}");
        }
    })
    .join()
    .unwrap();
    barrier.wait();
    assert_eq!(alive_at_once, CONCURRENT + CONCURRENT / 2);
    if cfg!(target_os = "linux") {
        assert!(
            threads_at_peak <= threads_before + CONCURRENT + PERSISTER,
            "{threads_at_peak} threads with {alive_at_once} collectors alive; \
             expected at most {threads_before} + the {CONCURRENT} workers + the persister"
        );
    }
    for worker in workers {
        if let Some(dir) = worker.join().unwrap() {
            assert!(
                keep_forced() || !dir.exists(),
                "{} outlived its test",
                dir.display()
            );
        }
    }

    assert!(logged_test::active_collectors().is_empty());
    assert_eq!(
        logged_test::unattributed_count(),
        unattributed_before + CONCURRENT as u64,
        "only the unrouted thread's records are unattributed"
    );
    if cfg!(target_os = "linux") {
        assert_eq!(
            thread_count(),
            threads_before + PERSISTER,
            "a thread outlived its collector"
        );
    }
}
