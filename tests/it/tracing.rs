//! `tracing` events captured like `log` records (feature `tracing`): fields,
//! spans, the same routing, levels and assertions.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]
#![cfg(feature = "tracing")]

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[logged_test]
fn smoke_fields_and_spans_read_back_and_shown_in_the_file(logs: &TestLogs) {
    let outer = tracing::info_span!("outer", request = 7);
    let _outer = outer.enter();
    let _inner = tracing::debug_span!("inner").entered();
    tracing::info!(n = 5, peer = %"db 1", list = ?[1, 2], ok = true, ratio = 0.5, name = "ada", "connected");

    let captured = logs.captured();
    let records = captured.records();
    assert_eq!(records.len(), 1, "{captured:?}");
    let record = &records[0];
    assert_eq!(record.level, log::Level::Info);
    assert_eq!(record.target, module_path!());
    assert_eq!(record.message, "connected");
    assert_eq!(record.spans, ["outer", "inner"]);
    assert_eq!(record.span_field("outer", "request"), Some("7"));
    assert_eq!(
        record.fields,
        owned(&[
            ("n", "5"),
            ("peer", "db 1"),
            ("list", "[1, 2]"),
            ("ok", "true"),
            ("ratio", "0.5"),
            ("name", "ada"),
        ])
    );
    assert_eq!(record.field("peer"), Some("db 1"));
    logs.assert_field("connected", "list", "[1, 2]");

    let file = std::fs::read_to_string(logs.session_path()).unwrap();
    let line = file.lines().last().unwrap();
    assert!(
        line.ends_with(&format!(
            "{} outer{{request=7}}:inner: connected n=5 peer=db\\s1 list=[1,\\s2] ok=true ratio=0.5 name=ada",
            module_path!()
        )),
        "{line}"
    );
    assert_eq!(line, record.to_string());
}

#[logged_test]
fn an_event_outside_any_span_with_only_a_message_is_a_plain_record(logs: &TestLogs) {
    tracing::warn!("plain tracing event");
    let captured = logs.captured();
    let record = &captured.records()[0];
    assert_eq!(record.level, log::Level::Warn);
    assert!(record.spans.is_empty() && record.fields.is_empty());
    assert!(
        record
            .to_string()
            .ends_with(&format!("{}: plain tracing event", module_path!())),
        "{record}"
    );
}

#[cfg(feature = "kv")]
#[logged_test]
fn log_key_values_land_in_fields(logs: &TestLogs) {
    log::info!(order = 42, user = "ada"; "order paid");
    log::info!("no key-values");
    let captured = logs.captured();
    assert_eq!(
        captured.records()[0].fields,
        owned(&[("order", "42"), ("user", "ada")])
    );
    assert!(captured.records()[1].fields.is_empty());
    logs.assert_field("order paid", "user", "ada");
    assert!(!logs.contains_field("order paid", "user", "bob"));
}

#[logged_test]
fn log_and_tracing_interleave_in_order(logs: &TestLogs) {
    for i in 0..50 {
        if i % 2 == 0 {
            log::info!("interleaved {i}");
        } else {
            tracing::info!(i, "interleaved {i}");
        }
    }
    let expected: Vec<String> = (0..50).map(|i| format!("interleaved {i}")).collect();
    assert_eq!(logs.captured().messages(), expected);
    logs.assert_field("interleaved 7", "i", "7");
}

#[logged_test(level = "info")]
fn the_test_level_filters_tracing_events_and_spans(logs: &TestLogs) {
    let _request = tracing::info_span!("request").entered();
    let _detail = tracing::debug_span!("detail").entered();
    tracing::debug!("filtered-debug");
    tracing::trace!("filtered-trace");
    tracing::info!("kept-info");
    logs.set_level(log::LevelFilter::Debug);
    tracing::debug!("kept-debug-after-set-level");
    let captured = logs.captured();
    assert_eq!(
        captured.messages(),
        ["kept-info", "kept-debug-after-set-level"]
    );
    // A span below the collector's level is not part of the chain.
    assert_eq!(captured.records()[0].spans, ["request"]);
    assert_eq!(captured.records()[1].spans, ["request", "detail"]);
}

