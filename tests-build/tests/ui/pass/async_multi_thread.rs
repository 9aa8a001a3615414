//! `async fn` tests on a multi-thread runtime `#[logged_test]` builds.

// trybuild builds this file as a binary, where the tests that use the imports are stripped.
#![allow(
    unused_imports,
    reason = "used only by the tests, which a build as a binary strips; compiled as a module of `tests/ui.rs` in test mode they are used"
)]

use logged_test::{TestLogs, logged_test};

#[logged_test(flavor = "multi_thread", markers = ["pass-async-mt worker"])]
async fn default_workers() {
    tokio::spawn(async { log::info!("pass-async-mt worker") })
        .await
        .expect("the task runs");
}

#[logged_test(
    flavor = "multi_thread",
    worker_threads = 2,
    markers = ["pass-async-mt blocking"]
)]
async fn two_workers(_logs: &TestLogs) -> Result<(), String> {
    tokio::task::spawn_blocking(|| log::info!("pass-async-mt blocking"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn main() {}
