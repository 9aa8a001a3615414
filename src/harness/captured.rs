//! `CapturedLogs`: a snapshot of what a collector captured, and the assertions on it.
//!
//! A marker matches a record when it is a substring of the record's message.

use std::path::PathBuf;

use crate::engine::record::CapturedRecord;
use crate::harness::deny;
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
    records: Vec<CapturedRecord>,
    origin: Origin,
}

impl CapturedLogs {
    pub(crate) fn new(
        records: Vec<CapturedRecord>,
        collector_id: u64,
        session: Option<PathBuf>,
    ) -> CapturedLogs {
        CapturedLogs {
            records,
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
            records,
            origin: self.origin,
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
        &self.records
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
        self.records.iter().map(ToString::to_string).collect()
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
        for record in &self.records {
            text.push_str(&record.to_string());
            text.push('\n');
        }
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
        self.records.iter().map(|r| r.message.as_str()).collect()
    }

    /// The records of one session (by its generation; 0 is the pre-session
    /// file), with the same assertions.
    ///
    /// # Examples
    ///
    /// ```
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
        CapturedLogs {
            records: self
                .records
                .iter()
                .filter(|r| r.generation == generation)
                .cloned()
                .collect(),
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
        self.records.len()
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
        self.records.is_empty()
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
        self.records.iter().filter(move |r| matches(r))
    }

    /// How many records `matches` accepts; see [`matching_where`](Self::matching_where).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log(log::Level::Error, "boom");
    /// collector.log(log::Level::Error, "bang");
    /// let errors = collector.captured()?.count_where(|r| r.level == log::Level::Error);
    /// assert_eq!(errors, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count_where(&self, matches: impl Fn(&CapturedRecord) -> bool) -> usize {
        self.records.iter().filter(|r| matches(r)).count()
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
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log(log::Level::Warn, "retrying in 5 s");
    /// collector.captured()?.assert_any("a warning about a retry", |r| {
    ///     r.level == log::Level::Warn && r.message.starts_with("retrying")
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_any(&self, what: &str, matches: impl Fn(&CapturedRecord) -> bool) {
        if !self.records.iter().any(&matches) {
            self.fail(
                &format!(
                    "expected {what}; none of {} records matched",
                    self.records.len()
                ),
                None,
            );
        }
        deny::note_records(self.collector_id(), self.matching_where(matches));
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
        self.records
            .iter()
            .filter(move |r| r.message.contains(marker))
    }

    /// Whether some record contains `marker`. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("ready");
    /// assert!(collector.captured()?.contains("ready"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, marker: &str) -> bool {
        self.matching(marker).next().is_some()
    }