#[logged_test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_and_instrumented_tasks_on_a_multi_thread_runtime(logs: &TestLogs) {
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            tokio::spawn(
                async move {
                    tokio::task::yield_now().await;
                    tracing::info!(task, "from task {task}");
                }
                .instrument(tracing::info_span!("job")),
            )
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    tokio::spawn(async { tracing::info!("spawned, no span") })
        .await
        .unwrap();
    let captured = logs.captured();
    for task in 0..8 {
        let marker = format!("from task {task}");
        let record = captured
            .matching(&marker)
            .next()
            .unwrap_or_else(|| panic!("task {task} missing from {captured:?}"));
        assert_eq!(record.spans, ["job"]);
        assert_eq!(record.field("task"), Some(task.to_string().as_str()));
    }
    logs.assert_contains("spawned, no span");
}

#[logged_test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_blocking_is_captured(logs: &TestLogs) {
    tokio::task::spawn_blocking(|| {
        let _span = tracing::info_span!("blocking").entered();
        tracing::info!(rows = 3, "blocking work");
    })
    .await
    .unwrap();
    let captured = logs.captured();
    let record = captured.matching("blocking work").next().unwrap();
    assert_eq!(record.spans, ["blocking"]);
    logs.assert_field("blocking work", "rows", "3");
}

#[test]
fn a_subscriber_built_with_the_layer_captures_inside_with_default() {
    let subscriber = tracing_subscriber::registry().with(logged_test::tracing::layer());
    tracing::subscriber::with_default(subscriber, || {
        // `TestLogs::new` accepts the scoped subscriber: it has our layer.
        let logs = TestLogs::new("tracing::with_default").unwrap();
        let _span = tracing::info_span!("scoped").entered();
        tracing::info!(via = "with_default", "scoped-subscriber-event");
        let captured = logs.captured();
        assert_eq!(captured.count("scoped-subscriber-event"), 1, "{captured:?}");
        assert_eq!(captured.records()[0].spans, ["scoped"]);
        logs.assert_field("scoped-subscriber-event", "via", "with_default");
    });
}

/// A `Display` that logs, through both `tracing` and `log`.
struct Loud;

impl fmt::Display for Loud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        tracing::info!("logged while formatting (tracing)");
        log::info!("logged while formatting (log)");
        f.write_str("loud")
    }
}

#[logged_test]
fn a_display_that_logs_neither_recurses_nor_deadlocks(logs: &TestLogs) {
    tracing::info!(value = %Loud, "outer event");
    let captured = logs.captured();
    captured.assert_count("logged while formatting (log)", 1);
    // `tracing` itself drops an event dispatched from inside another one
    // while any scoped subscriber exists in the process (another test's
    // `with_default`), so the nested `tracing` event may or may not arrive.
    assert!(captured.count("logged while formatting (tracing)") <= 1);
    logs.assert_field("outer event", "value", "loud");
}

#[logged_test]
fn a_failed_field_assertion_shows_the_fields(logs: &TestLogs) {
    tracing::info!(status = 503, "upstream answered");
    let payload = catch_unwind(AssertUnwindSafe(|| {
        logs.captured().assert_field("upstream", "status", "200")
    }))
    .unwrap_err();
    let report = payload.downcast_ref::<String>().unwrap();
    assert!(
        report.starts_with(
            "expected a record containing \"upstream\" with status=\"200\"; \
             in the records containing \"upstream\", `status` was \"503\""
        ),
        "{report}"
    );
    assert!(report.contains("upstream answered status=503"), "{report}");
}

macro_rules! parallel_tests {
    ($($name:ident => $id:literal,)*) => {
        $(
            #[logged_test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name(logs: &TestLogs) {
                logs_only_its_own_events(logs, $id).await;
            }
        )*
    };
}

