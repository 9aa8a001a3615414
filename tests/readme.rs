//! The README's examples, compiled as tests so their bodies are type-checked
//! and run (doctests compile `#[test]` fns out). Keep in sync with README.md.

use logged_test::{TestLogs, logged_test, test_logs};
use rstest::rstest;

#[logged_test(markers = ["order 42 paid"])]
fn pays_an_order(logs: &TestLogs) {
    log::info!("order {} paid", 42);
    logs.assert_logged_at(log::Level::Info, "order 42");
    logs.assert_not_contains("refund");
}

#[logged_test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_log_into_their_test(logs: &TestLogs) {
    tokio::spawn(async { log::info!("from a worker") })
        .await
        .unwrap();
    logs.assert_contains("from a worker");
}

#[rstest]
fn parses(test_logs: TestLogs, #[values(1, 2, 3)] n: u32) {
    log::info!("parsing {n}");
    test_logs.assert_contains(&format!("parsing {n}"));
}

#[rstest]
#[case("a")]
#[case("b")]
#[logged_test::test(markers = ["case done"])]
fn each_case(#[case] name: &str) {
    log::info!("case done: {name}");
}

#[cfg(feature = "tracing")]
#[logged_test(level = "info")]
fn charges_a_card(logs: &TestLogs) {
    let _span = tracing::info_span!("checkout").entered();
    tracing::info!(order = 42, amount = %"9.99 EUR", "card charged");
    tracing::debug!("below the test's level: not captured");

    logs.assert_field("card charged", "order", "42");
    let captured = logs.captured();
    let record = &captured.records()[0];
    assert_eq!(record.spans, ["checkout"]);
    assert_eq!(record.field("amount"), Some("9.99 EUR"));
    assert_eq!(captured.len(), 1);
}

#[cfg(feature = "tracing")]
#[test]
fn with_my_own_subscriber() {
    use tracing_subscriber::layer::SubscriberExt as _;

    let subscriber = tracing_subscriber::registry().with(logged_test::tracing::layer());
    // Scoped here; `tracing::subscriber::set_global_default(subscriber)` works the same.
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(user = "ada", "signed in");
        let logs = logged_test::TestLogs::new("with_my_own_subscriber").unwrap();
        tracing::info!(user = "ada", "signed out");
        logs.assert_field("signed out", "user", "ada");
    });
}
