//! `TestLogs`: one test's collector, directory and session.
//!
//! The records live in memory. The test's directory
//! (`<target>/tmp/logged-test/<test binary>/<test name>/`, or under
//! `LOGGED_TEST_DIR`) is created only when it helps: the test fails, is
//! kept, asks for a path or a flush, logs more than memory holds, or runs
//! longer than a moment. A short passing test touches no disk.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use log::LevelFilter;

use crate::engine::collector::LogCollector;
use crate::engine::logger;
use crate::engine::routing::ThreadRoute;
use crate::env;
use crate::error::LogError;
use crate::harness::assertions::LogAssertions;
use crate::harness::captured::CapturedLogs;
use crate::harness::deny::Expectations;
use crate::harness::{manifest, report};

/// Records printed under a failing test.
/// How many of the last records a failing test's tail looks through for
/// the failure record (the panic or the returned `Err`).
const FAILURE_WINDOW: usize = 1024;

const TAIL_RECORDS: usize = 30;
/// Longest file stem made from a test name.
const MAX_STEM_BYTES: usize = 200;

/// One test's logs: a fresh [`LogCollector`], a private directory, a
/// session file named after the test, and this thread routed to it for as
/// long as the `TestLogs` lives.
///
/// `#[logged_test]` and the `test_logs` rstest fixture make one for you.
/// Records are kept in memory; the directory
/// (`target/tmp/logged-test/<test binary>/<test name>/`) is written only when
/// that helps someone: when the test fails (panics or returns `Err` under
/// `#[logged_test]`) the directory is kept and the last records are printed
/// with the file's path; with `keep`; when the test asks for [`dir`](Self::dir),
/// [`session_path`](Self::session_path) or a [`flush`](Self::flush); when it
/// logs more than memory holds; and once it has run for about 100 ms, so a
/// test that hangs leaves its log behind. A later run of the same test
/// replaces its kept directory. A short passing test creates nothing.
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
///
/// let logs = TestLogs::new("docs::example")?;
/// log::info!("user 42 logged in");
/// logs.assert_contains("user 42");
/// assert!(logs.session_path().ends_with("docs__example.log"));
/// # Ok::<(), logged_test::LogError>(())
/// ```
///
/// A `TestLogs` is `Send + Sync`: threads and tasks that borrow it can
/// assert on it.
///
/// ```
/// use logged_test::prelude::*;
///
/// let logs = logged_test::TestLogs::new("docs::shared")?;
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         log::info!("from a scoped thread");
///         logs.assert_contains("from a scoped thread");
///     });
/// });
/// # Ok::<(), logged_test::LogError>(())
/// ```
#[derive(Debug)]
pub struct TestLogs {
    guard: Option<ThreadRoute>,
    collector: Arc<LogCollector>,
    dir_path: PathBuf,
    session_path: PathBuf,
    test_name: String,
    keep: bool,
    expect_panic: bool,
    failed: AtomicBool,
    report_shown: AtomicBool,
    /// Which attempt of a retried test this is, if the test is retried.
    attempt: Option<Attempt>,
    /// Records hidden by `clear()` (see `marks.rs`).
    pub(crate) cleared: AtomicUsize,
    /// What `deny` fails the test for, and what the test expected (see
    /// `deny.rs`); made by the first `deny` or `allow*`, so a test that uses
    /// none of them pays nothing.
    pub(crate) expectations: OnceLock<Arc<Expectations>>,
}

/// How to set up a [`TestLogs`]; what the macro options turn into.
#[derive(Debug, Default, Clone)]
pub(crate) struct Options<'a> {
    pub(crate) level: Option<LevelFilter>,
    /// Per-target directives (`filter = "..."`); they win over `level`.
    pub(crate) filter: Option<&'a str>,
    pub(crate) session: Option<&'a str>,
    pub(crate) keep: bool,
    pub(crate) expect_panic: bool,
    /// Set by an in-process retry (see [`Options::with_attempt`]); without
    /// it, nextest's `NEXTEST_ATTEMPT`/`NEXTEST_TOTAL_ATTEMPTS` are used
    /// when the test may be retried.
    pub(crate) attempt: Option<Attempt>,
    /// `deny = "..."`; `None` takes `LOGGED_TEST_DENY`.
    pub(crate) deny: Option<LevelFilter>,
}

/// One attempt of a test that may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attempt {
    /// 1-based.
    pub(crate) number: u32,
    /// How many attempts the test may have in all, when known.
    pub(crate) total: Option<u32>,
}

impl Options<'_> {
    /// Makes the logs those of attempt `number` (1-based) of `total` (when
    /// known) of a retried test, for in-process retries (`#[flaky_test]`):
    /// each attempt gets its own directory, `<test dir>/attempt-<n>/`;
    /// attempt 1 starts the test's directory afresh (an earlier run's
    /// attempts go), a later one keeps the earlier attempts' kept logs;
    /// a passing attempt removes only its own. The manifest line has
    /// `attempt` and `attempts`. A `number` of 0 is taken as 1.
    #[must_use]
    pub(crate) fn with_attempt(mut self, number: u32, total: Option<u32>) -> Self {
        self.attempt = Some(Attempt {
            number: number.max(1),
            total,
        });
        self
    }
}

