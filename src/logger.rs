//! The `log::Log` implementation (the dispatcher) and its once-only install.
//!
//! `log` has one logger per process. Ours does no I/O and takes no shared lock
//! on the caller's thread: it formats the record, picks a collector with the
//! thread-local route (see `routing`), and sends on that collector's
//! unbounded channel.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use crate::dispatcher::{self, Sink};
use crate::error::LogError;
use crate::persister::{Msg, Pending};
use crate::record::Entry;
use crate::routing;
use crate::unattributed;

/// Deeper than this, a record logged while formatting another record is
/// dropped and counted as unattributed (a `Display` that logs itself forever).
const MAX_NESTING: u8 = 4;
/// Targets remembered per thread, so the common case allocates no target.
const TARGET_CACHE: usize = 8;

struct Dispatcher;

static DISPATCHER: Dispatcher = Dispatcher;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Installed {
    Ours,
    Foreign,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

thread_local! {
    static NESTING: Cell<u8> = const { Cell::new(0) };
    static THREAD_NAME: RefCell<Option<Option<Arc<str>>>> = const { RefCell::new(None) };
    static TARGETS: RefCell<Vec<Arc<str>>> = const { RefCell::new(Vec::new()) };
}

/// Installs the dispatcher as the `log` crate's logger, once per process.
///
/// Returns whether this call did the install.
pub(crate) fn install() -> Result<bool, LogError> {
    let mut installed_now = false;
    let state = INSTALLED.get_or_init(|| match log::set_logger(&DISPATCHER) {
        Ok(()) => {
            installed_now = true;
            // Start the stderr writer now, not inside the first `log` call.
            unattributed::start_writer();
            Installed::Ours
        }
        Err(_) => Installed::Foreign,
    });
    match state {
        Installed::Ours => {
            if installed_now {
                dispatcher::refresh_max_level();
            }
            Ok(installed_now)
        }
        Installed::Foreign => Err(LogError::ForeignLogger),
    }
}

pub(crate) fn is_installed() -> bool {
    INSTALLED.get() == Some(&Installed::Ours)
}

/// Installs the `logged-test` dispatcher as the global `log` logger, if it is
/// not installed yet. Idempotent.
///
/// Collectors capture `log::info!` and friends only once this has run;
/// [`LogCollector::init_global_logger`](crate::LogCollector::init_global_logger),
/// `TestLogs` and `#[logged_test]` call it for you.
///
/// # Errors
///
/// [`LogError::ForeignLogger`] when another logger already owns the `log`
/// slot: capture cannot work in this process then.
///
/// # Examples
///
/// ```
/// logged_test::init_logger()?;
/// logged_test::init_logger()?; // a second call is fine
/// # Ok::<(), logged_test::LogError>(())
/// ```
pub fn init_logger() -> Result<(), LogError> {
    install().map(|_| ())
}

fn thread_name() -> Option<Arc<str>> {
    THREAD_NAME
        .try_with(|cell| {
            let mut cell = cell.try_borrow_mut().ok()?;
            cell.get_or_insert_with(|| std::thread::current().name().map(Arc::from))
                .clone()
        })
        .ok()
        .flatten()
}

fn interned_target(target: &str) -> Arc<str> {
    TARGETS
        .try_with(|cell| {
            let mut cache = cell.try_borrow_mut().ok()?;
            if let Some(hit) = cache.iter().find(|t| ***t == *target) {
                return Some(Arc::clone(hit));
            }
            let fresh: Arc<str> = Arc::from(target);
            if cache.len() >= TARGET_CACHE {
                cache.remove(0);
            }
            cache.push(Arc::clone(&fresh));
            Some(fresh)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Arc::from(target))
}

/// Builds the entry the persister will write, on the caller's thread.
pub(crate) fn entry(level: log::Level, target: &str, message: String) -> Entry {
    Entry {
        level,
        target: interned_target(target),
        message,
        timestamp: SystemTime::now(),
        thread: thread_name(),
    }
}

fn format_message(args: &std::fmt::Arguments<'_>) -> String {
    if let Some(text) = args.as_str() {
        return text.to_owned();
    }
    // A user `Display` may panic; the logger must not.
    catch_unwind(AssertUnwindSafe(|| args.to_string())).unwrap_or_else(|_| {
        String::from("<a Display implementation panicked while formatting this record>")
    })
}

/// Sends `entry` to `sink`. If the collector is gone, the undelivered
/// message reports the record as unattributed when it is dropped.
pub(crate) fn deliver(sink: &Sink, entry: Entry) {
    let _ = sink.tx.send(Msg::Line(Pending::new(entry)));
}

impl log::Log for Dispatcher {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        match routing::resolve() {
            Ok(sink) => sink.accepts(metadata.level()),
            Err(_) => true,
        }
    }

    fn log(&self, record: &log::Record<'_>) {
        // Records logged while formatting a record (a `Display` that logs) are
        // routed like any other; only runaway recursion is cut off.
        let depth = NESTING.try_with(|n| n.get()).unwrap_or(MAX_NESTING);
        if depth >= MAX_NESTING {
            let entry = entry(
                record.level(),
                record.target(),
                String::from("<record dropped: logged while formatting a record, nested too deep>"),
            );
            unattributed::report(entry, "a Display implementation logs recursively");
            return;
        }
        let route = routing::resolve();
        if let Ok(sink) = &route {
            if !sink.accepts(record.level()) {
                return;
            }
        }
        let _ = NESTING.try_with(|n| n.set(depth + 1));
        let message = format_message(record.args());
        let _ = NESTING.try_with(|n| n.set(depth));
        let entry = entry(record.level(), record.target(), message);
        match route {
            Ok(sink) => deliver(&sink, entry),
            Err(why) => unattributed::report(entry, why.describe()),
        }
    }

    fn flush(&self) {
        // Flushing blocks on I/O, which a `log::Log` must not do; use
        // `LogCollector::wait_for_empty` or `TestLogs::flush` instead.
    }
}

impl routing::Unrouted {
    fn describe(self) -> &'static str {
        match self {
            routing::Unrouted::ScopeOfDroppedCollector => {
                "the collector of this thread's scope was dropped"
            }
            routing::Unrouted::NoCollector => {
                "no collector is routed to this thread and several are alive"
            }
            routing::Unrouted::ThreadExiting => "the thread is exiting",
        }
    }
}
