//! Failing a test on records nothing expected: `#[logged_test(deny = "warn")]`,
//! [`TestLogs::deny`] and `LOGGED_TEST_DENY`.
//!
//! A record at the denied level or above is *expected* when
//! - its message contains a marker the test checked for with an assertion
//!   that says the record must be there: the attribute's `markers`, `assert_contains`,
//!   `assert_logged_at` (at that level), `assert_count` (with a count above
//!   0), `assert_field`, `assert_in_order`, `assert_logged_within*`, or a
//!   wait that found it (`wait_for*`, `wait_for_since*`); on the
//!   [`TestLogs`] or on a [`CapturedLogs`] taken from it (`captured()`,
//!   `since(mark)`);
//! - `assert_any` accepted it; or
//! - it was allowed: [`TestLogs::allow`] (a marker) or
//!   [`TestLogs::allow_where`] (a predicate), before or after it was logged.
//!
//! Assertions count while something is denied (from the start, under the
//! attribute or `LOGGED_TEST_DENY`; from the call, with `deny()`), so that a
//! test that denies nothing pays nothing. The plain queries (`contains`,
//! `count`, `matching`, ...) expect nothing: they are as often used to
//! check that a record is *not* there.
//!
//! The check runs when the test ends: in `#[logged_test]` when the body
//! returns (a failing test is not checked again), and for a bare `TestLogs`
//! (the rstest fixture, `TestLogs::new`) when it is dropped, unless the
//! thread is already panicking.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use log::{Level, LevelFilter};

use crate::engine::record::CapturedRecord;
use crate::harness::captured::CapturedLogs;
use crate::harness::test_logs::TestLogs;

/// A test predicate for [`TestLogs::allow_where`].
type Allow = Arc<dyn Fn(&CapturedRecord) -> bool + Send + Sync>;

/// What one test denies and what it expected.
#[derive(Default)]
pub(crate) struct Expectations {
    inner: Mutex<Inner>,
}

#[derive(Default, Clone)]
struct Inner {
    deny: Option<Level>,
    allowed: Vec<String>,
    allowed_where: Vec<Allow>,
    /// Markers asserted present, with the level when the assertion named one.
    asserted: Vec<(Option<Level>, String)>,
    /// Records `assert_any` accepted.
    accepted: Vec<CapturedRecord>,
    /// The check ran (or must not run): the drop does not repeat it.
    checked: bool,
}

impl std::fmt::Debug for Expectations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Expectations")
            .field("deny", &inner.deny)
            .field("allowed", &inner.allowed)
            .field("allowed_where", &inner.allowed_where.len())
            .field("asserted", &inner.asserted)
            .finish_non_exhaustive()
    }
}

