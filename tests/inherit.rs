//! Threads inherit the route of the thread that creates them.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use logged_test::TestLogs;

#[test]
fn smoke() {
    let logs = TestLogs::new("inherit::smoke").unwrap();
    // A second collector alive, so that "the only collector alive" cannot
    // be what routes the threads below.
    let other_dir = tempfile::tempdir().unwrap();
    let other = std::thread::spawn(move || {
        logged_test::LogCollector::without_ui(other_dir.path()).map(|c| (c, other_dir))
    })
    .join()
    .unwrap()
    .unwrap();
    std::thread::spawn(|| log::info!("smoke from a plain thread"))
        .join()
        .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            log::info!("smoke from a scoped thread");
            std::thread::spawn(|| log::info!("smoke from a nested thread"))
                .join()
                .unwrap();
        });
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::spawn(async { log::info!("smoke from a worker") })
            .await
            .unwrap();
        tokio::task::spawn_blocking(|| log::info!("smoke from spawn_blocking"))
            .await
            .unwrap();
    });
    drop(rt);
    logs.assert_contains("smoke from a plain thread");
    logs.assert_contains("smoke from a scoped thread");
    logs.assert_contains("smoke from a nested thread");
    logs.assert_contains("smoke from a worker");
    logs.assert_contains("smoke from spawn_blocking");
}
