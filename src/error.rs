//! `LogError`, the one error type of the crate.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in `logged-test`.
///
/// Every message says what happened and, after a semicolon, what to do.
///
/// # Examples
///
/// ```
/// use logged_test::{LogCollector, LogError};
///
/// let dir = tempfile::tempdir()?;
/// let collector = LogCollector::without_ui(dir.path())?;
/// let err = collector.start_new_session_blocking("../escape.log").unwrap_err();
/// assert!(matches!(err, LogError::InvalidSessionName { .. }));
/// assert!(err.to_string().contains("path separator"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum LogError {
    /// No longer returned: `init_global_logger` is idempotent and returns
    /// `Ok` when the dispatcher is already the `log` logger. Kept so that
    /// code matching on it still compiles.
    LoggerAlreadyInitialized,
    /// Another logger (`env_logger`, say) owned the `log` slot before
    /// `logged-test` tried to install its dispatcher, so no record can be captured.
    ForeignLogger,
    /// (Feature `tracing`.) Another global `tracing` subscriber was set before
    /// `logged-test` could install its own, and the subscriber in effect does
    /// not contain `logged_test::tracing::layer()`, so no `tracing`
    /// event can be captured. `log` records still are.
    ForeignSubscriber,
    /// A session file name was rejected before anything was created.
    InvalidSessionName {
        /// The name as given.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A file-system operation failed.
    Io {
        /// The file or directory the operation was about.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A `LOGGED_TEST_*` environment variable has a value that is not accepted.
    InvalidEnvVar {
        /// The variable, e.g. `LOGGED_TEST_KEEP`.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A filter in `RUST_LOG`'s syntax (`LogCollector::set_filter`,
    /// `TestLogs::set_filter`, `#[logged_test(filter = "...")]`) was
    /// rejected; nothing was changed.
    InvalidFilter {
        /// The filter as given.
        filter: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The persister (one thread per process) cannot serve this collector:
    /// its thread could not be started, or it failed while writing this
    /// collector's records (a bug in `logged-test`), or this is a forked
    /// child process (the persister thread is not in it).
    PersisterGone,
    /// The collector was shut down ([`LogCollector::shutdown`](crate::LogCollector::shutdown),
    /// or `TestLogs` ending its test) and a method that needs its persister
    /// was called afterwards.
    CollectorShutDown,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::LoggerAlreadyInitialized => f.write_str(
                "the logged-test dispatcher is already the global logger; \
                 this is expected after the first collector, ignore this error",
            ),
            LogError::ForeignLogger => f.write_str(
                "another logger already owns the `log` slot, so logged-test cannot capture \
                 any record; remove the other logger's init call from this test binary \
                 (usually `tracing_subscriber`'s `init()` or `try_init()`, whose `tracing-log` \
                 bridge takes the `log` slot, else `env_logger::init` or `test_log`); to keep a \
                 `tracing` subscriber, install it with `tracing::subscriber::set_global_default` \
                 (which leaves the `log` slot alone) instead of `init()`",
            ),
            LogError::ForeignSubscriber => f.write_str(
                "another `tracing` subscriber is already the global default, so logged-test \
                 cannot capture `tracing` events; add logged-test's layer to that subscriber: \
                 `tracing_subscriber::registry().with(logged_test::tracing::layer())`",
            ),
            LogError::InvalidSessionName { name, reason } => write!(
                f,
                "invalid session name {name:?}: {reason}; use a plain file name such as \"run.log\""
            ),
            LogError::Io { path, source } => {
                write!(
                    f,
                    "i/o error on `{}`: {source}; check that the log directory exists and is writable",
                    path.display()
                )
            }
            LogError::InvalidEnvVar {
                name,
                value,
                expected,
            } => write!(
                f,
                "environment variable `{name}` has the value {value:?}; set it to {expected}, or unset it"
            ),
            LogError::InvalidFilter { filter, reason } => write!(
                f,
                "invalid filter {filter:?}: {reason}; write directives as `RUST_LOG` takes them, \
                 like \"info,my_crate::db=trace,hyper=off\""
            ),
            LogError::PersisterGone => f.write_str(
                "the persister cannot write this collector's records (its thread could not \
                 be started, or it failed on them, or this is a forked child process, which \
                 has no persister: a child keeps its logs in memory only); if the process is \
                 not out of threads and did not fork, this is a bug in logged-test, please \
                 report it",
            ),
            LogError::CollectorShutDown => f.write_str(
                "the collector was shut down, so records and sessions can no longer be \
                 written to it; create a new collector",
            ),
        }
    }
}

impl std::error::Error for LogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LogError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl LogError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> LogError {
        LogError::Io {
            path: path.into(),
            source,
        }
    }
}

impl Clone for LogError {
    /// `io::Error` is not `Clone`: a cloned `Io` keeps the kind and the message.
    fn clone(&self) -> Self {
        match self {
            LogError::LoggerAlreadyInitialized => LogError::LoggerAlreadyInitialized,
            LogError::ForeignLogger => LogError::ForeignLogger,
            LogError::ForeignSubscriber => LogError::ForeignSubscriber,
            LogError::InvalidSessionName { name, reason } => LogError::InvalidSessionName {
                name: name.clone(),
                reason,
            },
            LogError::Io { path, source } => LogError::Io {
                path: path.clone(),
                source: io::Error::new(source.kind(), source.to_string()),
            },
            LogError::InvalidEnvVar {
                name,
                value,
                expected,
            } => LogError::InvalidEnvVar {
                name,
                value: value.clone(),
                expected,
            },
            LogError::InvalidFilter { filter, reason } => LogError::InvalidFilter {
                filter: filter.clone(),
                reason: reason.clone(),
            },
            LogError::PersisterGone => LogError::PersisterGone,
            LogError::CollectorShutDown => LogError::CollectorShutDown,
        }
    }
}
