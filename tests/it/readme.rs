//! The README's examples, compiled as tests so their bodies are type-checked
//! and run (doctests compile `#[test]` fns out). Keep in sync with README.md.

use logged_test::LogAssertions as _;
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

// The README's sections on snapshots, deny, marks and child processes.
mod snapshots_deny_marks_children {
    #[cfg(unix)]
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use logged_test::LogAssertions as _;
    use logged_test::{SnapshotOptions, TestLogs, logged_test};

    #[logged_test]
    fn snapshot_of_a_checkout(logs: &TestLogs) {
        log::debug!(target: "shop::db", "connecting");
        log::info!(target: "shop::api", "order 67e55044-10b1-426f-9247-bb680e5fe0c8 paid in 12.5ms");
        log::warn!(target: "shop::api", "card of ada expires soon");
        log::info!(target: "hyper", "connection closed");

        let options = SnapshotOptions::new()
            .min_level(log::Level::Info)
            .target("shop")
            .redact("ada", "[USER]");
        assert_eq!(
            logs.snapshot_with(&options),
            "INFO  shop::api: order [UUID] paid in [DURATION]\n\
             WARN  shop::api: card of [USER] expires soon\n"
        );
    }

    #[logged_test]
    fn snapshot_by_thread(logs: &TestLogs) {
        log::info!(target: "app", "start");
        let worker = std::thread::Builder::new()
            .name("worker".into())
            .spawn(logs.collector().bind(|| log::info!(target: "app", "work")))
            .unwrap();
        worker.join().unwrap();
        let text = logs.snapshot_with(&SnapshotOptions::new().by_thread());
        // Each thread's records in order, threads in the order of their first record.
        assert!(text.ends_with("INFO  app: start\n--- thread worker ---\nINFO  app: work\n"));
    }

    #[logged_test(deny = "warn")]
    fn retries_once(logs: &TestLogs) {
        logs.allow_where(|record| record.target.starts_with("hyper"));
        log::warn!(target: "hyper::proto", "connection reset");
        log::warn!("retrying request 7");
        log::info!("request 7 done");
        logs.assert_logged_at(log::Level::Warn, "retrying");
        assert!(logs.unexpected().is_empty());
        // Without the assertion above, the test would fail with:
        // 1 record at WARN or above that the test did not expect (deny = "warn")
        // unexpected records:
        //      2 | 2026-11-27T11:54:37.123456Z WARN  [retries_once] my_crate: retrying request 7
    }

    #[logged_test]
    fn reconnects(logs: &TestLogs) {
        log::info!("connected to db");
        let mark = logs.mark();
        let worker = logged_test::thread::spawn(|| {
            log::warn!("connection lost");
            log::info!("connected to db");
        });
        assert!(logs.wait_for_since_blocking(mark, "connected", Duration::from_secs(10)));
        worker.join().unwrap();
        let after = logs.since(mark);
        after.assert_in_order(&["connection lost", "connected to db"]);

        logs.clear();
        logs.assert_not_contains("connection lost");
    }

    #[logged_test]
    async fn marks_in_async_tests(logs: &TestLogs) {
        log::info!("job 1 done");
        let mark = logs.mark();
        tokio::spawn(async { log::info!("job 2 done") });
        assert!(
            logs.wait_for_since(mark, "done", Duration::from_secs(10))
                .await
        );
        assert_eq!(logs.since(mark).messages(), ["job 2 done"]);
    }

    #[cfg(unix)]
    #[logged_test]
    fn runs_a_tool(logs: &TestLogs) {
        let output = logs
            .run_child_blocking(
                Command::new("sh").args(["-c", "echo built; echo 'ERROR no tests' >&2; exit 2"]),
            )
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(output.stdout, "built\n");
        logs.assert_logged_at(log::Level::Error, "no tests");
        logs.assert_logged_at(log::Level::Warn, "exited: exit status: 2");
    }

    #[cfg(unix)]
    #[logged_test]
    fn talks_to_a_server(logs: &TestLogs) {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "echo 'INFO listening'; while read r; do echo \"served $r\"; done",
        ]);
        let mut server = logs.spawn_child(command.stdin(Stdio::piped())).unwrap();
        assert!(logs.wait_for_blocking("listening", Duration::from_secs(10)));
        let stdin = server.child_mut().stdin.take().unwrap();
        drop(stdin); // the server sees the end of its input and exits
        assert!(server.wait_blocking().unwrap().status.success());
        logs.assert_in_order(&["listening", "exited"]);
    }
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
