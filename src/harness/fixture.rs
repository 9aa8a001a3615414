//! The rstest fixture.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::harness::test_logs::TestLogs;

/// rstest fixture: a fresh [`TestLogs`] named after the running test (and its
/// case), so every case gets its own collector, directory and session.
///
/// Needs the `rstest` feature (off by default):
/// `logged-test = { version = "0.1", features = ["rstest"] }`. Use it with
/// `#[rstest]` alone; with `#[logged_test]` take `logs: &TestLogs` instead.
///
/// rstest builds fixtures in parameter order and the test is routed once
/// this one is built: what the fixtures after it log while they are built
/// goes to its log (with `#[logged_test]` above `#[rstest]`, every
/// fixture's setup does). What the fixtures before it log on the test's
/// thread is unattributed, but the thread keeps the newest 256 records (64
/// KiB) of it until a `TestLogs` is made there, and this one takes them
/// into its log first, in order, with their timestamps. That needs the
/// logger installed and `log`'s max level opened by an earlier test of the
/// process; put `test_logs` first to be sure.
///
/// It takes an optional filter in `RUST_LOG`'s syntax, as
/// [`TestLogs::with_filter`] does: `#[with("info,my_crate::db=trace")]
/// test_logs: TestLogs`. Without one (or with `""`), `LOGGED_TEST_FILTER`
/// and `LOGGED_TEST_LEVEL` apply.
///
/// # Panics
///
/// If the logs cannot be set up (see [`TestLogs::new`]), or the filter is
/// not valid.
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
/// use logged_test::test_logs;
/// use rstest::rstest;
///
/// #[rstest::fixture]
/// fn config() -> u32 {
///     log::info!("config loaded");
///     7
/// }
///
/// #[rstest]
/// fn parses(test_logs: TestLogs, config: u32, #[values(1, 2)] n: u32) {
///     log::info!("parsing {n} with {config}");
///     test_logs.assert_contains("config loaded");
///     test_logs.assert_contains(&format!("parsing {n}"));
/// }
///
/// #[rstest]
/// fn queries(#[with("warn,my_app::db=trace")] test_logs: TestLogs) {
///     log::trace!(target: "my_app::db", "query planned");
///     log::info!(target: "my_app::api", "not captured");
///     test_logs.assert_contains("query planned");
///     test_logs.assert_not_contains("not captured");
/// }
/// ```
#[rstest::fixture]
pub fn test_logs(#[default("")] filter: &str) -> TestLogs {
    let name = current_test_name();
    let logs = match filter.trim() {
        "" => TestLogs::new(&name),
        filter => TestLogs::with_filter(&name, filter),
    };
    match logs {
        Ok(logs) => logs,
        #[expect(
            clippy::panic,
            reason = "a fixture cannot return an error; a set-up failure fails the test"
        )]
        Err(e) => panic!("the `test_logs` fixture could not set up logging for `{name}`: {e}"),
    }
}

/// libtest names each test's thread after the test; elsewhere (a test run on
/// the main thread), fall back to a unique name.
fn current_test_name() -> String {
    static FALLBACK: AtomicU64 = AtomicU64::new(1);
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => format!(
            "test-{}-{}",
            std::process::id(),
            FALLBACK.fetch_add(1, Ordering::Relaxed)
        ),
    }
}
