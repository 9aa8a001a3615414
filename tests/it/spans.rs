//! Span fields and ancestry (feature `tracing`): every record carries the
//! chain of its spans with their fields, in memory and in the session file.
#![cfg(feature = "tracing")]
#![expect(
    clippy::panic,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};
use tracing::field::Empty;

fn chain_of(logs: &TestLogs, marker: &str) -> Vec<(String, Vec<(String, String)>)> {
    let captured = logs.captured();
    let record = captured
        .records()
        .iter()
        .find(|r| r.message.contains(marker))
        .unwrap_or_else(|| panic!("no record contains {marker:?}"));
    record
        .span_chain()
        .map(|(name, fields)| (name.to_owned(), fields.to_vec()))
        .collect()
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn smoke_nested_spans_give_their_fields_outermost_first() {
    let logs = TestLogs::new("spans::smoke").unwrap();
    let request = tracing::info_span!("request", id = 7, path = "/cart");
    let _request = request.enter();
    tracing::info_span!("checkout", items = 3, total = ?Some(12.5)).in_scope(|| {
        tracing::info!(card = "visa", "spans-smoke paid");
    });
    tracing::info!("spans-smoke after checkout");
    assert_eq!(
        chain_of(&logs, "spans-smoke paid"),
        [
            (
                "request".to_owned(),
                pairs(&[("id", "7"), ("path", "/cart")])
            ),
            (
                "checkout".to_owned(),
                pairs(&[("items", "3"), ("total", "Some(12.5)")])
            ),
        ]
    );
    let captured = logs.captured();
    let paid = &captured.records()[0];
    assert_eq!(paid.spans, ["request", "checkout"]);
    assert_eq!(paid.span_field("request", "id"), Some("7"));
    assert_eq!(paid.span_field("checkout", "total"), Some("Some(12.5)"));
    assert_eq!(paid.field("card"), Some("visa"));
    logs.assert_in_span("request", "spans-smoke after checkout");
    assert!(!logs.in_span("checkout", "spans-smoke after checkout"));
    logs.assert_span_field("spans-smoke paid", "checkout", "items", "3");
    assert!(!logs.contains_span_field("spans-smoke paid", "checkout", "items", "4"));
}

#[tracing::instrument(skip(secret), fields(region = "eu"))]
fn handle(order: u32, customer: &str, secret: &str) {
    let _ = secret;
    tracing::info!("spans-instrument handled");
    ship(order * 10);
}

#[tracing::instrument(level = "debug")]
fn ship(parcel: u32) {
    tracing::debug!("spans-instrument shipped");
}

#[test]
fn instrument_arguments_are_span_fields() {
    let logs = TestLogs::new("spans::instrument").unwrap();
    handle(42, "ada", "hunter2");
    logs.assert_span_field("spans-instrument handled", "handle", "order", "42");
    logs.assert_span_field("spans-instrument handled", "handle", "customer", "ada");
    logs.assert_span_field("spans-instrument handled", "handle", "region", "eu");
    let captured = logs.captured();
    let shipped = captured
        .records()
        .iter()
        .find(|r| r.message == "spans-instrument shipped")
        .unwrap();
    assert_eq!(shipped.spans, ["handle", "ship"]);
    assert_eq!(shipped.span_field("ship", "parcel"), Some("420"));
    assert_eq!(shipped.span_field("handle", "secret"), None);
    assert!(!logs.captured().text().contains("hunter2"));
}

#[test]
fn recorded_values_reach_later_records_only() {
    let logs = TestLogs::new("spans::record").unwrap();
    let span = tracing::info_span!("job", id = 1, state = Empty);
    let _entered = span.enter();
    tracing::info!("spans-record before");
    span.record("state", "running");
    tracing::info!("spans-record running");
    span.record("state", "done");
    span.record("id", 2);
    tracing::info!("spans-record done");
    assert_eq!(
        chain_of(&logs, "spans-record before")[0].1,
        pairs(&[("id", "1")])
    );
    assert_eq!(
        chain_of(&logs, "spans-record running")[0].1,
        pairs(&[("id", "1"), ("state", "running")])
    );
    assert_eq!(
        chain_of(&logs, "spans-record done")[0].1,
        pairs(&[("id", "2"), ("state", "done")])
    );
}

#[test]
fn the_session_file_writes_each_span_with_its_fields() {
    let logs = TestLogs::new("spans::file").unwrap();
    let request = tracing::info_span!("request", id = 7);
    let _request = request.enter();
    tracing::info_span!("checkout", note = "two words, a=b {x}:y").in_scope(|| {
        tracing::warn!(retry = 1, "spans-file declined");
    });
    tracing::info_span!("plain").in_scope(|| tracing::info!("spans-file no fields"));
    logs.flush();
    let text = std::fs::read_to_string(logs.session_path()).unwrap();
    assert!(
        text.contains(
            " request{id=7}:checkout{note=two\\swords\\,\\sa\\=b\\s\\{x\\}\\:y}: spans-file declined retry=1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(" request{id=7}:plain: spans-file no fields\n"),
        "{text}"
    );
    // Each line of the file is exactly the record's `Display`, which is
    // built from the chain read back: the file carries the whole chain.
    let lines: Vec<String> = logs
        .captured()
        .records()
        .iter()
        .map(|r| r.to_string())
        .collect();
    let file_lines: Vec<&str> = text.lines().collect();
    assert_eq!(file_lines, lines);
}

#[test]
fn spans_below_the_level_or_filtered_out_are_left_out_with_their_fields() {
    let logs = TestLogs::with_filter("spans::levels", "info,noisy=off").unwrap();
    let outer = tracing::info_span!("outer", keep = 1);
    let _outer = outer.enter();
    let verbose = tracing::debug_span!("verbose", drop = 2);
    let _verbose = verbose.enter();
    let noisy = tracing::info_span!(target: "noisy", "noisy_span", drop = 3);
    let _noisy = noisy.enter();
    tracing::info!("spans-levels inside");
    assert_eq!(
        chain_of(&logs, "spans-levels inside"),
        [("outer".to_owned(), pairs(&[("keep", "1")]))]
    );
}

#[test]
fn an_assertion_failure_shows_the_span_chains_seen() {
    let logs = TestLogs::new("spans::report").unwrap();
    tracing::info_span!("request", id = 8).in_scope(|| tracing::info!("spans-report handled"));
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        logs.assert_span_field("spans-report handled", "request", "id", "7");
    }))
    .unwrap_err();
    let report = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        report.contains("inside a span `request` with id=\"7\""),
        "{report}"
    );
    assert!(report.contains("request{id=\"8\"}"), "{report}");
}

#[logged_test]
async fn span_fields_follow_an_instrumented_future(logs: &TestLogs) {
    use tracing::Instrument as _;
    async { tracing::info!("spans-async polled") }
        .instrument(tracing::info_span!("task", n = 5))
        .await;
    logs.assert_span_field("spans-async polled", "task", "n", "5");
}

#[test]
fn a_value_recorded_on_a_parent_reaches_records_of_its_children() {
    let logs = TestLogs::new("spans::parent_record").unwrap();
    let parent = tracing::info_span!("parent", state = Empty);
    let _parent = parent.enter();
    let child = tracing::info_span!("child", n = 1);
    let _child = child.enter();
    tracing::info!("spans-parent first");
    tracing::info!("spans-parent second");
    parent.record("state", "ready");
    tracing::info!("spans-parent after record");
    assert_eq!(
        logs.captured().records()[0].span_field("parent", "state"),
        None
    );
    assert_eq!(
        logs.captured().records()[1].span_field("child", "n"),
        Some("1")
    );
    logs.assert_span_field("spans-parent after record", "parent", "state", "ready");
    logs.assert_span_field("spans-parent after record", "child", "n", "1");
}
