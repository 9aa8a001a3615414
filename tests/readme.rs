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
