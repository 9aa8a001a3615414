//! Records that no collector may claim: counted, printed to stderr on the
//! thread that logged them (at `warn` and above by default,
//! `LOGGED_TEST_UNATTRIBUTED` to change), and the last few kept for the
//! failure reports of the tests that were running.
//!
//! They go through `eprint!`, so libtest's output capture files them under
//! the test whose output the logging thread inherited (a thread spawned by a
//! test's thread inherits that test's capture), the way a logger that prints
//! would. Printing where they happen needs no queue, so nothing piles up in
//! memory and nothing is lost when the process exits.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use log::LevelFilter;

use crate::engine::record::Entry;
use crate::engine::routing::{self, Unrouted};

static COUNT: AtomicU64 = AtomicU64::new(0);

/// Collector id -> `COUNT` when it was created; the newest collectors only.
static MARKS: Mutex<BTreeMap<u64, u64>> = Mutex::new(BTreeMap::new());
/// Collectors remembered by [`MARKS`]; older ones are forgotten first.
const MARKS_KEPT: usize = 4096;

/// The newest unattributed records, as printed, each with its number (the
/// value of `COUNT` before it was counted).
static RECENT: Mutex<VecDeque<(u64, Box<str>)>> = Mutex::new(VecDeque::new());
/// How many records [`RECENT`] keeps.
const RECENT_KEPT: usize = 64;
/// How many of them a failure report lists.
pub(crate) const REPORTED: usize = 20;
/// Longest line kept for a report, in bytes (a record can be megabytes).
const KEPT_LINE_BYTES: usize = 512;

/// Prefix of every unattributed record written to stderr.
pub(crate) const PREFIX: &str = "[logged-test: unattributed]";

/// The level at and above which unattributed records are printed: the
/// `LOGGED_TEST_UNATTRIBUTED` setting, `warn` by default (or when the
/// environment is invalid, which `TestLogs::new` reports).
fn printed_level() -> LevelFilter {
    crate::env::settings().map_or(LevelFilter::Warn, |s| s.unattributed)
}

/// Counts `entry` as unattributed for reason `why`, and tells where the
/// logging thread comes from when that explains it (a thread of another
/// test, a thread whose test ended).
pub(crate) fn report_unrouted(entry: Entry, why: Unrouted) {
    report_unrouted_line(&entry, why);
    if let Unrouted::NoCollector | Unrouted::NoneAlive | Unrouted::OtherTest = why {
        // The thread has never had a route: kept for its `TestLogs`.
        keep_early(entry);
    }
}

fn report_unrouted_line(entry: &Entry, why: Unrouted) {
    let origin = match why {
        Unrouted::OtherTest
        | Unrouted::Orphaned
        | Unrouted::CreatedBeforeRoute
        | Unrouted::RouteEnded => routing::origin_name(),
        _ => None,
    };
    match origin {
        Some((name, true)) => report_with(entry, why.describe(), |line| {
            line.push_str("; this is the thread of test `");
            line.push_str(&name);
            line.push('`');
        }),
        Some((name, false)) => {
            let thread = entry.thread;
            report_with(entry, why.describe(), |line| {
                line.push_str("; thread `");
                line.push_str(thread.unwrap_or("<unnamed>"));
                line.push_str("` was started by test `");
                line.push_str(&name);
                line.push('`');
            });
        }
        None => report_with(entry, why.describe(), |_| {}),
    }
}

/// Counts `entry` and prints it to stderr, on this thread.
pub(crate) fn report(entry: Entry, why: &'static str) {
    report_with(&entry, why, |_| {});
}

fn report_with(entry: &Entry, why: &'static str, more: impl FnOnce(&mut String)) {
    let number = COUNT.fetch_add(1, Ordering::Relaxed);
    let mut line = String::with_capacity(128);
    line.push_str(PREFIX);
    line.push_str(" (");
    line.push_str(why);
    more(&mut line);
    line.push_str(") ");
    entry.write_shown(&mut line);
    keep(number, &line);
    if entry.level <= printed_level() {
        // `eprint!` (unlike writing to `io::stderr()`) is what libtest
        // captures. It panics when stderr fails; the logger must not, so the
        // error is dropped (where would we report it?).
        let _ = catch_unwind(AssertUnwindSafe(|| eprint!("{line}")));
    }
}

