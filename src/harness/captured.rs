//! `CapturedLogs`: a snapshot of what a collector captured, and the assertions on it.
//!
//! A marker matches a record when it is a substring of the record's message.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::engine::persister;
use crate::engine::record::CapturedRecord;
use crate::engine::store::{Held, Segment, Snapshot};
use crate::harness::report::{self, Origin};

/// A snapshot of every record a collector has captured, in order, with
/// assertions that print the log when they fail.
///
/// Get one from [`LogCollector::captured`](crate::LogCollector::captured) or
/// [`TestLogs::captured`](crate::TestLogs::captured).
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
///
/// let dir = tempfile::tempdir()?;
/// let collector = logged_test::LogCollector::without_ui(dir.path())?;
/// collector.log(log::Level::Info, "connecting to db");
/// collector.log(log::Level::Warn, "retrying");
/// collector.log(log::Level::Info, "connected");
///
/// let logs = collector.captured()?;
/// logs.assert_in_order(&["connecting", "retrying", "connected"]);
/// logs.assert_logged_at(log::Level::Warn, "retrying");
/// logs.assert_count("connect", 2);
/// assert!(!logs.contains("timeout"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CapturedLogs {
    /// Where the records are: shared with the collector (its chunks in
    /// memory and its spilled files), or `records` alone.
    source: Source,
    /// The records as `CapturedRecord`s, made on first use by the methods
    /// that hand out references to them (`records()`, `matching`, ...).
    /// Counting and searching read `source` directly.
    records: OnceLock<Vec<CapturedRecord>>,
    len: OnceLock<usize>,
    origin: Origin,
}

/// The records of a [`CapturedLogs`] that are not copied yet.
#[derive(Debug, Clone)]
enum Source {
    /// All of them are in `CapturedLogs::records`.
    Owned,
    /// The collector's records when the snapshot was taken: the ones in
    /// memory (shared, not copied), then the ones only on disk (read back
    /// from the files, streaming, when needed); `only` keeps one session,
    /// `skip` leaves out the first records (of that session).
    Shared {
        memory: Snapshot,
        spilled: Arc<[Segment]>,
        only: Option<u64>,
        skip: usize,
    },
}

/// One record as the assertions see it, without copying it first.
enum View<'a> {
    Held(&'a Held),
    Record(&'a CapturedRecord),
}

impl View<'_> {
    fn message(&self) -> &str {
        match self {
            View::Held(held) => &held.entry.message,
            View::Record(record) => &record.message,
        }
    }

    fn level(&self) -> log::Level {
        match self {
            View::Held(held) => held.entry.level,
            View::Record(record) => record.level,
        }
    }

    fn field(&self, key: &str) -> Option<&str> {
        match self {
            View::Held(held) => held
                .entry
                .extra
                .as_deref()
                .and_then(|extra| extra.fields().find(|(k, _)| *k == key).map(|(_, v)| v)),
            View::Record(record) => record.field(key),
        }
    }

    fn to_record(&self) -> CapturedRecord {
        match self {
            View::Held(held) => held.entry.to_captured(held.generation),
            View::Record(record) => (*record).clone(),
        }
    }
}

impl CapturedLogs {
    /// A snapshot of `records` (already copied out).
    pub(crate) fn new(
        records: Vec<CapturedRecord>,
        collector_id: u64,
        session: Option<PathBuf>,
    ) -> CapturedLogs {
        CapturedLogs {
            source: Source::Owned,
            len: OnceLock::from(records.len()),
            records: OnceLock::from(records),
            origin: Origin {
                test_name: None,
                collector_id,
                session,
            },
        }
    }

    /// A snapshot sharing a collector's records: O(chunks), no record copied.
    pub(crate) fn shared(
        memory: Snapshot,
        spilled: Vec<Segment>,
        collector_id: u64,
        session: Option<PathBuf>,
    ) -> CapturedLogs {
        let len = OnceLock::new();
        if spilled.is_empty() {
            let _ = len.set(memory.len());
        }
        CapturedLogs {
            source: Source::Shared {
                memory,
                spilled: Arc::from(spilled),
                only: None,
                skip: 0,
            },
            records: OnceLock::new(),
            len,
            origin: Origin {
                test_name: None,
                collector_id,
                session,
            },
        }
    }

