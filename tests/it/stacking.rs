//! Every stacking order the README's table says works, one test each: the
//! test runs once, gets its `TestLogs`, and captures what its body logs.
//! (The orders that do not work are compile errors, pinned in `tests-build/tests/ui`, or
//! fail at run time, checked in `failure_output`.)

use std::sync::atomic::{AtomicU32, Ordering};

use flaky_test::flaky_test;
use logged_test::{TestLogs, logged_test};
use rstest::{fixture, rstest};
use serial_test::{parallel, serial};
use test_case::test_case;

use logged_test::LogAssertions as _;
#[cfg(feature = "rstest")]
use logged_test::test_logs;

// ---- #[tokio::test] ----

#[logged_test(markers = ["stack-tokio-below"])]
#[tokio::test]
async fn logged_test_above_tokio_test(logs: &TestLogs) {
    tokio::task::yield_now().await;
    log::info!("stack-tokio-below");
    logs.assert_count("stack-tokio-below", 1);
}

#[logged_test]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logged_test_above_tokio_multi_thread(logs: &TestLogs) {
    // tokio's workers are not the test's threads: bind spawned tasks.
    let task = logs
        .collector()
        .scope(async { log::info!("stack-tokio-mt-task") });
    tokio::spawn(task).await.unwrap();
    log::info!("stack-tokio-mt-body");
    logs.assert_in_order(&["stack-tokio-mt-task", "stack-tokio-mt-body"]);
}

