//! `TestLogs`: one test's collector, directory and session.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use log::LevelFilter;
use tempfile::TempDir;

use crate::captured::CapturedLogs;
use crate::collector::LogCollector;
use crate::error::LogError;
use crate::routing::ScopeGuard;
use crate::{env, logger, manifest, report};

/// Records printed under a failing test.
const TAIL_RECORDS: usize = 30;
/// Longest file stem made from a test name.
const MAX_STEM_BYTES: usize = 200;

/// One test's logs: a fresh [`LogCollector`] in a private temporary
/// directory, a session file named after the test, and this thread routed to
/// it for as long as the `TestLogs` lives.
///
/// `#[logged_test]` and the `test_logs` rstest fixture make one for you.
/// When the test passes, the directory is removed; when it fails (panics or
/// returns `Err` under `#[logged_test]`), the directory is kept and the last
/// records are printed with the file's path.
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
#[derive(Debug)]
pub struct TestLogs {
    // Field order is drop order: unroute, stop the collector, then remove the directory.
    guard: Option<ScopeGuard>,
    collector: Arc<LogCollector>,
    dir: Option<TempDir>,
    dir_path: PathBuf,
    session_path: PathBuf,
    test_name: String,
    keep: bool,
    expect_panic: bool,
    failed: Cell<bool>,
    report_shown: Cell<bool>,
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
    /// Sets up logs for the test `test_name`: a new directory (under
    /// `LOGGED_TEST_DIR` if set, else the system temp dir, mode 0700), the
    /// dispatcher installed as the `log` logger, a session
    /// `<test name>.log` (made safe as a file name) and this thread routed to
    /// the collector.
    ///
    /// # Errors
    ///
    /// - [`LogError::ForeignLogger`] if another logger owns the `log` slot.
    /// - [`LogError::InvalidEnvVar`] for a bad `LOGGED_TEST_*` value.
    /// - [`LogError::Io`] if the directory or session cannot be created.
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
        let dir = match &settings.dir {
            Some(base) => {
                std::fs::create_dir_all(base).map_err(|e| LogError::io(base, e))?;
                private_dir_builder(&format!("{stem}-"))
                    .tempdir_in(base)
                    .map_err(|e| LogError::io(base, e))?
            }
            None => private_dir_builder(&format!("logged-test-{stem}-"))
                .tempdir()
                .map_err(|e| LogError::io(std::env::temp_dir(), e))?,
        };
        let collector = Arc::new(LogCollector::without_ui(dir.path())?);
        collector.set_level(
            options
                .level
                .or(settings.level)
                .unwrap_or(LevelFilter::Trace),
        );
        let session_name = match options.session {
            Some(name) => name.to_owned(),
            None => format!("{stem}.log"),
        };
        let session_path = collector.start_new_session_blocking(&session_name)?;
        let guard = collector.enter();
        Ok(TestLogs {
            guard: Some(guard),
            dir_path: collector.log_dir().to_path_buf(),
            collector,
            dir: Some(dir),
            session_path,
            test_name: test_name.to_owned(),
            keep: options.keep || settings.keep,
            expect_panic: options.expect_panic,
            failed: Cell::new(false),
            report_shown: Cell::new(false),
        })
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

    /// The test's private directory.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::dir")?;
    /// assert!(logs.dir().is_dir());
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    /// The session file the test's records go to.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::session")?;
    /// assert_eq!(logs.session_path().parent(), Some(logs.dir()));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn session_path(&self) -> &Path {
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

    /// Forced flush: everything logged so far is in the session file.
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
    pub fn flush(&self) {
        if let Err(e) = self.collector.wait_for_empty_blocking() {
            panic!(
                "logged-test could not flush the log of `{}`: {e}",
                self.test_name
            );
        }
    }