    /// How many records contain `marker`. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("tick");
    /// collector.log_str("tick");
    /// assert_eq!(collector.captured()?.count("tick"), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count(&self, marker: &str) -> usize {
        self.matching(marker).count()
    }

    /// Asserts that some record contains `marker`.
    ///
    /// # Panics
    ///
    /// When none does, with a report of the records and the closest one.
    ///
    /// # Examples
    ///
    /// ```should_panic
    /// let dir = tempfile::tempdir().unwrap();
    /// let collector = logged_test::LogCollector::without_ui(dir.path()).unwrap();
    /// collector.log_str("connection refused");
    /// // panics: expected a record containing "connected"; none of 1 did ...
    /// collector.captured().unwrap().assert_contains("connected");
    /// ```
    #[track_caller]
    pub fn assert_contains(&self, marker: &str) {
        if !self.contains(marker) {
            self.fail(
                &format!(
                    "expected a record containing {marker:?}; none of {} did",
                    self.records.len()
                ),
                Some(marker),
            );
        }
        deny::note_marker(self.collector_id(), None, marker);
    }

    /// Asserts that no record contains `marker`.
    ///
    /// # Panics
    ///
    /// When one does, naming the first.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("all good");
    /// collector.captured()?.assert_not_contains("error");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_not_contains(&self, marker: &str) {
        let hits = self.record_numbers(marker);
        if !hits.is_empty() {
            self.fail(
                &format!(
                    "expected no record containing {marker:?}; {} did (#{})",
                    hits.len(),
                    join_numbers(&hits)
                ),
                None,
            );
        }
    }

    /// Asserts that records containing each marker appear in this order (each
    /// in a later record than the previous marker's).
    ///
    /// # Panics
    ///
    /// Naming the first marker that has no match after the previous one.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// for stage in ["scan", "build", "install"] {
    ///     collector.log_str(&format!("{stage} started"));
    /// }
    /// collector.captured()?.assert_in_order(&["scan", "build", "install"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_in_order(&self, markers: &[&str]) {
        let mut next = 0;
        let mut found_at: Vec<usize> = Vec::new();
        for (i, marker) in markers.iter().enumerate() {
            let rest = self.records.get(next..).unwrap_or(&[]);
            match rest.iter().position(|r| r.message.contains(marker)) {
                Some(pos) => {
                    found_at.push(next + pos + 1);
                    next += pos + 1;
                }
                None => {
                    let before = match i.checked_sub(1).and_then(|p| markers.get(p)) {
                        None => String::new(),
                        Some(previous) => format!(
                            " after {previous:?} (record #{})",
                            found_at.last().copied().unwrap_or(0)
                        ),
                    };
                    let elsewhere =
                        match self.records.iter().position(|r| r.message.contains(marker)) {
                            Some(p) => format!("; it only appears earlier, at #{}", p + 1),
                            None => String::new(),
                        };
                    self.fail(
                        &format!(
                            "expected records in the order {markers:?}; no record containing {marker:?}{before}{elsewhere}"
                        ),
                        Some(marker),
                    );
                }
            }
        }
        for marker in markers {
            deny::note_marker(self.collector_id(), None, marker);
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
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("retry");
    /// collector.log_str("retry");
    /// collector.captured()?.assert_count("retry", 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_count(&self, marker: &str, expected: usize) {
        let hits = self.record_numbers(marker);
        if hits.len() != expected {
            let which = if hits.is_empty() {
                String::new()
            } else {
                format!(" (#{})", join_numbers(&hits))
            };
            self.fail(
                &format!(
                    "expected {expected} records containing {marker:?}; found {}{which}",
                    hits.len()
                ),
                (hits.is_empty()).then_some(marker),
            );
        }
        if expected > 0 {
            deny::note_marker(self.collector_id(), None, marker);
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
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log(log::Level::Error, "disk full");
    /// collector.captured()?.assert_logged_at(log::Level::Error, "disk full");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_logged_at(&self, level: log::Level, marker: &str) {
        if self.matching(marker).any(|r| r.level == level) {
            deny::note_marker(self.collector_id(), Some(level), marker);
            return;
        }
        let mut seen: Vec<log::Level> = self.matching(marker).map(|r| r.level).collect();
        seen.sort();
        seen.dedup();
        let seen = if seen.is_empty() {
            format!("none of {} records contains it", self.records.len())
        } else {
            let names: Vec<&str> = seen.iter().map(|l| l.as_str()).collect();
            format!("it was logged at {} only", names.join(", "))
        };
        self.fail(
            &format!("expected a {level} record containing {marker:?}; {seen}"),
            Some(marker),
        );
    }

    /// Whether some record containing `marker` has the field `key` with the
    /// value `value` (as formatted: see [`CapturedRecord::fields`]). Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "kv")] {
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// let _route = collector.enter();
    /// logged_test::init_logger()?;
    /// log::info!(order = 42; "order paid");
    /// let logs = collector.captured()?;
    /// assert!(logs.contains_field("paid", "order", "42"));
    /// assert!(!logs.contains_field("paid", "order", "43"));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains_field(&self, marker: &str, key: &str, value: &str) -> bool {
        self.matching(marker).any(|r| r.field(key) == Some(value))
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
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// let _route = collector.enter();
    /// logged_test::init_logger()?;
    /// log::warn!(attempt = 3, peer = "db"; "retrying");
    /// collector.captured()?.assert_field("retrying", "attempt", "3");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_field(&self, marker: &str, key: &str, value: &str) {
        if self.contains_field(marker, key, value) {
            deny::note_marker(self.collector_id(), None, marker);
            return;
        }
        let containing = self.record_numbers(marker);
        let mut seen: Vec<String> = Vec::new();
        for record in self.matching(marker) {
            if let Some(v) = record.field(key) {
                let shown = format!("{v:?}");
                if !seen.contains(&shown) {
                    seen.push(shown);
                }
            }
        }
        let why = if containing.is_empty() {
            format!("none of {} records contains {marker:?}", self.records.len())
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
        self.fail(
            &format!("expected a record containing {marker:?} with {key}={value:?}; {why}"),
            Some(marker),
        );
    }

    /// Whether some record containing `marker` was logged inside a span
    /// named `span` (at any depth of its chain). An empty `marker` matches
    /// every record.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// let logs = logged_test::TestLogs::new("docs::captured_in_span")?;
    /// tracing::info_span!("request").in_scope(|| tracing::info!("handled"));
    /// tracing::info!("outside");
    /// let captured = logs.captured();
    /// assert!(captured.in_span("request", "handled"));
    /// assert!(!captured.in_span("request", "outside"));
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn in_span(&self, span: &str, marker: &str) -> bool {
        self.matching(marker)
            .any(|r| r.spans.iter().any(|name| name == span))
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
    /// let logs = logged_test::TestLogs::new("docs::captured_assert_in_span")?;
    /// let _request = tracing::info_span!("request").entered();
    /// tracing::info_span!("db").in_scope(|| tracing::debug!("query ran"));
    /// logs.captured().assert_in_span("request", "query ran");
    /// logs.captured().assert_in_span("db", "query ran");
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_in_span(&self, span: &str, marker: &str) {
        if self.in_span(span, marker) {
            return;
        }
        let why = self.span_chains_seen(marker);
        self.fail(
            &format!("expected a record containing {marker:?} inside a span `{span}`; {why}"),
            Some(marker),
        );
    }

    /// Whether some record containing `marker` was logged inside a span
    /// named `span` whose field `key` has the value `value` (see
    /// [`CapturedRecord::span_field`]). An empty `marker` matches every record.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// let logs = logged_test::TestLogs::new("docs::captured_contains_span_field")?;
    /// tracing::info_span!("request", id = 7).in_scope(|| tracing::info!("handled"));
    /// let captured = logs.captured();
    /// assert!(captured.contains_span_field("handled", "request", "id", "7"));
    /// assert!(!captured.contains_span_field("handled", "request", "id", "8"));
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn contains_span_field(&self, marker: &str, span: &str, key: &str, value: &str) -> bool {
        self.matching(marker).any(|r| {
            r.span_chain()
                .filter(|(name, _)| *name == span)
                .any(|(_, fields)| fields.iter().any(|(k, v)| k == key && v == value))
        })
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
    /// let logs = logged_test::TestLogs::new("docs::captured_assert_span_field")?;
    /// tracing::info_span!("request", id = 7).in_scope(|| tracing::info!("handled"));
    /// logs.captured().assert_span_field("handled", "request", "id", "7");
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn assert_span_field(&self, marker: &str, span: &str, key: &str, value: &str) {
        if self.contains_span_field(marker, span, key, value) {
            return;
        }
        let why = self.span_chains_seen(marker);
        self.fail(
            &format!(
                "expected a record containing {marker:?} inside a span `{span}` with \
                 {key}={value:?}; {why}"
            ),
            Some(marker),
        );
    }

    /// The span chains of the records containing `marker`, for a report.
    fn span_chains_seen(&self, marker: &str) -> String {
        let containing = self.record_numbers(marker);
        if containing.is_empty() {
            return format!("none of {} records contains {marker:?}", self.records.len());
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

    /// Runs `check` on the records and panics with its message, followed by
    /// the usual report, if it returns `Err`: the escape hatch for any other
    /// assertion.
    ///
    /// # Panics
    ///
    /// When `check` returns `Err`.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log(log::Level::Info, "took 12 ms");
    /// collector.captured()?.assert_records(|records| {
    ///     match records.iter().all(|r| r.level <= log::Level::Info) {
    ///         true => Ok(()),
    ///         false => Err("a debug record slipped through".to_string()),
    ///     }
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_records<F>(&self, check: F)
    where
        F: FnOnce(&[CapturedRecord]) -> Result<(), String>,
    {
        if let Err(message) = check(&self.records) {
            self.fail(&message, None);
        }
    }

    /// The 1-based numbers (as the report shows them) of the records that
    /// contain `marker`.
    fn record_numbers(&self, marker: &str) -> Vec<usize> {
        self.records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.message.contains(marker))
            .map(|(i, _)| i + 1)
            .collect()
    }

    /// The failure report for `summary`, as the assertions print it.
    pub(crate) fn report(&self, summary: &str, closest_to: Option<&str>) -> String {
        report::render(summary, &self.origin, &self.records, closest_to)
    }

    #[track_caller]
    #[expect(
        clippy::panic,
        reason = "the one place the assertions fail, with the report"
    )]
    fn fail(&self, summary: &str, closest_to: Option<&str>) -> ! {
        let report = self.report(summary, closest_to);
        panic!("{report}");
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