/// Keeps `line` among the newest, cut to [`KEPT_LINE_BYTES`] (the lock is
/// held for a push and a pop).
fn keep(number: u64, line: &str) {
    let mut end = line.trim_end().len().min(KEPT_LINE_BYTES);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let kept = line.get(..end).unwrap_or_default();
    let kept: Box<str> = if end < line.trim_end().len() {
        format!("{kept}...").into()
    } else {
        kept.into()
    };
    let mut recent = RECENT.lock().unwrap_or_else(PoisonError::into_inner);
    if recent.len() >= RECENT_KEPT {
        recent.pop_front();
    }
    recent.push_back((number, kept));
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

fn mark_of(id: u64) -> Option<u64> {
    let marks = MARKS.lock().unwrap_or_else(PoisonError::into_inner);
    marks.get(&id).copied()
}

/// How many records went unattributed, process-wide, since collector `id`
/// was created; `None` for a collector this module does not remember.
#[cfg(test)]
pub(crate) fn since_collector(id: u64) -> Option<u64> {
    let mark = mark_of(id)?;
    Some(COUNT.load(Ordering::Relaxed).saturating_sub(mark))
}

/// The newest (at most [`REPORTED`]) unattributed records numbered `from`
/// or later that are still kept, oldest first.
fn recent_since(from: u64) -> Vec<Box<str>> {
    let recent = RECENT.lock().unwrap_or_else(PoisonError::into_inner);
    let mut lines: Vec<Box<str>> = recent
        .iter()
        .rev()
        .filter(|(n, _)| *n >= from)
        .take(REPORTED)
        .map(|(_, line)| line.clone())
        .collect();
    lines.reverse();
    lines
}

/// The failure-report lines about records that went unattributed while
/// collector `id` was alive (the newest of them, and what to do), and about
/// threads not inheriting routes in this process, if either applies.
pub(crate) fn report_note(id: u64) -> Option<String> {
    let mut note = String::new();
    if let Some(off) = routing::inheritance_off_note() {
        note.push_str("note: ");
        note.push_str(off);
        note.push('\n');
    }
    let counted = mark_of(id).map(|mark| {
        let n = COUNT.load(Ordering::Relaxed).saturating_sub(mark);
        (mark, n)
    });
    if let Some((mark, n)) = counted.filter(|(_, n)| *n > 0) {
        let records = if n == 1 { "record" } else { "records" };
        let lines = recent_since(mark);
        let which = if lines.len() as u64 == n {
            String::new()
        } else {
            format!("; the newest {}", lines.len())
        };
        note.push_str(&format!(
            "note: {n} {records} logged in this process while this test ran went unattributed \
             (the whole process's: some may be other tests'){which}:\n"
        ));
        for line in &lines {
            note.push_str("  ");
            note.push_str(line);
            note.push('\n');
        }
        if lines.iter().any(|l| l.contains("` was started by test `")) {
            note.push_str(
                "hint: some were logged on threads another test started (a shared pool \
                 created lazily by the first test that used it?): create such pools inside \
                 `logged_test::detached(..)`, which makes their threads no test's; their records \
                 are then captured by the test running alone (`--test-threads=1`, or \
                 `cargo nextest run`, one process per test)\n",
            );
        }
        note.push_str(
            "hint: if some are this test's, spawn its threads with `logged_test::thread::spawn` \
             or route them with `LogCollector::bind`, or see \"How routing works\" in the README; \
             `LOGGED_TEST_UNATTRIBUTED=trace` prints every unattributed record to stderr\n",
        );
    }
    (!note.is_empty()).then_some(note)
}

/// How many records reached no collector since the process started.
///
/// A record is unattributed when no routing rule gives it a collector: its
/// thread is not routed and more than one collector (or none) is alive, its
/// thread belongs to another test, or its route belongs to a collector that
/// is gone (a thread that outlived its test). Routing it anywhere could put
/// it in another test's log. Each one is counted; those at `warn` and above
/// (`LOGGED_TEST_UNATTRIBUTED` changes the level) are also written to
/// stderr, on the thread that logged them, prefixed with
/// `[logged-test: unattributed]`; a failing test's report lists the newest.
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

/// How many records a thread keeps from before it was ever routed.
pub(crate) const EARLY_RECORDS: usize = 256;
/// How many bytes of them (the entries and what they own).
pub(crate) const EARLY_BYTES: usize = 64 * 1024;

/// The records this thread logged while it had never had a route (rules 1
/// to 3 gave nothing and rule 4 did not apply): a libtest test thread
/// before its `TestLogs`, as when an rstest fixture listed before
/// `test_logs` logs. The next `TestLogs` made on the thread takes them
/// ([`take_early`]); the thread's end drops them, so they never reach
/// another test (libtest runs each test on a thread of its own).
struct Early {
    entries: VecDeque<Entry>,
    bytes: usize,
    /// The oldest ones dropped to stay within the bounds.
    dropped: u64,
}

thread_local! {
    static EARLY: RefCell<Early> = const {
        RefCell::new(Early {
            entries: VecDeque::new(),
            bytes: 0,
            dropped: 0,
        })
    };
}

fn early_bytes(entry: &Entry) -> usize {
    std::mem::size_of::<Entry>() + entry.heap_bytes()
}

/// Keeps `entry` for this thread's next `TestLogs`, dropping the oldest
/// beyond [`EARLY_RECORDS`] or [`EARLY_BYTES`]. Only on a thread libtest
/// may have made for one test: named, and not `main` (which a custom
/// harness may run several tests on).
fn keep_early(entry: Entry) {
    if entry.thread.is_none_or(|name| name == "main") {
        return;
    }
    let _ = EARLY.try_with(|early| {
        let Ok(mut early) = early.try_borrow_mut() else {
            return;
        };
        early.bytes += early_bytes(&entry);
        early.entries.push_back(entry);
        while early.entries.len() > EARLY_RECORDS || early.bytes > EARLY_BYTES {
            let Some(oldest) = early.entries.pop_front() else {
                break;
            };
            early.bytes = early.bytes.saturating_sub(early_bytes(&oldest));
            early.dropped += 1;
        }
    });
}

/// Takes the records this thread kept from before it was ever routed,
/// oldest first, and how many older ones were dropped.
pub(crate) fn take_early() -> (Vec<Entry>, u64) {
    EARLY
        .try_with(|early| {
            let Ok(mut early) = early.try_borrow_mut() else {
                return (Vec::new(), 0);
            };
            early.bytes = 0;
            let dropped = std::mem::take(&mut early.dropped);
            (std::mem::take(&mut early.entries).into(), dropped)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod should {
    use super::*;

    fn entry(message: &'static str) -> Entry {
        crate::engine::capture::entry(
            log::Level::Debug,
            crate::engine::record::Text::Static("unit"),
            crate::engine::message::Message::Static(message),
        )
    }

    #[test]
    fn count_and_list_what_went_unattributed_since_a_collector_began() {
        note_collector(u64::MAX - 1);
        let before = since_collector(u64::MAX - 1).unwrap();
        for _ in 0..3 {
            report(entry("unit-unattributed-listed"), "a unit test");
        }
        assert!(since_collector(u64::MAX - 1).unwrap() >= before + 3);
        let note = report_note(u64::MAX - 1).unwrap();
        assert!(note.contains("logged_test::thread::spawn"), "{note}");
        assert!(note.contains("unit-unattributed-listed"), "{note}");
        assert!(note.contains("(a unit test) "), "{note}");
        assert_eq!(since_collector(u64::MAX - 2), None);
    }

    #[test]
    fn list_at_most_the_newest_twenty_and_cut_long_lines() {
        note_collector(u64::MAX - 3);
        for _ in 0..(REPORTED + 5) {
            report(entry("unit-unattributed-bounded"), "a unit test");
        }
        let long: &'static str = Box::leak("x".repeat(10_000).into_boxed_str());
        report(entry(long), "a unit test");
        let lines = recent_since(mark_of(u64::MAX - 3).unwrap());
        assert!(lines.len() <= REPORTED);
        assert!(lines.iter().all(|l| l.len() <= KEPT_LINE_BYTES + 3));
    }
}
