//! Another global `tracing` subscriber set before ours, without our layer:
//! every entry point says so and names the fix, and nothing panics. It runs in
//! a process of its own (a child run of this binary, `common::run_alone`),
//! because the global subscriber is set once per process.
#![cfg(feature = "tracing")]

use crate::common;
use logged_test::LogAssertions as _;
use logged_test::{LogCollector, LogError, TestLogs};
use tracing_subscriber::layer::SubscriberExt as _;

#[track_caller]
fn assert_explains_foreign_subscriber(err: &LogError) {
    assert!(matches!(err, LogError::ForeignSubscriber), "{err:?}");
    let message = err.to_string();
    for part in [
        "another `tracing` subscriber is already the global default",
        "cannot capture `tracing` events",
        "tracing_subscriber::registry().with(logged_test::tracing::layer())",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn a_subscriber_set_first_gives_the_documented_error_and_the_layer_fixes_it() {
    common::run_alone("tracing_foreign::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `a_subscriber_set_first_gives_the_documented_error_and_the_layer_fixes_it`"]
fn in_its_own_process() {
    if !common::alone("tracing_foreign::in_its_own_process") {
        return;
    }
    tracing::subscriber::set_global_default(tracing_subscriber::registry()).unwrap();

    assert_explains_foreign_subscriber(&logged_test::init_logger().unwrap_err());
    // What `#[logged_test]` and the rstest fixture call to set a test up.
    assert_explains_foreign_subscriber(&TestLogs::new("tracing_foreign::test").unwrap_err());
    let dir = tempfile::tempdir().unwrap();
    let collector = std::sync::Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    let err = collector
        .clone()
        .init_global_logger(log::LevelFilter::Trace)
        .unwrap_err();
    assert_explains_foreign_subscriber(&err);

    // `log` records are still captured; `tracing` events go to the other
    // subscriber, and only with `tracing`'s `log-always` (on for this
    // package's tests) also to `log`, which captures them once.
    {
        let _route = collector.enter();
        log::info!("log-still-captured");
        tracing::info!("tracing-not-captured");
    }
    let captured = collector.captured().unwrap();
    let messages = captured.messages();
    assert!(
        messages == ["log-still-captured"]
            || messages == ["log-still-captured", "tracing-not-captured"],
        "{messages:?}"
    );
    drop(collector);

    // The fix: a subscriber with our layer (here a scoped one).
    let fixed = tracing_subscriber::registry().with(logged_test::tracing::layer());
    tracing::subscriber::with_default(fixed, || {
        let logs = TestLogs::new("tracing_foreign::fixed").unwrap();
        tracing::info!(fixed = true, "captured-through-the-layer");
        logs.assert_field("captured-through-the-layer", "fixed", "true");
    });
}
