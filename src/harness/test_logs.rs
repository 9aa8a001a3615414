//! `TestLogs`: one test's collector, directory and session.
//!
//! The records live in memory. The test's directory
//! (`<target>/tmp/logged-test/<test binary>/<test name>/`, or under
//! `LOGGED_TEST_DIR`) is created only when it helps: the test fails, is
//! kept, asks for a path or a flush, logs more than memory holds, or runs
//! longer than a moment. A short passing test touches no disk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use log::LevelFilter;

use crate::engine::collector::LogCollector;
use crate::engine::logger;
use crate::engine::routing::ThreadRoute;
use crate::env;
use crate::error::LogError;
use crate::harness::captured::CapturedLogs;
use crate::harness::{manifest, report};

/// Records printed under a failing test.
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
/// use logged_test::TestLogs;
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
}

/// How to set up a [`TestLogs`]; what the macro options turn into.
#[derive(Debug, Default, Clone)]
pub(crate) struct Options<'a> {
    pub(crate) level: Option<LevelFilter>,
    pub(crate) session: Option<&'a str>,
    pub(crate) keep: bool,
    pub(crate) expect_panic: bool,
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
        let dir_path = claim_dir(&settings.dir, &stem)?;
        let live = settings.live.map(|level| (level, test_name));
        let collector = Arc::new(LogCollector::in_memory(dir_path.clone(), live));
        collector.set_level(
            options
                .level
                .or(settings.level)
                .unwrap_or(LevelFilter::Trace),
        );
        collector.begin_session_in_memory(&session_name)?;
        let guard = collector.enter_for_owner();
        Ok(TestLogs {
            guard: Some(guard),
            session_path: dir_path.join(&session_name),
            dir_path,
            collector,
            test_name: test_name.to_owned(),
            keep: options.keep || settings.keep,
            expect_panic: options.expect_panic,
            failed: AtomicBool::new(false),
            report_shown: AtomicBool::new(false),
        })
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
    #[expect(
        clippy::panic,
        reason = "documented under `# Panics`; the fallible twin is `LogCollector::captured`"
    )]
    pub fn captured(&self) -> CapturedLogs {
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

    /// `captured()` for a failing assertion: the report it panics with
    /// shows the records, so the drop does not print the tail again.
    #[track_caller]
    fn captured_for_report(&self) -> CapturedLogs {
        let logs = self.captured();
        self.report_shown.store(true, Ordering::Relaxed);
        logs
    }

    /// Runs `check` over the records without copying them when they are all
    /// in memory; `None` when some are only on disk.
    fn check<R>(
        &self,
        check: impl Fn(&mut dyn Iterator<Item = (log::Level, &str)>) -> R,
    ) -> Option<R> {
        self.collector
            .check_records(|records| check(&mut records.map(|e| (e.level, &*e.message))))
    }

    /// Whether some record matches `matches(level, message)`.
    fn any(&self, matches: impl Fn(log::Level, &str) -> bool) -> bool {
        let fast = self.check(|records| {
            for (level, message) in records {
                if matches(level, message) {
                    return true;
                }
            }
            false
        });
        // A spilled log is read back streaming, never loaded whole.
        fast.unwrap_or_else(|| {
            self.collector
                .captured()
                .is_ok_and(|logs| logs.any_message(&matches))
        })
    }

    /// Whether some record contains `marker`. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::contains")?;
    /// log::info!("cache hit");
    /// assert!(logs.contains("cache hit"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn contains(&self, marker: &str) -> bool {
        self.any(|_, message| message.contains(marker))
    }

    /// How many records contain `marker`. Never panics (0 if the log cannot
    /// be read).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::count")?;
    /// log::info!("retry");
    /// log::info!("retry");
    /// assert_eq!(logs.count("retry"), 2);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn count(&self, marker: &str) -> usize {
        self.check(|records| records.filter(|(_, m)| m.contains(marker)).count())
            .unwrap_or_else(|| {
                self.collector
                    .captured()
                    .map_or(0, |logs| logs.count(marker))
            })
    }

    /// How many records `matches` accepts (any test over a
    /// [`CapturedRecord`](crate::CapturedRecord)). Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::count_where")?;
    /// log::warn!("slow query");
    /// log::info!("fast query");
    /// assert_eq!(logs.count_where(|r| r.level <= log::Level::Warn), 1);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn count_where(&self, matches: impl Fn(&crate::CapturedRecord) -> bool) -> usize {
        self.collector
            .captured()
            .map_or(0, |logs| logs.count_where(matches))
    }

    /// [`CapturedLogs::assert_any`] on what was captured so far.
    ///
    /// # Panics
    ///
    /// When no record is accepted by `matches`.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::assert_any")?;
    /// log::error!("payment 7 declined");
    /// logs.assert_any("an error about payment 7", |r| {
    ///     r.level == log::Level::Error && r.message.contains("payment 7")
    /// });
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_any(&self, what: &str, matches: impl Fn(&crate::CapturedRecord) -> bool) {
        let logs = self.captured();
        // Streamed: a spilled log is never loaded whole.
        if !logs.any_record(&matches) {
            self.report_shown.store(true, Ordering::Relaxed);
            logs.assert_any(what, matches);
        }
    }

    /// [`CapturedLogs::assert_contains`] on what was captured so far.
    ///
    /// # Panics
    ///
    /// When no record contains `marker`.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::assert_contains")?;
    /// log::info!("ready");
    /// logs.assert_contains("ready");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_contains(&self, marker: &str) {
        if !(self.contains(marker)) {
            self.captured_for_report().assert_contains(marker);
        }
    }

    /// [`CapturedLogs::assert_not_contains`] on what was captured so far.
    ///
    /// # Panics
    ///
    /// When a record contains `marker`.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::assert_not_contains")?;
    /// logs.assert_not_contains("panic");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_not_contains(&self, marker: &str) {
        if self.contains(marker) {
            self.captured_for_report().assert_not_contains(marker);
        }
    }

    /// [`CapturedLogs::assert_in_order`] on what was captured so far.
    ///
    /// # Panics
    ///
    /// When the markers are missing or out of order.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::assert_in_order")?;
    /// log::info!("open");
    /// log::info!("close");
    /// logs.assert_in_order(&["open", "close"]);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_in_order(&self, markers: &[&str]) {
        let logs = self.captured();
        self.report_shown.store(true, Ordering::Relaxed);
        logs.assert_in_order(markers);
        self.report_shown.store(false, Ordering::Relaxed);
    }

    /// [`CapturedLogs::assert_count`] on what was captured so far.
    ///
    /// # Panics
    ///
    /// When the count differs.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::assert_count")?;
    /// log::info!("tick");
    /// logs.assert_count("tick", 1);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_count(&self, marker: &str, expected: usize) {
        if self.count(marker) != expected {
            self.captured_for_report().assert_count(marker, expected);
        }
    }

    /// [`CapturedLogs::assert_logged_at`] on what was captured so far.
    ///
    /// # Panics
    ///
    /// When no record at exactly `level` contains `marker`.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::assert_logged_at")?;
    /// log::error!("boom");
    /// logs.assert_logged_at(log::Level::Error, "boom");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_logged_at(&self, level: log::Level, marker: &str) {
        if !self.any(|l, message| l == level && message.contains(marker)) {
            self.captured_for_report().assert_logged_at(level, marker);
        }
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
        self.collector.wait_for_blocking(marker, timeout)
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
        self.collector.wait_for(marker, timeout).await
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
        if !self.collector.wait_for_blocking(marker, timeout) {
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
            if !self.collector.wait_for(&marker, timeout).await {
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
                // Streamed: a huge spilled log is never loaded whole.
                let (tail, total) = logs.tail(TAIL_RECORDS);
                report::render_tail(&mut out, &tail, total, TAIL_RECORDS);
            }
        }
        match on_disk {
            Ok(()) => out.push_str(&format!(
                "---- full log: {} (directory kept: {}) ----\n",
                self.session_path.display(),
                self.dir_path.display()
            )),
            Err(e) => out.push_str(&format!(
                "---- the full log could not be written to {}: {e} ----\n",
                self.dir_path.display()
            )),
        }
        print_to_test_output(&out);
    }

    /// [`CapturedLogs::contains_field`] on what was captured so far. Never
    /// panics (false if the log cannot be read).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::contains_field")?;
    /// log::info!(user = "ada"; "signed in");
    /// assert!(logs.contains_field("signed in", "user", "ada"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn contains_field(&self, marker: &str, key: &str, value: &str) -> bool {
        self.collector
            .captured()
            .is_ok_and(|logs| logs.contains_field(marker, key, value))
    }

    /// [`CapturedLogs::assert_field`] on what was captured so far.
    ///
    /// # Panics
    ///
    /// When no record containing `marker` has `key` with `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::assert_field")?;
    /// log::info!(user = "ada"; "signed in");
    /// logs.assert_field("signed in", "user", "ada");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_field(&self, marker: &str, key: &str, value: &str) {
        if !self.contains_field(marker, key, value) {
            self.captured_for_report().assert_field(marker, key, value);
        }
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

