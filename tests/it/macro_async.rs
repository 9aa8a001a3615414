//! `#[logged_test]` on `async fn` tests: every runtime thread is routed.

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

#[logged_test]
async fn smoke(logs: &TestLogs) {
    tokio::task::yield_now().await;
    log::info!("async-smoke");
    logs.assert_contains("async-smoke");
}

#[logged_test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_tasks_and_blocking_closures_are_captured(logs: &TestLogs) {
    let mut tasks = Vec::new();
    for t in 0..8 {
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                log::info!("mt-task-{t}-{i}");
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    tokio::task::spawn_blocking(|| log::warn!("mt-blocking-closure"))
        .await
        .unwrap();
    let captured = logs.captured();
    captured.assert_count("mt-task-", 400);
    captured.assert_logged_at(log::Level::Warn, "mt-blocking-closure");
    // Runtime threads are named after the test.
    let thread = captured
        .matching("mt-blocking")
        .next()
        .unwrap()
        .thread
        .clone();
    assert_eq!(
        thread.as_deref(),
        Some("macro_async::spawned_tasks_and_blocking_closures_are_captured")
    );
}

#[logged_test(markers = ["current-thread-task"])]
async fn current_thread_tasks_are_captured() {
    tokio::spawn(async { log::info!("current-thread-task") })
        .await
        .unwrap();
}

#[logged_test]
async fn async_results_work(logs: &TestLogs) -> Result<(), Box<dyn std::error::Error>> {
    let collector = logs.collector().clone();
    collector.wait_for_empty().await?;
    log::info!("async-result");
    logs.assert_contains("async-result");
    Ok(())
}

#[logged_test]
async fn wait_for_async_sees_a_background_task(logs: &TestLogs) {
    let task = tokio::spawn(async {
        tokio::task::yield_now().await;
        log::info!("background-task-done");
    });
    assert!(
        logs.wait_for("background-task-done", std::time::Duration::from_secs(30))
            .await
    );
    task.await.unwrap();
}

#[logged_test]
#[tokio::test]
async fn stacked_on_tokio_test(logs: &TestLogs) {
    log::info!("under-tokio-test");
    logs.assert_contains("under-tokio-test");
}

#[tokio::test]
#[logged_test]
async fn stacked_under_tokio_test(logs: &TestLogs) {
    log::info!("over-tokio-test");
    logs.assert_contains("over-tokio-test");
}