impl TestLogs {
    /// Sets up logs for the test `test_name`, kept in memory: the directory
    /// `target/tmp/logged-test/<test binary>/<test name>/` (or under
    /// `LOGGED_TEST_DIR`; mode 0700) is planned, not created; the dispatcher
    /// is installed as the `log` logger, a session `<test name>.log` (made
    /// safe as a file name) is begun, and this thread is routed to the
    /// collector.
    ///
    /// # Errors
    ///
    /// - [`LogError::ForeignLogger`] if another logger owns the `log` slot.
    /// - [`LogError::InvalidEnvVar`] for a bad `LOGGED_TEST_*` value.
    /// - [`LogError::InvalidSessionName`] if the session name is refused.
    /// - [`LogError::Io`] if `LOGGED_TEST_DIR` cannot be made absolute.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("weird / name")?;
    /// assert!(logs.session_path().ends_with("weird___name.log"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn new(test_name: &str) -> Result<TestLogs, LogError> {
        TestLogs::with_options(test_name, &Options::default())
    }

    /// [`new`](Self::new), capturing only what `filter` lets through:
    /// per-target directives in `RUST_LOG`'s syntax, as
    /// [`set_filter`](Self::set_filter) takes them. They replace
    /// `LOGGED_TEST_FILTER` and `LOGGED_TEST_LEVEL` for this test.
    ///
    /// # Errors
    ///
    /// Those of [`new`](Self::new), and [`LogError::InvalidFilter`] when
    /// `filter` is not valid.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::with_filter("docs::with_filter", "info,my_app::db=trace")?;
    /// log::trace!(target: "my_app::db", "query planned");
    /// log::debug!(target: "my_app::api", "too verbose");
    /// logs.assert_contains("query planned");
    /// logs.assert_not_contains("too verbose");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn with_filter(test_name: &str, filter: &str) -> Result<TestLogs, LogError> {
        let options = Options {
            filter: Some(filter),
            ..Options::default()
        };
        TestLogs::with_options(test_name, &options)
    }

    pub(crate) fn with_options(
        test_name: &str,
        options: &Options<'_>,
    ) -> Result<TestLogs, LogError> {
        let settings = env::settings()?;
        logger::install()?;
        let stem = file_stem(test_name);
        let session_name = match options.session {
            Some(name) => name.to_owned(),
            None => format!("{stem}.log"),
        };
        crate::engine::session::validate_name(&session_name)?;
        let attempt = options.attempt.or_else(|| nextest_attempt(settings));
        let dir_path = claim_dir(settings, &dir_stem(test_name), attempt)?;
        let live = settings.live.map(|level| (level, test_name));
        let collector = Arc::new(LogCollector::in_memory(dir_path.clone(), live));
        // The test's own filter or level, else `LOGGED_TEST_FILTER`, else
        // `LOGGED_TEST_LEVEL`, else everything.
        match (options.filter, options.level, &settings.filter) {
            (Some(filter), _, _) => collector.set_filter(filter)?,
            (None, Some(level), _) => collector.set_level(level),
            (None, None, Some(directives)) => collector.set_directives(directives.clone()),
            (None, None, None) => {
                collector.set_level(settings.level.unwrap_or(LevelFilter::Trace));
            }
        }
        collector.begin_session_in_memory(&session_name)?;
        // What this thread logged before it was ever routed (an rstest
        // fixture listed before `test_logs`) comes first, as it was.
        collector.adopt_early_records();
        let session_path = dir_path.join(&session_name);
        // The manifest normal lines go to: a relative `LOGGED_TEST_DIR` is
        // the workspace root's.
        let manifest_dir = settings
            .dir
            .as_deref()
            .map(|dir| env::resolve_dir(dir).unwrap_or_else(|_| dir.to_path_buf()));
        let manifest = manifest_dir.as_deref().map(|dir| {
            let attempt = match attempt {
                Some(attempt) => (Some(attempt.number), attempt.total),
                None => (settings.attempt, settings.attempts),
            };
            let (test_json, log_json) = manifest::crash_line_parts(
                test_name,
                binary().name.as_str(),
                attempt,
                settings.run_id.as_deref(),
                &session_path,
            );
            (dir, test_json, log_json)
        });
        collector.describe_for_crash(test_name, &session_path, manifest);
        let guard = collector.enter_for_owner();
        let deny = options.deny.or(settings.deny);
        let logs = TestLogs {
            guard: Some(guard),
            session_path,
            dir_path,
            collector,
            test_name: test_name.to_owned(),
            keep: options.keep || settings.keep,
            expect_panic: options.expect_panic,
            failed: AtomicBool::new(false),
            report_shown: AtomicBool::new(false),
            attempt,
            cleared: AtomicUsize::new(0),
            expectations: OnceLock::new(),
        };
        if let Some(deny) = deny {
            logs.deny(deny);
        }
        Ok(logs)
    }

    /// Writes the log to disk now (creating the directory) if it is not yet.
    fn on_disk(&self) {
        // An error stays pending for the next flush, and the drop reports it.
        let _ = self.collector.open_blocking();
    }

    /// The test's collector; clone the `Arc` to hand it to threads or tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::collector")?;
    /// let collector = logs.collector().clone();
    /// std::thread::spawn(collector.bind(|| log::info!("worker up"))).join().unwrap();
    /// logs.assert_contains("worker up");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn collector(&self) -> &Arc<LogCollector> {
        &self.collector
    }

    /// The test's private directory, created (with the log written into
    /// it) if it was not yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::dir")?;
    /// assert!(logs.dir().is_dir());
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn dir(&self) -> &Path {
        self.on_disk();
        &self.dir_path
    }

    /// The session file the test's records go to, created (with what was
    /// logged so far) if it was not yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::session")?;
    /// assert_eq!(logs.session_path().parent(), Some(logs.dir()));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn session_path(&self) -> &Path {
        self.on_disk();
        &self.session_path
    }

    /// The planned directory, without creating it.
    pub(crate) fn dir_path(&self) -> &Path {
        &self.dir_path
    }

    /// The test name the logs were made for.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::name")?;
    /// assert_eq!(logs.test_name(), "docs::name");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn test_name(&self) -> &str {
        &self.test_name
    }

    /// Changes what this test captures from now on (like pytest's
    /// `caplog.set_level`). Other tests are not affected; it ends with the test.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::set_level")?;
    /// logs.set_level(log::LevelFilter::Info);
    /// log::debug!("noise");
    /// log::info!("signal");
    /// logs.assert_not_contains("noise");
    /// logs.assert_contains("signal");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn set_level(&self, level: LevelFilter) {
        self.collector.set_level(level);
    }

    /// Changes what this test captures from now on, per target, with
    /// directives in `RUST_LOG`'s syntax (`info,my_crate::db=trace,hyper=off`;
    /// see [`LogCollector::set_filter`]). Replaces the level or filter the
    /// test had; other tests are not affected.
    ///
    /// # Errors
    ///
    /// [`LogError::InvalidFilter`] when `filter` is not valid; the test keeps
    /// what it captured before.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::set_filter")?;
    /// logs.set_filter("debug,chatty_dep=off")?;
    /// log::error!(target: "chatty_dep::conn", "dependency noise");
    /// log::debug!(target: "my_app", "kept");
    /// logs.assert_not_contains("dependency noise");
    /// logs.assert_contains("kept");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn set_filter(&self, filter: &str) -> Result<(), LogError> {
        self.collector.set_filter(filter)
    }

    /// Forced flush: everything logged so far is in the session file
    /// (which is created if it was not yet).
    ///
    /// # Panics
    ///
    /// If the persister reported an I/O error (the directory was deleted, say).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::flush")?;
    /// log::info!("on disk");
    /// logs.flush();
    /// assert!(std::fs::read_to_string(logs.session_path()).unwrap().contains("on disk"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    #[expect(
        clippy::panic,
        reason = "documented under `# Panics`; the fallible twin is `wait_for_empty`"
    )]
    pub fn flush(&self) {
        if let Err(e) = self.collector.wait_for_empty_blocking() {
            panic!(
                "logged-test could not flush the log of `{}`: {e}",
                self.test_name
            );
        }
    }

    /// A snapshot of everything the test captured so far (read from memory).
    ///
    /// # Panics
    ///
    /// If records past the 8 MiB kept in memory cannot be read back from the
    /// session file.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::captured")?;
    /// log::warn!("low disk");
    /// assert_eq!(logs.captured().records()[0].level, log::Level::Warn);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn captured(&self) -> CapturedLogs {
        let skip = self.cleared.load(Ordering::Relaxed);
        crate::harness::marks::restrict(self.captured_all(), skip)
    }

    /// `captured()` including the records hidden by `clear()`.
    #[track_caller]
    #[expect(
        clippy::panic,
        reason = "documented under `captured`'s `# Panics`; the fallible twin is `LogCollector::captured`"
    )]
    pub(crate) fn captured_all(&self) -> CapturedLogs {
        match self.collector.captured() {
            Ok(logs) => logs
                .with_test_name(&self.test_name)
                .with_session(&self.session_path),
            Err(e) => panic!(
                "logged-test could not read the log of `{}`: {e}",
                self.test_name
            ),
        }
    }

    /// `captured_all()` that never panics.
    pub(crate) fn captured_all_quiet(&self) -> Option<CapturedLogs> {
        let logs = self.collector.captured().ok()?;
        Some(
            logs.with_test_name(&self.test_name)
                .with_session(&self.session_path),
        )
    }

    /// `captured()` that never panics (empty if the log cannot be read).
    fn captured_quiet(&self) -> CapturedLogs {
        let skip = self.cleared.load(Ordering::Relaxed);
        match self.captured_all_quiet() {
            Some(logs) => crate::harness::marks::restrict(logs, skip),
            None => CapturedLogs::new(Vec::new(), self.collector.id(), None),
        }
    }

    /// `captured()` for a failing assertion: the report it panics with
    /// shows the records, so the drop does not print the tail again.
    #[track_caller]
    fn captured_for_report(&self) -> CapturedLogs {
        let logs = self.captured();
        self.report_shown.store(true, Ordering::Relaxed);
        logs
    }

    /// Blocking twin of [`wait_for`](Self::wait_for): blocks the thread until
    /// a record containing `marker` is captured or `timeout` passes; returns
    /// whether it was. For logs from background threads and
    /// servers; the logging thread wakes the caller, nothing polls.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::wait_for_blocking")?;
    /// let server = logged_test::thread::spawn(|| log::info!("listening on 8080"));
    /// assert!(logs.wait_for_blocking("listening", Duration::from_secs(10)));
    /// server.join().unwrap();
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// On a tokio current-thread runtime (use [`wait_for`](Self::wait_for)).
    #[track_caller]
    #[doc(alias = "blocking_wait_for")]
    pub fn wait_for_blocking(&self, marker: &str, timeout: Duration) -> bool {
        match self.cleared_mark() {
            Some(mark) => self.wait_for_since_blocking(mark, marker, timeout),
            None => {
                let found = self.collector.wait_for_blocking(marker, timeout);
                self.expect_marker(found, None, marker);
                found
            }
        }
    }

    /// Waits until a record containing `marker` is captured, or `timeout`
    /// passes; returns whether it was. The async form of
    /// [`wait_for_blocking`](Self::wait_for_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), logged_test::LogError> {
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::wait_for")?;
    /// tokio::spawn(logs.collector().scope(async { log::info!("task done") }));
    /// assert!(logs.wait_for("task done", Duration::from_secs(10)).await);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for(&self, marker: &str, timeout: Duration) -> bool {
        match self.cleared_mark() {
            Some(mark) => self.wait_for_since(mark, marker, timeout).await,
            None => {
                let found = self.collector.wait_for(marker, timeout).await;
                self.expect_marker(found, None, marker);
                found
            }
        }
    }

    /// Asserting form of [`wait_for_blocking`](Self::wait_for_blocking): blocks until a record
    /// containing `marker` is captured, and fails with the usual report
    /// (records so far, the closest one, where the log is) if `timeout`
    /// passes first.
    ///
    /// # Panics
    ///
    /// When no record contains `marker` within `timeout`, and on a tokio
    /// current-thread runtime (use
    /// [`assert_logged_within`](Self::assert_logged_within)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::assert_logged_within_blocking")?;
    /// let server = logged_test::thread::spawn(|| log::info!("listening on 8080"));
    /// logs.assert_logged_within_blocking("listening", Duration::from_secs(10));
    /// server.join().unwrap();
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    #[doc(alias = "blocking_assert_logged_within")]
    pub fn assert_logged_within_blocking(&self, marker: &str, timeout: Duration) {
        if !self.wait_for_blocking(marker, timeout) {
            self.fail_waiting(marker, timeout);
        }
    }

    /// Asserting form of [`wait_for`](Self::wait_for): waits until a record
    /// containing `marker` is captured, and fails with the usual report if
    /// `timeout` passes first. The async form of
    /// [`assert_logged_within_blocking`](Self::assert_logged_within_blocking).
    ///
    /// # Panics
    ///
    /// When no record contains `marker` within `timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), logged_test::LogError> {
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::assert_logged_within")?;
    /// tokio::spawn(logs.collector().scope(async { log::info!("task done") }));
    /// logs.assert_logged_within("task done", Duration::from_secs(10)).await;
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_logged_within(
        &self,
        marker: &str,
        timeout: Duration,
    ) -> impl std::future::Future<Output = ()> + '_ {
        // `#[track_caller]` does not reach into an `async fn` body: capture
        // the caller here and report it in the message.
        let caller = std::panic::Location::caller();
        let marker = marker.to_owned();
        async move {
            if !self.wait_for(&marker, timeout).await {
                self.fail_waiting_at(&marker, timeout, Some(caller));
            }
        }
    }

    #[track_caller]
    fn fail_waiting(&self, marker: &str, timeout: Duration) -> ! {
        self.fail_waiting_at(marker, timeout, None)
    }

    #[track_caller]
    #[expect(
        clippy::panic,
        reason = "fails the `assert_logged_within_blocking` assertion with its report"
    )]
    fn fail_waiting_at(
        &self,
        marker: &str,
        timeout: Duration,
        caller: Option<&std::panic::Location<'_>>,
    ) -> ! {
        let logs = self.captured_for_report();
        let at = caller.map_or(String::new(), |c| format!(" (at {c})"));
        let report = logs.report(
            &format!(
                "expected a record containing {marker:?} within {timeout:?}{at}; none of {} did",
                logs.len()
            ),
            Some(marker),
        );
        panic!("{report}");
    }

    /// Stops routing this thread to the test (its verdict is settled later,
    /// perhaps from a thread-local destructor).
    pub(crate) fn leave_thread(&mut self) {
        drop(self.guard.take());
    }

    /// Marks the test failed (its directory is kept and its tail printed).
    pub(crate) fn mark_failed(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    /// Marks that a failure report with the records was already shown.
    pub(crate) fn mark_report_shown(&self) {
        self.report_shown.store(true, Ordering::Relaxed);
    }

    fn print_failure(&self, logs: Option<&CapturedLogs>, on_disk: Result<(), LogError>) {
        let mut out = String::new();
        if !self.report_shown.load(Ordering::Relaxed) {
            if let Some(logs) = logs {
                out.push_str(&format!(
                    "\n---- captured log of `{}` (logged-test) ----\n",
                    self.test_name
                ));
                // Streamed: a huge spilled log is never loaded whole. The
                // window is wider than the tail shown, to find the failure
                // record behind what teardown logged after it.
                let (tail, total) = logs.tail(FAILURE_WINDOW);
                report::render_failure_tail(&mut out, &tail, total, TAIL_RECORDS);
            }
        }
        match on_disk {
            Ok(()) => out.push_str(&format!(
                "---- full log: {} (directory kept: {}) ----\n",
                self.session_path.display(),
                self.dir_path.display()
            )),
            // Made, then removed while the test ran (a directory that was
            // never made "could not be written", below).
            Err(LogError::Io { ref source, .. })
                if source.kind() == std::io::ErrorKind::NotFound
                    && self.collector.has_directory() =>
            {
                out.push_str(&format!(
                    "---- the full log is not on disk: {source} ({}) ----\n",
                    self.dir_path.display()
                ));
            }
            Err(e) => out.push_str(&format!(
                "---- the full log could not be written to {}: {e} ----\n",
                self.dir_path.display()
            )),
        }
        print_to_test_output(&out);
    }
}

