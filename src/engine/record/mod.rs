//! The record types (`LogLine`, `CapturedRecord`, `Entry`) and the one line
//! format that session files use.
//!
//! The module reads like `tracing-subscriber`'s `fmt`: the types here,
//! [`RecordView`] and the line writer in `format`, escaping in `escape`,
//! reading lines back in `parse`, timestamps and calendar arithmetic in
//! `time`, and the inline-then-spill buffer of messages and field values in
//! `inline`.
//!
//! A record is written as
//!
//! ```text
//! 2026-11-27T11:54:37.123456Z INFO  [tests::my_test] my_crate::module: the message
//!     a second message line is indented by four spaces
//! ```
//!
//! The thread name and the target are escaped (`\s` for a space, `\n`, `\r`,
//! `\t`, `\\`) so each header field is one space-free token and the line can
//! be parsed back exactly by [`parse_records`].
//!
//! A record with spans or fields (a `tracing` event, a `log` record with
//! key-values) is written with its span chain after the target, which then has
//! no colon, and its fields after the message:
//!
//! ```text
//! 2026-11-27T11:54:37.123456Z INFO  [tests::my_test] my_crate::db outer:inner: connected to\=db retries=2
//! 2026-11-27T11:54:37.123457Z INFO  [tests::my_test] my_crate::db : no span here n=5
//! ```
//!
//! The chain is `:` alone when there is no span. Span names and field keys
//! also escape `:` and `=`, field values are escaped like the header, and the
//! message escapes `\` and `=` (`\\`, `\=`), so every token carrying an
//! unescaped `=` after the message is a field. A line whose target ends with
//! an unescaped colon is a plain record, as every line written before fields
//! existed is.
//!
//! # Why the file keeps `target : msg k=v`
//!
//! What people read ([`Form::Shown`]: `Display`, failure reports,
//! `LOGGED_TEST_LIVE` lines, the crash dump on stderr) writes a record with
//! fields and no span as `target: msg k=v`. The file cannot: a plain record
//! is `target: ` and its message unescaped, so the plain record whose
//! message is `msg k=v` is that very line. Telling the two apart needs a
//! mark before the message, and none is free:
//!
//! - escaping `=` in plain messages would make every `key=value` message,
//!   the commonest shape of a log line, read `key\=value`;
//! - the target token is taken: `target::` is also a plain record whose
//!   target ends with a colon (the plain form writes that colon
//!   unescaped, and old files have it), and it reads like a module path;
//! - the message may start with anything, spaces included, so a changed
//!   separator (`target:  msg`) is a message with a leading space;
//! - a mark in the level or thread column would make every header harder
//!   to read (and to `grep`) for the sake of one case.
//!
//! So the empty span chain stays a token of its own, `:`, in the file, and
//! only the shown form drops it.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::SystemTime;

use crate::engine::message::Message;
#[cfg(any(test, feature = "tracing"))]
use inline::{InlineWriter, Written};

mod escape;
mod format;
pub(crate) mod inline;
mod parse;
mod time;

#[cfg(any(test, feature = "tracing"))]
pub(crate) use escape::span_fields_text;
pub(crate) use format::{CONTINUATION, Extras, Form, RecordView};
pub(crate) use parse::parse_records;
use parse::parse_span_fields;

/// One record, as the UI channel of a [`LogCollector`](crate::LogCollector) receives it:
/// the [`CapturedRecord`] plus the id of the collector that captured it.
///
/// It dereferences to its [`CapturedRecord`], so `line.message`,
/// `line.level`, `line.span_field(..)` and the rest read the record's
/// fields. Its `Display` is the record's `Display`.
///
/// # Examples
///
/// ```
/// use logged_test::LogCollector;
///
/// let dir = tempfile::tempdir()?;
/// let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(16);
/// let collector = LogCollector::new(dir.path(), ui_tx)?;
/// collector.log(log::Level::Warn, "disk almost full");
/// collector.wait_for_empty_blocking()?;
/// let line = ui_rx.try_recv()?;
/// assert_eq!(line.level, log::Level::Warn);
/// assert_eq!(line.message, "disk almost full");
/// assert_eq!(line.collector_id, collector.id());
/// assert_eq!(line.record.message, "disk almost full");
/// assert!(line.to_string().ends_with("disk almost full"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogLine {
    /// The record, as [`CapturedLogs`](crate::CapturedLogs) would read it
    /// back from the session file (but with the timestamp's full precision).
    pub record: CapturedRecord,
    /// Id of the collector that captured it.
    pub collector_id: u64,
}

