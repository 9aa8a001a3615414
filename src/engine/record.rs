//! `LogLine` and the one line format that session files use.
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

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::engine::message::Message;

/// Prefix of every continuation line of a multi-line message.
pub(crate) const CONTINUATION: &str = "    ";

/// Header field written for a record whose thread has no name.
const NO_THREAD: &str = "-";

/// One record, as the UI channel of a [`LogCollector`](crate::LogCollector) receives it.
///
/// Its `Display` is the exact line written to the session file.
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
/// assert!(line.to_string().ends_with("disk almost full"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogLine {
    /// Level of the record.
    pub level: log::Level,
    /// Target of the record (the module path for `log::info!`; `logged_test`
    /// for [`LogCollector::log`](crate::LogCollector::log) and `log_str`).
    pub target: String,
    /// The formatted message.
    pub message: String,
    /// When the record was logged.
    pub timestamp: SystemTime,
    /// Name of the thread that logged it, if the thread has one.
    pub thread: Option<String>,
    /// Id of the collector that captured it.
    pub collector_id: u64,
    /// Session generation the record was written in (0: before any session).
    pub generation: u64,
    /// The record's fields other than the message, in the order they were
    /// given: a `tracing` event's fields, or a `log` record's key-values.
    pub fields: Vec<(String, String)>,
    /// Names of the `tracing` spans the event was logged in, outermost first
    /// (empty for `log` records).
    pub spans: Vec<String>,
    /// The fields of each span of `spans`, in the same order; see
    /// [`span_chain`](Self::span_chain).
    pub(crate) span_fields: Vec<Vec<(String, String)>>,
}

impl LogLine {
    /// The value of the field `key` of the span named `span` (the innermost
    /// one, when the record is in several spans of that name), if it has it.
    /// Same as [`CapturedRecord::span_field`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// let dir = tempfile::tempdir()?;
    /// let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(16);
    /// let collector = logged_test::LogCollector::new(dir.path(), ui_tx)?;
    /// let _route = collector.enter();
    /// logged_test::init_logger()?;
    /// tracing::info_span!("request", id = 7).in_scope(|| tracing::info!("handled"));
    /// collector.wait_for_empty_blocking()?;
    /// let line = ui_rx.try_recv()?;
    /// assert_eq!(line.span_field("request", "id"), Some("7"));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn span_field(&self, span: &str, key: &str) -> Option<&str> {
        span_field_of(&self.spans, &self.span_fields, span, key)
    }

    /// The spans the record was logged in, outermost first, each with its
    /// fields (in the order they were given). Same as
    /// [`CapturedRecord::span_chain`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// let dir = tempfile::tempdir()?;
    /// let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(16);
    /// let collector = logged_test::LogCollector::new(dir.path(), ui_tx)?;
    /// let _route = collector.enter();
    /// logged_test::init_logger()?;
    /// tracing::info_span!("job", n = 1).in_scope(|| tracing::info!("ran"));
    /// collector.wait_for_empty_blocking()?;
    /// let line = ui_rx.try_recv()?;
    /// let chain: Vec<_> = line.span_chain().collect();
    /// assert_eq!(chain[0].0, "job");
    /// assert_eq!(chain[0].1, [("n".to_string(), "1".to_string())]);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn span_chain(&self) -> impl Iterator<Item = (&str, &[(String, String)])> {
        span_chain_of(&self.spans, &self.span_fields)
    }
}

/// `span_field` of [`LogLine`] and [`CapturedRecord`]: innermost match first.
fn span_field_of<'a>(
    spans: &'a [String],
    span_fields: &'a [Vec<(String, String)>],
    span: &str,
    key: &str,
) -> Option<&'a str> {
    span_chain_of(spans, span_fields)
        .rev()
        .filter(|(name, _)| *name == span)
        .find_map(|(_, fields)| fields.iter().find(|(k, _)| k == key))
        .map(|(_, v)| v.as_str())
}

/// `span_chain` of [`LogLine`] and [`CapturedRecord`].
fn span_chain_of<'a>(
    spans: &'a [String],
    span_fields: &'a [Vec<(String, String)>],
) -> impl DoubleEndedIterator<Item = (&'a str, &'a [(String, String)])> {
    spans.iter().enumerate().map(|(i, name)| {
        let fields = span_fields.get(i).map_or(&[][..], Vec::as_slice);
        (name.as_str(), fields)
    })
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_record(
            f,
            self.timestamp,
            self.level,
            self.thread.as_deref(),
            &self.target,
            &self.message,
            &self.spans,
            &self.span_fields,
            &self.fields,
        )
    }
}