    pub(crate) fn with_session(mut self, path: &std::path::Path) -> CapturedLogs {
        self.origin.session = Some(path.to_path_buf());
        self
    }

    pub(crate) fn with_test_name(mut self, name: &str) -> CapturedLogs {
        self.origin.test_name = Some(name.to_owned());
        self
    }

    /// The same origin with other records (a mark's or a clear's subset).
    pub(crate) fn with_records(self, records: Vec<CapturedRecord>) -> CapturedLogs {
        CapturedLogs {
            source: Source::Owned,
            len: OnceLock::from(records.len()),
            records: OnceLock::from(records),
            origin: self.origin,
        }
    }

    /// The same snapshot without its first `skip` records (those `clear()`
    /// hid, or those before a mark): shared records stay shared, so a
    /// spilled log is still read back streaming, never loaded whole.
    pub(crate) fn without_first(mut self, skip: usize) -> CapturedLogs {
        if skip == 0 {
            return self;
        }
        match (&mut self.source, self.records.get()) {
            (Source::Shared { skip: skipped, .. }, None) => {
                *skipped = skipped.saturating_add(skip);
                self.len = OnceLock::new();
                self
            }
            _ => {
                let kept = self.all().get(skip..).unwrap_or(&[]).to_vec();
                self.with_records(kept)
            }
        }
    }

    /// The id of the collector the records came from.
    pub(crate) fn collector_id(&self) -> u64 {
        self.origin.collector_id
    }

    /// The session file the records went to, if known.
    pub(crate) fn session_file(&self) -> Option<&std::path::Path> {
        self.origin.session.as_deref()
    }

