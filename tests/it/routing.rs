//! Routing rules 1, 2 and 5 in one process with parallel tests (rule 3,
//! inheritance, is in `inherit` and `orphaned_threads`).
//! (Rule 4 needs a process with one collector: see `sole_collector`.)
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::sync::Arc;

use logged_test::LogAssertions as _;
use logged_test::LogCollector;

fn collector(dir: &tempfile::TempDir, name: &str) -> Arc<LogCollector> {
    logged_test::init_logger().unwrap();
    Arc::new(LogCollector::without_ui(dir.path().join(name)).unwrap())
}

#[test]
fn innermost_scope_wins_and_guards_nest() {
    let dir = tempfile::tempdir().unwrap();
    let outer = collector(&dir, "outer");
    let inner = collector(&dir, "inner");
    {
        let _outer = outer.enter();
        log::info!("nest-outer-1");
        {
            let _inner = inner.enter();
            log::info!("nest-inner");
        }
        log::info!("nest-outer-2");
    }
    assert_eq!(
        outer.captured().unwrap().messages(),
        ["nest-outer-1", "nest-outer-2"]
    );
    assert_eq!(inner.captured().unwrap().messages(), ["nest-inner"]);
}

#[test]
fn a_collector_created_on_this_thread_gets_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let mine = collector(&dir, "mine");
    log::warn!("rule-two-marker");
    mine.captured()
        .unwrap()
        .assert_logged_at(log::Level::Warn, "rule-two-marker");
}

#[test]
fn two_collectors_on_two_threads_each_get_only_their_own() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let workers: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|side| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                logged_test::init_logger().unwrap();
                let c = LogCollector::without_ui(dir.path().join(side)).unwrap();
                for i in 0..2000 {
                    log::info!("parallel-{side}-{i}");
                }
                c.captured().unwrap()
            })
        })
        .collect();
    let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    for (logs, (mine, theirs)) in results.iter().zip([("left", "right"), ("right", "left")]) {
        logs.assert_count(&format!("parallel-{mine}-"), 2000);
        logs.assert_not_contains(&format!("parallel-{theirs}-"));
    }
}

#[test]
fn bind_and_thread_spawn_carry_the_route() {
    let dir = tempfile::tempdir().unwrap();
    let target = collector(&dir, "target");
    let _other = collector(&dir, "other"); // newer on this thread: rule 2 would pick it
    std::thread::spawn(target.bind(|| log::info!("bound-closure")))
        .join()
        .unwrap();
    {
        let _guard = target.enter();
        logged_test::thread::spawn(|| {
            log::info!("spawned-thread");
            logged_test::thread::spawn(|| log::info!("grandchild-thread"))
                .join()
                .unwrap();
        })
        .join()
        .unwrap();
    }
    let logs = target.captured().unwrap();
    logs.assert_in_order(&["bound-closure", "spawned-thread", "grandchild-thread"]);
    assert!(!_other.captured().unwrap().contains("thread"));
}

#[test]
fn spawned_threads_are_named_after_the_test() {
    let dir = tempfile::tempdir().unwrap();
    let c = collector(&dir, "named");
    logged_test::thread::spawn(|| log::info!("named-thread-marker"))
        .join()
        .unwrap();
    let logs = c.captured().unwrap();
    let record = logs.matching("named-thread-marker").next().unwrap();
    assert_eq!(
        record.thread.as_deref(),
        std::thread::current().name(),
        "the child thread should carry the test thread's name"
    );
}

#[test]
fn tasks_of_a_multi_thread_runtime_log_inside_scope() {
    let dir = tempfile::tempdir().unwrap();
    let a = collector(&dir, "a");
    let b = collector(&dir, "b");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for t in 0..8 {
            for (c, side) in [(&a, "a"), (&b, "b")] {
                tasks.push(tokio::spawn(c.scope(async move {
                    for i in 0..100 {
                        log::info!("task-{side}-{t}-{i}");
                        // Move between workers as often as possible.
                        tokio::task::yield_now().await;
                    }
                })));
            }
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    let (la, lb) = (a.captured().unwrap(), b.captured().unwrap());
    la.assert_count("task-a-", 800);
    la.assert_not_contains("task-b-");
    lb.assert_count("task-b-", 800);
    lb.assert_not_contains("task-a-");
}

#[test]
fn records_from_unrouted_threads_with_two_collectors_alive_are_unattributed() {
    let dir = tempfile::tempdir().unwrap();
    // Made on another thread: neither is this thread's route, nor (by
    // inheritance) the route of the threads it starts.
    let (a, b) = std::thread::scope(|s| {
        s.spawn(|| (collector(&dir, "ua"), collector(&dir, "ub")))
            .join()
            .unwrap()
    });
    let before = logged_test::unattributed_count();
    std::thread::spawn(|| {
        for i in 0..10 {
            log::error!("nobody-owns-this-{i}");
        }
    })
    .join()
    .unwrap();
    assert!(logged_test::unattributed_count() >= before + 10);
    a.captured()
        .unwrap()
        .assert_not_contains("nobody-owns-this");
    b.captured()
        .unwrap()
        .assert_not_contains("nobody-owns-this");
}

#[test]
fn a_scope_whose_collector_was_dropped_is_unattributed_not_rerouted() {
    let dir = tempfile::tempdir().unwrap();
    let survivor = collector(&dir, "survivor");
    let doomed = LogCollector::without_ui(dir.path().join("doomed")).unwrap();
    let guard = doomed.enter();
    drop(doomed);
    let before = logged_test::unattributed_count();
    log::info!("after-drop-marker");
    assert!(logged_test::unattributed_count() > before);
    drop(guard);
    survivor
        .captured()
        .unwrap()
        .assert_not_contains("after-drop-marker");
}

#[test]
fn a_display_that_logs_does_not_deadlock() {
    struct Chatty;
    impl std::fmt::Display for Chatty {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            log::debug!("inner-from-display");
            f.write_str("chatty-value")
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let c = collector(&dir, "reentrant");
    log::info!("outer {}", Chatty);
    let logs = c.captured().unwrap();
    logs.assert_contains("outer chatty-value");
    logs.assert_contains("inner-from-display");
}

#[test]
fn a_display_that_panics_does_not_panic_the_logger() {
    struct Broken;
    impl std::fmt::Display for Broken {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            panic!("broken display")
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let c = collector(&dir, "broken");
    log::info!("value: {}", Broken);
    c.captured()
        .unwrap()
        .assert_contains("panicked while formatting");
}

#[test]
fn a_scope_held_across_an_await_does_not_leak_to_other_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let test = collector(&dir, "await-test");
    let side = collector(&dir, "await-side");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (held_tx, held_rx) = tokio::sync::oneshot::channel::<()>();
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let side_for_task = side.clone();
    runtime.block_on(async {
        // Both polled in turn on this one thread, as tasks of a current-thread
        // runtime are (a held `ScopeGuard` makes a future `!Send`).
        let holder = test.scope(async move {
            let _side = side_for_task.enter();
            log::info!("await-held-before");
            held_tx.send(()).unwrap();
            go_rx.await.unwrap(); // suspended with `_side` held
            log::info!("await-held-after");
        });
        let other = test.scope(async move {
            held_rx.await.unwrap();
            log::info!("await-other-task");
            go_tx.send(()).unwrap();
        });
        tokio::join!(holder, other);
    });
    let (t, s) = (test.captured().unwrap(), side.captured().unwrap());
    t.assert_contains("await-other-task");
    s.assert_not_contains("await-other-task");
    s.assert_in_order(&["await-held-before", "await-held-after"]);
}