impl LogAssertions for TestLogs {
    /// What the test captured so far, but for the records hidden by
    /// [`clear`](TestLogs::clear); empty if the log cannot be read.
    fn captured_logs(&self) -> Cow<'_, CapturedLogs> {
        Cow::Owned(self.captured_quiet())
    }

    /// A failing assertion reports on a fresh snapshot (which panics if the
    /// log cannot be read), and the drop does not print the tail again.
    #[track_caller]
    fn __logs_for_report(&self) -> Option<Cow<'_, CapturedLogs>> {
        Some(Cow::Owned(self.captured_for_report()))
    }

    fn __expected_marker(&self, _: &CapturedLogs, level: Option<log::Level>, marker: &str) {
        self.expect_marker(true, level, marker);
    }

    fn __expected_records(
        &self,
        logs: &CapturedLogs,
        matches: &dyn Fn(&crate::CapturedRecord) -> bool,
    ) {
        self.expect_records(|| logs.records().iter().filter(|r| matches(r)));
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TestLogs>();
};

/// Prints into the test's captured output (libtest shows it under the failing
/// test). `eprint!` panics if stderr is closed; a panic here, during
/// unwinding, would abort the process.
fn print_to_test_output(text: &str) {
    let _ = std::panic::catch_unwind(|| eprint!("{text}"));
}

