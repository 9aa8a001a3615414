//! Records that no collector may claim: counted, and printed to stderr on
//! the thread that logged them.
//!
//! They go through `eprint!`, so libtest's output capture files them under
//! the test whose output the logging thread inherited (a thread spawned by a
//! test's thread inherits that test's capture), the way a logger that prints
//! would. Printing where they happen needs no queue, so nothing piles up in
//! memory and nothing is lost when the process exits.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::engine::record::Entry;

static COUNT: AtomicU64 = AtomicU64::new(0);

/// Collector id -> `COUNT` when it was created; the newest collectors only.
static MARKS: Mutex<BTreeMap<u64, u64>> = Mutex::new(BTreeMap::new());
/// Collectors remembered by [`MARKS`]; older ones are forgotten first.
const MARKS_KEPT: usize = 4096;

/// Prefix of every unattributed record written to stderr.
pub(crate) const PREFIX: &str = "[logged-test: unattributed]";

/// Counts `entry` and prints it to stderr, on this thread.
pub(crate) fn report(entry: Entry, why: &'static str) {
    COUNT.fetch_add(1, Ordering::Relaxed);
    let mut line = String::with_capacity(128);
    line.push_str(PREFIX);
    line.push_str(" (");
    line.push_str(why);
    line.push_str(") ");
    entry.write_to(&mut line);
    // `eprint!` (unlike writing to `io::stderr()`) is what libtest captures.
    // It panics when stderr fails; the logger must not, so the error is
    // dropped (where would we report it?).
    let _ = catch_unwind(AssertUnwindSafe(|| eprint!("{line}")));
}

/// Remembers how many records were unattributed when collector `id` was
/// created, for [`since_collector`].
pub(crate) fn note_collector(id: u64) {
    let mark = COUNT.load(Ordering::Relaxed);
    let mut marks = MARKS.lock().unwrap_or_else(PoisonError::into_inner);
    marks.insert(id, mark);
    while marks.len() > MARKS_KEPT {
        marks.pop_first();
    }
}

/// How many records went unattributed, process-wide, since collector `id`
/// was created; `None` for a collector this module does not remember.
pub(crate) fn since_collector(id: u64) -> Option<u64> {
    let marks = MARKS.lock().unwrap_or_else(PoisonError::into_inner);
    let mark = *marks.get(&id)?;
    drop(marks);
    Some(COUNT.load(Ordering::Relaxed).saturating_sub(mark))
}

/// The failure-report line about records that went unattributed while
/// collector `id` was alive, if any did.
pub(crate) fn report_note(id: u64) -> Option<String> {
    let n = since_collector(id).filter(|n| *n > 0)?;
    let records = if n == 1 { "record" } else { "records" };
    Some(format!(
        "note: {n} {records} logged in this process while this test ran went unattributed \
         (printed to stderr with the prefix `{PREFIX}`); if some are this test's, spawn its \
         threads with `logged_test::thread::spawn` or route them with `LogCollector::bind`, \
         or see \"How routing works\" in the README for the platforms where threads inherit \
         their creator's route\n"
    ))
}

/// How many records reached no collector since the process started.
///
/// A record is unattributed when no routing rule gives it a collector: its
/// thread is not routed and more than one collector (or none) is alive, or
/// its route belongs to a collector that is gone (a thread that outlived its
/// test). Routing it anywhere could put it in another test's log. Each one
/// is also written to stderr, on the thread that logged it, prefixed with
/// `[logged-test: unattributed]`.
///
/// # Examples
///
/// ```
/// let before = logged_test::unattributed_count();
/// // ... code that logs from threads no collector is routed to ...
/// assert!(logged_test::unattributed_count() >= before);
/// ```
pub fn unattributed_count() -> u64 {
    COUNT.load(Ordering::Relaxed)
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn count_what_went_unattributed_since_a_collector_began() {
        note_collector(u64::MAX - 1);
        let before = since_collector(u64::MAX - 1).unwrap();
        COUNT.fetch_add(3, Ordering::Relaxed);
        assert!(since_collector(u64::MAX - 1).unwrap() >= before + 3);
        assert!(
            report_note(u64::MAX - 1)
                .unwrap()
                .contains("logged_test::thread::spawn")
        );
        assert_eq!(since_collector(u64::MAX - 2), None);
    }
}
