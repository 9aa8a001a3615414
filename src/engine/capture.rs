//! The caller's-thread half shared by the `log` logger and the `tracing`
//! layer: build an [`Entry`] (timestamp, interned thread name), guard against
//! records logged while formatting a record, and hand the entry to a sink.
//! Nothing here blocks or takes a process-wide lock but the thread-name
//! interner, once per thread.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use crate::engine::message::Message;
use crate::engine::record::{Entry, Text};
use crate::engine::registry::Sink;
use crate::engine::store::Core;

/// Deeper than this, a record logged while formatting another record is
/// dropped and counted as unattributed (a `Display` that logs itself forever).
pub(crate) const MAX_NESTING: u8 = 4;

thread_local! {
    static NESTING: Cell<u8> = const { Cell::new(0) };
    static THREAD_NAME: Cell<Option<Option<&'static str>>> = const { Cell::new(None) };
}

/// The current thread's name, interned: computed once per thread.
fn thread_name() -> Option<&'static str> {
    THREAD_NAME
        .try_with(|cell| {
            cell.get().unwrap_or_else(|| {
                let name = std::thread::current().name().map(intern);
                cell.set(Some(name));
                name
            })
        })
        .ok()
        .flatten()
}

/// Leaks each distinct thread name once, so records can carry `&'static str`.
/// Bounded by the number of distinct names the process gives its threads.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Builds the entry the persister will write, on the caller's thread.
#[inline]
pub(crate) fn entry(level: log::Level, target: Text, message: Message) -> Entry {
    Entry {
        level,
        target,
        message,
        timestamp: SystemTime::now(),
        thread: thread_name(),
        extra: None,
    }
}

/// How deep this thread is in formatting records (0: not formatting);
/// `MAX_NESTING` while the thread is exiting.
pub(crate) fn nesting() -> u8 {
    NESTING.try_with(Cell::get).unwrap_or(MAX_NESTING)
}

/// Runs `f` (which formats a record logged at nesting `depth`) one level
/// deeper, so that a record it logs itself is seen as nested.
pub(crate) fn nested<R>(depth: u8, f: impl FnOnce() -> R) -> R {
    let _ = NESTING.try_with(|n| n.set(depth + 1));
    let out = f();
    let _ = NESTING.try_with(|n| n.set(depth));
    out
}

/// Hands `entry` to `sink`'s collector. If the collector was shut down,
/// the record is reported as unattributed instead.
#[inline]
pub(crate) fn deliver(sink: &Sink, entry: Entry) {
    if sink.fork_epoch != crate::engine::fork::epoch() {
        // A forked child logging into its parent's collector: its store
        // and persister are the parent's (see `fork`). Dropped.
        return;
    }
    Core::push(&sink.core, entry);
}