    /// Hands each record to `each`, oldest first, until it breaks, reading
    /// spilled records back from their files one block at a time.
    fn scan(&self, mut each: impl FnMut(View<'_>) -> ControlFlow<()>) {
        let (memory, spilled, only, skip) = match (&self.source, self.records.get()) {
            (
                Source::Shared {
                    memory,
                    spilled,
                    only,
                    skip,
                },
                None,
            ) => (memory, spilled, *only, *skip),
            (_, records) => {
                for record in records.map(Vec::as_slice).unwrap_or_default() {
                    if each(View::Record(record)).is_break() {
                        return;
                    }
                }
                return;
            }
        };
        // The first `skip` records of the session wanted are left out.
        let mut to_skip = skip;
        let mut wanted = |generation: u64| {
            if only.is_some_and(|g| g != generation) {
                return false;
            }
            match to_skip {
                0 => true,
                _ => {
                    to_skip -= 1;
                    false
                }
            }
        };
        for held in memory.iter() {
            if wanted(held.generation) && each(View::Held(held)).is_break() {
                return;
            }
        }
        let mut stopped = false;
        let read = persister::for_each_spilled(spilled, |record| {
            if !wanted(record.generation) {
                return ControlFlow::Continue(());
            }
            let flow = each(View::Record(&record));
            stopped = flow.is_break();
            flow
        });
        if let (Err(error), false) = (read, stopped) {
            // Shown where the records would be, rather than hidden.
            let record = CapturedRecord {
                level: log::Level::Error,
                target: crate::DIRECT_TARGET.to_owned(),
                message: format!("logged-test could not read the rest of the log back: {error}"),
                thread: None,
                timestamp: std::time::SystemTime::now(),
                generation: only.unwrap_or(0),
                fields: Vec::new(),
                spans: Vec::new(),
                span_fields: Vec::new(),
            };
            let _ = each(View::Record(&record));
        }
    }

    /// Each record as a `CapturedRecord`, streaming (each one is made,
    /// handed over and dropped), until `each` breaks.
    fn scan_records(&self, mut each: impl FnMut(&CapturedRecord) -> ControlFlow<()>) {
        self.scan(|view| match view {
            View::Record(record) => each(record),
            view @ View::Held(_) => each(&view.to_record()),
        });
    }

    /// Whether `matches` accepts some record, streaming.
    pub(crate) fn any_record(&self, matches: impl Fn(&CapturedRecord) -> bool) -> bool {
        let mut found = false;
        self.scan_records(|record| {
            found = matches(record);
            if found {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        found
    }

    /// Whether some record's level and message satisfy `matches`, streaming.
    pub(crate) fn any_message(&self, matches: impl Fn(log::Level, &str) -> bool) -> bool {
        let mut found = false;
        self.scan(|view| {
            found = matches(view.level(), view.message());
            if found {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        found
    }

    /// The last `n` records and the number of records, streaming: memory
    /// stays bounded by `n` records whatever the size of the log.
    pub(crate) fn tail(&self, n: usize) -> (Vec<CapturedRecord>, usize) {
        if let Some(records) = self.records.get() {
            let skip = records.len().saturating_sub(n);
            return (
                records.get(skip..).unwrap_or_default().to_vec(),
                records.len(),
            );
        }
        let mut tail = std::collections::VecDeque::with_capacity(n.min(1024));
        let mut total = 0;
        self.scan(|view| {
            total += 1;
            if n > 0 {
                if tail.len() == n {
                    tail.pop_front();
                }
                tail.push_back(view.to_record());
            }
            ControlFlow::Continue(())
        });
        (tail.into(), total)
    }

    /// How many records there are of each level (error first), streaming.
    pub(crate) fn level_counts(&self) -> [usize; 5] {
        let mut levels = [0usize; 5];
        self.scan(|view| {
            if let Some(slot) = levels.get_mut(view.level() as usize - 1) {
                *slot += 1;
            }
            ControlFlow::Continue(())
        });
        levels
    }

    /// The records, copied out of the shared source on first use.
    fn all(&self) -> &[CapturedRecord] {
        self.records.get_or_init(|| {
            let mut records = Vec::with_capacity(self.len.get().copied().unwrap_or(0));
            self.scan(|view| {
                records.push(view.to_record());
                ControlFlow::Continue(())
            });
            records
        })
    }

    /// The records, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log(log::Level::Debug, "x");
    /// assert_eq!(collector.captured()?.records()[0].level, log::Level::Debug);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn records(&self) -> &[CapturedRecord] {
        self.all()
    }

    /// Each record formatted as in the file (a multi-line message stays one item).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("hello");
    /// assert!(collector.captured()?.lines()[0].ends_with("logged_test: hello"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lines(&self) -> Vec<String> {
        self.all().iter().map(ToString::to_string).collect()
    }

    /// The whole log as in the file, one record per line.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("a");
    /// collector.log_str("b");
    /// assert_eq!(collector.captured()?.text().lines().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn text(&self) -> String {
        let mut text = String::new();
        self.scan_records(|record| {
            text.push_str(&record.to_string());
            text.push('\n');
            ControlFlow::Continue(())
        });
        text
    }

    /// The messages alone, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("a");
    /// assert_eq!(collector.captured()?.messages(), ["a"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn messages(&self) -> Vec<&str> {
        self.all().iter().map(|r| r.message.as_str()).collect()
    }

    /// The records of one session (by its generation; 0 is the pre-session
    /// file), with the same assertions.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.start_new_session_blocking("scan.log")?;
    /// collector.log_str("scanning");
    /// collector.start_new_session_blocking("build.log")?;
    /// collector.log_str("building");
    /// let logs = collector.captured()?;
    /// assert_eq!(logs.session(1).messages(), ["scanning"]);
    /// logs.session(2).assert_not_contains("scanning");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session(&self, generation: u64) -> CapturedLogs {
        if let (
            Source::Shared {
                memory,
                spilled,
                only,
                skip: 0,
            },
            None,
        ) = (&self.source, self.records.get())
        {
            if only.is_none_or(|g| g == generation) {
                return CapturedLogs {
                    source: Source::Shared {
                        memory: memory.clone(),
                        spilled: Arc::clone(spilled),
                        only: Some(generation),
                        skip: 0,
                    },
                    records: OnceLock::new(),
                    len: OnceLock::new(),
                    origin: self.origin.clone(),
                };
            }
        }
        let records: Vec<CapturedRecord> = self
            .all()
            .iter()
            .filter(|r| r.generation == generation)
            .cloned()
            .collect();
        CapturedLogs {
            source: Source::Owned,
            len: OnceLock::from(records.len()),
            records: OnceLock::from(records),
            origin: self.origin.clone(),
        }
    }

    /// Number of records.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert_eq!(collector.captured()?.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        *self.len.get_or_init(|| {
            let mut n = 0;
            self.scan(|_| {
                n += 1;
                ControlFlow::Continue(())
            });
            n
        })
    }

    /// Whether no record was captured.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// assert!(collector.captured()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records for which `matches` is true: any test over the level,
    /// target, thread, message or session of a record.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log(log::Level::Warn, "disk 91% full");
    /// collector.log(log::Level::Info, "disk 40% full");
    /// let logs = collector.captured()?;
    /// let warnings = logs.matching_where(|r| r.level == log::Level::Warn && r.message.contains("disk"));
    /// assert_eq!(warnings.count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matching_where<'a, F>(
        &'a self,
        matches: F,
    ) -> impl Iterator<Item = &'a CapturedRecord> + 'a
    where
        F: Fn(&CapturedRecord) -> bool + 'a,
    {
        self.all().iter().filter(move |r| matches(r))
    }

    /// The records whose message contains `marker`.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("job 1 done");
    /// collector.log_str("job 2 failed");
    /// let logs = collector.captured()?;
    /// let done: Vec<_> = logs.matching("done").map(|r| r.message.as_str()).collect();
    /// assert_eq!(done, ["job 1 done"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matching<'a>(
        &'a self,
        marker: &'a str,
    ) -> impl Iterator<Item = &'a CapturedRecord> + 'a {
        self.all()
            .iter()
            .filter(move |r| r.message.contains(marker))
    }

    /// How many records contain `marker`, streaming.
    pub(crate) fn count_marker(&self, marker: &str) -> usize {
        let mut n = 0;
        self.scan(|view| {
            n += usize::from(view.message().contains(marker));
            ControlFlow::Continue(())
        });
        n
    }

    /// How many records `matches` accepts, streaming.
    pub(crate) fn count_records(&self, matches: impl Fn(&CapturedRecord) -> bool) -> usize {
        let mut n = 0;
        self.scan_records(|r| {
            n += usize::from(matches(r));
            ControlFlow::Continue(())
        });
        n
    }

    /// Whether some record containing `marker` has the field `key` with
    /// the value `value`, streaming.
    pub(crate) fn any_field(&self, marker: &str, key: &str, value: &str) -> bool {
        let mut found = false;
        self.scan(|view| {
            found = view.message().contains(marker) && view.field(key) == Some(value);
            if found {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        found
    }

    /// `LogAssertions::assert_any`'s check.
    pub(crate) fn check_any(
        &self,
        what: &str,
        matches: impl Fn(&CapturedRecord) -> bool,
    ) -> Result<(), Failure> {
        match self.any_record(matches) {
            true => Ok(()),
            false => Err(Failure::new(
                format!("expected {what}; none of {} records matched", self.len()),
                None,
            )),
        }
    }

    /// `LogAssertions::assert_contains`'s check.
    pub(crate) fn check_contains(&self, marker: &str) -> Result<(), Failure> {
        if self.any_message(|_, message| message.contains(marker)) {
            return Ok(());
        }
        Err(Failure::new(
            format!(
                "expected a record containing {marker:?}; none of {} did",
                self.len()
            ),
            Some(marker),
        ))
    }

    /// `LogAssertions::assert_not_contains`'s check.
    pub(crate) fn check_not_contains(&self, marker: &str) -> Result<(), Failure> {
        let hits = self.record_numbers(marker);
        if hits.is_empty() {
            return Ok(());
        }
        Err(Failure::new(
            format!(
                "expected no record containing {marker:?}; {} did (#{})",
                hits.len(),
                join_numbers(&hits)
            ),
            None,
        ))
    }

    /// `LogAssertions::assert_in_order`'s check, in one pass: each marker
    /// is looked for after the previous one's record.
    pub(crate) fn check_in_order(&self, markers: &[&str]) -> Result<(), Failure> {
        let mut found_at: Vec<usize> = Vec::new();
        let mut number = 0;
        self.scan(|view| {
            number += 1;
            match markers.get(found_at.len()) {
                Some(marker) if view.message().contains(marker) => {
                    found_at.push(number);
                    if found_at.len() == markers.len() {
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                }
                Some(_) => ControlFlow::Continue(()),
                None => ControlFlow::Break(()),
            }
        });
        let i = found_at.len();
        let Some(marker) = markers.get(i) else {
            return Ok(());
        };
        let before = match i.checked_sub(1).and_then(|p| markers.get(p)) {
            None => String::new(),
            Some(previous) => format!(
                " after {previous:?} (record #{})",
                found_at.last().copied().unwrap_or(0)
            ),
        };
        let elsewhere = match self.record_numbers_up_to(marker, 1).first() {
            Some(p) => format!("; it only appears earlier, at #{p}"),
            None => String::new(),
        };
        Err(Failure::new(
            format!(
                "expected records in the order {markers:?}; no record containing {marker:?}{before}{elsewhere}"
            ),
            Some(marker),
        ))
    }

    /// `LogAssertions::assert_count`'s check.
    pub(crate) fn check_count(&self, marker: &str, expected: usize) -> Result<(), Failure> {
        let hits = self.record_numbers(marker);
        if hits.len() == expected {
            return Ok(());
        }
        let which = if hits.is_empty() {
            String::new()
        } else {
            format!(" (#{})", join_numbers(&hits))
        };
        Err(Failure::new(
            format!(
                "expected {expected} records containing {marker:?}; found {}{which}",
                hits.len()
            ),
            (hits.is_empty()).then_some(marker),
        ))
    }

    /// `LogAssertions::assert_logged_at`'s check.
    pub(crate) fn check_logged_at(&self, level: log::Level, marker: &str) -> Result<(), Failure> {
        if self.any_message(|l, message| l == level && message.contains(marker)) {
            return Ok(());
        }
        let mut seen: Vec<log::Level> = Vec::new();
        self.scan(|view| {
            if view.message().contains(marker) && !seen.contains(&view.level()) {
                seen.push(view.level());
            }
            ControlFlow::Continue(())
        });
        seen.sort();
        let seen = if seen.is_empty() {
            format!("none of {} records contains it", self.len())
        } else {
            let names: Vec<&str> = seen.iter().map(|l| l.as_str()).collect();
            format!("it was logged at {} only", names.join(", "))
        };
        Err(Failure::new(
            format!("expected a {level} record containing {marker:?}; {seen}"),
            Some(marker),
        ))
    }

    /// `LogAssertions::assert_field`'s check.
    pub(crate) fn check_field(&self, marker: &str, key: &str, value: &str) -> Result<(), Failure> {
        if self.any_field(marker, key, value) {
            return Ok(());
        }
        let containing = self.record_numbers(marker);
        let mut seen: Vec<String> = Vec::new();
        self.scan(|view| {
            if view.message().contains(marker) {
                if let Some(v) = view.field(key) {
                    let shown = format!("{v:?}");
                    if !seen.contains(&shown) {
                        seen.push(shown);
                    }
                }
            }
            ControlFlow::Continue(())
        });
        let why = if containing.is_empty() {
            format!("none of {} records contains {marker:?}", self.len())
        } else if seen.is_empty() {
            format!(
                "{} records contain {marker:?} (#{}), none has a field `{key}`",
                containing.len(),
                join_numbers(&containing)
            )
        } else {
            format!(
                "in the records containing {marker:?}, `{key}` was {}",
                seen.join(", ")
            )
        };
        Err(Failure::new(
            format!("expected a record containing {marker:?} with {key}={value:?}; {why}"),
            Some(marker),
        ))
    }

    /// Whether some record containing `marker` was logged inside a span
    /// named `span`, streaming.
    pub(crate) fn any_in_span(&self, span: &str, marker: &str) -> bool {
        self.any_record(|r| r.message.contains(marker) && r.spans.iter().any(|name| name == span))
    }

    /// Whether some record containing `marker` was logged inside a span
    /// named `span` whose field `key` is `value`, streaming.
    pub(crate) fn any_span_field(&self, marker: &str, span: &str, key: &str, value: &str) -> bool {
        self.any_record(|r| {
            r.message.contains(marker)
                && r.span_chain()
                    .filter(|(name, _)| *name == span)
                    .any(|(_, fields)| fields.iter().any(|(k, v)| k == key && v == value))
        })
    }

    /// `LogAssertions::assert_in_span`'s check.
    pub(crate) fn check_in_span(&self, span: &str, marker: &str) -> Result<(), Failure> {
        if self.any_in_span(span, marker) {
            return Ok(());
        }
        let why = self.span_chains_seen(marker);
        Err(Failure::new(
            format!("expected a record containing {marker:?} inside a span `{span}`; {why}"),
            Some(marker),
        ))
    }

    /// `LogAssertions::assert_span_field`'s check.
    pub(crate) fn check_span_field(
        &self,
        marker: &str,
        span: &str,
        key: &str,
        value: &str,
    ) -> Result<(), Failure> {
        if self.any_span_field(marker, span, key, value) {
            return Ok(());
        }
        let why = self.span_chains_seen(marker);
        Err(Failure::new(
            format!(
                "expected a record containing {marker:?} inside a span `{span}` with \
                 {key}={value:?}; {why}"
            ),
            Some(marker),
        ))
    }

    /// The span chains of the records containing `marker`, for a report.
    fn span_chains_seen(&self, marker: &str) -> String {
        let containing = self.record_numbers(marker);
        if containing.is_empty() {
            return format!("none of {} records contains {marker:?}", self.len());
        }
        let mut seen: Vec<String> = Vec::new();
        for record in self.matching(marker) {
            let chain = record
                .span_chain()
                .map(|(name, fields)| {
                    let fields: Vec<String> =
                        fields.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                    match fields.is_empty() {
                        true => name.to_owned(),
                        false => format!("{name}{{{}}}", fields.join(", ")),
                    }
                })
                .collect::<Vec<_>>()
                .join(":");
            let chain = match chain.is_empty() {
                true => "no span".to_owned(),
                false => chain,
            };
            if !seen.contains(&chain) {
                seen.push(chain);
            }
        }
        format!(
            "{} records contain {marker:?} (#{}), in: {}",
            containing.len(),
            join_numbers(&containing),
            seen.join("; ")
        )
    }

    /// `LogAssertions::assert_records`'s check.
    pub(crate) fn check_records<F>(&self, check: F) -> Result<(), Failure>
    where
        F: FnOnce(&[CapturedRecord]) -> Result<(), String>,
    {
        check(self.all()).map_err(|message| Failure::new(message, None))
    }

    /// The 1-based numbers (as the report shows them) of the records that
    /// contain `marker`.
    fn record_numbers(&self, marker: &str) -> Vec<usize> {
        self.record_numbers_up_to(marker, usize::MAX)
    }

    /// The first `limit` of [`record_numbers`](Self::record_numbers).
    fn record_numbers_up_to(&self, marker: &str, limit: usize) -> Vec<usize> {
        let mut numbers = Vec::new();
        let mut number = 0;
        self.scan(|view| {
            number += 1;
            if view.message().contains(marker) {
                numbers.push(number);
                if numbers.len() >= limit {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        numbers
    }

    /// The failure report for `summary`, as the assertions print it.
    pub(crate) fn report(&self, summary: &str, closest_to: Option<&str>) -> String {
        report::render(summary, &self.origin, self.all(), closest_to)
    }

    /// Fails an assertion: panics with the report of `failure` on these records.
    #[track_caller]
    #[expect(
        clippy::panic,
        reason = "the one place the assertions fail, with the report"
    )]
    pub(crate) fn fail(&self, failure: &Failure) -> ! {
        let report = self.report(&failure.summary, failure.closest_to.as_deref());
        panic!("{report}");
    }
}

/// Why an assertion failed: the report's one-line summary, and the marker
/// whose closest record the report shows.
#[derive(Debug)]
pub(crate) struct Failure {
    summary: String,
    closest_to: Option<String>,
}

impl Failure {
    fn new(summary: String, closest_to: Option<&str>) -> Failure {
        Failure {
            summary,
            closest_to: closest_to.map(str::to_owned),
        }
    }
}

fn join_numbers(numbers: &[usize]) -> String {
    let shown: Vec<String> = numbers.iter().take(10).map(ToString::to_string).collect();
    let more = numbers.len().saturating_sub(10);
    if more > 0 {
        format!("{}, and {more} more", shown.join(", #"))
    } else {
        shown.join(", #")
    }
}

#[cfg(test)]
mod should {
    use crate::LogCollector;
    use crate::harness::assertions::LogAssertions;

    fn collector_with(lines: &[&str]) -> (tempfile::TempDir, LogCollector) {
        let dir = tempfile::tempdir().unwrap();
        let collector = LogCollector::without_ui(dir.path()).unwrap();
        for line in lines {
            collector.log_str(line);
        }
        (dir, collector)
    }

    #[test]
    fn skip_the_first_records_without_copying_them() {
        let (_dir, collector) = collector_with(&["a", "b", "c"]);
        let logs = collector.captured().unwrap().without_first(2);
        assert!(logs.records.get().is_none(), "the records were copied");
        assert_eq!(logs.len(), 1);
        assert!(!logs.contains("a") && !logs.contains("b"));
        logs.assert_contains("c");
        assert_eq!(logs.messages(), ["c"]);
        assert_eq!(logs.clone().without_first(1).len(), 0);
    }

    #[test]
    fn skip_counts_the_records_a_session_keeps() {
        let (_dir, collector) = collector_with(&["before"]);
        collector.start_new_session_blocking("one.log").unwrap();
        collector.log_str("one-a");
        collector.log_str("one-b");
        collector.start_new_session_blocking("two.log").unwrap();
        collector.log_str("two-a");
        let logs = collector.captured().unwrap();
        assert_eq!(logs.session(1).without_first(1).messages(), ["one-b"]);
        // A skipped snapshot's session is taken from what is left.
        assert_eq!(
            logs.clone().without_first(2).session(1).messages(),
            ["one-b"]
        );
        assert_eq!(logs.without_first(2).session(2).messages(), ["two-a"]);
    }

    #[test]
    fn report_failures_with_the_same_words_as_before() {
        let (_dir, collector) = collector_with(&["retry 1", "retry 2"]);
        let logs = collector.captured().unwrap();
        let failure = logs.check_count("retry", 1).unwrap_err();
        assert_eq!(
            failure.summary,
            "expected 1 records containing \"retry\"; found 2 (#1, #2)"
        );
        assert_eq!(failure.closest_to, None);
        let failure = logs.check_contains("done").unwrap_err();
        assert_eq!(
            failure.summary,
            "expected a record containing \"done\"; none of 2 did"
        );
        assert_eq!(failure.closest_to.as_deref(), Some("done"));
        assert!(logs.check_in_order(&["retry 1", "retry 2"]).is_ok());
    }
}
