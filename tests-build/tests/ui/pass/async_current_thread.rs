//! `async fn` tests on the current-thread runtime `#[logged_test]` builds.

// trybuild builds this file as a binary, where the tests that use the imports are stripped.
#![allow(
    unused_imports,
    reason = "used only by the tests, which a build as a binary strips; compiled as a module of `tests/ui.rs` in test mode they are used"
)]

use logged_test::{TestLogs, logged_test};

#[logged_test]
async fn default_flavor() {
    tokio::task::yield_now().await;
}

#[logged_test(flavor = "current_thread", markers = ["pass-async-ct spawned"])]
async fn explicit_flavor(logs: &TestLogs) {
    let _collector = logs.collector();
    tokio::spawn(async { log::info!("pass-async-ct spawned") })
        .await
        .expect("the task runs");
}

#[logged_test]
async fn question_mark_and_return(_logs: &TestLogs) -> Result<(), std::num::ParseIntError> {
    let n: u8 = "3".parse()?;
    if n == 3 {
        return Ok(());
    }
    tokio::task::yield_now().await;
    Ok(())
}

#[logged_test]
#[should_panic(expected = "pass-async-ct expected panic")]
async fn should_panic() {
    panic!("pass-async-ct expected panic");
}

fn main() {}