impl TestLogs {
    /// The directory a passing test removes: for the first attempt of a
    /// retried test (or one that is not retried) the test's whole directory,
    /// so an earlier run's kept logs go; for a later attempt only its own,
    /// so an earlier failing attempt's log stays.
    fn own_dir(&self) -> &Path {
        match (self.attempt, self.dir_path.parent()) {
            (Some(attempt), Some(test_dir)) if attempt.number == 1 => test_dir,
            _ => &self.dir_path,
        }
    }

    /// Removes a passing test's directory on this thread, and an earlier
    /// run's kept log at its path: one `fstatat` when there is none.
    fn remove_own_dir(&self) -> std::io::Result<()> {
        let dir = self.own_dir();
        if self.collector.has_directory() || crate::engine::session::stale_test_dir_exists(dir) {
            crate::engine::session::remove_test_dir(dir)
        } else {
            Ok(())
        }
    }

    /// After the flush of a kept log: the file is still where it is reported.
    fn still_on_disk(&self) -> Result<(), LogError> {
        match std::fs::symlink_metadata(&self.session_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(LogError::io(
                &self.dir_path,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the log directory or file was removed while the test ran",
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// Writes to the process's real stderr, which libtest does not capture (it
/// captures `eprint!`): for what a person must see although the test passed.
pub(crate) fn print_to_real_stderr(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(text.as_bytes());
}

impl Drop for TestLogs {
    fn drop(&mut self) {
        let panicked = std::thread::panicking();
        let failed = self.failed.load(Ordering::Relaxed) || (panicked && !self.expect_panic);
        // `deny`: an unexpected warning fails a test that would pass.
        let denied = self.deny_report_at_drop(failed);
        let failed = failed || denied.is_some();
        if denied.is_some() {
            self.report_shown.store(true, Ordering::Relaxed);
        }
        drop(self.guard.take());
        let keep = failed || self.keep;
        // A failing or kept test's log goes to disk, whole, before anything
        // is printed about it.
        let on_disk = if keep {
            self.collector
                .open_blocking()
                .and_then(|()| self.collector.wait_for_empty_blocking())
                .and_then(|()| {
                    // An earlier flush may have reported (and so cleared) the
                    // error of a directory that could not be made.
                    if self.collector.has_directory() {
                        Ok(())
                    } else {
                        Err(LogError::io(
                            &self.dir_path,
                            std::io::Error::other("the test's log directory could not be created"),
                        ))
                    }
                })
                .and_then(|()| self.still_on_disk())
        } else {
            Ok(())
        };
        let wants_manifest = env::settings().is_ok_and(|s| s.dir.is_some());
        let logs = if failed || wants_manifest {
            self.collector.captured().ok()
        } else {
            None
        };
        if failed {
            self.print_failure(logs.as_ref(), on_disk.clone());
        }
        // A clone of the collector handed to a thread that is still running
        // must not keep writing into a directory about to be removed, nor
        // keep its registry entry past the test. The persister closes the
        // files; the directory is removed here, on the test's own thread, so
        // that no other test waits for it.
        self.collector.shutdown();
        let removed = if keep { Ok(()) } else { self.remove_own_dir() };
        if let Err(e) = &removed {
            print_to_real_stderr(&format!(
                "logged-test: the directory of the passing test `{}` could not be removed: {} ({e}); remove it by hand\n",
                self.test_name,
                self.own_dir().display()
            ));
        }
        if wants_manifest {
            let log = (keep && on_disk.is_ok()).then_some(self.session_path.as_path());
            let note = match (&removed, &on_disk) {
                (Err(e), _) => Some(format!("not removed: {e}")),
                (_, Err(e)) if keep => Some(format!("not written: {e}")),
                _ => None,
            };
            let settings = env::settings().ok();
            // A retried test's own numbers, else nextest's (attempt 1 of 1).
            let (attempt, attempts) = match self.attempt {
                Some(attempt) => (Some(attempt.number), attempt.total),
                None => (
                    settings.and_then(|s| s.attempt),
                    settings.and_then(|s| s.attempts),
                ),
            };
            manifest::append(&manifest::Line {
                test: &self.test_name,
                binary: binary().name.as_str(),
                log,
                note: note.as_deref(),
                failed,
                logs: logs.as_ref(),
                attempt,
                attempts,
                run_id: settings.and_then(|s| s.run_id.as_deref()),
            });
        }
        if keep && !failed && on_disk.is_ok() {
            print_to_test_output(&format!("logged-test: kept {}\n", self.dir_path.display()));
        }
        self.collector.release();
        release_dir(&self.dir_path);
        if let Some(report) = denied {
            crate::harness::deny::fail_at_drop(&report);
        }
    }
}

/// The attempt nextest runs, when it may retry the test
/// (`NEXTEST_TOTAL_ATTEMPTS` above 1); `None` otherwise, so that runs
/// without retries keep one directory per test.
fn nextest_attempt(settings: &env::Settings) -> Option<Attempt> {
    match (settings.attempt, settings.attempts) {
        (attempt, Some(total)) if total > 1 => Some(Attempt {
            number: attempt.unwrap_or(1),
            total: Some(total),
        }),
        _ => None,
    }
}

/// Test directories planned by live `TestLogs` of this process, so two of
/// the same name never share one.
static CLAIMED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Plans the directory of the test whose directory name is `stem`:
/// `<root>/<test binary>/<stem>` (`.../<stem>/attempt-<n>` for a retried
/// test), with `~<n>` after the stem if a live `TestLogs` of this process
/// already has that name. Nothing is created.
fn claim_dir(
    settings: &env::Settings,
    stem: &str,
    attempt: Option<Attempt>,
) -> Result<PathBuf, LogError> {
    let parent = log_root(settings)?.join(&binary().dir);
    let mut claimed = CLAIMED.lock().unwrap_or_else(PoisonError::into_inner);
    let claimed = claimed.get_or_insert_with(HashSet::new);
    let plan = |stem: &str| {
        let dir = parent.join(stem);
        match attempt {
            Some(attempt) => dir.join(crate::engine::session::attempt_dir_name(attempt.number)),
            None => dir,
        }
    };
    let mut dir = plan(stem);
    let mut n = 2;
    while claimed.contains(&dir) {
        dir = plan(&format!("{stem}~{n}"));
        n += 1;
    }
    claimed.insert(dir.clone());
    Ok(dir)
}

fn release_dir(dir: &Path) {
    if let Some(claimed) = CLAIMED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_mut()
    {
        claimed.remove(dir);
    }
}

/// The directory every test directory of this process is under:
/// `LOGGED_TEST_DIR` (a relative one from the workspace root), else
/// `tmp/logged-test` in the target directory; told to the engine, which
/// makes and removes test directories under it following no symlink.
fn log_root(settings: &env::Settings) -> Result<PathBuf, LogError> {
    use crate::engine::session::{TestRoot, set_test_root};
    let root = match &settings.dir {
        Some(dir) => TestRoot {
            path: env::resolve_dir(dir).map_err(|e| LogError::io(dir, e))?,
            private: false,
        },
        None => default_root(),
    };
    Ok(set_test_root(root).path.clone())
}

/// Where kept logs go without `LOGGED_TEST_DIR`: `tmp/logged-test` in the
/// target directory (cargo's `CARGO_TARGET_TMPDIR`): the test binary's own
/// (`target/debug/deps/x` -> `target`); for a doctest (built outside the
/// target directory) `CARGO_TARGET_DIR`, else `target` in the workspace
/// root; else a directory of this user's (0700) in the system temp dir.
fn default_root() -> crate::engine::session::TestRoot {
    use crate::engine::session::TestRoot;
    let target = env::exe_target_dir().or_else(|| {
        let from_env = std::env::var_os("CARGO_TARGET_DIR")
            .filter(|d| !d.is_empty())
            .and_then(|d| env::resolve_dir(Path::new(&d)).ok());
        from_env.or_else(|| {
            env::workspace_root()
                .map(|root| root.join("target"))
                .filter(|target| target.is_dir())
        })
    });
    match target {
        Some(target) => TestRoot {
            path: target.join("tmp").join("logged-test"),
            private: false,
        },
        None => TestRoot {
            path: std::env::temp_dir().join(user_dir_name()),
            private: true,
        },
    }
}

/// A per-user name in the shared temp dir, so users never share it.
fn user_dir_name() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Our own process directory is owned by our uid.
        if let Ok(meta) = std::fs::metadata("/proc/self") {
            return format!("logged-test-{}", meta.uid());
        }
    }
    match std::env::var("USER") {
        Ok(user) => format!("logged-test-{}", file_stem(&user)),
        Err(_) => "logged-test".to_owned(),
    }
}

/// The running test binary.
#[derive(Debug)]
pub(crate) struct Binary {
    /// The test target's name: the binary's without cargo's hash
    /// (`inherit`, or the crate's for its unit tests), `<crate>-doctests`
    /// for doctests. What the manifest's `binary` says.
    pub(crate) name: String,
    /// Its directory's name: the binary's file name with cargo's hash
    /// (`inherit-0123456789abcdef`), which cargo makes distinct for every
    /// package, target and kind (a lib's unit tests, a bin's, each
    /// `tests/*.rs`) and keeps across rebuilds; `<crate>-doctests`.
    pub(crate) dir: String,
}

/// The running test binary's names, worked out once.
pub(crate) fn binary() -> &'static Binary {
    static BINARY: OnceLock<Binary> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        let stem = exe
            .as_deref()
            .and_then(Path::file_stem)
            .map_or_else(|| "tests".to_owned(), |s| s.to_string_lossy().into_owned());
        let in_deps = exe
            .as_deref()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|d| d == "deps");
        let doctest = !in_deps
            && (stem == "rust_out" || std::env::var_os("RUSTDOC_DOCTEST_RUN_NB_TEST").is_some());
        binary_names(&stem, doctest.then(doctest_crate).as_deref())
    })
}