impl Drop for TestLogs {
    fn drop(&mut self) {
        let panicked = std::thread::panicking();
        let failed = self.failed.load(Ordering::Relaxed) || (panicked && !self.expect_panic);
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
        if wants_manifest {
            let log = (keep && on_disk.is_ok()).then_some(self.session_path.as_path());
            manifest::append(&self.test_name, log, failed, logs.as_ref());
        }
        // A clone of the collector handed to a thread that is still running
        // must not keep writing into a directory about to be removed, nor
        // keep its registry entry past the test.
        if keep {
            self.collector.shutdown();
        } else {
            self.collector.shutdown_removing_dir();
        }
        if keep && !failed && on_disk.is_ok() {
            print_to_test_output(&format!("logged-test: kept {}\n", self.dir_path.display()));
        }
        self.collector.release();
        release_dir(&self.dir_path);
    }
}

/// Test directories planned by live `TestLogs` of this process, so two of
/// the same name never share one.
static CLAIMED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Plans the directory of the test `stem`:
/// `<base>/<test binary>/<stem>`, with a numeric suffix if a live
/// `TestLogs` of this process already has that name. Nothing is created.
fn claim_dir(base: &Option<PathBuf>, stem: &str) -> Result<PathBuf, LogError> {
    let parent = match base {
        Some(dir) => std::path::absolute(dir)
            .map_err(|e| LogError::io(dir, e))?
            .join(binary_name()),
        None => default_base().join(binary_name()),
    };
    let mut claimed = CLAIMED.lock().unwrap_or_else(PoisonError::into_inner);
    let claimed = claimed.get_or_insert_with(HashSet::new);
    let mut dir = parent.join(stem);
    let mut n = 2;
    while claimed.contains(&dir) {
        dir = parent.join(format!("{stem}.{n}"));
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

/// Where kept logs go without `LOGGED_TEST_DIR`: `tmp/logged-test` in the
/// target directory of the running test binary (`target/debug/deps/x` ->
/// `target/tmp/logged-test`, cargo's `CARGO_TARGET_TMPDIR`), else the
/// system temp dir.
fn default_base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        let target = exe.as_deref().and_then(|exe| {
            let deps = exe.parent()?;
            (deps.file_name()? == "deps").then_some(deps.parent()?.parent()?)
        });
        match target {
            Some(target) => target.join("tmp").join("logged-test"),
            None => std::env::temp_dir().join(user_dir_name()),
        }
    })
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

/// The running test binary's name without cargo's hash (`mytests-0123abcd...` -> `mytests`).
fn binary_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        let stem = exe
            .as_deref()
            .and_then(Path::file_stem)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tests".to_owned());
        let name = match stem.rsplit_once('-') {
            Some((name, hash))
                if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                name.to_owned()
            }
            _ => stem,
        };
        file_stem(&name)
    })
}

/// Turns a test name into a file stem: `tests::it works` -> `tests__it_works`.
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
    use super::file_stem;

    #[test]
    fn make_safe_file_stems() {
        assert_eq!(file_stem("tests::a"), "tests__a");
        assert_eq!(file_stem(".."), "test..");
        assert_eq!(file_stem(""), "test");
        assert_eq!(file_stem(&"x".repeat(300)).len(), 200);
    }
}
