//! `LogAssertions`: the queries and assertions of [`TestLogs`] and
//! [`CapturedLogs`], written once.
//!
//! The shape is tracing-subscriber's `LookupSpan`: one required method
//! gives the records, every query and assertion is a provided method. A
//! check runs on what the required method gives; when it fails, the hook
//! `__logs_for_report` may give other records to report on (`TestLogs`
//! reports on a fresh snapshot with its test's name and session file, and
//! notes that the report was shown), and the check runs again on those, so
//! the message describes the records the report lists. A passing assertion
//! tells the hooks `__expected_*` what it found, for
//! [`deny`](TestLogs::deny).

use std::borrow::Cow;

use crate::engine::record::CapturedRecord;
use crate::harness::captured::{CapturedLogs, Failure};
use crate::harness::deny;
#[cfg(doc)]
use crate::harness::test_logs::TestLogs;

/// The queries and assertions on a test's records, shared by [`TestLogs`]
/// (what the test captured so far) and [`CapturedLogs`] (a snapshot).
///
/// A marker matches a record when it is a substring of the record's
/// message. The queries (`contains`, `count`, ...) never panic; each
/// `assert_*` panics with a report of the records when it fails (the
/// summary, where the log is, the numbered records, the closest record),
/// at the caller's line (`#[track_caller]`). The records are read
/// streaming: a log that spilled to disk is read back a block at a time,
/// never loaded whole.
///
/// Bring it into scope with `use logged_test::prelude::*;` (or
/// `use logged_test::LogAssertions as _;`).
///
/// To give another type the same assertions, implement the one required
/// method, [`captured_logs`](Self::captured_logs).
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
///
/// let logs = TestLogs::new("docs::log_assertions")?;
/// log::info!("connecting to db");
/// log::warn!("retrying");
/// log::info!("connected");
///
/// // On what the test captured so far ...
/// logs.assert_in_order(&["connecting", "retrying", "connected"]);
/// logs.assert_logged_at(log::Level::Warn, "retrying");
/// // ... or on a snapshot: the same methods.
/// let snapshot = logs.captured();
/// snapshot.assert_count("connect", 2);
/// assert!(!snapshot.contains("timeout"));
/// # Ok::<(), logged_test::LogError>(())
/// ```
///
/// A type of your own gets every assertion from one method:
///
/// ```
/// use std::borrow::Cow;
/// use logged_test::prelude::*;
///
/// /// The records of one stage of a test.
/// struct Stage(CapturedLogs);
///
/// impl LogAssertions for Stage {
///     fn captured_logs(&self) -> Cow<'_, CapturedLogs> {
///         Cow::Borrowed(&self.0)
///     }
/// }
///
/// let logs = TestLogs::new("docs::log_assertions_impl")?;
/// let start = logs.mark();
/// log::info!("stage 2 began");
/// let stage = Stage(logs.since(start));
/// stage.assert_contains("stage 2");
/// assert_eq!(stage.count("began"), 1);
/// # Ok::<(), logged_test::LogError>(())
/// ```
pub trait LogAssertions {
    /// The records the queries and assertions look at, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::captured_logs")?;
    /// log::info!("ready");
    /// assert_eq!(logs.captured_logs().messages(), ["ready"]);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    fn captured_logs(&self) -> Cow<'_, CapturedLogs>;