/// The crate whose doctests are running (rustdoc runs them with cargo's
/// environment for the package).
fn doctest_crate() -> String {
    ["CARGO_CRATE_NAME", "CARGO_PKG_NAME"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "rust_out".to_owned())
}

/// The names of the binary `stem`; `doctests_of` for a doctest binary.
fn binary_names(stem: &str, doctests_of: Option<&str>) -> Binary {
    if let Some(krate) = doctests_of {
        let name = format!("{krate}-doctests");
        return Binary {
            dir: plain_name(&name),
            name,
        };
    }
    let name = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem.to_owned(),
    };
    Binary {
        dir: plain_name(stem),
        name,
    }
}

/// FNV-1a, 64 bits: a hash that stays the same across builds and
/// platforms (std's `DefaultHasher` may change), for directory names.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `name` sanitised to `[A-Za-z0-9_]` and marked with `~` and the hash of
/// the original, so that names that sanitise alike stay apart.
fn hashed_name(name: &str) -> String {
    let mut stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut cut = (MAX_STEM_BYTES - 17).min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    stem.truncate(cut);
    format!("{stem}~{:016x}", stable_hash(name))
}

/// A binary's directory name: the name itself when it is a plain file
/// name (`[A-Za-z0-9_.-]`, not starting with `.`), else [`hashed_name`].
fn plain_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= MAX_STEM_BYTES
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if plain {
        name.to_owned()
    } else {
        hashed_name(name)
    }
}