impl Deref for LogLine {
    type Target = CapturedRecord;

    fn deref(&self) -> &CapturedRecord {
        &self.record
    }
}

impl DerefMut for LogLine {
    fn deref_mut(&mut self) -> &mut CapturedRecord {
        &mut self.record
    }
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.record, f)
    }
}

/// What the hot path sends to a persister: cheap to build on the caller's
/// thread. A static message and a module-path target are borrowed, a short
/// message is stored inline, and the
/// thread name is interned, so `log::info!("text")` allocates nothing and
/// touches no shared reference count.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) level: log::Level,
    pub(crate) target: Text,
    pub(crate) message: Message,
    pub(crate) timestamp: SystemTime,
    pub(crate) thread: Option<&'static str>,
    /// Fields and spans; `None` for the common `log` record without
    /// key-values, so that one costs a null pointer and nothing more.
    pub(crate) extra: Option<Box<Extra>>,
}

/// What a record has beyond its message: `tracing` fields and spans, or
/// `log` key-values.
///
/// The common event (a couple of `'static`-keyed fields with short values,
/// a couple of spans) fits [`Extra::Compact`], a block small enough that
/// the allocator frees it cheaply on the persister's thread; anything more
/// is kept in [`Extra::Full`].
#[derive(Debug)]
pub(crate) enum Extra {
    Compact(Compact),
    Full {
        fields: Vec<(Text, String)>,
        spans_innermost_first: Vec<SpanRef>,
    },
}

/// A span of a record's chain: its name and, when it has fields, their
/// text as the session file writes it between braces (`id=7,user=ada`),
/// made once per span (when it is created or recorded) and shared by
/// every record logged in it.
pub(crate) type SpanRef = (&'static str, Option<Arc<str>>);

/// A span's name and its fields' text (`""`: none).
fn with_fields((name, fields): &SpanRef) -> (&str, &str) {
    (name, fields.as_deref().unwrap_or(""))
}

/// A whole span chain with its fields, outermost first: made once (the
/// `tracing` layer caches it on the innermost span) and shared by every
/// event logged in that span, which holds one reference to it.
#[derive(Debug)]
pub(crate) struct SpanChain {
    pub(crate) spans: Vec<SpanRef>,
}

/// Bytes of field values, fields and spans an [`Extra::Compact`] holds.
const COMPACT_VALUES: usize = 30;
const COMPACT_FIELDS: usize = 2;
const COMPACT_SPANS: usize = 2;

#[derive(Debug, Clone, Default)]
pub(crate) struct Compact {
    values: [u8; COMPACT_VALUES],
    values_len: u8,
    field_count: u8,
    span_count: u8,
    /// Where each field's value ends in `values`.
    ends: [u8; COMPACT_FIELDS],
    keys: [&'static str; COMPACT_FIELDS],
    spans_innermost_first: [&'static str; COMPACT_SPANS],
    /// The spans with their fields; when set, `spans_innermost_first` is unused.
    chain: Option<Arc<SpanChain>>,
}

impl Compact {
    fn values(&self) -> &str {
        // Only whole `str`s are copied in, so this cannot fail.
        let used = self.values.get(..usize::from(self.values_len));
        std::str::from_utf8(used.unwrap_or_default()).unwrap_or_default()
    }

    fn fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let values = self.values();
        let count = usize::from(self.field_count);
        let mut start = 0;
        self.keys
            .iter()
            .zip(self.ends)
            .take(count)
            .map(move |(key, end)| {
                let end = usize::from(end);
                let value = values.get(start..end).unwrap_or_default();
                start = end;
                (*key, value)
            })
    }

    fn spans_innermost_first(&self) -> &[&'static str] {
        self.spans_innermost_first
            .get(..usize::from(self.span_count))
            .unwrap_or_default()
    }

    /// Records a field whose value was written to `values` up to `end`, if
    /// a field slot is free; `false` leaves `self` as it was.
    #[cfg(any(test, feature = "tracing"))]
    fn commit_field(&mut self, key: &'static str, end: usize) -> bool {
        let count = usize::from(self.field_count);
        let (Some(key_slot), Some(end_slot), Ok(end_u8)) = (
            self.keys.get_mut(count),
            self.ends.get_mut(count),
            u8::try_from(end),
        ) else {
            return false;
        };
        *key_slot = key;
        *end_slot = end_u8;
        self.values_len = end_u8;
        self.field_count += 1;
        true
    }

    /// Adds a field if it fits; `false` leaves `self` as it was.
    fn try_field(&mut self, key: &'static str, value: &str) -> bool {
        let start = usize::from(self.values_len);
        let end = start + value.len();
        let count = usize::from(self.field_count);
        let (Some(slot), Some(key_slot), Some(end_slot), Ok(end_u8)) = (
            self.values.get_mut(start..end),
            self.keys.get_mut(count),
            self.ends.get_mut(count),
            u8::try_from(end),
        ) else {
            return false;
        };
        slot.copy_from_slice(value.as_bytes());
        *key_slot = key;
        *end_slot = end_u8;
        self.values_len = end_u8;
        self.field_count += 1;
        true
    }

    #[cfg(any(test, feature = "tracing"))]
    fn try_span(&mut self, name: &'static str) -> bool {
        match self
            .spans_innermost_first
            .get_mut(usize::from(self.span_count))
        {
            Some(slot) => {
                *slot = name;
                self.span_count += 1;
                true
            }
            None => false,
        }
    }
}

/// An iterator of one of two kinds.
enum Either<A, B> {
    A(A),
    B(B),
}

impl<T, A: Iterator<Item = T>, B: Iterator<Item = T>> Iterator for Either<A, B> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self {
            Either::A(a) => a.next(),
            Either::B(b) => b.next(),
        }
    }
}

