//! The child-rerun helper (`common`) starts every child without the
//! caller's `LOGGED_TEST_*` variables, whatever their names (so that
//! `LOGGED_TEST_LIVE=info cargo test` does not reach children that check
//! their own output), and without nextest's attempt variables.
//!
//! The variables are set on a middle child (setting them in this process
//! would race with the other tests); it re-runs this binary once more and
//! reports what the last child saw.

use crate::common;

/// A name no fixed list of the crate's variables holds.
const PROBE: &str = "LOGGED_TEST_PROBE_NOT_A_SETTING";
/// Set on the last child: run directly, it checks nothing.
const LAST: &str = "CHILD_ENV_LAST";

#[test]
fn children_start_without_the_callers_logged_test_and_attempt_variables() {
    let output = common::rerun("child_env::child_reruns_the_binary")
        .env(PROBE, "leaked")
        .env("LOGGED_TEST_LIVE", "info")
        .env("NEXTEST_ATTEMPT", "2")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("middle: the probe is set"), "{text}");
    assert!(text.contains("last: nothing leaked"), "{text}");
}

#[test]
#[ignore = "run by `children_start_without_the_callers_logged_test_and_attempt_variables`"]
fn child_reruns_the_binary() {
    if std::env::var_os(PROBE).is_none() {
        return;
    }
    println!("middle: the probe is set");
    let output = common::rerun("child_env::child_reports_its_variables")
        .env(LAST, "1")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("last: nothing leaked"), "{text}");
    println!("last: nothing leaked");
}

#[test]
#[ignore = "run by `child_reruns_the_binary`"]
fn child_reports_its_variables() {
    if std::env::var_os(LAST).is_none() {
        return;
    }
    let leaked: Vec<String> = std::env::vars_os()
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .filter(|name| name.starts_with("LOGGED_TEST_") || name == "NEXTEST_ATTEMPT")
        .collect();
    assert!(leaked.is_empty(), "leaked into the child: {leaked:?}");
    println!("last: nothing leaked");
}
