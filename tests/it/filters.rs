//! Per-target filter directives (`RUST_LOG`'s syntax): `TestLogs`,
//! `#[logged_test(filter = ..)]`, `LOGGED_TEST_FILTER`, and the promise that
//! a record left out is never formatted.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use logged_test::LogAssertions as _;
use logged_test::{LogError, TestLogs, logged_test};

use crate::common;

/// A value whose `Display` counts how often it runs.
struct Counted<'a>(&'a AtomicUsize);

impl fmt::Display for Counted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted")
    }
}

#[test]
fn smoke_a_filter_keeps_one_module_at_trace_and_turns_a_dependency_off() {
    let logs =
        TestLogs::with_filter("filters::smoke", "info,my_app::db=trace,noisy_dep=off").unwrap();
    log::trace!(target: "my_app::db::pool", "filters-smoke db trace");
    log::debug!(target: "my_app::api", "filters-smoke api debug");
    log::info!(target: "my_app::api", "filters-smoke api info");
    log::error!(target: "noisy_dep::conn", "filters-smoke dependency error");
    logs.assert_contains("filters-smoke db trace");
    logs.assert_contains("filters-smoke api info");
    logs.assert_not_contains("filters-smoke api debug");
    logs.assert_not_contains("filters-smoke dependency error");
}

#[test]
fn a_filtered_out_log_record_is_never_formatted() {
    let logs = TestLogs::with_filter("filters::no_format", "warn,my_app=debug").unwrap();
    let calls = AtomicUsize::new(0);
    log::debug!(target: "dep", "filters-no-format {}", Counted(&calls));
    log::trace!(target: "my_app", "filters-no-format {}", Counted(&calls));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "a filtered record was formatted"
    );
    log::debug!(target: "my_app::x", "filters-no-format kept {}", Counted(&calls));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    logs.assert_contains("filters-no-format kept counted");
    assert_eq!(logs.count("filters-no-format"), 1);
}

#[test]
fn set_filter_replaces_the_level_and_set_level_replaces_the_filter() {
    let logs = TestLogs::new("filters::replace").unwrap();
    logs.set_filter("error,my_app=trace").unwrap();
    assert_eq!(logs.collector().level(), log::LevelFilter::Trace);
    log::warn!(target: "other", "filters-replace dropped warn");
    log::trace!(target: "my_app", "filters-replace kept trace");
    logs.set_level(log::LevelFilter::Warn);
    log::warn!(target: "other", "filters-replace kept warn");
    log::trace!(target: "my_app", "filters-replace dropped trace");
    logs.assert_contains("filters-replace kept trace");
    logs.assert_contains("filters-replace kept warn");
    logs.assert_not_contains("dropped");
}

#[test]
fn an_invalid_filter_is_an_error_and_changes_nothing() {
    let logs = TestLogs::new("filters::invalid").unwrap();
    logs.set_level(log::LevelFilter::Info);
    for bad in ["my_app=loud", "a=b=c", "info/regex", ""] {
        let err = logs.set_filter(bad).unwrap_err();
        assert!(
            matches!(err, LogError::InvalidFilter { .. }),
            "{bad:?}: {err:?}"
        );
        assert!(err.to_string().contains("RUST_LOG"), "{err}");
    }
    assert_eq!(logs.collector().level(), log::LevelFilter::Info);
    let err = TestLogs::with_filter("filters::invalid_new", "x=verbose").unwrap_err();
    assert!(err.to_string().contains("verbose"), "{err}");
}

#[logged_test(filter = "warn,filters::macro_target=trace")]
fn the_macro_takes_a_filter(logs: &TestLogs) {
    log::trace!(target: "filters::macro_target", "filters-macro kept");
    log::info!(target: "elsewhere", "filters-macro dropped");
    logs.assert_contains("filters-macro kept");
    logs.assert_not_contains("filters-macro dropped");
}

#[test]
#[ignore = "run by the LOGGED_TEST_FILTER tests"]
fn child_logs_under_the_filter_variable() {
    let logs = TestLogs::new("filters::child").unwrap_or_else(|e| panic!("{e}"));
    log::debug!(target: "child_app", "filters-child app debug");
    log::debug!(target: "child_dep", "filters-child dep debug");
    log::warn!(target: "child_dep", "filters-child dep warn");
    logs.assert_contains("filters-child app debug");
    logs.assert_contains("filters-child dep warn");
    logs.assert_not_contains("filters-child dep debug");
}

#[test]
fn the_filter_variable_sets_the_default() {
    let output = common::rerun_captured("filters::child_logs_under_the_filter_variable")
        .env("LOGGED_TEST_FILTER", "warn,child_app=debug")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::text(&output));
}

#[test]
fn an_invalid_filter_variable_is_an_error_naming_the_variable() {
    let output = common::rerun_captured("filters::child_logs_under_the_filter_variable")
        .env("LOGGED_TEST_FILTER", "warn,child_app=chatty")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("`LOGGED_TEST_FILTER` has the value \"warn,child_app=chatty\""),
        "{text}"
    );
}

#[test]
#[ignore = "run by `log_max_level_follows_the_most_verbose_directive_alive`"]
fn child_checks_log_max_level() {
    // Alone in its process: no other collector moves `log::max_level`.
    let logs = TestLogs::with_filter("filters::max_level", "warn,my_app::db=debug").unwrap();
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    logs.set_filter("error,noisy=off").unwrap();
    assert_eq!(log::max_level(), log::LevelFilter::Error);
    let other = TestLogs::with_filter("filters::max_level_other", "info").unwrap();
    assert_eq!(log::max_level(), log::LevelFilter::Info);
    drop(other);
    assert_eq!(log::max_level(), log::LevelFilter::Error);
    drop(logs);
}

#[test]
fn log_max_level_follows_the_most_verbose_directive_alive() {
    let output = common::rerun_captured("filters::child_checks_log_max_level")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::text(&output));
}

#[cfg(feature = "tracing")]
mod tracing_events {
    use super::*;

    #[test]
    fn a_filter_applies_to_tracing_events_and_spans() {
        let logs = TestLogs::with_filter("filters::tracing", "info,my_app::db=trace,noisy_dep=off")
            .unwrap();
        let calls = AtomicUsize::new(0);
        tracing::trace!(target: "my_app::db", n = 1, "filters-tracing db trace");
        tracing::debug!(target: "my_app::api", value = %Counted(&calls), "filters-tracing api debug");
        tracing::error!(target: "noisy_dep", value = %Counted(&calls), "filters-tracing dep error");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "a filtered event was formatted"
        );
        let span = tracing::trace_span!(target: "noisy_dep", "dep_span");
        let _entered = span.enter();
        tracing::info!(target: "my_app::api", "filters-tracing in span");
        logs.assert_contains("filters-tracing db trace");
        logs.assert_not_contains("filters-tracing api debug");
        logs.assert_not_contains("filters-tracing dep error");
        let captured = logs.captured();
        let in_span = captured
            .records()
            .iter()
            .find(|r| r.message == "filters-tracing in span")
            .unwrap();
        assert!(in_span.spans.is_empty(), "{:?}", in_span.spans);
    }
}
