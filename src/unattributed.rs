//! Records that no collector may claim: counted, and written to stderr by a
//! background thread so the logging thread never blocks on I/O.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::Sender;

use crate::record::Entry;

static COUNT: AtomicU64 = AtomicU64::new(0);
static STDERR: OnceLock<Option<Sender<(Entry, &'static str)>>> = OnceLock::new();

/// Prefix of every unattributed record written to stderr.
pub(crate) const PREFIX: &str = "[logged-test: unattributed]";

/// Counts `entry` and hands it to the stderr writer thread.
pub(crate) fn report(entry: Entry, why: &'static str) {
    COUNT.fetch_add(1, Ordering::Relaxed);
    if let Some(tx) = start_writer() {
        let _ = tx.send((entry, why));
    }
}

/// The channel of the stderr writer thread, started on first use.
pub(crate) fn start_writer() -> Option<&'static Sender<(Entry, &'static str)>> {
    let writer = STDERR.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<(Entry, &'static str)>();
        std::thread::Builder::new()
            .name("logged-test-unattributed".into())
            .spawn(move || {
                let mut line = String::new();
                for (entry, why) in rx {
                    line.clear();
                    line.push_str(PREFIX);
                    line.push_str(" (");
                    line.push_str(why);
                    line.push_str(") ");
                    entry.write_to(&mut line);
                    let _ = std::io::stderr().write_all(line.as_bytes());
                }
            })
            .ok()
            .map(|_| tx)
    });
    writer.as_ref()
}

/// How many records reached no collector since the process started.
///
/// A record is unattributed when its thread is not routed to a collector and
/// more than one collector (or none) is alive: routing it anywhere could put
/// it in another test's log. Each one is also written to stderr, prefixed
/// with `[logged-test: unattributed]`.
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
