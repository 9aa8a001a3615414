//! `LogCollector`: one log directory, its own queue and sessions, written
//! by the process's persister thread.

use std::future::Future;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use log::LevelFilter;
use tokio::sync::mpsc;

use crate::engine::capture;
use crate::engine::filter::Directives;
use crate::engine::logger;
use crate::engine::message::Message;
use crate::engine::persister;
use crate::engine::protocol::{self, Ack, Control, Reply};
use crate::engine::record::{Entry, LogLine, Text};
use crate::engine::registry::{self, Sink};
use crate::engine::routing::{self, ScopeGuard};
use crate::engine::session::{self, LogDir};
use crate::engine::store::{Core, CreateDir, Mode, Segment, Snapshot, Watch};
use crate::error::LogError;

/// Target of records written with [`LogCollector::log`] and [`LogCollector::log_str`].
pub const DIRECT_TARGET: &str = "logged_test";

/// Captures log records into files in its own directory, through its own
/// queue, written by the process's background persister thread.
///
/// Many collectors can be alive at once; each record of the global `log`
/// logger goes to exactly one of them, chosen by the routing rules (see the
/// crate docs), or to none. Dropping a collector writes everything it was
/// sent, closes its files and unregisters it.
///
/// # Examples
///
/// One collector as the process-wide logger, with a UI channel:
///
/// ```
/// use std::sync::Arc;
/// use logged_test::LogCollector;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let (ui_tx, _ui_rx) = tokio::sync::mpsc::channel(256);
/// let log_collector = Arc::new(LogCollector::new(dir.path(), ui_tx)?);
/// log_collector.clone().init_global_logger(log::LevelFilter::Info)?;
///
/// let session = log_collector.start_new_session("my_test.log").await?;
/// log_collector.log_str("[MYTEST] Testing feature X");
/// log::info!("routed here: the collector was created on this thread");
/// log_collector.wait_for_empty().await?;
///
/// let content = std::fs::read_to_string(&session)?;
/// assert!(content.contains("[MYTEST] Testing feature X"));
/// assert!(content.contains("routed here"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct LogCollector {
    sink: Arc<Sink>,
    log_dir: PathBuf,
    /// A harness collector: its directory is made when first needed.
    lazy: bool,
    /// Set by the first [`shutdown`](Self::shutdown) (or drop).
    shut: AtomicBool,
    /// What the crash path knows of this collector, until it shuts down.
    #[cfg(unix)]
    crash: Option<Arc<crate::engine::crash::Tracked>>,
}

