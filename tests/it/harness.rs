//! `TestLogs`: directories, sessions, levels, waiting and failure handling.

use crate::common;
use std::time::Duration;

use logged_test::LogAssertions as _;
use logged_test::TestLogs;

#[test]
fn smoke() {
    let logs = TestLogs::new("harness::smoke").unwrap();
    log::info!("harness-smoke");
    logs.assert_contains("harness-smoke");
    assert_eq!(logs.session_path(), logs.dir().join("harness__smoke.log"));
    assert!(logs.collector().generation() >= 1);
}

#[test]
fn a_passing_test_removes_its_directory() {
    let logs = TestLogs::new("harness::removes").unwrap();
    log::info!("harness-removes");
    let dir = logs.dir().to_path_buf();
    assert!(dir.is_dir());
    drop(logs);
    assert!(!dir.exists(), "{} should be gone", dir.display());
}

#[test]
fn a_panicking_test_keeps_its_directory_and_its_log() {
    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::thread::Builder::new()
        .name("harness::panics".into())
        .spawn(move || {
            let logs = TestLogs::new("harness::panics").unwrap();
            log::error!("harness-before-the-panic");
            tx.send(logs.session_path().to_path_buf()).unwrap();
            panic!("the test body failed");
        })
        .unwrap()
        .join();
    assert!(result.is_err());
    let session = rx.recv().unwrap();
    let text = std::fs::read_to_string(&session).expect("the log of a failed test is kept");
    assert!(text.contains("harness-before-the-panic"), "{text}");
    std::fs::remove_dir_all(session.parent().unwrap()).unwrap();
}

#[cfg(unix)]
#[test]
fn the_directory_is_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let logs = TestLogs::new("harness::private").unwrap();
    let mode = std::fs::metadata(logs.dir()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn set_level_changes_only_this_test() {
    let quiet = TestLogs::new("harness::quiet").unwrap();
    quiet.set_level(log::LevelFilter::Warn);
    let loud = std::thread::spawn(|| {
        let loud = TestLogs::new("harness::loud").unwrap();
        log::debug!("loud-debug");
        loud.captured()
    })
    .join()
    .unwrap();
    log::debug!("quiet-debug");
    log::warn!("quiet-warn");
    loud.assert_contains("loud-debug");
    quiet.assert_not_contains("quiet-debug");
    quiet.assert_contains("quiet-warn");
}

#[test]
fn wait_for_returns_when_a_background_thread_logs() {
    let logs = TestLogs::new("harness::wait_for_blocking").unwrap();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let server = logged_test::thread::spawn(move || {
        go_rx.recv().unwrap();
        log::info!("server ready on port 9");
    });
    go_tx.send(()).unwrap();
    assert!(logs.wait_for_blocking("ready on port", Duration::from_secs(30)));
    server.join().unwrap();
    assert!(!logs.wait_for_blocking("never-logged-marker", Duration::from_millis(10)));
}

#[test]
fn wait_for_sees_records_logged_before_the_call() {
    let logs = TestLogs::new("harness::wait_for_earlier").unwrap();
    log::info!("earlier-marker");
    assert!(logs.wait_for_blocking("earlier-marker", Duration::ZERO));
}

#[test]
fn wait_for_async_in_a_current_thread_runtime() {
    let logs = TestLogs::new("harness::wait_for").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let found = runtime.block_on(async {
        let task = tokio::spawn(logs.collector().scope(async {
            tokio::task::yield_now().await;
            log::info!("async-task-finished");
        }));
        let found = logs
            .wait_for("async-task-finished", Duration::from_secs(30))
            .await;
        task.await.unwrap();
        found
    });
    assert!(found);
}

#[test]
fn captured_records_carry_level_target_and_thread() {
    let logs = TestLogs::new("harness::fields").unwrap();
    log::warn!(target: "my::target", "fields-marker");
    let captured = logs.captured();
    let record = captured.matching("fields-marker").next().unwrap();
    assert_eq!(record.level, log::Level::Warn);
    assert_eq!(record.target, "my::target");
    assert_eq!(record.thread.as_deref(), std::thread::current().name());
    assert_eq!(record.generation, 1);
}

/// In a process of its own: it counts unattributed records, which other tests of this binary
/// add to.
#[test]
fn a_collector_clone_that_outlives_the_test_is_shut_down_with_it() {
    common::run_alone(
        "harness::a_collector_clone_that_outlives_the_test_is_shut_down_with_it_alone",
    );
}

#[test]
#[ignore = "run in a process of its own by `a_collector_clone_that_outlives_the_test_is_shut_down_with_it`"]
fn a_collector_clone_that_outlives_the_test_is_shut_down_with_it_alone() {
    if !common::alone(
        "harness::a_collector_clone_that_outlives_the_test_is_shut_down_with_it_alone",
    ) {
        return;
    }
    let logs = TestLogs::new("harness::outlived").unwrap();
    let clone = logs.collector().clone();
    let id = clone.id();
    drop(logs);
    assert!(!logged_test::active_collectors().contains(&id));
    let before = logged_test::unattributed_count();
    clone.log_str("after-the-test");
    assert_eq!(logged_test::unattributed_count(), before + 1);
}

#[test]
#[should_panic(expected = "use `wait_for(..).await`")]
fn wait_for_on_a_current_thread_runtime_says_what_to_use() {
    let logs = TestLogs::new("harness::wait_for_current_thread").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async { logs.wait_for_blocking("x", Duration::from_millis(1)) });
}