impl Extra {
    /// Key and value of each field, in the order they were given.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        match self {
            Extra::Compact(compact) => {
                Either::A(compact.fields().map(|(k, v)| -> (&str, &str) { (k, v) }))
            }
            Extra::Full { fields, .. } => Either::B(fields.iter().map(|(k, v)| (&**k, v.as_str()))),
        }
    }

    /// Span names, outermost first.
    pub(crate) fn spans(&self) -> impl Iterator<Item = &str> + '_ {
        self.span_chain().map(|(name, _)| name)
    }

    /// Span names with their fields' text (`""`: none), outermost first.
    pub(crate) fn span_chain(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        match self {
            Extra::Compact(Compact {
                chain: Some(chain), ..
            }) => Either::B(Either::A(chain.spans.iter().map(with_fields))),
            Extra::Compact(compact) => Either::A(
                compact
                    .spans_innermost_first()
                    .iter()
                    .rev()
                    .map(|name| -> (&str, &str) { (name, "") }),
            ),
            Extra::Full {
                spans_innermost_first,
                ..
            } => Either::B(Either::B(
                spans_innermost_first.iter().rev().map(with_fields),
            )),
        }
    }

    /// Heap bytes owned beyond the box itself (for the memory threshold).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Extra::Compact(_) => 0,
            Extra::Full {
                fields,
                spans_innermost_first,
            } => {
                fields.capacity() * std::mem::size_of::<(Text, String)>()
                    + fields.iter().map(|(_, v)| v.capacity()).sum::<usize>()
                    + spans_innermost_first.capacity() * std::mem::size_of::<SpanRef>()
            }
        }
    }
}

/// Fields and spans (innermost first) of an [`Extra::Full`] being built.
type FullParts = (Vec<(Text, String)>, Vec<SpanRef>);

/// Builds an [`Extra`] on the logging thread, compact while it fits; a
/// record with no field and no span allocates nothing.
#[derive(Debug)]
pub(crate) struct ExtraBuilder {
    compact: Compact,
    full: Option<FullParts>,
}

