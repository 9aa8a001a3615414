//! Threads inherit the route of the thread that creates them (Linux with
//! glibc, feature `inherit`): library code that starts its own threads, in
//! every way, logs into the test that called it, with many tests at once.
//!
//! Without the hook (feature off, other platforms, sanitizer builds) these
//! threads get the other rules: the tests that need it are ignored (cfg
//! `logged_test_inherit`, which `build.rs` sets for every target of the
//! package), and only the checks that hold either way run.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::fmt;
use std::sync::{Arc, Barrier};

use logged_test::LogAssertions as _;
#[cfg(feature = "rstest")]
use logged_test::test_logs;
use logged_test::{LogCollector, TestLogs, logged_test};

/// Whether this build has the thread-creation hook (not with the feature
/// off, nor in sanitizer builds).
const INHERITS: bool = logged_test::__private::INHERITS_ROUTES;

/// Code under test that knows nothing of logged-test: it starts threads in
/// every way a library does and logs on each of them.
mod library {
    use std::sync::Arc;

    /// The kinds of thread `start_threads` logs from, one record each.
    pub(crate) const KINDS: [&str; 7] = [
        "plain",
        "builder",
        "scoped",
        "nested",
        "runtime-task",
        "runtime-blocking",
        "runtime-nested-blocking",
    ];

    pub(crate) fn start_threads(tag: &str) {
        let tag: Arc<str> = Arc::from(tag);
        let t = tag.clone();
        std::thread::spawn(move || log::info!("lib {t} plain"))
            .join()
            .unwrap();
        let t = tag.clone();
        std::thread::Builder::new()
            .name("library-worker".into())
            .spawn(move || log::info!("lib {t} builder"))
            .unwrap()
            .join()
            .unwrap();
        std::thread::scope(|s| {
            s.spawn(|| log::info!("lib {tag} scoped"));
        });
        let t = tag.clone();
        std::thread::spawn(move || {
            std::thread::spawn(move || log::info!("lib {t} nested"))
                .join()
                .unwrap()
        })
        .join()
        .unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let t = tag.clone();
        runtime.block_on(async move {
            let t2 = t.clone();
            tokio::spawn(async move { log::info!("lib {t2} runtime-task") })
                .await
                .unwrap();
            let t2 = t.clone();
            tokio::task::spawn_blocking(move || log::info!("lib {t2} runtime-blocking"))
                .await
                .unwrap();
            // `spawn_blocking` from a worker thread, not from `block_on`.
            tokio::spawn(async move {
                tokio::task::spawn_blocking(move || log::info!("lib {t} runtime-nested-blocking"))
                    .await
                    .unwrap()
            })
            .await
            .unwrap();
        });
    }
}

/// Every kind of thread logged once with this tag, and no other tag's
/// records arrived.
#[track_caller]
fn assert_own_records_only(logs: &TestLogs, tag: &str) {
    let captured = logs.captured();
    for kind in library::KINDS {
        captured.assert_count(&format!("lib {tag} {kind}"), 1);
    }
    let foreign: Vec<&str> = captured
        .messages()
        .into_iter()
        .filter(|m| m.starts_with("lib ") && !m.starts_with(&format!("lib {tag} ")))
        .collect();
    assert!(
        foreign.is_empty(),
        "expected only records tagged `{tag}`; these belong to other tests: {foreign:?}"
    );
}

/// A collector that stays alive for the caller's scope, created on another
/// thread so that it is not this thread's: with it alive, "the only
/// collector alive" cannot be what routes a test's threads.
fn bystander() -> (LogCollector, tempfile::TempDir) {
    std::thread::spawn(|| {
        let dir = tempfile::tempdir().unwrap();
        (LogCollector::without_ui(dir.path()).unwrap(), dir)
    })
    .join()
    .unwrap()
}

#[test]
#[cfg_attr(
    not(logged_test_inherit),
    ignore = "threads inherit routes only with the thread-creation hook: feature `inherit`, Linux, dynamic glibc, no sanitizer"
)]
fn smoke() {
    let logs = TestLogs::new("inherit::smoke").unwrap();
    let _bystander = bystander();
    library::start_threads("smoke");
    assert_own_records_only(&logs, "smoke");
}

macro_rules! library_tests {
    ($($name:ident),* $(,)?) => {$(
        #[logged_test]
        #[cfg_attr(
            not(logged_test_inherit),
            ignore = "threads inherit routes only with the thread-creation hook: feature `inherit`, Linux, dynamic glibc, no sanitizer"
        )]
        fn $name(logs: &TestLogs) {
            library::start_threads(stringify!($name));
            assert_own_records_only(logs, stringify!($name));
        }
    )*};
}

library_tests!(
    library_threads_01,
    library_threads_02,
    library_threads_03,
    library_threads_04,
    library_threads_05,
    library_threads_06,
    library_threads_07,
    library_threads_08,
    library_threads_09,
    library_threads_10,
    library_threads_11,
    library_threads_12,
    library_threads_13,
    library_threads_14,
    library_threads_15,
    library_threads_16,
);