impl LogCollector {
    /// Creates a collector writing into `log_dir` (created if missing) that
    /// also sends every record to `ui_tx`, without ever blocking on it.
    ///
    /// Records that do not fit in `ui_tx` are still written to disk and are
    /// counted by [`ui_missed`](Self::ui_missed).
    ///
    /// # Errors
    ///
    /// [`LogError::Io`] if `log_dir` cannot be created, made absolute or
    /// opened.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let (ui_tx, _ui_rx) = tokio::sync::mpsc::channel(256);
    /// let collector = logged_test::LogCollector::new(dir.path().join("logs"), ui_tx)?;
    /// assert!(collector.log_dir().is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(log_dir: impl AsRef<Path>, ui_tx: mpsc::Sender<LogLine>) -> Result<Self, LogError> {
        Self::build(log_dir.as_ref(), Some(ui_tx))
    }

    /// Creates a collector writing into `log_dir` (created if missing), with no UI channel.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let first = logged_test::LogCollector::without_ui(dir.path())?;
    /// let second = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert!(second.id() > first.id());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_ui(log_dir: impl AsRef<Path>) -> Result<Self, LogError> {
        Self::build(log_dir.as_ref(), None)
    }

    fn build(log_dir: &Path, ui: Option<mpsc::Sender<LogLine>>) -> Result<Self, LogError> {
        // `create_dir_all` starts with a `mkdir` that fails on an existing
        // directory (the usual case, e.g. a test's fresh temp dir): look first.
        if !log_dir.is_dir() {
            std::fs::create_dir_all(log_dir).map_err(|e| LogError::io(log_dir, e))?;
        }
        let log_dir = std::path::absolute(log_dir).map_err(|e| LogError::io(log_dir, e))?;
        // Every file is opened relative to this handle from now on, so a
        // symlink swapped in for the directory or a parent redirects nothing.
        let handle = LogDir::open(&log_dir).map_err(|e| LogError::io(&log_dir, e))?;
        persister::start();
        let core = Core::new(
            registry::next_id(),
            Mode::Disk,
            log_dir.clone(),
            CreateDir::Exists,
            ui,
        );
        *core
            .dir_handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(handle);
        Ok(LogCollector::register(core, log_dir, false))
    }

    /// A collector of the test harness: records stay in memory, and the
    /// directory `planned_dir` is created (fresh and private) only when
    /// something needs the disk, or after the test ran a while.
    pub(crate) fn in_memory(
        planned_dir: PathBuf,
        live: Option<(LevelFilter, &str)>,
    ) -> LogCollector {
        persister::start();
        let mut core = Core::new(
            registry::next_id(),
            Mode::Memory,
            planned_dir.clone(),
            CreateDir::Fresh,
            None,
        );
        core.live = live.map(|(level, test)| (level, Box::from(test)));
        let collector = LogCollector::register(core, planned_dir, true);
        persister::open_later(&collector.sink.core);
        collector
    }

    fn register(core: Core, log_dir: PathBuf, lazy: bool) -> LogCollector {
        let sink = Arc::new(Sink::new(Arc::new(core)));
        registry::register(Arc::clone(&sink));
        routing::note_created_here(&sink);
        #[cfg(unix)]
        let crash = crate::engine::crash::track(&sink.core);
        LogCollector {
            sink,
            log_dir,
            lazy,
            shut: AtomicBool::new(false),
            #[cfg(unix)]
            crash,
        }
    }

    fn core(&self) -> &Arc<Core> {
        &self.sink.core
    }

    /// Whether the log is still only in memory (a harness collector that
    /// has not needed its directory yet).
    pub(crate) fn is_in_memory(&self) -> bool {
        self.core().mode() == Mode::Memory
    }

    /// Puts the log on disk now (a harness collector creates its directory
    /// and writes what it held), and waits until that is done.
    pub(crate) fn open_blocking(&self) -> Result<(), LogError> {
        let (ack, reply) = protocol::reply();
        if Core::open(self.core(), Some(ack))? {
            reply.blocking_recv()?.map(|_| ())
        } else {
            self.sync_blocking()
        }
    }

    async fn open_async(&self) -> Result<(), LogError> {
        let (ack, reply) = protocol::reply();
        if Core::open(self.core(), Some(ack))? {
            reply.await?.map(|_| ())
        } else {
            self.request(Control::Sync)?.await
        }
    }

    /// Waits until everything queued so far is written and in memory.
    fn sync_blocking(&self) -> Result<(), LogError> {
        self.request(Control::Sync)?.blocking_recv()
    }

    /// Memory mode: begins the session `name` without touching the disk.
    pub(crate) fn begin_session_in_memory(&self, name: &str) -> Result<(), LogError> {
        session::validate_name(name)?;
        if self.core().begin_session_in_memory(name) {
            Ok(())
        } else {
            self.start_new_session_blocking(name).map(|_| ())
        }
    }

    /// This collector's unique id (the first collector of a process gets 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert!(collector.id() >= 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.sink.id
    }

    /// The directory this collector writes into (absolute).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert_eq!(collector.log_dir(), dir.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_dir(&self) -> &Path {
        if self.lazy {
            // An error stays pending for the next `wait_for_empty`.
            let _ = self.open_blocking();
        }
        &self.log_dir
    }

    /// Sets the most verbose level this collector captures (default `Trace`).
    /// Other collectors are not affected.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.set_level(log::LevelFilter::Warn);
    /// collector.log(log::Level::Info, "dropped");
    /// collector.log(log::Level::Error, "kept");
    /// assert_eq!(collector.captured()?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_level(&self, level: LevelFilter) {
        self.sink.set_level(level);
    }

    /// Sets what this collector captures with per-target directives in
    /// `RUST_LOG`'s syntax (`info,my_crate::db=trace,hyper=off`): the last
    /// directive whose target is a prefix of the record's target decides,
    /// and a bare level applies to every other target. As with `RUST_LOG`,
    /// a target that no directive names and no bare level covers is not
    /// captured. Replaces the level or filter set before;
    /// [`set_level`](Self::set_level) replaces this one. A record left out
    /// costs no formatting: it is dropped before its message is built.
    ///
    /// # Errors
    ///
    /// [`LogError::InvalidFilter`] when `filter` is not valid (an unknown
    /// level, a directive with two `=`, a `/pattern` message filter, or no
    /// directive at all); the collector keeps what it had.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// let _route = collector.enter();
    /// logged_test::init_logger()?;
    /// collector.set_filter("warn,my_app::db=trace,noisy_dep=off")?;
    /// log::trace!(target: "my_app::db::pool", "checked out");
    /// log::info!(target: "my_app::api", "dropped: below warn");
    /// log::error!(target: "noisy_dep", "dropped: turned off");
    /// let captured = collector.captured()?;
    /// assert_eq!(captured.len(), 1);
    /// assert_eq!(captured.records()[0].message, "checked out");
    /// assert_eq!(collector.level(), log::LevelFilter::Trace);
    /// assert!(collector.set_filter("my_app=loud").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_filter(&self, filter: &str) -> Result<(), LogError> {
        let directives = Directives::parse(filter).map_err(|reason| LogError::InvalidFilter {
            filter: filter.to_owned(),
            reason,
        })?;
        self.sink.set_directives(directives);
        Ok(())
    }

    /// Sets already-parsed directives (`LOGGED_TEST_FILTER`).
    pub(crate) fn set_directives(&self, directives: Directives) {
        self.sink.set_directives(directives);
    }

    /// The level set by [`set_level`](Self::set_level) (with a filter from
    /// [`set_filter`](Self::set_filter), the most verbose level it lets
    /// through).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert_eq!(collector.level(), log::LevelFilter::Trace);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn level(&self) -> LevelFilter {
        self.sink.level()
    }

    /// Installs the dispatcher as the global `log` logger, if it is not
    /// installed yet, and sets this collector's level. Idempotent, like
    /// [`init_logger`](crate::init_logger): a later call, from any
    /// collector, sets that collector's level and returns `Ok`.
    ///
    /// The dispatcher, not this collector, becomes the logger: the collector is
    /// not kept alive by it.
    ///
    /// # Errors
    ///
    /// [`LogError::ForeignLogger`] when another logger owns the `log` slot:
    /// capture cannot work in this process then. (With the `tracing`
    /// feature, [`LogError::ForeignSubscriber`] as for `init_logger`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let first = Arc::new(logged_test::LogCollector::without_ui(dir.path().join("a"))?);
    /// first.clone().init_global_logger(log::LevelFilter::Info)?;
    /// let second = Arc::new(logged_test::LogCollector::without_ui(dir.path().join("b"))?);
    /// second.clone().init_global_logger(log::LevelFilter::Warn)?;
    /// assert_eq!(first.level(), log::LevelFilter::Info);
    /// assert_eq!(second.level(), log::LevelFilter::Warn);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn init_global_logger(self: Arc<Self>, level: LevelFilter) -> Result<(), LogError> {
        self.set_level(level);
        if logger::install()? {
            crate::engine::diagnostics::emit(format_args!(
                "[INIT] LogCollector registered as global logger with level: {level}"
            ));
        }
        Ok(())
    }

    /// Starts a new session file `filename` in the log directory and returns
    /// its path once the persister has opened it; every record sent to this
    /// collector from then on goes there.
    ///
    /// An existing file is appended to, never truncated.
    ///
    /// # Errors
    ///
    /// - [`LogError::InvalidSessionName`] for a name that is empty, `.`, `..`,
    ///   has a path separator or NUL, or is over 255 bytes; nothing is created.
    /// - [`LogError::Io`] if the file cannot be opened, or is a symlink.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), logged_test::LogError> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert_eq!(collector.generation(), 0);
    /// let path = collector.start_new_session("build.log").await?;
    /// assert_eq!(path, dir.path().join("build.log"));
    /// assert_eq!(collector.generation(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_new_session(&self, filename: &str) -> Result<PathBuf, LogError> {
        session::validate_name(filename)?;
        if self.lazy {
            self.open_async().await?;
        }
        self.request(|ack| Control::NewSession(filename.to_owned(), ack))?
            .await?
    }

    /// Blocking twin of [`start_new_session`](Self::start_new_session).
    ///
    /// # Errors
    ///
    /// As [`start_new_session`](Self::start_new_session).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// let path = collector.start_new_session_blocking("scan.log")?;
    /// assert!(path.exists());
    /// assert_eq!(collector.session_path(), Some(path));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "blocking_start_new_session")]
    pub fn start_new_session_blocking(&self, filename: &str) -> Result<PathBuf, LogError> {
        session::validate_name(filename)?;
        if self.lazy {
            self.open_blocking()?;
        }
        self.request(|ack| Control::NewSession(filename.to_owned(), ack))?
            .blocking_recv()?
    }

    /// The session generation: 0 before any session, then +1 for each session
    /// started. A record belongs to the session whose start was the last to
    /// enter this collector's queue before the record did.
    ///
    /// The persister updates it when it opens a session, before
    /// `start_new_session` returns, so a record logged after reading
    /// `generation() == g` is in session `g` or a later one.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.start_new_session_blocking("a.log")?;
    /// collector.start_new_session_blocking("b.log")?;
    /// assert_eq!(collector.generation(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generation(&self) -> u64 {
        self.core().stats.generation.load(Ordering::Acquire)
    }

    /// The current session's file, if a session was started.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert_eq!(collector.session_path(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session_path(&self) -> Option<PathBuf> {
        if self.lazy {
            let _ = self.open_blocking();
        }
        self.known_session_path()
    }

    /// Writes `line` to this collector as an `Info` record with target
    /// `logged_test`, whatever the routing and the level. Never blocks on
    /// I/O; when the collector writes to disk and the persister is 32,768
    /// records behind, waits for it (at most a second while it is stuck).
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("[SCAN] found 3 kernels");
    /// assert!(collector.captured()?.contains("found 3 kernels"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_str(&self, line: &str) {
        let entry = capture::entry(
            log::Level::Info,
            Text::Static(DIRECT_TARGET),
            Message::copy(line),
        );
        capture::deliver(&self.sink, entry);
    }

    /// Writes `message` to this collector at `level` (target `logged_test`),
    /// if the collector's level (or [filter](Self::set_filter)) lets it
    /// through. Never blocks on I/O (see [`log_str`](Self::log_str) for the
    /// wait when the disk is far behind).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log(log::Level::Error, "install failed");
    /// let captured = collector.captured()?;
    /// assert_eq!(captured.records()[0].level, log::Level::Error);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log(&self, level: log::Level, message: &str) {
        if self.sink.wants(level, DIRECT_TARGET) {
            let entry = capture::entry(level, Text::Static(DIRECT_TARGET), Message::copy(message));
            capture::deliver(&self.sink, entry);
        }
    }

    /// Waits until every record sent to this collector before the call, from
    /// any thread, is written to its file and readable by other processes.
    /// Awaits the persister's acknowledgement, so it never blocks a runtime.
    ///
    /// # Errors
    ///
    /// [`LogError::Io`] with the path, for the first write or flush that
    /// failed since the last call (or the session file having been deleted).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// let path = collector.start_new_session("x.log").await?;
    /// collector.log_str("persisted");
    /// collector.wait_for_empty().await?;
    /// assert!(std::fs::read_to_string(path)?.contains("persisted"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for_empty(&self) -> Result<(), LogError> {
        if self.lazy {
            self.open_async().await?;
        }
        self.request(Control::Flush)?.await?
    }

    /// Blocking twin of [`wait_for_empty`](Self::wait_for_empty).
    ///
    /// # Errors
    ///
    /// As [`wait_for_empty`](Self::wait_for_empty).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("before the session");
    /// collector.wait_for_empty_blocking()?;
    /// let pre = dir.path().join(logged_test::PRE_SESSION_FILE);
    /// assert!(std::fs::read_to_string(pre)?.contains("before the session"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "blocking_wait_for_empty")]
    pub fn wait_for_empty_blocking(&self) -> Result<(), LogError> {
        if self.lazy {
            self.open_blocking()?;
        }
        self.request(Control::Flush)?.blocking_recv()?
    }

    /// Settles the queue (see [`settle`](Self::settle)), then shares what
    /// is held: the records in memory and the spilled segments on disk.
    pub(crate) fn settled_records(&self) -> Result<(Snapshot, Vec<Segment>), LogError> {
        self.settle()?;
        let store = self.core().lock();
        Ok((store.records.snapshot(), store.spilled.clone()))
    }

    /// Whether the log directory exists (made, for a harness collector).
    pub(crate) fn has_directory(&self) -> bool {
        self.core().stats.has_dir.load(Ordering::Acquire)
    }

    /// The session file, if one was opened on disk (no directory is made).
    pub(crate) fn known_session_path(&self) -> Option<PathBuf> {
        self.core()
            .stats
            .session_path
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// On disk, waits until what was queued so far is in memory or written.
    fn settle(&self) -> Result<(), LogError> {
        if self.is_in_memory() {
            return Ok(());
        }
        match self.sync_blocking() {
            // After shutdown everything is already settled.
            Err(LogError::CollectorShutDown) => Ok(()),
            other => other,
        }
    }

    /// Runs `check` over the records in memory without copying them;
    /// `None` when some records are only on disk (use `captured()`).
    pub(crate) fn check_records<R>(
        &self,
        check: impl FnOnce(&mut dyn Iterator<Item = &Entry>) -> R,
    ) -> Option<R> {
        self.settle().ok()?;
        let store = self.core().lock();
        if !store.spilled.is_empty() {
            return None;
        }
        Some(check(&mut store.records.iter().map(|held| &held.entry)))
    }

    /// How many records the UI channel did not take (full or closed).
    /// They are on disk all the same.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let (ui_tx, ui_rx) = tokio::sync::mpsc::channel(1);
    /// drop(ui_rx);
    /// let collector = logged_test::LogCollector::new(dir.path(), ui_tx)?;
    /// collector.log_str("nobody watches");
    /// collector.wait_for_empty_blocking()?;
    /// assert_eq!(collector.ui_missed(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ui_missed(&self) -> u64 {
        self.core().stats.ui_missed.load(Ordering::Relaxed)
    }

    /// How many records could not be written (the file could not be opened
    /// or written). The first error behind them is returned by the next
    /// [`wait_for_empty`](Self::wait_for_empty).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path().join("logs"))?;
    /// std::fs::remove_dir(collector.log_dir())?;
    /// collector.log_str("nowhere to go");
    /// assert!(collector.wait_for_empty_blocking().is_err());
    /// assert_eq!(collector.lost_records(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lost_records(&self) -> u64 {
        self.core().stats.write_failures.load(Ordering::Relaxed)
    }

    /// Routes records logged on this thread to this collector until the
    /// guard drops (rule 1). Guards nest; the innermost wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let a = logged_test::LogCollector::without_ui(dir.path().join("a"))?;
    /// let b = logged_test::LogCollector::without_ui(dir.path().join("b"))?;
    /// logged_test::init_logger()?;
    /// {
    ///     let _guard = a.enter();
    ///     log::info!("to a");
    /// }
    /// assert!(a.captured()?.contains("to a"));
    /// assert!(!b.captured()?.contains("to a"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enter(&self) -> ScopeGuard {
        routing::enter(Arc::clone(&self.sink))
    }

    /// `enter` for an owner that may be shared with other threads.
    /// Takes in the records this thread logged before it was ever routed
    /// (unattributed, kept by `unattributed::take_early`), oldest first and
    /// with their own timestamps, as far as this collector's filter wants
    /// them: a `TestLogs` adopts what an rstest fixture listed before
    /// `test_logs` logged while it was built.
    pub(crate) fn adopt_early_records(&self) {
        use crate::engine::unattributed::{EARLY_BYTES, EARLY_RECORDS, take_early};
        let (entries, dropped) = take_early();
        if dropped > 0 {
            let text = format!(
                "logged-test: {dropped} earlier records of this thread, logged before its \
                 test's logs were set up, were dropped (the newest {EARLY_RECORDS} or {} KiB \
                 are kept)",
                EARLY_BYTES / 1024
            );
            let mut note = capture::entry(
                log::Level::Info,
                Text::Static(DIRECT_TARGET),
                Message::copy(&text),
            );
            if let Some(first) = entries.first() {
                note.timestamp = first.timestamp;
            }
            capture::deliver(&self.sink, note);
        }
        for entry in entries {
            if self.sink.wants(entry.level, &entry.target) {
                capture::deliver(&self.sink, entry);
            }
        }
    }

    pub(crate) fn enter_for_owner(&self) -> routing::ThreadRoute {
        routing::ThreadRoute::enter(Arc::clone(&self.sink))
    }

    /// Wraps `fut` so that records logged while it is polled, on whichever
    /// thread polls it, go to this collector. Does not borrow the collector.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// logged_test::init_logger()?;
    /// tokio::spawn(collector.scope(async {
    ///     log::info!("from a task");
    /// }))
    /// .await?;
    /// assert!(collector.captured()?.contains("from a task"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn scope<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> + use<F> {
        routing::scope(Arc::clone(&self.sink), fut)
    }

    /// Wraps `f` so that records it logs, on whichever thread runs it, go to
    /// this collector. Does not borrow the collector.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// logged_test::init_logger()?;
    /// std::thread::spawn(collector.bind(|| log::info!("from a thread")))
    ///     .join()
    ///     .unwrap();
    /// assert!(collector.captured()?.contains("from a thread"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind<F, R>(&self, f: F) -> impl FnOnce() -> R + Send + use<F, R>
    where
        F: FnOnce() -> R + Send,
    {
        routing::bind(Arc::clone(&self.sink), f)
    }

    /// Routes every thread that `builder`'s runtime starts (its workers and
    /// `spawn_blocking` threads) to this collector, for the thread's life, so
    /// spawned tasks need no [`scope`](Self::scope). It sets the builder's
    /// `on_thread_start`/`on_thread_stop` hooks. The runtime must not outlive
    /// the collector: records from its threads then become unattributed.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// logged_test::init_logger()?;
    /// let runtime = collector
    ///     .route_runtime(tokio::runtime::Builder::new_multi_thread().worker_threads(2))
    ///     .build()?;
    /// runtime.block_on(async {
    ///     tokio::spawn(async { log::info!("from a worker") }).await.unwrap();
    ///     tokio::task::spawn_blocking(|| log::info!("from the blocking pool")).await.unwrap();
    /// });
    /// let logs = collector.captured()?;
    /// logs.assert_contains("from a worker");
    /// logs.assert_contains("from the blocking pool");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route_runtime<'b>(
        &self,
        builder: &'b mut tokio::runtime::Builder,
    ) -> &'b mut tokio::runtime::Builder {
        let sink = Arc::clone(&self.sink);
        builder
            .on_thread_start(move || routing::enter_for_thread(Arc::clone(&sink)))
            .on_thread_stop(routing::leave_thread)
    }

    /// Blocking twin of [`wait_for`](Self::wait_for): blocks the thread until
    /// a record whose message contains `marker` is captured, or `timeout`
    /// has passed; returns whether it was. Returns at once if such a record
    /// was captured earlier. It may not be in the file yet: call
    /// [`wait_for_empty_blocking`](Self::wait_for_empty_blocking) for that.
    /// No polling: the thread that logs the match wakes the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// logged_test::init_logger()?;
    /// let worker = logged_test::thread::spawn(|| log::info!("server listening"));
    /// assert!(collector.wait_for_blocking("listening", Duration::from_secs(10)));
    /// assert!(!collector.wait_for_blocking("never logged", Duration::from_millis(1)));
    /// worker.join().unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Panics
    ///
    /// When called on a tokio current-thread runtime, where blocking would
    /// stop the very tasks that are to log the marker: use
    /// [`wait_for`](Self::wait_for) there.
    #[track_caller]
    #[doc(alias = "blocking_wait_for")]
    #[expect(
        clippy::panic,
        reason = "documented under `# Panics`: blocking would deadlock the runtime"
    )]
    pub fn wait_for_blocking(&self, marker: &str, timeout: std::time::Duration) -> bool {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread {
                panic!(
                    "`wait_for_blocking` would block the current-thread runtime that has to run the \
                     tasks it waits for; use `wait_for(..).await` in async code"
                );
            }
        }
        let (ack, reply) = protocol::reply();
        let cancelled = Arc::new(AtomicBool::new(false));
        let found = self.logged_or_watch(marker, ack, &cancelled)
            || reply.blocking_recv_timeout(timeout).is_some();
        cancelled.store(true, Ordering::Relaxed);
        found
    }

    /// Waits until a record whose message contains `marker` is captured, or
    /// `timeout` has passed; returns whether it was (the record may not be
    /// in the file yet: `wait_for_empty` is for that). Needs a
    /// tokio runtime with time enabled (as `#[tokio::test]` and
    /// `#[logged_test]` build); outside async code use
    /// [`wait_for_blocking`](Self::wait_for_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let collector = std::sync::Arc::new(logged_test::LogCollector::without_ui(dir.path())?);
    /// let c = collector.clone();
    /// tokio::spawn(async move { c.log_str("job done") });
    /// assert!(collector.wait_for("job done", Duration::from_secs(10)).await);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for(&self, marker: &str, timeout: std::time::Duration) -> bool {
        let (ack, reply) = protocol::reply();
        let cancelled = Arc::new(AtomicBool::new(false));
        // Dropping `reply` (on return, or if this future is dropped) closes
        // the channel, which tells the store to forget the watch.
        if self.logged_or_watch(marker, ack, &cancelled) {
            return true;
        }
        matches!(tokio::time::timeout(timeout, reply).await, Ok(Ok(())))
    }

    /// True if a record containing `marker` was already logged; otherwise
    /// the store notifies `notify` when one is.
    fn logged_or_watch(&self, marker: &str, notify: Ack<()>, cancelled: &Arc<AtomicBool>) -> bool {
        let watch = Watch {
            marker: marker.to_owned(),
            notify,
            cancelled: Arc::clone(cancelled),
        };
        if self.core().watch(watch) {
            return true;
        }
        // On disk, records queued before the watch are not in memory yet,
        // and some may be only in the file.
        !self.is_in_memory() && self.captured_contains(marker)
    }

    /// Whether a record captured so far (in memory, or only in a file, read
    /// back streaming) contains `marker`; `false` if they cannot be read.
    fn captured_contains(&self, marker: &str) -> bool {
        let Ok((memory, spilled)) = self.settled_records() else {
            return false;
        };
        if memory
            .iter()
            .any(|held| held.entry.message.contains(marker))
        {
            return true;
        }
        let mut found = false;
        let _ = persister::for_each_spilled(&spilled, |record| {
            found = record.message.contains(marker);
            if found {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        found
    }

    /// Notifies `notify` when the next record containing `marker` is
    /// captured, ignoring the records captured before this call.
    pub(crate) fn watch_next(&self, marker: &str, notify: Ack<()>, cancelled: &Arc<AtomicBool>) {
        self.core().watch_next(Watch {
            marker: marker.to_owned(),
            notify,
            cancelled: Arc::clone(cancelled),
        });
    }

    /// Ends the collector now, as dropping it would: unregisters it, writes
    /// everything sent so far and closes its files. Later records sent to it
    /// are reported as unattributed, and its fallible methods return
    /// [`LogError::CollectorShutDown`]. Idempotent.
    ///
    /// For owners that cannot be sure they hold the last `Arc` (`TestLogs`
    /// uses it so no registry entry or open file outlives its test).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("last words");
    /// collector.shutdown();
    /// assert!(!logged_test::active_collectors().contains(&collector.id()));
    /// assert!(collector.wait_for_empty_blocking().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self) {
        self.seal(false);
    }

    fn seal(&self, remove_dir: bool) {
        if self.shut.swap(true, Ordering::AcqRel) {
            return;
        }
        registry::unregister(&self.sink);
        #[cfg(unix)]
        if let Some(tracked) = &self.crash {
            crate::engine::crash::untrack(tracked);
        }
        let (ack, reply) = protocol::reply();
        if Core::seal(self.core(), remove_dir, ack) {
            // Bounded by what was queued at the seal: nothing is added after.
            let _ = reply.blocking_recv();
        }
    }

    /// Tells the crash path this is the test `test`'s collector, with the
    /// session file `log` and, under `LOGGED_TEST_DIR`, its manifest line's
    /// start: a crash then writes the log and reports it.
    pub(crate) fn describe_for_crash(
        &self,
        test: &str,
        log: &Path,
        manifest: Option<(&Path, String, String)>,
    ) {
        #[cfg(unix)]
        if let Some(tracked) = &self.crash {
            crate::engine::crash::describe(tracked, test, log, manifest);
        }
        #[cfg(not(unix))]
        let _ = (test, log, manifest);
    }

    /// Frees the records held in memory (the harness, once a test is over).
    pub(crate) fn release(&self) {
        let mut store = self.core().lock();
        store.records.clear();
        store.bytes = 0;
    }

    /// Sends the control `make` builds around a new reply channel, and
    /// returns the reply to wait on: `.await` it or `blocking_recv()` it.
    fn request<T>(&self, make: impl FnOnce(Ack<T>) -> Control) -> Result<Reply<T>, LogError> {
        let (ack, reply) = protocol::reply();
        self.send(make(ack))?;
        Ok(reply)
    }

    fn send(&self, control: Control) -> Result<(), LogError> {
        Core::send(self.core(), control).map_err(|_| LogError::CollectorShutDown)
    }
}

impl Drop for LogCollector {
    /// Unregisters, then waits until everything sent before the drop is on
    /// disk and the files are closed.
    fn drop(&mut self) {
        self.shutdown();
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LogCollector>();
    assert_send_sync::<LogLine>();
};

#[cfg(test)]
mod should {
    use std::sync::Arc;

    use log::LevelFilter;

    use super::LogCollector;

    #[test]
    fn init_the_global_logger_again_from_any_collector() {
        let dir = tempfile::tempdir().unwrap();
        let first = Arc::new(LogCollector::without_ui(dir.path().join("a")).unwrap());
        let second = Arc::new(LogCollector::without_ui(dir.path().join("b")).unwrap());
        // Whichever call installs the dispatcher (another test may have),
        // every call is `Ok` and sets its own collector's level.
        first
            .clone()
            .init_global_logger(LevelFilter::Debug)
            .unwrap();
        second
            .clone()
            .init_global_logger(LevelFilter::Warn)
            .unwrap();
        first.clone().init_global_logger(LevelFilter::Info).unwrap();
        assert_eq!(first.level(), LevelFilter::Info);
        assert_eq!(second.level(), LevelFilter::Warn);
    }
}