impl ExtraBuilder {
    pub(crate) fn new() -> ExtraBuilder {
        ExtraBuilder {
            compact: Compact::default(),
            full: None,
        }
    }

    /// The full form, moving what the compact one holds into it.
    fn full(&mut self) -> &mut FullParts {
        let compact = &self.compact;
        self.full.get_or_insert_with(|| {
            let fields = compact
                .fields()
                .map(|(k, v)| (Text::Static(k), v.to_owned()))
                .collect();
            let spans = match &compact.chain {
                Some(chain) => chain.spans.iter().rev().cloned().collect(),
                None => compact
                    .spans_innermost_first()
                    .iter()
                    .map(|name| (*name, None))
                    .collect(),
            };
            (fields, spans)
        })
    }

    /// Adds a field whose value is `value` formatted, straight into the
    /// compact form while it fits (`value` is formatted once in any case).
    #[cfg(any(test, feature = "tracing"))]
    pub(crate) fn field(&mut self, key: Text, value: fmt::Arguments<'_>) {
        let key = match (key, self.full.is_none()) {
            (Text::Static(key), true) => key,
            (key, _) => {
                let mut text = String::new();
                let _ = fmt::write(&mut text, value);
                self.full().0.push((key, text));
                return;
            }
        };
        let start = usize::from(self.compact.values_len);
        let mut writer = InlineWriter::new(&mut self.compact.values, start, 0);
        let _ = fmt::write(&mut writer, value);
        let (end, spill) = match writer.finish() {
            Written::Inline(_, end) => (end, None),
            Written::Spilled(text) => (start, Some(text)),
        };
        match spill {
            None if self.compact.commit_field(key, end) => {}
            None => {
                let text = self.compact.values.get(start..end).unwrap_or_default();
                let text = std::str::from_utf8(text).unwrap_or_default().to_owned();
                self.full().0.push((Text::Static(key), text));
            }
            Some(text) => self.full().0.push((Text::Static(key), text)),
        }
    }

    /// Adds a field whose value is `value`.
    pub(crate) fn field_str(&mut self, key: Text, value: &str) {
        if self.full.is_none() {
            if let Text::Static(key) = key {
                if self.compact.try_field(key, value) {
                    return;
                }
            }
        }
        self.full().0.push((key, value.to_owned()));
    }

    /// Adds the next span name, innermost first.
    #[cfg(any(test, feature = "tracing"))]
    pub(crate) fn span_innermost_first(&mut self, name: &'static str) {
        if self.full.is_none() && self.compact.try_span(name) {
            return;
        }
        self.full().1.push((name, None));
    }

    /// Sets the spans with their fields, replacing the names added so far;
    /// a compact record stays compact, holding one reference to `chain`.
    #[cfg(any(test, feature = "tracing"))]
    pub(crate) fn span_chain(&mut self, chain: Arc<SpanChain>) {
        match &mut self.full {
            None => {
                self.compact.span_count = 0;
                self.compact.chain = Some(chain);
            }
            Some((_, spans)) => *spans = chain.spans.iter().rev().cloned().collect(),
        }
    }

    /// The extra data, or `None` when there is none.
    pub(crate) fn finish(self) -> Option<Box<Extra>> {
        match self.full {
            Some((fields, spans_innermost_first)) => Some(Box::new(Extra::Full {
                fields,
                spans_innermost_first,
            })),
            None if self.compact.field_count == 0
                && self.compact.span_count == 0
                && self.compact.chain.is_none() =>
            {
                None
            }
            None => Some(Box::new(Extra::Compact(self.compact))),
        }
    }
}

/// A string that is usually `'static`.
#[derive(Debug, Clone)]
pub(crate) enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Static(text) => text,
            Text::Shared(text) => text,
        }
    }
}

