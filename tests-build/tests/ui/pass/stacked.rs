//! Stacking with other test attributes: no second `#[test]` is added.

// trybuild builds this file as a binary, where the tests that use the imports are stripped.
#![allow(
    unused_imports,
    reason = "used only by the tests, which a build as a binary strips; compiled as a module of `tests/ui.rs` in test mode they are used"
)]

use logged_test::{TestLogs, logged_test};
use rstest::rstest;

#[logged_test(markers = ["pass-stacked tokio"])]
#[tokio::test]
async fn on_tokio_test(_logs: &TestLogs) {
    tokio::task::yield_now().await;
    log::info!("pass-stacked tokio");
}

#[logged_test]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_tokio_multi_thread() -> Result<(), String> {
    tokio::task::yield_now().await;
    Ok(())
}

#[rstest]
#[case(1)]
#[case(2)]
#[logged_test::test]
fn rstest_cases(#[case] n: u32) {
    assert!(n > 0);
}

#[logged_test]
#[rstest]
fn on_rstest(_logs: &TestLogs) {}

fn main() {}