impl Expectations {
    /// Expectations denying `deny` and above (none for `Off` or `None`).
    pub(crate) fn new(deny: Option<LevelFilter>) -> Expectations {
        Expectations {
            inner: Mutex::new(Inner {
                deny: deny.and_then(|filter| filter.to_level()),
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // No user code runs under this lock (predicates run on a copy), and
        // every critical section leaves it consistent: recover from poison.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn denies(&self) -> bool {
        self.lock().deny.is_some()
    }

    fn note_marker(&self, level: Option<Level>, marker: &str) {
        let mut inner = self.lock();
        if !inner
            .asserted
            .iter()
            .any(|(l, m)| *l == level && m == marker)
        {
            inner.asserted.push((level, marker.to_owned()));
        }
    }

    fn note_records<'a>(&self, records: impl Iterator<Item = &'a CapturedRecord>) {
        let mut inner = self.lock();
        let Some(deny) = inner.deny else { return };
        let denied: Vec<CapturedRecord> = records.filter(|r| r.level <= deny).cloned().collect();
        inner.accepted.extend(denied);
    }

    /// The records of `logs` at the denied level or above that nothing
    /// expected, with their 1-based numbers; empty when nothing is denied.
    fn unexpected(&self, logs: &CapturedLogs) -> Vec<(usize, CapturedRecord)> {
        // A copy, so that the user's predicates run without the lock.
        let inner = self.lock().clone();
        let Some(deny) = inner.deny else {
            return Vec::new();
        };
        logs.records()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level <= deny && !inner.expects(r))
            .map(|(i, r)| (i + 1, r.clone()))
            .collect()
    }
}

impl Inner {
    fn expects(&self, record: &CapturedRecord) -> bool {
        let message = record.message.as_str();
        self.allowed.iter().any(|m| message.contains(m.as_str()))
            || self.asserted.iter().any(|(level, m)| {
                level.is_none_or(|l| l == record.level) && message.contains(m.as_str())
            })
            || self.accepted.iter().any(|r| same_record(r, record))
            || self.allowed_where.iter().any(|allow| allow(record))
    }
}

fn same_record(a: &CapturedRecord, b: &CapturedRecord) -> bool {
    a.timestamp == b.timestamp
        && a.level == b.level
        && a.message == b.message
        && a.thread == b.thread
        && a.target == b.target
}

/// The tests that deny something, by collector id, so that assertions on a
/// `CapturedLogs` taken from them count as expectations.
static DENYING: Mutex<Vec<(u64, Weak<Expectations>)>> = Mutex::new(Vec::new());
/// How many entries `DENYING` has: assertions skip its lock when none.
static DENYING_COUNT: AtomicUsize = AtomicUsize::new(0);

fn register(collector_id: u64, expectations: &Arc<Expectations>) {
    let mut denying = DENYING.lock().unwrap_or_else(PoisonError::into_inner);
    denying.retain(|(id, weak)| weak.strong_count() > 0 && *id != collector_id);
    denying.push((collector_id, Arc::downgrade(expectations)));
    DENYING_COUNT.store(denying.len(), Ordering::Relaxed);
}

fn registered(collector_id: u64) -> Option<Arc<Expectations>> {
    if DENYING_COUNT.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let mut denying = DENYING.lock().unwrap_or_else(PoisonError::into_inner);
    denying.retain(|(_, weak)| weak.strong_count() > 0);
    DENYING_COUNT.store(denying.len(), Ordering::Relaxed);
    denying
        .iter()
        .find(|(id, _)| *id == collector_id)
        .and_then(|(_, weak)| weak.upgrade())
}

/// A passing assertion on a `CapturedLogs` of collector `collector_id`
/// found `marker` (at `level`, if it named one).
pub(crate) fn note_marker(collector_id: u64, level: Option<Level>, marker: &str) {
    if let Some(expectations) = registered(collector_id) {
        expectations.note_marker(level, marker);
    }
}

/// A passing `assert_any` on a `CapturedLogs` of collector `collector_id`
/// accepted the records `records()` yields; called only when that
/// collector's test denies something (a spilled log is not loaded for it
/// otherwise).
pub(crate) fn note_records<'a, I: Iterator<Item = &'a CapturedRecord>>(
    collector_id: u64,
    records: impl FnOnce() -> I,
) {
    if let Some(expectations) = registered(collector_id) {
        expectations.note_records(records());
    }
}

impl TestLogs {
    /// Fails the test when it ends if it logged a record at `level` or
    /// above that nothing expected (see below); `LevelFilter::Off` turns the
    /// check off. The same as `#[logged_test(deny = "warn")]`; the default
    /// comes from `LOGGED_TEST_DENY`.
    ///
    /// A record is expected when its message contains a marker that an
    /// assertion found (`assert_contains`, `assert_logged_at` at its level,
    /// `assert_count` above 0, `assert_field`, `assert_in_order`,
    /// `assert_logged_within*`, or a `wait_for*` that returned true), on the
    /// `TestLogs` or on a `CapturedLogs` taken from it; when `assert_any`
    /// accepted it; or when [`allow`](Self::allow) or
    /// [`allow_where`](Self::allow_where) allow it. Assertions count from
    /// this call on (from the start under the attribute or
    /// `LOGGED_TEST_DENY`). `contains`, `count` and the other queries expect
    /// nothing.
    ///
    /// # Panics
    ///
    /// Not here: when the test ends. Under `#[logged_test]`, when the body
    /// returns; for a bare `TestLogs` (or the rstest fixture), when it is
    /// dropped and the thread is not already panicking. The panic lists the
    /// unexpected records. [`unexpected`](Self::unexpected) is the
    /// non-panicking check.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::deny")?;
    /// logs.deny(log::LevelFilter::Warn);
    /// log::warn!("cache cold, loading");
    /// log::error!("disk full");
    /// logs.allow("cache cold");
    /// logs.assert_logged_at(log::Level::Error, "disk full");
    /// assert!(logs.unexpected().is_empty());
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn deny(&self, level: LevelFilter) {
        let level = level.to_level();
        if level.is_none() && self.expectations.get().is_none() {
            return;
        }
        let expectations = self.expectations();
        expectations.lock().deny = level;
        if level.is_some() {
            register(self.collector().id(), expectations);
        }
    }

    /// Expects every record whose message contains `marker`, logged before
    /// or after this call: [`deny`](Self::deny) does not fail the test for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::allow")?;
    /// logs.deny(log::LevelFilter::Warn);
    /// logs.allow("deprecated option");
    /// log::warn!("deprecated option `--fast`");
    /// assert!(logs.unexpected().is_empty());
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn allow(&self, marker: &str) {
        self.expectations().lock().allowed.push(marker.to_owned());
    }

    /// Expects every record `allows` accepts, logged before or after this
    /// call: [`deny`](Self::deny) does not fail the test for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::allow_where")?;
    /// logs.deny(log::LevelFilter::Warn);
    /// logs.allow_where(|r| r.target.starts_with("hyper"));
    /// log::warn!(target: "hyper::proto", "connection reset");
    /// log::warn!("my own warning");
    /// assert_eq!(logs.unexpected()[0].message, "my own warning");
    /// logs.assert_logged_at(log::Level::Warn, "my own warning");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn allow_where(&self, allows: impl Fn(&CapturedRecord) -> bool + Send + Sync + 'static) {
        self.expectations()
            .lock()
            .allowed_where
            .push(Arc::new(allows));
    }

