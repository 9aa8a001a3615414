//! `deny`: a test fails when it logs a record at the denied level or above
//! that nothing expected, and passes when the record was asserted or allowed.
//!
//! The failures are seen by re-running this test binary on the `#[ignore]`d
//! children below (a failing child fails its process, not this test).

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

use crate::common;

#[logged_test(deny = "warn")]
#[ignore = "run by `an_unexpected_warning_fails_the_test`"]
fn child_logs_an_unexpected_warning(logs: &TestLogs) {
    log::info!("deny-child: info is below the denied level");
    log::warn!("deny-child: cache 93% full");
    log::error!("deny-child: expected failure");
    logs.assert_logged_at(log::Level::Error, "expected failure");
}

#[logged_test]
#[ignore = "run by `logged_test_deny_sets_the_default`"]
fn child_warns_without_the_option() {
    log::warn!("deny-env-child: unexpected under LOGGED_TEST_DENY");
}

#[logged_test(deny = "off")]
#[ignore = "run by `logged_test_deny_sets_the_default`"]
fn child_turns_deny_off() {
    log::warn!("deny-off-child: allowed by deny = off");
}

#[test]
#[ignore = "run by `a_bare_test_logs_fails_when_dropped`"]
fn child_bare_test_logs_with_deny() {
    let logs = TestLogs::new("child_bare_test_logs_with_deny").unwrap();
    logs.deny(log::LevelFilter::Error);
    log::warn!("deny-bare-child: a warning is below Error");
    log::error!("deny-bare-child: unexpected error");
}

#[test]
fn an_unexpected_warning_fails_the_test() {
    let output = common::rerun("deny::child_logs_an_unexpected_warning")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(!output.status.success(), "the child passed:\n{text}");
    assert!(
        text.contains("1 record at WARN or above that the test did not expect (deny = \"warn\")"),
        "{text}"
    );
    let unexpected = text
        .split("unexpected records:")
        .nth(1)
        .and_then(|rest| rest.split("expect them with").next())
        .unwrap_or_else(|| panic!("no list of unexpected records in:\n{text}"));
    assert!(unexpected.contains("deny-child: cache 93% full"), "{text}");
    assert!(!unexpected.contains("expected failure"), "{text}");
    assert!(!unexpected.contains("info is below"), "{text}");
    // The failing test keeps its log, as any failing test does.
    assert!(text.contains("directory kept"), "{text}");
}

#[test]
fn logged_test_deny_sets_the_default() {
    let output = common::rerun("deny::child_warns_without_the_option")
        .env("LOGGED_TEST_DENY", "warn")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(!output.status.success(), "the child passed:\n{text}");
    assert!(text.contains("deny-env-child: unexpected"), "{text}");

    let output = common::rerun("deny::child_warns_without_the_option")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::text(&output));

    let output = common::rerun("deny::child_turns_deny_off")
        .env("LOGGED_TEST_DENY", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::text(&output));
}

#[test]
fn an_invalid_logged_test_deny_is_an_error_naming_it() {
    let output = common::rerun("deny::child_warns_without_the_option")
        .env("LOGGED_TEST_DENY", "loud")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("LOGGED_TEST_DENY"), "{text}");
    assert!(text.contains("`warn`"), "{text}");
}

#[test]
fn a_bare_test_logs_fails_when_dropped() {
    let output = common::rerun("deny::child_bare_test_logs_with_deny")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(!output.status.success(), "the child passed:\n{text}");
    assert!(
        text.contains("1 record at ERROR or above that the test did not expect"),
        "{text}"
    );
    assert!(text.contains("deny-bare-child: unexpected error"), "{text}");
}

#[logged_test(deny = "warn")]
fn an_asserted_warning_passes(logs: &TestLogs) {
    log::warn!("deny-asserted: retrying in 1 s");
    log::error!("deny-asserted: gave up");
    log::warn!("deny-asserted: counted twice");
    log::warn!("deny-asserted: counted twice");
    logs.assert_contains("retrying");
    logs.assert_logged_at(log::Level::Error, "gave up");
    logs.assert_count("counted twice", 2);
    assert!(logs.unexpected().is_empty());
}

#[logged_test(deny = "warn")]
fn an_allowed_warning_passes(logs: &TestLogs) {
    logs.allow("deprecated");
    logs.allow_where(|r| r.target == "deny_noisy_dependency");
    log::warn!("deny-allowed: deprecated flag");
    log::warn!(target: "deny_noisy_dependency", "deny-allowed: noise");
    assert!(logs.unexpected().is_empty());
}

#[logged_test(deny = "warn")]
fn queries_expect_nothing_and_levels_must_match(logs: &TestLogs) {
    log::warn!("deny-queries: only queried");
    assert!(logs.contains("only queried"));
    assert_eq!(logs.count("only queried"), 1);
    assert_eq!(logs.unexpected().len(), 1);
    // `assert_logged_at` expects the record at the level it names only.
    log::error!("deny-queries: an error");
    logs.assert_logged_at(log::Level::Error, "deny-queries");
    let left: Vec<String> = logs.unexpected().into_iter().map(|r| r.message).collect();
    assert_eq!(left, ["deny-queries: only queried"]);
    logs.allow("only queried");
}

#[logged_test(deny = "warn")]
fn assertions_on_captured_logs_count(logs: &TestLogs) {
    let mark = logs.mark();
    log::warn!("deny-captured: after the mark");
    log::warn!("deny-captured: accepted by a predicate");
    logs.since(mark).assert_contains("after the mark");
    logs.captured()
        .assert_any("a warning accepted by a predicate", |r| {
            r.message.ends_with("by a predicate")
        });
    assert!(logs.unexpected().is_empty());
}

#[logged_test(deny = "warn", markers = ["deny-markers: cache cold"])]
fn the_markers_option_expects_its_records() {
    log::warn!("deny-markers: cache cold");
}

#[logged_test(deny = "error")]
fn below_the_denied_level_nothing_is_checked() {
    log::warn!("deny-below: a warning under deny = error");
}

#[logged_test(deny = "warn")]
#[should_panic(expected = "deny-should-panic: the expected panic")]
fn a_should_panic_test_is_not_checked() {
    log::warn!("deny-should-panic: unexpected, but the test panics as it should");
    panic!("deny-should-panic: the expected panic");
}

#[test]
fn set_deny_on_test_logs_and_turn_it_off() {
    let logs = TestLogs::new("deny::set_deny_on_test_logs_and_turn_it_off").unwrap();
    logs.deny(log::LevelFilter::Warn);
    log::warn!("deny-setter: unexpected");
    assert_eq!(logs.unexpected().len(), 1);
    logs.deny(log::LevelFilter::Off);
    assert!(logs.unexpected().is_empty());
}