#[tokio::test]
#[logged_test(markers = ["stack-tokio-above"])]
async fn tokio_test_above_logged_test(logs: &TestLogs) {
    tokio::task::yield_now().await;
    log::info!("stack-tokio-above");
    logs.assert_count("stack-tokio-above", 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[logged_test]
async fn tokio_multi_thread_above_logged_test(logs: &TestLogs) {
    let task = logs
        .collector()
        .scope(async { log::info!("stack-tokio-mt-above-task") });
    tokio::spawn(task).await.unwrap();
    logs.assert_count("stack-tokio-mt-above-task", 1);
}

// ---- #[rstest] ----

#[fixture]
fn answer() -> u32 {
    42
}

#[rstest]
#[case(1)]
#[case(2)]
#[logged_test::test(markers = ["stack-rstest-case"])]
fn rstest_above_with_cases(#[case] n: u32) {
    log::info!("stack-rstest-case {n}");
}

#[rstest]
#[case(1)]
#[case(2)]
#[logged_test::test]
fn rstest_above_with_ignored_logs(#[case] n: u32, #[ignore] logs: &TestLogs) {
    log::info!("stack-rstest-ignored {n}");
    logs.assert_count("stack-rstest-ignored", 1);
}

#[rstest]
#[logged_test::test]
fn rstest_above_with_values_and_a_fixture(
    #[values("x", "y")] v: &str,
    answer: u32,
    #[ignore] logs: &TestLogs,
) {
    log::info!("stack-rstest-values {v} {answer}");
    logs.assert_count("stack-rstest-values", 1);
    logs.assert_contains(&format!("stack-rstest-values {v} 42"));
}

#[rstest]
#[case(3)]
#[logged_test::test(markers = ["stack-rstest-async"])]
async fn rstest_above_async(#[case] n: u32) {
    tokio::task::yield_now().await;
    log::info!("stack-rstest-async {n}");
}

#[rstest]
#[case(4)]
#[logged_test]
fn rstest_above_the_plain_attribute(#[case] n: u32, #[ignore] logs: &TestLogs) {
    log::info!("stack-rstest-plain {n}");
    logs.assert_count("stack-rstest-plain", 1);
    logs.assert_contains("stack-rstest-plain 4");
}

#[logged_test(markers = ["stack-rstest-below"])]
#[rstest]
#[case(1)]
#[case(2)]
fn logged_test_above_rstest_cases(logs: &TestLogs, #[case] n: u32) {
    log::info!("stack-rstest-below {n}");
    logs.assert_count("stack-rstest-below", 1);
}

#[logged_test]
#[rstest]
fn logged_test_above_rstest_values_and_a_fixture(
    #[values(1, 2)] n: u32,
    answer: u32,
    logs: &TestLogs,
) {
    log::info!("stack-rstest-below-values {n} {answer}");
    logs.assert_count("stack-rstest-below-values", 1);
}

#[cfg(feature = "rstest")]
#[rstest]
fn the_test_logs_fixture_alone(test_logs: TestLogs, #[values(1, 2)] n: u32) {
    log::info!("stack-fixture {n}");
    test_logs.assert_count("stack-fixture", 1);
}

// ---- #[test_case] ----

#[logged_test(markers = ["stack-test-case"])]
#[test_case(1)]
#[test_case(2 ; "two")]
fn logged_test_above_test_case(n: u32, logs: &TestLogs) {
    log::info!("stack-test-case {n}");
    logs.assert_count("stack-test-case", 1);
}

// ---- #[test] ----

#[logged_test(markers = ["stack-test"])]
#[test]
fn logged_test_above_test(logs: &TestLogs) {
    log::info!("stack-test");
    logs.assert_count("stack-test", 1);
}

// ---- rstest fixtures are built after the test is routed ----

#[fixture]
fn logging_fixture() -> u32 {
    log::info!("stack-fixture-setup");
    7
}

#[logged_test]
#[rstest]
fn logged_test_above_rstest_captures_fixture_setup(logging_fixture: u32, logs: &TestLogs) {
    // Several tests build this fixture at once: each log has its own record.
    logs.assert_count("stack-fixture-setup", 1);
    assert_eq!(logging_fixture, 7);
}

#[logged_test]
#[rstest]
#[case(1)]
#[case(2)]
fn logged_test_above_rstest_cases_capture_fixture_setup(
    #[case] n: u32,
    logging_fixture: u32,
    logs: &TestLogs,
) {
    logs.assert_count("stack-fixture-setup", 1);
    assert_eq!(logging_fixture + n, 7 + n);
}

#[logged_test]
#[rstest]
#[case(5)]
async fn logged_test_above_async_rstest_captures_fixture_setup(
    #[case] n: u32,
    logging_fixture: u32,
    logs: &TestLogs,
) {
    tokio::task::yield_now().await;
    logs.assert_count("stack-fixture-setup", 1);
    assert_eq!(logging_fixture + n, 12);
}

#[cfg(feature = "rstest")]
#[rstest]
fn the_test_logs_fixture_captures_the_fixtures_after_it(test_logs: TestLogs, logging_fixture: u32) {
    test_logs.assert_count("stack-fixture-setup", 1);
    assert_eq!(logging_fixture, 7);
}

// ---- #[flaky_test]: one log per attempt ----

static FLAKY_BELOW: AtomicU32 = AtomicU32::new(0);
static FLAKY_ABOVE: AtomicU32 = AtomicU32::new(0);
static FLAKY_OPTION: AtomicU32 = AtomicU32::new(0);

#[logged_test]
#[flaky_test]
fn logged_test_above_flaky_test(logs: &TestLogs) {
    let attempt = FLAKY_BELOW.fetch_add(1, Ordering::SeqCst) + 1;
    log::info!("stack-flaky-below {attempt}");
    // Each attempt has a log of its own, which says which attempt it is.
    logs.assert_count("stack-flaky-below", 1);
    logs.assert_contains(&format!("attempt {attempt} of 3"));
    assert!(attempt >= 2, "the first attempt fails on purpose");
}

#[flaky_test(times = 4)]
#[logged_test]
fn flaky_test_above_logged_test(logs: &TestLogs) {
    let attempt = FLAKY_ABOVE.fetch_add(1, Ordering::SeqCst) + 1;
    log::info!("stack-flaky-above {attempt}");
    logs.assert_count("stack-flaky-above", 1);
    logs.assert_contains(&format!("attempt {attempt} of 4"));
    assert!(attempt >= 3, "the first two attempts fail on purpose");
}

#[logged_test(attempts = 2)]
#[flaky_test(times = 2)]
fn the_attempts_option_under_flaky_test(logs: &TestLogs) {
    let attempt = FLAKY_OPTION.fetch_add(1, Ordering::SeqCst) + 1;
    log::info!("stack-flaky-option {attempt}");
    logs.assert_count("stack-flaky-option", 1);
    logs.assert_contains(&format!("attempt {attempt} of 2"));
    assert!(attempt >= 2, "the first attempt fails on purpose");
}

#[logged_test]
#[flaky_test(tokio)]
async fn logged_test_above_async_flaky_test(logs: &TestLogs) {
    tokio::task::yield_now().await;
    log::info!("stack-flaky-async");
    logs.assert_count("stack-flaky-async", 1);
}

static FLAKY_ASYNC_ABOVE: AtomicU32 = AtomicU32::new(0);

#[flaky_test(tokio, times = 2)]
#[logged_test]
async fn async_flaky_test_above_logged_test(logs: &TestLogs) {
    let attempt = FLAKY_ASYNC_ABOVE.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::task::yield_now().await;
    log::info!("stack-flaky-async-above {attempt}");
    logs.assert_count("stack-flaky-async-above", 1);
    logs.assert_contains(&format!("attempt {attempt} of 2"));
    assert!(attempt >= 2, "the first attempt fails on purpose");
}

// ---- registered_by_other: any attribute that registers the test ----

// `#[test]` above is expanded first, so `#[logged_test]` cannot see it (and
// libtest's `#[test]` allows no `&TestLogs` parameter); without the option
// the test would be registered twice and fail on its second start.
#[test]
#[logged_test(registered_by_other, markers = ["stack-registered-by-other"])]
fn test_above_logged_test_with_the_option() {
    log::info!("stack-registered-by-other");
}

// ---- serial_test: wraps the body, registers nothing ----

#[logged_test(markers = ["stack-serial-below"])]
#[serial]
fn logged_test_above_serial() {
    log::info!("stack-serial-below");
}

#[serial]
#[logged_test(markers = ["stack-serial-above"])]
fn serial_above_logged_test() {
    log::info!("stack-serial-above");
}

#[logged_test(markers = ["stack-parallel-below"])]
#[parallel]
fn logged_test_above_parallel() {
    log::info!("stack-parallel-below");
}

#[parallel]
#[logged_test(markers = ["stack-parallel-above"])]
fn parallel_above_logged_test() {
    log::info!("stack-parallel-above");
}
