//! A program that sets its own global `tracing` subscriber with our layer,
//! before any test is set up: `TestLogs` accepts it and captures through it.
//! It runs in a process of its own (a child run of this binary,
//! `common::run_alone`), because the global subscriber is set once per
//! process.
#![cfg(feature = "tracing")]

use crate::common;
use logged_test::LogAssertions as _;
use logged_test::TestLogs;
use tracing_subscriber::layer::SubscriberExt as _;

#[test]
fn a_global_subscriber_with_the_layer_is_accepted() {
    common::run_alone("tracing_user_global::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `a_global_subscriber_with_the_layer_is_accepted`"]
fn in_its_own_process() {
    if !common::alone("tracing_user_global::in_its_own_process") {
        return;
    }
    let subscriber = tracing_subscriber::registry().with(logged_test::tracing::layer());
    tracing::subscriber::set_global_default(subscriber).unwrap();

    logged_test::init_logger().unwrap();
    let logs = TestLogs::new("tracing_user_global::test").unwrap();
    let _span = tracing::info_span!("mine").entered();
    tracing::info!(n = 1, "through-the-user-subscriber");
    let captured = logs.captured();
    assert_eq!(
        captured.count("through-the-user-subscriber"),
        1,
        "{captured:?}"
    );
    assert_eq!(captured.records()[0].spans, ["mine"]);
    logs.assert_field("through-the-user-subscriber", "n", "1");
}