    /// Hook: the records a failing assertion reports on (and checks
    /// again); `None`, the default, reports on those it checked.
    #[doc(hidden)]
    fn __logs_for_report(&self) -> Option<Cow<'_, CapturedLogs>> {
        None
    }

    /// Hook: a passing assertion found `marker` (at `level`, if it asked
    /// for one) in `logs`.
    #[doc(hidden)]
    fn __expected_marker(&self, logs: &CapturedLogs, level: Option<log::Level>, marker: &str) {
        deny::note_marker(logs.collector_id(), level, marker);
    }

    /// Hook: a passing `assert_any` accepted the records of `logs` that
    /// `matches` accepts.
    #[doc(hidden)]
    fn __expected_records(&self, logs: &CapturedLogs, matches: &dyn Fn(&CapturedRecord) -> bool) {
        deny::note_records(logs.collector_id(), || logs.matching_where(matches));
    }

    /// Whether some record contains `marker`. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::contains")?;
    /// log::info!("cache hit");
    /// assert!(logs.contains("cache hit"));
    /// assert!(!logs.contains("cache miss"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    fn contains(&self, marker: &str) -> bool {
        self.captured_logs()
            .any_message(|_, message| message.contains(marker))
    }

    /// How many records contain `marker`. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::count")?;
    /// log::info!("retry");
    /// log::info!("retry");
    /// assert_eq!(logs.count("retry"), 2);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    fn count(&self, marker: &str) -> usize {
        self.captured_logs().count_marker(marker)
    }

    /// How many records `matches` accepts: any test over the level,
    /// target, thread, message, fields or session of a [`CapturedRecord`].
    /// Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::count_where")?;
    /// log::warn!("slow query");
    /// log::info!("fast query");
    /// assert_eq!(logs.count_where(|r| r.level <= log::Level::Warn), 1);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    fn count_where(&self, matches: impl Fn(&CapturedRecord) -> bool) -> usize {
        self.captured_logs().count_records(matches)
    }

    /// Asserts that some record is accepted by `matches`; `what` says in
    /// words what was expected, for the report.
    ///
    /// # Panics
    ///
    /// When no record is accepted, with the usual report.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_any")?;
    /// log::error!("payment 7 declined");
    /// logs.assert_any("an error about payment 7", |r| {
    ///     r.level == log::Level::Error && r.message.contains("payment 7")
    /// });
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_any(&self, what: &str, matches: impl Fn(&CapturedRecord) -> bool) {
        let logs = assert_on(self, |logs| logs.check_any(what, &matches));
        self.__expected_records(&logs, &matches);
    }

    /// Asserts that some record contains `marker`.
    ///
    /// # Panics
    ///
    /// When none does, with a report of the records and the closest one.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_contains")?;
    /// log::info!("ready");
    /// logs.assert_contains("ready");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    ///
    /// ```should_panic
    /// use logged_test::prelude::*;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let collector = logged_test::LogCollector::without_ui(dir.path()).unwrap();
    /// collector.log_str("connection refused");
    /// // panics: expected a record containing "connected"; none of 1 did ...
    /// collector.captured().unwrap().assert_contains("connected");
    /// ```
    #[track_caller]
    fn assert_contains(&self, marker: &str) {
        let logs = assert_on(self, |logs| logs.check_contains(marker));
        self.__expected_marker(&logs, None, marker);
    }

    /// Asserts that no record contains `marker`.
    ///
    /// # Panics
    ///
    /// When one does, naming the records that do.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_not_contains")?;
    /// log::info!("all good");
    /// logs.assert_not_contains("panic");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_not_contains(&self, marker: &str) {
        assert_on(self, |logs| logs.check_not_contains(marker));
    }

    /// Asserts that records containing each marker appear in this order
    /// (each in a later record than the previous marker's).
    ///
    /// # Panics
    ///
    /// Naming the first marker that has no match after the previous one.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_in_order")?;
    /// for stage in ["scan", "build", "install"] {
    ///     log::info!("{stage} started");
    /// }
    /// logs.assert_in_order(&["scan", "build", "install"]);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_in_order(&self, markers: &[&str]) {
        let logs = assert_on(self, |logs| logs.check_in_order(markers));
        for marker in markers {
            self.__expected_marker(&logs, None, marker);
        }
    }

    /// Asserts that exactly `expected` records contain `marker`.
    ///
    /// # Panics
    ///
    /// With the actual count and the matching records' numbers.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_count")?;
    /// log::info!("tick");
    /// log::info!("tick");
    /// logs.assert_count("tick", 2);
    /// logs.assert_count("tock", 0);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_count(&self, marker: &str, expected: usize) {
        let logs = assert_on(self, |logs| logs.check_count(marker, expected));
        if expected > 0 {
            self.__expected_marker(&logs, None, marker);
        }
    }

    /// Asserts that a record at exactly `level` contains `marker`.
    ///
    /// # Panics
    ///
    /// When none does, saying at which levels the marker was seen.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_logged_at")?;
    /// log::error!("disk full");
    /// logs.assert_logged_at(log::Level::Error, "disk full");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_logged_at(&self, level: log::Level, marker: &str) {
        let logs = assert_on(self, |logs| logs.check_logged_at(level, marker));
        self.__expected_marker(&logs, Some(level), marker);
    }

    /// Whether some record containing `marker` has the field `key` with the
    /// value `value` (as formatted: see [`CapturedRecord::fields`]). Never
    /// panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "kv")] {
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::contains_field")?;
    /// log::info!(order = 42; "order paid");
    /// assert!(logs.contains_field("paid", "order", "42"));
    /// assert!(!logs.contains_field("paid", "order", "43"));
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    fn contains_field(&self, marker: &str, key: &str, value: &str) -> bool {
        self.captured_logs().any_field(marker, key, value)
    }

    /// Asserts that some record containing `marker` has the field `key` with
    /// the value `value`: a `tracing` event's field (`tracing::info!(order =
    /// 42, "paid")`) or a `log` key-value (`log::info!(order = 42; "paid")`),
    /// formatted as [`CapturedRecord::fields`] says. An empty `marker`
    /// matches every record.
    ///
    /// # Panics
    ///
    /// When none has it, saying which values the field had in the records
    /// containing `marker`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "kv")] {
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_field")?;
    /// log::warn!(attempt = 3, peer = "db"; "retrying");
    /// logs.assert_field("retrying", "attempt", "3");
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_field(&self, marker: &str, key: &str, value: &str) {
        let logs = assert_on(self, |logs| logs.check_field(marker, key, value));
        self.__expected_marker(&logs, None, marker);
    }

    /// Whether some record containing `marker` was logged inside a span
    /// named `span` (at any depth of its chain). An empty `marker` matches
    /// every record. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::in_span")?;
    /// tracing::info_span!("request").in_scope(|| tracing::info!("handled"));
    /// tracing::info!("outside");
    /// assert!(logs.in_span("request", "handled"));
    /// assert!(!logs.in_span("request", "outside"));
    /// assert!(!logs.in_span("job", "handled"));
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    fn in_span(&self, span: &str, marker: &str) -> bool {
        self.captured_logs().any_in_span(span, marker)
    }

    /// Asserts that some record containing `marker` was logged inside a
    /// span named `span` (at any depth of its chain).
    ///
    /// # Panics
    ///
    /// When none was, saying which spans the records containing `marker`
    /// were in.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_in_span")?;
    /// let _request = tracing::info_span!("request").entered();
    /// tracing::info_span!("db").in_scope(|| tracing::debug!("query ran"));
    /// logs.assert_in_span("request", "query ran");
    /// logs.assert_in_span("db", "query ran");
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_in_span(&self, span: &str, marker: &str) {
        let logs = assert_on(self, |logs| logs.check_in_span(span, marker));
        self.__expected_marker(&logs, None, marker);
    }

    /// Whether some record containing `marker` was logged inside a span
    /// named `span` whose field `key` has the value `value` (see
    /// [`CapturedRecord::span_field`]). An empty `marker` matches every
    /// record. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::contains_span_field")?;
    /// tracing::info_span!("request", id = 7).in_scope(|| tracing::info!("handled"));
    /// assert!(logs.contains_span_field("handled", "request", "id", "7"));
    /// assert!(!logs.contains_span_field("handled", "request", "id", "8"));
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    fn contains_span_field(&self, marker: &str, span: &str, key: &str, value: &str) -> bool {
        self.captured_logs()
            .any_span_field(marker, span, key, value)
    }

    /// Asserts that some record containing `marker` was logged inside a
    /// span named `span` whose field `key` has the value `value`: a field
    /// given when the span was created (`info_span!("request", id = 7)`,
    /// an `#[instrument]`ed fn's arguments) or recorded later.
    ///
    /// # Panics
    ///
    /// When none was, saying which span chains the records containing
    /// `marker` had.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_span_field")?;
    /// tracing::info_span!("request", id = 7).in_scope(|| tracing::info!("handled"));
    /// logs.assert_span_field("handled", "request", "id", "7");
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_span_field(&self, marker: &str, span: &str, key: &str, value: &str) {
        let logs = assert_on(self, |logs| logs.check_span_field(marker, span, key, value));
        self.__expected_marker(&logs, None, marker);
    }

    /// Runs `check` on the records and panics with its message, followed by
    /// the usual report, if it returns `Err`: the escape hatch for any other
    /// assertion. The records are all loaded, to hand `check` a slice.
    ///
    /// # Panics
    ///
    /// When `check` returns `Err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = TestLogs::new("docs::assert_records")?;
    /// log::info!("took 12 ms");
    /// logs.assert_records(|records| {
    ///     match records.iter().all(|r| r.level <= log::Level::Info) {
    ///         true => Ok(()),
    ///         false => Err("a debug record slipped through".to_string()),
    ///     }
    /// });
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    fn assert_records<F>(&self, check: F)
    where
        F: FnOnce(&[CapturedRecord]) -> Result<(), String>,
    {
        let logs = self.captured_logs();
        if let Err(failure) = logs.check_records(check) {
            // `check` is `FnOnce`: its verdict stands, with the report's records.
            let logs = self.__logs_for_report().unwrap_or(logs);
            logs.fail(&failure);
        }
    }
}

/// Runs `check` on `on`'s records; when it fails, runs it again on the
/// records to report on and fails with that report (unless, records having
/// arrived in between, it passes there). Returns the records that passed.
#[track_caller]
fn assert_on<'a, L: LogAssertions + ?Sized>(
    on: &'a L,
    check: impl Fn(&CapturedLogs) -> Result<(), Failure>,
) -> Cow<'a, CapturedLogs> {
    let logs = on.captured_logs();
    let Err(failure) = check(&logs) else {
        return logs;
    };
    let Some(report) = on.__logs_for_report() else {
        logs.fail(&failure);
    };
    if let Err(failure) = check(&report) {
        report.fail(&failure);
    }
    report
}

impl LogAssertions for CapturedLogs {
    fn captured_logs(&self) -> Cow<'_, CapturedLogs> {
        Cow::Borrowed(self)
    }
}