impl Entry {
    /// The entry as the line writer sees it.
    pub(crate) fn view(&self) -> RecordView<'_> {
        RecordView {
            timestamp: self.timestamp,
            level: self.level,
            thread: self.thread,
            target: &self.target,
            message: &self.message,
            extras: self.extra.as_deref().map_or(Extras::None, Extras::Entry),
        }
    }

    /// Appends the entry's line in the session file's form, newline-terminated.
    pub(crate) fn write_to(&self, out: &mut String) {
        self.view().write(out, Form::File);
    }

    /// Appends the entry's line as people read it ([`Form::Shown`]),
    /// newline-terminated.
    pub(crate) fn write_shown(&self, out: &mut String) {
        self.view().write(out, Form::Shown);
    }

    /// Heap bytes this entry owns (for the memory threshold).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.message.heap_bytes()
            + self.extra.as_ref().map_or(0, |extra| {
                std::mem::size_of_val(&**extra) + extra.heap_bytes()
            })
    }

    /// Hands the record's line to `out` in pieces, as [`Entry::write_to`]
    /// would write it, but with the message's lines passed straight from the
    /// entry: a huge message is never copied. `header` is scratch space.
    pub(crate) fn write_pieces(&self, header: &mut String, out: impl FnMut(&[u8])) {
        self.view().write_pieces(header, out);
    }

    fn owned_fields(&self) -> Vec<(String, String)> {
        self.extra.as_ref().map_or_else(Vec::new, |extra| {
            extra
                .fields()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    }

    fn owned_spans(&self) -> Vec<String> {
        self.extra
            .as_ref()
            .map_or_else(Vec::new, |extra| extra.spans().map(str::to_owned).collect())
    }

    /// Each span's fields, outermost first, read from their text as the
    /// file's parser reads them.
    fn owned_span_fields(&self) -> Vec<Vec<(String, String)>> {
        self.extra.as_ref().map_or_else(Vec::new, |extra| {
            extra
                .span_chain()
                .map(|(_, fields)| parse_span_fields(fields))
                .collect()
        })
    }

    /// The record as the UI channel receives it: the captured record plus
    /// the collector's id.
    pub(crate) fn to_log_line(&self, collector_id: u64, generation: u64) -> LogLine {
        LogLine {
            record: self.to_captured(generation),
            collector_id,
        }
    }

    /// The record as [`parse_records`] would read it back from the file,
    /// built without going through text. The timestamp keeps its full
    /// precision (the file has microseconds).
    pub(crate) fn to_captured(&self, generation: u64) -> CapturedRecord {
        CapturedRecord {
            level: self.level,
            target: self.target.to_string(),
            message: self.message.to_string(),
            thread: self.thread.map(str::to_owned),
            timestamp: self.timestamp,
            generation,
            fields: self.owned_fields(),
            spans: self.owned_spans(),
            span_fields: self.owned_span_fields(),
        }
    }
}

/// One record read back from a session file.
///
/// Its `Display` is its line in the file, without the final newline, except
/// that a record with fields and no span reads `target: msg k=v` (the file
/// keeps the empty span chain, `target : msg k=v`, to read it back exactly).
///
/// # Examples
///
/// ```
/// use logged_test::LogCollector;
///
/// let dir = tempfile::tempdir()?;
/// let collector = LogCollector::without_ui(dir.path())?;
/// collector.log(log::Level::Info, "two\nlines");
/// let captured = collector.captured()?;
/// let record = &captured.records()[0];
/// assert_eq!(record.level, log::Level::Info);
/// assert_eq!(record.message, "two\nlines");
/// assert_eq!(record.generation, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CapturedRecord {
    /// Level of the record.
    pub level: log::Level,
    /// Target of the record.
    pub target: String,
    /// The message, with every line it had.
    pub message: String,
    /// Name of the thread that logged it, if it had one.
    pub thread: Option<String>,
    /// When it was logged (microsecond precision).
    pub timestamp: SystemTime,
    /// Session generation it was written in (0: before any session).
    pub generation: u64,
    /// The record's fields other than the message, in the order they were
    /// given: a `tracing` event's fields (values formatted with `Display` or
    /// `Debug` as `tracing` does), or a `log` record's key-values.
    pub fields: Vec<(String, String)>,
    /// Names of the `tracing` spans the event was logged in, outermost first
    /// (empty for `log` records).
    pub spans: Vec<String>,
    /// The fields of each span of `spans`, in the same order; see
    /// [`span_chain`](Self::span_chain).
    pub(crate) span_fields: Vec<Vec<(String, String)>>,
}

