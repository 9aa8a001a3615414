//! The README's examples, compiled as tests so their bodies are type-checked
//! and run (doctests compile `#[test]` fns out). Keep in sync with README.md.

#[cfg(feature = "rstest")]
use logged_test::test_logs;
use logged_test::{TestLogs, logged_test};
use rstest::rstest;
use test_case::test_case;

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

#[cfg(feature = "rstest")]
#[rstest]
fn parses(test_logs: TestLogs, #[values(1, 2, 3)] n: u32) {
    log::info!("parsing {n}");
    test_logs.assert_contains(&format!("parsing {n}"));
}

#[logged_test(markers = ["case done"])]
#[rstest]
#[case(1)]
#[case(2)]
fn rstest_cases(logs: &TestLogs, #[case] n: u32) {
    log::info!("case done: {n}");
    logs.assert_count("case done", 1);
}

#[rstest]
#[case(1)]
#[logged_test::test]
fn rstest_cases_below(#[case] n: u32, #[ignore] logs: &TestLogs) {
    log::info!("case {n}");
    logs.assert_contains("case 1");
}

#[logged_test]
#[test_case(60)]
#[test_case(61)]
fn test_cases(id: u32, logs: &TestLogs) {
    log::info!("id {id}");
    logs.assert_contains(&format!("id {id}"));
}

#[logged_test]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_tokio(logs: &TestLogs) {
    tokio::spawn(logs.collector().scope(async { log::info!("from a task") }))
        .await
        .unwrap();
    logs.assert_contains("from a task");
}

#[logged_test]
fn threads_started_by_the_code_under_test_are_captured(logs: &TestLogs) {
    // What a library does, knowing nothing of logged-test:
    std::thread::spawn(|| log::info!("from a thread the library started"))
        .join()
        .unwrap();
    // On Linux with glibc the thread started with this test's route.
    if logged_test::__private::INHERITS_ROUTES {
        logs.assert_contains("from a thread the library started");
    }
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

#[cfg(feature = "tracing")]
#[logged_test]
fn checkout_runs_in_its_request(logs: &TestLogs) {
    #[tracing::instrument(skip(card))]
    fn checkout(order: u32, card: &str) {
        tracing::info!(items = 3, last4 = &card[card.len() - 4..], "paid");
    }

    let request = tracing::info_span!("request", id = 7, user = tracing::field::Empty);
    let _request = request.enter();
    request.record("user", "ada");
    checkout(42, "4242 4242");

    logs.assert_in_span("request", "paid");
    logs.assert_span_field("paid", "request", "id", "7");
    logs.assert_span_field("paid", "checkout", "order", "42");
    let captured = logs.captured();
    let record = &captured.records()[0];
    assert_eq!(record.spans, ["request", "checkout"]);
    assert_eq!(record.span_field("request", "user"), Some("ada"));
    assert_eq!(record.span_field("checkout", "card"), None); // skipped
    assert_eq!(record.field("last4"), Some("4242"));
    let names: Vec<&str> = record.span_chain().map(|(name, _fields)| name).collect();
    assert_eq!(names, ["request", "checkout"]);
}

#[logged_test(filter = "info,my_app::db=trace,noisy_dep=off")]
fn keeps_the_database_at_trace(logs: &TestLogs) {
    log::trace!(target: "my_app::db::pool", "connection checked out");
    log::debug!(target: "my_app::api", "below info: not captured");
    log::error!(target: "noisy_dep::conn", "turned off: not captured");

    logs.assert_contains("connection checked out");
    assert_eq!(logs.captured().len(), 1);
}

#[test]
fn the_same_without_the_attribute() -> Result<(), logged_test::LogError> {
    let logs = TestLogs::with_filter("the_same_without_the_attribute", "warn,my_app=debug")?;
    log::debug!(target: "my_app", "kept");
    logs.set_filter("error")?; // from now on; `set_level` replaces a filter too
    log::warn!(target: "my_app", "not kept");
    logs.assert_contains("kept");
    logs.assert_not_contains("not kept");
    Ok(())
}
