//! The README's examples, compiled as tests so their bodies are type-checked
//! and run (doctests compile `#[test]` fns out). Keep in sync with README.md.

#[cfg(feature = "rstest")]
use logged_test::test_logs;
use logged_test::{TestLogs, logged_test};
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

#[cfg(feature = "rstest")]
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