impl CapturedRecord {
    /// The value of the first field named `key`, if the record has one.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "kv")] {
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// let _route = collector.enter();
    /// logged_test::init_logger()?;
    /// log::info!(order = 42, paid = true; "order paid");
    /// let captured = collector.captured()?;
    /// let record = &captured.records()[0];
    /// assert_eq!(record.field("order"), Some("42"));
    /// assert_eq!(record.field("refund"), None);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl CapturedRecord {
    /// The value of the field `key` of the span named `span`, if the record
    /// was logged in such a span and it has that field: a field given when
    /// the span was created (`info_span!("request", id = 7)`, an
    /// `#[instrument]`ed fn's arguments) or recorded later
    /// (`span.record("user", "ada")`). When the record is in several spans
    /// of that name (recursion), the innermost one is asked first.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// let logs = logged_test::TestLogs::new("docs::span_field")?;
    /// let request = tracing::info_span!("request", id = 7, user = tracing::field::Empty);
    /// request.record("user", "ada");
    /// request.in_scope(|| tracing::info!("checked out"));
    /// let captured = logs.captured();
    /// let record = &captured.records()[0];
    /// assert_eq!(record.spans, ["request"]);
    /// assert_eq!(record.span_field("request", "id"), Some("7"));
    /// assert_eq!(record.span_field("request", "user"), Some("ada"));
    /// assert_eq!(record.span_field("request", "missing"), None);
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn span_field(&self, span: &str, key: &str) -> Option<&str> {
        self.span_chain()
            .rev()
            .filter(|(name, _)| *name == span)
            .find_map(|(_, fields)| fields.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v.as_str())
    }

    /// The spans the record was logged in, outermost first, each with its
    /// fields in the order they were given (recorded fields after those
    /// given at creation). Empty for a `log` record.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// let logs = logged_test::TestLogs::new("docs::span_chain")?;
    /// let request = tracing::info_span!("request", id = 7);
    /// let _request = request.enter();
    /// tracing::info_span!("checkout", items = 2).in_scope(|| tracing::info!("paid"));
    /// let captured = logs.captured();
    /// let chain: Vec<(&str, Vec<(&str, &str)>)> = captured.records()[0]
    ///     .span_chain()
    ///     .map(|(name, fields)| {
    ///         (name, fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
    ///     })
    ///     .collect();
    /// assert_eq!(chain, [("request", vec![("id", "7")]), ("checkout", vec![("items", "2")])]);
    /// # }
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn span_chain(&self) -> impl DoubleEndedIterator<Item = (&str, &[(String, String)])> {
        self.spans.iter().enumerate().map(|(i, name)| {
            let fields = self.span_fields.get(i).map_or(&[][..], Vec::as_slice);
            (name.as_str(), fields)
        })
    }
}

impl CapturedRecord {
    /// The record as the line writer sees it.
    pub(crate) fn view(&self) -> RecordView<'_> {
        RecordView {
            timestamp: self.timestamp,
            level: self.level,
            thread: self.thread.as_deref(),
            target: &self.target,
            message: &self.message,
            extras: Extras::Captured(self),
        }
    }
}

impl fmt::Display for CapturedRecord {
    /// The record's line in the session file, without the final newline;
    /// a record with fields and no span reads `target: msg k=v` (the file
    /// has `target : msg k=v`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64 + self.message.len());
        self.view().write(&mut out, Form::Shown);
        f.write_str(out.trim_end_matches('\n'))
    }
}

/// A record with `spans` (each with its fields) and `fields`, logged at
/// `Info` at the epoch on no named thread, for the tests of the submodules.
#[cfg(test)]
fn record(
    target: &str,
    message: &str,
    spans: &[(&str, &[(&str, &str)])],
    fields: &[(&str, &str)],
) -> CapturedRecord {
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    CapturedRecord {
        level: log::Level::Info,
        target: target.to_owned(),
        message: message.to_owned(),
        thread: None,
        timestamp: std::time::UNIX_EPOCH,
        generation: 0,
        fields: owned(fields),
        spans: spans.iter().map(|(name, _)| (*name).to_owned()).collect(),
        span_fields: spans.iter().map(|(_, fields)| owned(fields)).collect(),
    }
}