    /// Flushes and returns a snapshot of everything the test captured.
    ///
    /// # Panics
    ///
    /// If the log cannot be flushed or read back.
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
        match self.collector.captured() {
            Ok(logs) => logs.with_test_name(&self.test_name),
            Err(e) => panic!(
                "logged-test could not read the log of `{}`: {e}",
                self.test_name
            ),
        }
    }

    /// `captured()` for an assertion: the report it may panic with already
    /// shows the records, so the tail is not printed again.
    #[track_caller]
    fn captured_for_assertion(&self) -> CapturedLogs {
        let logs = self.captured();
        self.report_shown.set(true);
        logs
    }

    /// Whether some record contains `marker`; flushes first. Never panics.
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
        self.collector.captured().is_ok_and(|l| l.contains(marker))
    }

    /// How many records contain `marker`; flushes first. Never panics (0 if
    /// the log cannot be read).
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
        self.collector.captured().map_or(0, |l| l.count(marker))
    }

    /// [`CapturedLogs::assert_contains`] after a forced flush.
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
        self.captured_for_assertion().assert_contains(marker);
        self.report_shown.set(false);
    }

    /// [`CapturedLogs::assert_not_contains`] after a forced flush.
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
        self.captured_for_assertion().assert_not_contains(marker);
        self.report_shown.set(false);
    }

    /// [`CapturedLogs::assert_in_order`] after a forced flush.
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
        self.captured_for_assertion().assert_in_order(markers);
        self.report_shown.set(false);
    }

    /// [`CapturedLogs::assert_count`] after a forced flush.
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
        self.captured_for_assertion().assert_count(marker, expected);
        self.report_shown.set(false);
    }

    /// [`CapturedLogs::assert_logged_at`] after a forced flush.
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
        self.captured_for_assertion()
            .assert_logged_at(level, marker);
        self.report_shown.set(false);
    }

    /// Waits until a record containing `marker` is captured or `timeout`
    /// passes; returns whether it was. For logs from background threads and
    /// servers; the persister wakes the caller, nothing polls.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::wait_for")?;
    /// let server = logged_test::thread::spawn(|| log::info!("listening on 8080"));
    /// assert!(logs.wait_for("listening", Duration::from_secs(10)));
    /// server.join().unwrap();
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// On a tokio current-thread runtime (use [`wait_for_async`](Self::wait_for_async)).
    #[track_caller]
    pub fn wait_for(&self, marker: &str, timeout: Duration) -> bool {
        self.collector.wait_for(marker, timeout)
    }

    /// Async twin of [`wait_for`](Self::wait_for).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), logged_test::LogError> {
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::wait_for_async")?;
    /// tokio::spawn(logs.collector().scope(async { log::info!("task done") }));
    /// assert!(logs.wait_for_async("task done", Duration::from_secs(10)).await);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for_async(&self, marker: &str, timeout: Duration) -> bool {
        self.collector.wait_for_async(marker, timeout).await
    }

    /// Marks the test failed (its directory is kept and its tail printed).
    pub(crate) fn mark_failed(&self) {
        self.failed.set(true);
    }

    /// Marks that a failure report with the records was already shown.
    pub(crate) fn mark_report_shown(&self) {
        self.report_shown.set(true);
    }

    fn print_failure(&self, logs: Option<&CapturedLogs>) {
        let mut out = String::new();
        if !self.report_shown.get() {
            if let Some(logs) = logs {
                out.push_str(&format!(
                    "\n---- captured log of `{}` (logged-test) ----\n",
                    self.test_name
                ));
                report::render_records(&mut out, logs.records(), TAIL_RECORDS);
            }
        }
        out.push_str(&format!(
            "---- full log: {} (directory kept: {}) ----\n",
            self.session_path.display(),
            self.dir_path.display()
        ));
        print_to_test_output(&out);
    }

    /// [`CapturedLogs::contains_field`] after a forced flush. Never panics.
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
        self.captured().contains_field(marker, key, value)
    }

    /// [`CapturedLogs::assert_field`] after a forced flush.
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
        self.captured_for_assertion()
            .assert_field(marker, key, value);
        self.report_shown.set(false);
    }
}

/// Prints into the test's captured output (libtest shows it under the failing
/// test). `eprint!` panics if stderr is closed; a panic here, during
/// unwinding, would abort the process.
fn print_to_test_output(text: &str) {
    let _ = std::panic::catch_unwind(|| eprint!("{text}"));
}

impl Drop for TestLogs {
    fn drop(&mut self) {
        let panicked = std::thread::panicking();
        let failed = self.failed.get() || (panicked && !self.expect_panic);
        drop(self.guard.take());
        let wants_manifest = env::settings().is_ok_and(|s| s.dir.is_some());
        let logs = if failed || wants_manifest {
            self.collector.captured().ok()
        } else {
            None
        };
        if failed {
            self.print_failure(logs.as_ref());
        }
        if wants_manifest {
            manifest::append(&self.test_name, &self.session_path, failed, logs.as_ref());
        }
        // A clone of the collector handed to a thread that is still running
        // must not keep writing into a directory about to be removed, nor
        // keep its registry entry and thread past the test.
        self.collector.shutdown();
        if failed || self.keep {
            if let Some(dir) = self.dir.take() {
                let _ = dir.keep();
            }
            if !failed {
                print_to_test_output(&format!("logged-test: kept {}\n", self.dir_path.display()));
            }
        }
    }
}

/// A temp-dir builder whose directories only the user can read (0700):
/// logs can hold secrets, and `/tmp` is shared.
fn private_dir_builder(prefix: &str) -> tempfile::Builder<'_, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder
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
