//! `#[logged_test]` on sync tests: options, parameters, returns, isolation.

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

/// The bare form: no parameter, and the record is in the test's log (the
/// marker is checked after the body).
#[logged_test(markers = ["macro-sync-smoke"])]
fn smoke() {
    log::info!("macro-sync-smoke");
}

#[logged_test]
fn the_parameter_reaches_the_test_logs(logs: &TestLogs) {
    log::info!("macro-param-marker");
    logs.assert_contains("macro-param-marker");
    assert_eq!(
        logs.test_name(),
        "macro_sync::the_parameter_reaches_the_test_logs"
    );
    assert!(
        logs.session_path()
            .ends_with("macro_sync__the_parameter_reaches_the_test_logs.log")
    );
}

#[logged_test(markers = ["marker-one", "marker-two"])]
fn markers_are_checked_after_the_body() {
    log::info!("marker-one");
    logged_test::thread::spawn(|| log::warn!("marker-two"))
        .join()
        .unwrap();
}

#[logged_test(level = "info")]
fn the_level_option_filters(logs: &TestLogs) {
    log::debug!("level-option-debug");
    log::info!("level-option-info");
    logs.assert_not_contains("level-option-debug");
    logs.assert_contains("level-option-info");
}

#[logged_test(session = "custom-session.log")]
fn the_session_option_names_the_file(logs: &TestLogs) {
    assert_eq!(logs.session_path(), logs.dir().join("custom-session.log"));
}

#[logged_test]
fn result_tests_can_use_the_question_mark(logs: &TestLogs) -> Result<(), std::num::ParseIntError> {
    let n: u32 = "42".parse()?;
    log::info!("parsed {n}");
    logs.assert_contains("parsed 42");
    Ok(())
}

#[logged_test]
fn early_return_still_runs_the_checks(logs: &TestLogs) {
    log::info!("early-return");
    if logs.contains("early-return") {
        return;
    }
    unreachable!();
}

#[logged_test]
#[should_panic(expected = "expected a record containing \"absent-marker\"")]
fn should_panic_is_kept(logs: &TestLogs) {
    logs.assert_contains("absent-marker");
}

/// Doc comments and `#[ignore]` survive the attribute.
#[logged_test]
#[ignore = "only checks that #[ignore] is kept"]
fn ignored_tests_stay_ignored() {
    panic!("an ignored test must not run");
}

/// A `pub` test.
#[logged_test]
pub fn public_tests_work() {
    log::trace!("public-trace");
}

macro_rules! concurrent_tests {
    ($($name:ident = $n:literal),* $(,)?) => {$(
        #[logged_test]
        fn $name(logs: &TestLogs) {
            for i in 0..500 {
                log::info!("concurrent-{}-line-{i}", $n);
            }
            let captured = logs.captured();
            captured.assert_count(&format!("concurrent-{}-line-", $n), 500);
            // Not one record from another test.
            assert_eq!(captured.len(), 500, "{}", captured.text());
        }
    )*};
}

concurrent_tests!(
    concurrent_00 = 0,
    concurrent_01 = 1,
    concurrent_02 = 2,
    concurrent_03 = 3,
    concurrent_04 = 4,
    concurrent_05 = 5,
    concurrent_06 = 6,
    concurrent_07 = 7,
    concurrent_08 = 8,
    concurrent_09 = 9,
    concurrent_10 = 10,
    concurrent_11 = 11,
    concurrent_12 = 12,
    concurrent_13 = 13,
    concurrent_14 = 14,
    concurrent_15 = 15,
);