#[cfg(test)]
mod should {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn convert_entries_without_going_through_text() {
        let entry = Entry {
            level: log::Level::Warn,
            target: Text::Static("my_crate"),
            message: Message::copy("slow"),
            timestamp: UNIX_EPOCH + Duration::new(1_795_000_000, 5_000),
            thread: Some("worker"),
            extra: None,
        };
        let mut extra = ExtraBuilder::new();
        extra.field(Text::Static("ms"), format_args!("{}", 120));
        extra.span_innermost_first("query");
        extra.span_innermost_first("request");
        let entry = Entry {
            extra: extra.finish(),
            ..entry
        };
        let mut line = String::new();
        entry.write_to(&mut line);
        let mut parsed = Vec::new();
        parse_records(&line, 4, &mut parsed);
        let captured = entry.to_captured(4);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0], captured);
        assert_eq!(captured.field("ms"), Some("120"));
        assert_eq!(captured.spans, ["request", "query"]);
        let ui = entry.to_log_line(9, 4);
        assert_eq!(ui.fields, captured.fields);
        assert_eq!(ui.spans, captured.spans);
        assert_eq!(ui.to_string(), captured.to_string());
    }

    #[test]
    fn keep_many_fields_and_spans_beyond_the_inline_ones() {
        let mut extra = ExtraBuilder::new();
        let long = "v".repeat(300);
        for i in 0..10 {
            extra.field(
                Text::Shared(Arc::from(format!("k{i}"))),
                format_args!("{i}"),
            );
            extra.span_innermost_first(
                ["s9", "s8", "s7", "s6", "s5", "s4", "s3", "s2", "s1", "s0"][i],
            );
        }
        extra.field_str(Text::Static("long"), &long);
        let extra = extra.finish().unwrap();
        let fields: Vec<(&str, &str)> = extra.fields().collect();
        assert_eq!(fields.len(), 11);
        assert_eq!(fields[0], ("k0", "0"));
        assert_eq!(fields[9], ("k9", "9"));
        assert_eq!(fields[10], ("long", long.as_str()));
        let spans: Vec<&str> = extra.spans().collect();
        assert_eq!(
            spans,
            ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"]
        );
        assert!(ExtraBuilder::new().finish().is_none());
    }

    #[test]
    fn keep_a_usual_event_compact_and_move_to_the_full_form_in_order() {
        // Small enough for the allocator's fast bins (chunks up to 128 bytes).
        assert!(
            std::mem::size_of::<Extra>() <= 120,
            "{}",
            std::mem::size_of::<Extra>()
        );
        let mut extra = ExtraBuilder::new();
        extra.field(Text::Static("n"), format_args!("{}", 5));
        extra.field_str(Text::Static("peer"), "db");
        extra.span_innermost_first("inner");
        extra.span_innermost_first("outer");
        let compact = extra.finish().unwrap();
        assert!(matches!(*compact, Extra::Compact(_)));
        assert_eq!(
            compact.fields().collect::<Vec<_>>(),
            [("n", "5"), ("peer", "db")]
        );
        assert_eq!(compact.spans().collect::<Vec<_>>(), ["outer", "inner"]);

        let mut extra = ExtraBuilder::new();
        extra.field(Text::Static("a"), format_args!("{}", 1));
        extra.span_innermost_first("s2");
        extra.span_innermost_first("s1");
        extra.span_innermost_first("s0");
        extra.field_str(Text::Static("b"), &"x".repeat(40));
        let full = extra.finish().unwrap();
        assert!(matches!(*full, Extra::Full { .. }));
        // A formatted value that outgrows the compact buffer mid-way, and a
        // third field: formatted once each, kept in order.
        let mut extra = ExtraBuilder::new();
        let (a, b) = ("a".repeat(20), "b".repeat(20));
        extra.field(Text::Static("ab"), format_args!("{a}{b}"));
        extra.field(Text::Static("one"), format_args!("{}", 1));
        extra.field(Text::Static("two"), format_args!("{}", 2));
        extra.field(Text::Static("three"), format_args!("{}", 3));
        let ab = format!("{a}{b}");
        assert_eq!(
            extra.finish().unwrap().fields().collect::<Vec<_>>(),
            [
                ("ab", ab.as_str()),
                ("one", "1"),
                ("two", "2"),
                ("three", "3")
            ]
        );
        let mut extra = ExtraBuilder::new();
        extra.field(Text::Static("one"), format_args!("{}", 1));
        extra.field(Text::Static("two"), format_args!("{}", 2));
        extra.field(Text::Static("three"), format_args!("{}", 3));
        assert_eq!(
            extra.finish().unwrap().fields().collect::<Vec<_>>(),
            [("one", "1"), ("two", "2"), ("three", "3")]
        );
        let long = "x".repeat(40);
        assert_eq!(
            full.fields().collect::<Vec<_>>(),
            [("a", "1"), ("b", long.as_str())]
        );
        assert_eq!(full.spans().collect::<Vec<_>>(), ["s0", "s1", "s2"]);
    }

    #[test]
    fn share_span_fields_between_entries_and_convert_them_like_the_parser() {
        let fields: Arc<str> = Arc::from(span_fields_text(&[("id", "7"), ("peer", "db 1")]));
        let chain = Arc::new(SpanChain {
            spans: vec![("request", Some(Arc::clone(&fields))), ("query", None)],
        });
        let mut extra = ExtraBuilder::new();
        extra.span_innermost_first("query");
        extra.span_innermost_first("request");
        extra.field(Text::Static("n"), format_args!("{}", 1));
        extra.span_chain(Arc::clone(&chain));
        let entry = Entry {
            level: log::Level::Info,
            target: Text::Static("my_crate"),
            message: Message::copy("done"),
            timestamp: UNIX_EPOCH + Duration::new(1_795_000_000, 5_000),
            thread: None,
            extra: extra.finish(),
        };
        assert!(matches!(entry.extra.as_deref(), Some(Extra::Compact(_))));
        assert_eq!(Arc::strong_count(&chain), 2);
        // Too many fields for the compact form: the chain is copied out.
        let mut full = ExtraBuilder::new();
        for key in ["a", "b", "c"] {
            full.field(Text::Static(key), format_args!("{}", 1));
        }
        full.span_chain(Arc::clone(&chain));
        let full = full.finish().unwrap();
        assert!(matches!(*full, Extra::Full { .. }));
        assert_eq!(
            full.span_chain().collect::<Vec<_>>(),
            [("request", &*fields), ("query", "")]
        );
        let mut line = String::new();
        entry.write_to(&mut line);
        let mut parsed = Vec::new();
        parse_records(&line, 0, &mut parsed);
        let captured = entry.to_captured(0);
        assert_eq!(parsed[0], captured);
        assert_eq!(captured.spans, ["request", "query"]);
        assert_eq!(captured.span_field("request", "peer"), Some("db 1"));
        assert_eq!(captured.span_field("query", "id"), None);
        let ui = entry.to_log_line(1, 0);
        assert_eq!(ui.span_field("request", "id"), Some("7"));
        assert_eq!(ui.to_string(), captured.to_string());
    }

    #[test]
    fn give_a_log_line_the_captured_record_and_its_display() {
        let mut extra = ExtraBuilder::new();
        extra.field_str(Text::Static("n"), "5");
        let entry = Entry {
            level: log::Level::Info,
            target: Text::Static("my_crate"),
            message: Message::copy("done"),
            timestamp: UNIX_EPOCH,
            thread: None,
            extra: extra.finish(),
        };
        let line = entry.to_log_line(3, 2);
        assert_eq!(line.record, entry.to_captured(2));
        assert_eq!(line.collector_id, 3);
        assert_eq!((line.generation, line.message.as_str()), (2, "done"));
        assert_eq!(line.field("n"), Some("5"));
        assert_eq!(line.to_string(), line.record.to_string());
    }
}