    /// The records so far at the [`deny`](Self::deny) level or above that
    /// nothing expected; empty when nothing is denied. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::unexpected")?;
    /// log::warn!("not denied yet");
    /// assert!(logs.unexpected().is_empty());
    /// logs.deny(log::LevelFilter::Warn);
    /// assert_eq!(logs.unexpected().len(), 1);
    /// logs.assert_contains("not denied");
    /// assert!(logs.unexpected().is_empty());
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn unexpected(&self) -> Vec<CapturedRecord> {
        let Some(expectations) = self.expectations.get().filter(|e| e.denies()) else {
            return Vec::new();
        };
        match self.collector().captured() {
            Ok(logs) => expectations
                .unexpected(&logs)
                .into_iter()
                .map(|(_, r)| r)
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Asserts now what [`deny`](Self::deny) checks when the test ends:
    /// no record at the denied level or above that nothing expected.
    ///
    /// # Panics
    ///
    /// Listing the unexpected records.
    ///
    /// # Examples
    ///
    /// ```should_panic
    /// let logs = logged_test::TestLogs::new("docs::assert_no_unexpected").unwrap();
    /// logs.deny(log::LevelFilter::Warn);
    /// log::warn!("surprise");
    /// // panics: 1 record at WARN or above that the test did not expect ...
    /// logs.assert_no_unexpected();
    /// ```
    #[track_caller]
    #[expect(clippy::panic, reason = "documented under `# Panics`")]
    pub fn assert_no_unexpected(&self) {
        if let Some(report) = self.deny_report() {
            self.mark_report_shown();
            panic!("{report}");
        }
    }

    /// The test's expectations, made on first use.
    fn expectations(&self) -> &Arc<Expectations> {
        self.expectations
            .get_or_init(|| Arc::new(Expectations::new(None)))
    }

    /// A record an assertion of this test found (`found`), so `deny` expects it.
    pub(crate) fn expect_marker(&self, found: bool, level: Option<Level>, marker: &str) {
        if let Some(expectations) = self.expectations.get().filter(|_| found) {
            if expectations.denies() {
                expectations.note_marker(level, marker);
            }
        }
    }

    /// Records `assert_any` accepted: `records()` is called only when the
    /// test denies something (a spilled log is not loaded for it otherwise).
    pub(crate) fn expect_records<'a, I: Iterator<Item = &'a CapturedRecord>>(
        &self,
        records: impl FnOnce() -> I,
    ) {
        if let Some(expectations) = self.expectations.get().filter(|e| e.denies()) {
            expectations.note_records(records());
        }
    }

    /// The end-of-test check: the report of the unexpected records, if any.
    /// Runs once; later calls (the drop) return `None`.
    pub(crate) fn deny_report(&self) -> Option<String> {
        let expectations = self.expectations.get()?;
        let deny = {
            let mut inner = expectations.lock();
            if inner.checked {
                return None;
            }
            inner.checked = true;
            inner.deny?
        };
        let logs = self.captured_all_quiet()?;
        let unexpected = expectations.unexpected(&logs);
        if unexpected.is_empty() {
            return None;
        }
        let mut summary = format!(
            "{} record{} at {deny} or above that the test did not expect (deny = \"{}\")\n\
             unexpected records:\n",
            unexpected.len(),
            if unexpected.len() == 1 { "" } else { "s" },
            deny.as_str().to_ascii_lowercase(),
        );
        for (number, record) in unexpected.iter().take(50) {
            summary.push_str(&format!("  {number:>4} | {record}\n"));
        }
        if unexpected.len() > 50 {
            summary.push_str(&format!("  ... and {} more\n", unexpected.len() - 50));
        }
        summary.push_str(
            "expect them with an assertion (`assert_logged_at`, `assert_contains`, ...) or allow \
             them up front (`logs.allow(marker)`, `logs.allow_where(..)`); `deny = \"off\"` turns the \
             check off",
        );
        Some(logs.report(&summary, None))
    }

    /// The check of the drop: skipped when the test failed or is panicking.
    pub(crate) fn deny_report_at_drop(&self, failed: bool) -> Option<String> {
        // Cheapest first: most tests deny nothing.
        self.expectations.get()?;
        if failed || std::thread::panicking() {
            return None;
        }
        self.deny_report()
    }

    /// Turns the end-of-test check off (a `#[should_panic]` test that panicked).
    pub(crate) fn skip_deny(&self) {
        if let Some(expectations) = self.expectations.get() {
            expectations.lock().checked = true;
        }
    }
}

/// Fails a test from the drop of its `TestLogs` (see [`TestLogs::deny`]).
#[expect(
    clippy::panic,
    reason = "the one panic of a drop: it runs only when the thread is not panicking, \
              and it is how a bare `TestLogs` fails its test on an unexpected warning"
)]
pub(crate) fn fail_at_drop(report: &str) {
    panic!("{report}");
}