/// Sixteen tests' worth of collectors running the library at the same time,
/// whatever `--test-threads` is: each on its own thread, released together.
#[test]
#[cfg_attr(
    not(logged_test_inherit),
    ignore = "threads inherit routes only with the thread-creation hook: feature `inherit`, Linux, dynamic glibc, no sanitizer"
)]
fn sixteen_collectors_at_once_each_get_only_their_own() {
    const N: usize = 16;
    let start = Arc::new(Barrier::new(N));
    let runs: Vec<_> = (0..N)
        .map(|i| {
            let start = start.clone();
            std::thread::spawn(move || {
                let tag = format!("at-once-{i}");
                let logs = TestLogs::new(&format!("inherit::{tag}")).unwrap();
                start.wait();
                library::start_threads(&tag);
                assert_own_records_only(&logs, &tag);
            })
        })
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[logged_test]
#[cfg_attr(
    not(logged_test_inherit),
    ignore = "threads inherit routes only with the thread-creation hook: feature `inherit`, Linux, dynamic glibc, no sanitizer"
)]
async fn tokio_multi_thread_above_logged_test(logs: &TestLogs) {
    tokio::spawn(async { log::info!("above: from a worker") })
        .await
        .unwrap();
    tokio::task::spawn_blocking(|| log::info!("above: from spawn_blocking"))
        .await
        .unwrap();
    logs.assert_count("above: from a worker", 1);
    logs.assert_count("above: from spawn_blocking", 1);
}

#[logged_test]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(logged_test_inherit),
    ignore = "threads inherit routes only with the thread-creation hook: feature `inherit`, Linux, dynamic glibc, no sanitizer"
)]
async fn tokio_multi_thread_below_logged_test(logs: &TestLogs) {
    // tokio built its runtime, workers included, before `#[logged_test]`
    // routed this thread: the workers find the route through their creator.
    let _bystander = bystander();
    tokio::spawn(async { log::info!("below: from a worker") })
        .await
        .unwrap();
    tokio::task::spawn_blocking(|| log::info!("below: from spawn_blocking"))
        .await
        .unwrap();
    logs.assert_count("below: from a worker", 1);
    logs.assert_count("below: from spawn_blocking", 1);
}

#[cfg(feature = "rstest")]
#[rstest::rstest]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(logged_test_inherit),
    ignore = "threads inherit routes only with the thread-creation hook: feature `inherit`, Linux, dynamic glibc, no sanitizer"
)]
async fn rstest_fixture_under_a_multi_thread_runtime(test_logs: TestLogs) {
    // The fixture is created inside the async body, after the workers.
    let _bystander = bystander();
    for i in 0..4 {
        tokio::spawn(async move { log::info!("fixture: from a worker {i}") })
            .await
            .unwrap();
    }
    tokio::task::spawn_blocking(|| log::info!("fixture: from spawn_blocking"))
        .await
        .unwrap();
    tokio::spawn(async {
        tokio::task::spawn_blocking(|| log::info!("fixture: blocking from a worker"))
            .await
            .unwrap()
    })
    .await
    .unwrap();
    test_logs.assert_count("fixture: from a worker", 4);
    test_logs.assert_count("fixture: from spawn_blocking", 1);
    test_logs.assert_count("fixture: blocking from a worker", 1);
}

/// An explicit route on the new thread still beats the inherited one.
#[logged_test]
fn an_explicit_route_wins_over_the_inherited_one(logs: &TestLogs) {
    let dir = tempfile::tempdir().unwrap();
    let other = LogCollector::without_ui(dir.path()).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let _guard = other.enter();
            log::info!("explicit: entered on the new thread");
        });
    });
    other
        .captured()
        .unwrap()
        .assert_count("explicit: entered on the new thread", 1);
    logs.assert_not_contains("explicit: entered on the new thread");
}

/// A `Display` being logged that enters another collector and logs: the
/// inner record goes to the collector it entered, the outer to the test.
#[logged_test]
fn enter_inside_a_logged_display_routes_what_it_logs(logs: &TestLogs) {
    struct EntersAndLogs<'a>(&'a LogCollector);
    impl fmt::Display for EntersAndLogs<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let _guard = self.0.enter();
            log::info!("display: logged inside the entered scope");
            f.write_str("display: the outer record")
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let other = LogCollector::without_ui(dir.path()).unwrap();
    log::info!("{}", EntersAndLogs(&other));
    log::info!("display: after the display");
    let other_records = other.captured().unwrap();
    other_records.assert_count("display: logged inside the entered scope", 1);
    other_records.assert_not_contains("display: the outer record");
    logs.assert_count("display: the outer record", 1);
    logs.assert_count("display: after the display", 1);
    logs.assert_not_contains("display: logged inside the entered scope");
}

/// A stack size no thread can have: glibc's `pthread_create` fails, and the
/// error comes back unchanged through the hook (and without it).
#[test]
fn a_failing_thread_creation_returns_the_same_error() {
    let logs = TestLogs::new("inherit::a_failing_thread_creation").unwrap();
    let err = std::thread::Builder::new()
        .stack_size(1 << 46)
        .spawn(|| log::info!("never runs"))
        .expect_err("a 64 TiB stack cannot be allocated");
    assert_eq!(
        err.raw_os_error(),
        Some(libc::EAGAIN),
        "expected glibc's EAGAIN, got {err:?}"
    );
    // The hook is left in a working state.
    std::thread::spawn(|| log::info!("failing: the next thread"))
        .join()
        .unwrap();
    if INHERITS {
        logs.assert_count("failing: the next thread", 1);
    }
    logs.assert_not_contains("never runs");
}