parallel_tests! {
    parallel_00_logs_only_its_own_events => 0,
    parallel_01_logs_only_its_own_events => 1,
    parallel_02_logs_only_its_own_events => 2,
    parallel_03_logs_only_its_own_events => 3,
    parallel_04_logs_only_its_own_events => 4,
    parallel_05_logs_only_its_own_events => 5,
    parallel_06_logs_only_its_own_events => 6,
    parallel_07_logs_only_its_own_events => 7,
    parallel_08_logs_only_its_own_events => 8,
    parallel_09_logs_only_its_own_events => 9,
    parallel_10_logs_only_its_own_events => 10,
    parallel_11_logs_only_its_own_events => 11,
    parallel_12_logs_only_its_own_events => 12,
    parallel_13_logs_only_its_own_events => 13,
}

const EVENTS: usize = 300;

async fn logs_only_its_own_events(logs: &TestLogs, id: u32) {
    let span = tracing::info_span!("parallel", id);
    for i in 0..EVENTS {
        tracing::info!(test = id, i, "parallel event");
        if i % 50 == 0 {
            tokio::spawn(
                async move { tracing::info!(test = id, "parallel task event") }
                    .instrument(span.clone()),
            )
            .await
            .unwrap();
        }
    }
    let captured = logs.captured();
    captured.assert_count("parallel event", EVENTS);
    captured.assert_count("parallel task event", EVENTS / 50);
    let id = id.to_string();
    captured.assert_records(|records| {
        match records
            .iter()
            .position(|r| r.field("test") != Some(id.as_str()))
        {
            None => Ok(()),
            Some(n) => Err(format!("record #{} is not from test {id}", n + 1)),
        }
    });
}

/// With `tracing`'s `log-always` feature (on for this package's tests, as
/// any crate in a user's graph may turn it on), every event also reaches
/// `log`: still one record per event, and no span lifecycle lines.
#[logged_test]
fn events_that_also_reach_log_are_captured_once(logs: &TestLogs) {
    let _span = tracing::info_span!("checkout", order = 7).entered();
    tracing::info!(n = 1, "log-always: an event");
    tracing::warn!("log-always: {}", "formatted");
    struct LogsAnEvent;
    impl fmt::Display for LogsAnEvent {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            tracing::info!("log-always: nested in a field");
            f.write_str("outer value")
        }
    }
    tracing::info!(value = %LogsAnEvent, "log-always: outer");
    log::info!("log-always: a log record");
    let captured = logs.captured();
    for marker in [
        "log-always: an event",
        "log-always: formatted",
        "log-always: nested in a field",
        "log-always: outer",
        "log-always: a log record",
    ] {
        captured.assert_count(marker, 1);
    }
    assert_eq!(captured.len(), 5, "{captured:?}");
    // No span lifecycle line ("++ checkout; order=7 span=1", "-> checkout;").
    assert_eq!(
        captured.count_where(
            |r| r.target.starts_with("tracing::span") || r.message.contains("checkout")
        ),
        0
    );
}

/// A field's `Display` that enters another collector and logs: its event
/// goes to the collector it entered, the outer event to the test, as on the
/// `log` path (`tests/inherit.rs`).
#[logged_test]
fn enter_inside_a_fields_display_routes_what_it_logs(logs: &TestLogs) {
    struct EntersAndLogs<'a>(&'a logged_test::LogCollector);
    impl fmt::Display for EntersAndLogs<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let _guard = self.0.enter();
            tracing::info!("display: logged inside the entered scope");
            f.write_str("entered")
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let other = logged_test::LogCollector::without_ui(dir.path()).unwrap();
    tracing::info!(value = %EntersAndLogs(&other), "display: the outer event");
    tracing::info!("display: after the display");
    let other_records = other.captured().unwrap();
    other_records.assert_count("display: logged inside the entered scope", 1);
    other_records.assert_not_contains("display: the outer event");
    logs.assert_count("display: the outer event", 1);
    logs.assert_count("display: after the display", 1);
    logs.assert_not_contains("display: logged inside the entered scope");
}