/// A test's directory name, distinct for distinct names: a Rust path
/// (`tests::it_works`, segments of `[A-Za-z0-9_]`) becomes `tests.it_works`;
/// any other name (`uni测试`, `a__b::`, `weird / name`) is sanitised to
/// `[A-Za-z0-9_]` and followed by `~` and a hash of the name (`uni___~…`).
/// The two shapes never meet (only the first has `.`, only the second `~`),
/// no name starts with `.` or has a `-` (leftovers, `.old-*`, and
/// `attempt-<n>` have those), and none is longer than 200 bytes.
pub(crate) fn dir_stem(test_name: &str) -> String {
    let rust_path = !test_name.is_empty()
        && test_name.len() <= MAX_STEM_BYTES
        && test_name.split("::").all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    if rust_path {
        test_name.replace("::", ".")
    } else {
        hashed_name(test_name)
    }
}

/// Turns a test name into a session file stem: `tests::it works` -> `tests__it_works`.
pub(crate) fn file_stem(test_name: &str) -> String {
    let mut stem: String = test_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.trim_matches('.').is_empty() {
        stem = format!("test{stem}");
    }
    let mut cut = MAX_STEM_BYTES.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    stem.truncate(cut);
    stem
}

#[cfg(test)]
mod should {
    use super::{binary_names, dir_stem, file_stem};