/// The `Display` of [`LogLine`] and [`CapturedRecord`]: the record's line in
/// the session file, without the final newline.
#[allow(clippy::too_many_arguments)]
fn display_record(
    f: &mut fmt::Formatter<'_>,
    timestamp: SystemTime,
    level: log::Level,
    thread: Option<&str>,
    target: &str,
    message: &str,
    spans: &[String],
    span_fields: &[Vec<(String, String)>],
    fields: &[(String, String)],
) -> fmt::Result {
    let mut out = String::with_capacity(64 + message.len());
    let span_texts: Vec<String> = spans
        .iter()
        .enumerate()
        .map(|(i, _)| {
            span_fields
                .get(i)
                .map_or_else(String::new, |f| span_fields_text(f))
        })
        .collect();
    write_record(
        &mut out,
        timestamp,
        level,
        thread,
        target,
        message,
        spans
            .iter()
            .map(String::as_str)
            .zip(span_texts.iter().map(String::as_str)),
        fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    f.write_str(out.trim_end_matches('\n'))
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

/// Formats into the free part of a [`Compact`]'s values, moving to a
/// `String` when the text outgrows it.
#[cfg(any(test, feature = "tracing"))]
struct CompactWriter<'a> {
    compact: &'a mut Compact,
    /// End of the text written so far in `compact.values`.
    end: usize,
    spill: Option<String>,
}

#[cfg(any(test, feature = "tracing"))]
impl fmt::Write for CompactWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if let Some(spill) = &mut self.spill {
            spill.push_str(text);
            return Ok(());
        }
        let end = self.end + text.len();
        match self.compact.values.get_mut(self.end..end) {
            Some(slot) => {
                slot.copy_from_slice(text.as_bytes());
                self.end = end;
            }
            None => {
                let start = usize::from(self.compact.values_len);
                let so_far = self.compact.values.get(start..self.end).unwrap_or_default();
                let mut spill = String::with_capacity(end - start);
                spill.push_str(std::str::from_utf8(so_far).unwrap_or_default());
                spill.push_str(text);
                self.spill = Some(spill);
            }
        }
        Ok(())
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
        let mut writer = CompactWriter {
            compact: &mut self.compact,
            end: 0,
            spill: None,
        };
        writer.end = usize::from(writer.compact.values_len);
        let _ = fmt::write(&mut writer, value);
        let (end, spill) = (writer.end, writer.spill);
        match spill {
            None if self.compact.commit_field(key, end) => {}
            None => {
                let start = usize::from(self.compact.values_len);
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
    pub(crate) fn write_to(&self, out: &mut String) {
        let extra = self.extra.as_deref();
        write_record(
            out,
            self.timestamp,
            self.level,
            self.thread,
            &self.target,
            &self.message,
            extra.into_iter().flat_map(|e| e.span_chain()),
            extra.into_iter().flat_map(|e| e.fields()),
        );
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
    pub(crate) fn write_pieces(&self, header: &mut String, mut out: impl FnMut(&[u8])) {
        header.clear();
        if self.extra.is_some() {
            // Spans and fields change how the message is escaped: format
            // the whole line (a huge message with fields is rare).
            self.write_to(header);
            out(header.as_bytes());
            return;
        }
        write_line(
            header,
            self.timestamp,
            self.level,
            self.thread,
            &self.target,
            "",
        );
        // The `\n` that ended the empty message.
        header.pop();
        out(header.as_bytes());
        message_pieces(&self.message, |piece| out(piece.as_bytes()));
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
        let record = self.to_captured(generation);
        LogLine {
            level: record.level,
            target: record.target,
            message: record.message,
            timestamp: record.timestamp,
            thread: record.thread,
            collector_id,
            generation,
            fields: record.fields,
            spans: record.spans,
            span_fields: record.span_fields,
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

/// Appends one record without spans or fields, newline-terminated, in the
/// file format.
#[allow(dead_code)] // Kept for the engine's callers; records go through `write_record`.
pub(crate) fn write_line(
    out: &mut String,
    timestamp: SystemTime,
    level: log::Level,
    thread: Option<&str>,
    target: &str,
    message: &str,
) {
    write_record(out, timestamp, level, thread, target, message, [], []);
}

/// Appends one record, newline-terminated, in the file format, with its
/// spans (outermost first, each with its fields' text, `""` for none) and
/// fields.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_record<'s, 'f>(
    out: &mut String,
    timestamp: SystemTime,
    level: log::Level,
    thread: Option<&str>,
    target: &str,
    message: &str,
    spans: impl IntoIterator<Item = (&'s str, &'s str)>,
    fields: impl IntoIterator<Item = (&'f str, &'f str)>,
) {
    let mut spans = spans.into_iter().peekable();
    let mut fields = fields.into_iter().peekable();
    write_timestamp(out, timestamp);
    out.push_str(match level {
        log::Level::Error => " ERROR [",
        log::Level::Warn => " WARN  [",
        log::Level::Info => " INFO  [",
        log::Level::Debug => " DEBUG [",
        log::Level::Trace => " TRACE [",
    });
    match thread {
        // `\-` and `\e` keep a thread literally named "-" or "" apart from none.
        Some(NO_THREAD) => out.push_str("\\-"),
        Some("") => out.push_str("\\e"),
        Some(name) => escape_into(out, name),
        None => out.push_str(NO_THREAD),
    }
    out.push_str("] ");
    if spans.peek().is_some() || fields.peek().is_some() {
        write_extended(out, target, message, spans, fields);
        return;
    }
    escape_into(out, target);
    out.push_str(": ");
    write_message(out, message);
}

/// The part after the thread of a record with spans or fields.
fn write_extended<'s, 'f>(
    out: &mut String,
    target: &str,
    message: &str,
    spans: std::iter::Peekable<impl Iterator<Item = (&'s str, &'s str)>>,
    fields: impl Iterator<Item = (&'f str, &'f str)>,
) {
    let mut spans = spans;
    // No colon after the target marks the extended form; a target that
    // itself ends with one has that colon escaped.
    match target.strip_suffix(':') {
        Some(head) => {
            escape_into(out, head);
            out.push_str("\\:");
        }
        None => escape_into(out, target),
    }
    out.push(' ');
    if spans.peek().is_none() {
        out.push(':');
    }
    for (span, span_fields) in spans {
        if span.is_empty() {
            out.push_str("\\e");
        } else {
            escape_span_text(out, span);
        }
        if !span_fields.is_empty() {
            out.push('{');
            out.push_str(span_fields);
            out.push('}');
        }
        out.push(':');
    }
    out.push(' ');
    let mut escaped = String::new();
    let message = if message.contains(['\\', '=']) {
        for c in message.chars() {
            if matches!(c, '\\' | '=') {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        escaped.as_str()
    } else {
        message
    };
    let mut lines = message.split('\n');
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for more in lines {
        out.push('\n');
        out.push_str(CONTINUATION);
        out.push_str(more);
    }
    for (key, value) in fields {
        out.push(' ');
        escape_name_into(out, key, '=');
        out.push('=');
        escape_into(out, value);
    }
    out.push('\n');
}

/// The message, continuation lines indented, newline-terminated.
fn write_message(out: &mut String, message: &str) {
    if !message.contains('\n') {
        out.push_str(message);
        out.push('\n');
        return;
    }
    message_pieces(message, |piece| out.push_str(piece));
}

/// Hands the message part of a line to `out` in pieces, ending with the
/// line's `\n`: each line of the message, the later ones after a
/// [`CONTINUATION`] marker.
fn message_pieces<'a>(message: &'a str, mut out: impl FnMut(&'a str)) {
    let mut lines = message.split('\n');
    if let Some(first) = lines.next() {
        out(first);
    }
    for more in lines {
        out("\n");
        out(CONTINUATION);
        out(more);
    }
    out("\n");
}

fn escape_into(out: &mut String, field: &str) {
    if !field
        .bytes()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\\'))
    {
        out.push_str(field);
        return;
    }
    for c in field.chars() {
        match c {
            ' ' => out.push_str("\\s"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
}

/// A span name or field key: escaped like a header field, plus `separator`,
/// and `\e` for the empty name.
fn escape_name_into(out: &mut String, name: &str, separator: char) {
    if name.is_empty() {
        out.push_str("\\e");
        return;
    }
    if !name.contains(separator) {
        escape_into(out, name);
        return;
    }
    for (i, part) in name.split(separator).enumerate() {
        if i > 0 {
            out.push('\\');
            out.push(separator);
        }
        escape_into(out, part);
    }
}

/// Appends `text` escaped for a span chain: as a header field, and with a
/// backslash before each character that separates its parts.
fn escape_span_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            ' ' => out.push_str("\\s"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' | ':' | '{' | '}' | ',' | '=' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// A span's fields as the session file writes them between braces after
/// its name: `key=value` pairs separated by commas, escaped so the whole
/// chain stays one token (`id=7,peer=db\s1`).
pub(crate) fn span_fields_text<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        escape_span_text(&mut out, key.as_ref());
        out.push('=');
        escape_span_text(&mut out, value.as_ref());
    }
    out
}

/// Reads back what [`span_fields_text`] wrote.
fn parse_span_fields(text: &str) -> Vec<(String, String)> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut fields = Vec::new();
    let mut start = 0;
    let ends = unescaped(text, ',').chain(std::iter::once(text.len()));
    for end in ends {
        let pair = text.get(start..end).unwrap_or_default();
        start = end + 1;
        match unescaped(pair, '=').next() {
            Some(eq) => fields.push((
                unescape(pair.get(..eq).unwrap_or_default()),
                unescape(pair.get(eq + 1..).unwrap_or_default()),
            )),
            None => fields.push((unescape(pair), String::new())),
        }
    }
    fields
}

/// One part of a span chain, `name` or `name{fields}`.
fn parse_span(part: &str) -> (String, Vec<(String, String)>) {
    if ends_with_unescaped(part, '}') {
        if let Some(brace) = unescaped(part, '{').next() {
            let name = unescape(part.get(..brace).unwrap_or_default());
            let fields = part.get(brace + 1..part.len() - 1).unwrap_or_default();
            return (name, parse_span_fields(fields));
        }
    }
    (unescape(part), Vec::new())
}

/// Byte offsets of the occurrences of `c` in `token` not escaped by a backslash.
fn unescaped(token: &str, c: char) -> impl Iterator<Item = usize> + '_ {
    let mut escaped = false;
    token.char_indices().filter_map(move |(i, ch)| {
        if escaped {
            escaped = false;
            return None;
        }
        if ch == '\\' {
            escaped = true;
            return None;
        }
        (ch == c).then_some(i)
    })
}

fn ends_with_unescaped(token: &str, c: char) -> bool {
    match token.len().checked_sub(c.len_utf8()) {
        Some(last) => unescaped(token, c).last() == Some(last),
        None => false,
    }
}

fn unescape(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_owned();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('e') => {}
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// One record read back from a session file.
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
        span_field_of(&self.spans, &self.span_fields, span, key)
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
    pub fn span_chain(&self) -> impl Iterator<Item = (&str, &[(String, String)])> {
        span_chain_of(&self.spans, &self.span_fields)
    }
}

impl fmt::Display for CapturedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_record(
            f,
            self.timestamp,
            self.level,
            self.thread.as_deref(),
            &self.target,
            &self.message,
            &self.spans,
            &self.span_fields,
            &self.fields,
        )
    }
}

/// Parses records written by [`write_line`]. Lines that are not in the format
/// (a file edited by hand, say) become `Info` records with target `?`, so
/// nothing in the file is hidden from assertions.
pub(crate) fn parse_records(text: &str, generation: u64, out: &mut Vec<CapturedRecord>) {
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() && lines.peek().is_none() {
            break;
        }
        let (mut record, extended) = parse_header(line, generation).unwrap_or_else(|| {
            let record = CapturedRecord {
                level: log::Level::Info,
                target: "?".to_owned(),
                message: line.to_owned(),
                thread: None,
                timestamp: UNIX_EPOCH,
                generation,
                fields: Vec::new(),
                spans: Vec::new(),
                span_fields: Vec::new(),
            };
            (record, false)
        });
        while let Some(next) = lines.peek() {
            match next.strip_prefix(CONTINUATION) {
                Some(rest) => {
                    record.message.push('\n');
                    record.message.push_str(rest);
                    lines.next();
                }
                None => break,
            }
        }
        if extended {
            split_fields(&mut record);
        }
        out.push(record);
    }
}

/// Takes the fields off the end of an extended record's escaped message
/// and unescapes the rest.
fn split_fields(record: &mut CapturedRecord) {
    let mut text = record.message.as_str();
    while let Some((head, token)) = text.rsplit_once(' ') {
        let Some(eq) = unescaped(token, '=').next() else {
            break;
        };
        let (key, value) = token.split_at(eq);
        record
            .fields
            .push((unescape(key), unescape(value.get(1..).unwrap_or_default())));
        text = head;
    }
    record.fields.reverse();
    record.message = unescape(text);
}

/// The record a line starts, and whether it is in the extended form (its
/// message still escaped and followed by its fields).
fn parse_header(line: &str, generation: u64) -> Option<(CapturedRecord, bool)> {
    let (stamp, rest) = line.split_once(' ')?;
    let timestamp = parse_timestamp(stamp)?;
    let rest = rest.trim_start_matches(' ');
    let (level, rest) = rest.split_once(' ')?;
    let level: log::Level = level.parse().ok()?;
    let rest = rest.trim_start_matches(' ');
    let (thread, rest) = rest.split_once(' ')?;
    let thread = thread.strip_prefix('[')?.strip_suffix(']')?;
    let (target, rest) = rest.split_once(' ')?;
    let thread = (thread != NO_THREAD).then(|| unescape(thread));
    let mut record = CapturedRecord {
        level,
        target: String::new(),
        message: String::new(),
        thread,
        timestamp,
        generation,
        fields: Vec::new(),
        spans: Vec::new(),
        span_fields: Vec::new(),
    };
    if ends_with_unescaped(target, ':') {
        record.target = unescape(target.get(..target.len() - 1)?);
        record.message = rest.to_owned();
        return Some((record, false));
    }
    let (chain, message) = rest.split_once(' ')?;
    if !ends_with_unescaped(chain, ':') {
        return None;
    }
    if chain != ":" {
        let mut start = 0;
        for end in unescaped(chain, ':') {
            let (name, fields) = parse_span(chain.get(start..end)?);
            record.spans.push(name);
            record.span_fields.push(fields);
            start = end + 1;
        }
    }
    record.target = unescape(target);
    record.message = message.to_owned();
    Some((record, true))
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC.
fn write_timestamp(out: &mut String, t: SystemTime) {
    thread_local! {
        /// The last second written, as `YYYY-MM-DDTHH:MM:SS.`: records come
        /// in bursts, so the calendar arithmetic runs once a second.
        static SECOND: std::cell::RefCell<(u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    // A crash dump must not touch a thread-local (its first use may
    // allocate): it does the arithmetic each time.
    #[cfg(unix)]
    let dumping = crate::engine::crash::dumping();
    #[cfg(not(unix))]
    let dumping = false;
    let cached = (!dumping).then(|| {
        SECOND.try_with(|cell| {
            let mut cell = cell.try_borrow_mut().ok()?;
            if cell.0 != secs {
                cell.1.clear();
                write_second(&mut cell.1, secs);
                cell.0 = secs;
            }
            out.push_str(&cell.1);
            Some(())
        })
    });
    if !matches!(cached, Some(Ok(Some(())))) {
        write_second(out, secs);
    }
    let mut micros = since.subsec_micros();
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    for d in digits {
        out.push(char::from(d));
    }
    out.push('Z');
}

/// `YYYY-MM-DDTHH:MM:SS.` of `secs` since the epoch, UTC.
fn write_second(out: &mut String, secs: u64) {
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let tod = secs % 86_400;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.",
        tod / 3600,
        (tod / 60) % 60,
        tod % 60,
    );
}

fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, micros) = time.split_once('.')?;
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (t.next()??, t.next()??, t.next()??);
    let micros: u32 = micros.parse().ok()?;
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    let secs = days * 86_400 + h * 3600 + m * 60 + sec;
    UNIX_EPOCH.checked_add(Duration::new(secs, micros.checked_mul(1000)?))
}

// Howard Hinnant's `civil_from_days` / `days_from_civil` (public domain algorithms).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn write_the_same_bytes_in_pieces_as_in_one_line() {
        for message in ["plain", "", "two\nlines", "\n", "trailing\n", "a\n\nb  \t"] {
            let entry = Entry {
                level: log::Level::Debug,
                target: Text::Static("a target"),
                message: crate::engine::message::Message::copy(message),
                timestamp: std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_234_567),
                thread: Some("worker 1"),
                extra: None,
            };
            let mut whole = String::new();
            entry.write_to(&mut whole);
            let mut pieces = Vec::new();
            entry.write_pieces(&mut String::new(), |piece| pieces.extend_from_slice(piece));
            assert_eq!(String::from_utf8(pieces).unwrap(), whole, "{message:?}");
        }
    }

    fn round_trip(thread: Option<&str>, target: &str, message: &str) -> CapturedRecord {
        let t = UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_000);
        let mut s = String::new();
        write_line(&mut s, t, log::Level::Debug, thread, target, message);
        let mut out = Vec::new();
        parse_records(&s, 3, &mut out);
        assert_eq!(out.len(), 1, "{s:?} parsed as {out:?}");
        assert_eq!(out[0].timestamp, t);
        out.remove(0)
    }

    #[test]
    fn read_back_what_it_writes() {
        let r = round_trip(
            Some("tests::a b]"),
            "my crate: x",
            "hello\r\n  world\n\0 \\x",
        );
        assert_eq!(r.thread.as_deref(), Some("tests::a b]"));
        assert_eq!(r.target, "my crate: x");
        assert_eq!(r.message, "hello\r\n  world\n\0 \\x");
        assert_eq!(r.level, log::Level::Debug);
        assert_eq!(r.generation, 3);
    }

    #[test]
    fn keep_empty_and_unnamed_fields() {
        let r = round_trip(None, "", "");
        assert_eq!(r.thread, None);
        assert_eq!(round_trip(Some("-"), "t", "m").thread.as_deref(), Some("-"));
        assert_eq!(round_trip(Some(""), "t", "m").thread.as_deref(), Some(""));
        assert_eq!(r.target, "");
        assert_eq!(r.message, "");
        let r = round_trip(Some("t"), "x", "\n\n");
        assert_eq!(r.message, "\n\n");
    }

    #[test]
    fn format_dates_like_rfc3339() {
        let mut s = String::new();
        write_timestamp(&mut s, UNIX_EPOCH + Duration::from_secs(951_782_400)); // 2000-02-29
        assert_eq!(s, "2000-02-29T00:00:00.000000Z");
        assert_eq!(
            parse_timestamp(&s),
            Some(UNIX_EPOCH + Duration::from_secs(951_782_400))
        );
    }

    fn round_trip_extended(
        target: &str,
        message: &str,
        spans: &[&str],
        fields: &[(&str, &str)],
    ) -> CapturedRecord {
        let t = UNIX_EPOCH + Duration::new(1_795_000_000, 7_000);
        let mut s = String::new();
        write_record(
            &mut s,
            t,
            log::Level::Info,
            Some("th"),
            target,
            message,
            spans.iter().map(|s| (*s, "")),
            fields.iter().copied(),
        );
        let mut out = Vec::new();
        parse_records(&s, 1, &mut out);
        assert_eq!(out.len(), 1, "{s:?} parsed as {out:?}");
        let r = out.remove(0);
        assert_eq!(r.timestamp, t);
        assert_eq!(r.thread.as_deref(), Some("th"));
        assert_eq!(r.target, target, "target of {s:?}");
        assert_eq!(r.message, message, "message of {s:?}");
        assert_eq!(r.spans, spans, "spans of {s:?}");
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(r.fields, fields, "fields of {s:?}");
        assert_eq!(r.to_string(), s.trim_end_matches('\n'));
        r
    }

    #[test]
    fn write_spans_before_and_fields_after_the_message() {
        let mut s = String::new();
        write_record(
            &mut s,
            UNIX_EPOCH,
            log::Level::Info,
            None,
            "my_crate::db",
            "connected",
            [("outer", ""), ("inner", "")],
            [("retries", "2"), ("peer", "db 1")],
        );
        assert!(
            s.ends_with("my_crate::db outer:inner: connected retries=2 peer=db\\s1\n"),
            "{s:?}"
        );
    }

    #[test]
    fn read_back_spans_and_fields_exactly() {
        round_trip_extended(
            "my_crate::db",
            "connected",
            &["outer", "inner"],
            &[("n", "5")],
        );
        round_trip_extended("t", "no spans", &[], &[("n", "5")]);
        round_trip_extended("t", "no fields", &["only"], &[]);
        round_trip_extended(
            "t:",
            "a=b \\= c: d k=v ",
            &["s p:a\\ce", "", "x=y"],
            &[("k=ey", "v a=l:ue\n"), ("", ""), ("n", "=")],
        );
        round_trip_extended("", "", &[""], &[("a", "b")]);
        round_trip_extended("", "", &[], &[("a", "b")]);
        round_trip_extended(
            "t\\",
            "two\nlines k=v\n  and=more",
            &["s"],
            &[("last", "1")],
        );
        round_trip_extended("t", "ends with a space ", &["s"], &[("a", " b ")]);
    }

    #[test]
    fn keep_reading_plain_lines_as_plain_records() {
        // Lines written before fields existed: a message that looks like a
        // span chain or fields stays the message.
        let mut out = Vec::new();
        parse_records(
            "2026-11-27T11:54:37.123456Z INFO  [t] my_crate: outer:inner: hi k=v\n",
            0,
            &mut out,
        );
        assert_eq!(out[0].target, "my_crate");
        assert_eq!(out[0].message, "outer:inner: hi k=v");
        assert!(out[0].spans.is_empty() && out[0].fields.is_empty());
        let r = round_trip(Some("t"), "a\\", "x= y k=v");
        assert_eq!((r.target.as_str(), r.message.as_str()), ("a\\", "x= y k=v"));
        assert!(r.fields.is_empty());
    }

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
    fn write_span_fields_in_braces_and_read_them_back() {
        type Chain<'a> = &'a [(&'a str, &'a [(&'a str, &'a str)])];
        let chains: [Chain<'_>; 4] = [
            &[("request", &[("id", "7")]), ("checkout", &[])],
            &[(
                "a{b}:c",
                &[("k,=:{}", "v a\\l\n,=}{:"), ("", ""), ("e", "\\e")],
            )],
            &[("", &[("x", "1")]), ("s", &[("only", "")])],
            &[
                ("outer", &[("user", "ada lovelace")]),
                ("outer", &[("user", "bob")]),
            ],
        ];
        for chain in chains {
            let texts: Vec<String> = chain.iter().map(|(_, f)| span_fields_text(f)).collect();
            let mut line = String::new();
            write_record(
                &mut line,
                UNIX_EPOCH,
                log::Level::Info,
                Some("th"),
                "t",
                "m x=1",
                chain
                    .iter()
                    .zip(&texts)
                    .map(|((name, _), text)| (*name, text.as_str())),
                [("k", "v")],
            );
            let mut out = Vec::new();
            parse_records(&line, 0, &mut out);
            assert_eq!(out.len(), 1, "{line:?}");
            let record = &out[0];
            let read: Vec<(String, Vec<(String, String)>)> = record
                .span_chain()
                .map(|(n, f)| (n.to_owned(), f.to_vec()))
                .collect();
            let written: Vec<(String, Vec<(String, String)>)> = chain
                .iter()
                .map(|(n, f)| {
                    let f = f.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
                    ((*n).to_owned(), f.collect())
                })
                .collect();
            assert_eq!(read, written, "{line:?}");
            assert_eq!(record.message, "m x=1");
            assert_eq!(record.field("k"), Some("v"));
            assert_eq!(record.to_string(), line.trim_end_matches('\n'));
        }
        let mut line = String::new();
        let text = span_fields_text(&[("id", "7")]);
        write_record(
            &mut line,
            UNIX_EPOCH,
            log::Level::Info,
            None,
            "t",
            "m",
            [("request", text.as_str()), ("checkout", "")],
            [],
        );
        assert!(line.ends_with(" t request{id=7}:checkout: m\n"), "{line:?}");
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
    fn turn_foreign_lines_into_records() {
        let mut out = Vec::new();
        parse_records("not a record\n", 0, &mut out);
        assert_eq!(out[0].message, "not a record");
        assert_eq!(out[0].target, "?");
    }
}
