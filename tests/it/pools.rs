//! Pools shared by tests: rayon's global pool, a `LazyLock` tokio runtime
//! and a `OnceLock` background worker, each created inside
//! `logged_test::detached` and used by three tests. Run as a child process
//! with `--test-threads=1` (every test captures all its pool records) and
//! with 4 test threads (no test ever holds another test's record). And a
//! worker created lazily by one test without `detached`: the next test's
//! report names the thread, the test that started it, and `detached`.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;

use std::sync::mpsc::{self, Sender};
use std::sync::{LazyLock, Mutex, Once, OnceLock};

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};
use rayon::prelude::*;

const CHILD_MODE: &str = "POOLS_CHILD";
/// Records each test logs through its pool.
const PER_TEST: usize = 8;

fn mode() -> Option<String> {
    std::env::var(CHILD_MODE).ok()
}

// --- the three pool shapes, each created detached ----------------------------

fn rayon_pool() {
    static BUILT: Once = Once::new();
    BUILT.call_once(|| {
        logged_test::detached(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build_global()
                .unwrap();
        });
    });
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    logged_test::detached(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
});

type Job = (String, Sender<()>);

fn worker(detached: bool) -> Sender<Job> {
    static DETACHED: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    static LAZY: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    let start = || {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            for (line, done) in rx {
                log::info!("{line}");
                let _ = done.send(());
            }
        });
        Mutex::new(tx)
    };
    let cell = if detached { &DETACHED } else { &LAZY };
    cell.get_or_init(|| {
        if detached {
            logged_test::detached(start)
        } else {
            start()
        }
    })
    .lock()
    .unwrap()
    .clone()
}

fn through(pool: &str, tag: &str) {
    match pool {
        "rayon" => {
            rayon_pool();
            (0..PER_TEST).into_par_iter().for_each(|i| {
                log::info!("pool-{tag}- record {i}");
            });
        }
        "tokio" => {
            let tag = tag.to_owned();
            RUNTIME
                .block_on(RUNTIME.spawn(async move {
                    for i in 0..PER_TEST {
                        log::info!("pool-{tag}- record {i}");
                    }
                }))
                .unwrap();
        }
        _ => {
            let worker = worker(true);
            for i in 0..PER_TEST {
                let (done, wait) = mpsc::channel();
                worker
                    .send((format!("pool-{tag}- record {i}"), done))
                    .unwrap();
                wait.recv().unwrap();
            }
        }
    }
}

/// One child test: logs through `pool`, then checks that it holds no other
/// test's pool record, and (run alone) all of its own.
fn use_pool(logs: &TestLogs, pool: &str, n: u32) {
    let Some(mode) = mode() else {
        return;
    };
    let tag = format!("{pool}{n}");
    through(pool, &tag);
    let own = format!("pool-{tag}-");
    let foreign = logs.count_where(|r| r.message.contains("pool-") && !r.message.contains(&own));
    assert_eq!(foreign, 0, "records of another test's pool work");
    let mine = logs.count(&own);
    if mode == "sequential" {
        assert_eq!(mine, PER_TEST, "every record of this test's pool work");
    } else {
        assert!(mine <= PER_TEST);
    }
}

macro_rules! pool_tests {
    ($($name:ident: $pool:literal, $n:literal;)*) => {$(
        #[logged_test]
        #[ignore = "run in a child process by `shared_pools_created_detached_*`"]
        fn $name(logs: &TestLogs) {
            use_pool(logs, $pool, $n);
        }
    )*};
}

pool_tests! {
    pools_rayon_1: "rayon", 1;
    pools_rayon_2: "rayon", 2;
    pools_rayon_3: "rayon", 3;
    pools_tokio_1: "tokio", 1;
    pools_tokio_2: "tokio", 2;
    pools_tokio_3: "tokio", 3;
    pools_worker_1: "worker", 1;
    pools_worker_2: "worker", 2;
    pools_worker_3: "worker", 3;
}

fn child(filter: &str, mode: &str, threads: &str) -> (bool, String) {
    let mut command = common::this_binary();
    command.args(["--ignored", filter, threads]);
    let output = command.env(CHILD_MODE, mode).output().unwrap();
    (output.status.success(), common::text(&output))
}

#[test]
fn shared_pools_created_detached_are_captured_by_the_test_running_alone() {
    let (passed, text) = child("pools::pools_", "sequential", "--test-threads=1");
    assert!(passed, "{text}");
    assert!(text.contains("9 passed"), "{text}");
}

#[test]
fn shared_pools_created_detached_never_misfile_in_parallel() {
    let (passed, text) = child("pools::pools_", "parallel", "--test-threads=4");
    assert!(passed, "{text}");
    assert!(text.contains("9 passed"), "{text}");
}

// --- a worker created lazily, not detached -----------------------------------

#[logged_test]
#[ignore = "run in a child process by `a_test_that_loses_records_to_another_tests_thread_is_told_why`"]
fn lazy_a_starts_the_worker(logs: &TestLogs) {
    if mode().is_none() {
        return;
    }
    let (done, wait) = mpsc::channel();
    worker(false).send(("lazy-a-job".to_owned(), done)).unwrap();
    wait.recv().unwrap();
    // The worker was started by this test's thread: it is this test's.
    logs.assert_contains("lazy-a-job");
}

#[logged_test]
#[ignore = "run in a child process by `a_test_that_loses_records_to_another_tests_thread_is_told_why`"]
fn lazy_b_uses_it(logs: &TestLogs) {
    if mode().is_none() {
        return;
    }
    let (done, wait) = mpsc::channel();
    worker(false).send(("lazy-b-job".to_owned(), done)).unwrap();
    wait.recv().unwrap();
    // Lost to the first test's thread: fails, and the report says why.
    logs.assert_contains("lazy-b-job");
}

#[test]
fn a_test_that_loses_records_to_another_tests_thread_is_told_why() {
    let (passed, text) = child("pools::lazy_", "sequential", "--test-threads=1");
    if !logged_test::inherits_routes() {
        // No thread is any test's: the worker is served by rule 4.
        assert!(passed, "{text}");
        return;
    }
    assert!(!passed, "{text}");
    assert!(text.contains("1 passed; 1 failed"), "{text}");
    {
        for expected in [
            "lazy-b-job",
            "was started by test `pools::lazy_a_starts_the_worker`",
            "logged_test::detached",
            "--test-threads=1",
            "nextest",
        ] {
            assert!(text.contains(expected), "no {expected:?} in:\n{text}");
        }
    }
}