    #[test]
    fn make_safe_file_stems() {
        assert_eq!(file_stem("tests::a"), "tests__a");
        assert_eq!(file_stem(".."), "test..");
        assert_eq!(file_stem(""), "test");
        assert_eq!(file_stem(&"x".repeat(300)).len(), 200);
    }

    #[test]
    fn give_distinct_names_distinct_directories() {
        assert_eq!(dir_stem("tests::common"), "tests.common");
        assert_eq!(dir_stem("it_works"), "it_works");
        let names = [
            "uni测试",
            "uni检查",
            "a::b",
            "a__b",
            "a_::b",
            "a::_b",
            "a.b",
            "a~b",
            "a-b",
            "a b",
            "",
            ".",
            "..",
            "::",
            "a::",
            "::a",
            "a:b",
            ".old-1",
            "x.old-12",
            "attempt-1",
            "tests.common",
            &"x".repeat(300),
            &format!("{}y", "x".repeat(300)),
        ];
        let stems: Vec<String> = names.iter().map(|name| dir_stem(name)).collect();
        for (i, a) in stems.iter().enumerate() {
            assert!(!a.is_empty() && a.len() <= 200, "{:?} -> {a:?}", names[i]);
            assert!(
                !a.starts_with('.'),
                "{:?} -> {a:?} would be hidden",
                names[i]
            );
            assert!(
                !a.contains(['-', '/', '\\', ':']),
                "{:?} -> {a:?}",
                names[i]
            );
            for (j, b) in stems.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{:?} and {:?} share a directory", names[i], names[j]);
            }
        }
        // Stable across builds: FNV-1a (checked with an independent implementation).
        assert_eq!(dir_stem("uni测试"), "uni__~1f4f9ac6da0933f3");
    }

    /// Issue 17, item 9: a big removal held midway, on the thread that
    /// drops the test's logs, does not hold up another test's flush.
    #[test]
    fn remove_a_big_directory_without_holding_up_another_flush() {
        use crate::TestLogs;
        let big = TestLogs::new("test_logs::big_removal").unwrap();
        let dir = big.dir().to_path_buf();
        let files = dir.join("files");
        std::fs::create_dir(&files).unwrap();
        for i in 0..20_000 {
            std::fs::File::create(files.join(i.to_string())).unwrap();
        }
        let (paused_tx, paused_rx) = std::sync::mpsc::channel();
        let (resume_tx, resume_rx) = std::sync::mpsc::channel::<()>();
        let dropper = std::thread::spawn(move || {
            crate::engine::session::pause_removals_on_this_thread(move || {
                paused_tx.send(()).unwrap();
                resume_rx.recv().unwrap();
            });
            drop(big);
        });
        paused_rx.recv().unwrap();
        // The removal is under way (1,000 of 20,000 files gone) and held.
        let left = std::fs::read_dir(&files).unwrap().count();
        assert!((1..20_000).contains(&left), "{left} files left");

        let other = TestLogs::new("test_logs::flush_during_removal").unwrap();
        log::info!("flushed while another directory is removed");
        other.flush();
        let text = std::fs::read_to_string(other.session_path()).unwrap();
        assert!(text.contains("flushed while another directory is removed"));
        // The flush is done, and the removal is not.
        assert!(files.exists());

        resume_tx.send(()).unwrap();
        dropper.join().unwrap();
        assert!(!dir.exists(), "the passing test's directory is left");
    }

    /// Issue 21: in-process retries (`Options::with_attempt`) keep each
    /// failing attempt's log; the next run's first attempt starts afresh.
    #[test]
    fn keep_each_failing_attempt_of_an_in_process_retry() {
        use super::{Options, TestLogs};
        let name = "test_logs::retried_in_process";
        let attempt = |n| {
            let options = Options::default().with_attempt(n, Some(3));
            TestLogs::with_options(name, &options).unwrap()
        };
        let first = attempt(1);
        log::info!("attempt one");
        let first_dir = first.dir().to_path_buf();
        first.mark_failed();
        drop(first);
        let second = attempt(2);
        log::info!("attempt two");
        let second_dir = second.dir().to_path_buf();
        drop(second);
        assert!(first_dir.ends_with("test_logs.retried_in_process/attempt-1"));
        assert!(second_dir.ends_with("test_logs.retried_in_process/attempt-2"));
        let kept =
            std::fs::read_to_string(first_dir.join("test_logs__retried_in_process.log")).unwrap();
        assert!(
            kept.contains("attempt one") && !kept.contains("attempt two"),
            "{kept}"
        );
        assert!(
            !second_dir.exists(),
            "the passing attempt's directory is left"
        );

        // The next run: its first attempt passes without touching the disk,
        // and the earlier run's attempts go.
        let next = attempt(1);
        log::info!("next run");
        drop(next);
        assert!(!first_dir.parent().unwrap().exists());
    }

    #[test]
    fn name_binaries_after_cargo_s_file_names() {
        let lib = binary_names("probe-9949de8168e972d0", None);
        let bin = binary_names("probe-3ae72af9125bc351", None);
        assert_eq!(
            (lib.name.as_str(), lib.dir.as_str()),
            ("probe", "probe-9949de8168e972d0")
        );
        assert_eq!(bin.name, "probe");
        assert_ne!(
            lib.dir, bin.dir,
            "a lib's and a bin's unit tests share a directory"
        );
        let doctests = binary_names("rust_out", Some("probe"));
        assert_eq!(
            (doctests.name.as_str(), doctests.dir.as_str()),
            ("probe-doctests", "probe-doctests")
        );
        let odd = binary_names(".hidden tests", None);
        assert!(odd.dir.starts_with("_hidden_tests~"), "{}", odd.dir);
    }
}
