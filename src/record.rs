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

use crate::message::Message;

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
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64 + self.message.len());
        write_record(
            &mut out,
            self.timestamp,
            self.level,
            self.thread.as_deref(),
            &self.target,
            &self.message,
            &self.spans,
            &self.fields,
        );
        f.write_str(out.trim_end_matches('\n'))
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
#[derive(Debug, Default)]
pub(crate) struct Extra {
    /// Key (a `tracing` field name is `'static`) and formatted value.
    pub(crate) fields: Vec<(Text, String)>,
    /// Span names, outermost first.
    pub(crate) spans: Vec<&'static str>,
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

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl Entry {
    pub(crate) fn write_to(&self, out: &mut String) {
        let (spans, fields): (&[&str], &[(Text, String)]) = match &self.extra {
            Some(extra) => (&extra.spans, &extra.fields),
            None => (&[], &[]),
        };
        write_record(
            out,
            self.timestamp,
            self.level,
            self.thread,
            &self.target,
            &self.message,
            spans,
            fields,
        );
    }

    fn owned_fields(&self) -> Vec<(String, String)> {
        self.extra.as_ref().map_or_else(Vec::new, |extra| {
            extra
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        })
    }

    fn owned_spans(&self) -> Vec<String> {
        self.extra.as_ref().map_or_else(Vec::new, |extra| {
            extra.spans.iter().map(|s| (*s).to_owned()).collect()
        })
    }

    pub(crate) fn to_log_line(&self, collector_id: u64, generation: u64) -> LogLine {
        LogLine {
            level: self.level,
            target: self.target.to_string(),
            message: self.message.to_string(),
            timestamp: self.timestamp,
            thread: self.thread.map(str::to_owned),
            collector_id,
            generation,
            fields: self.owned_fields(),
            spans: self.owned_spans(),
        }
    }

    /// The record as [`parse_records`] would read it back from the file,
    /// built without going through text. The timestamp keeps its full
    /// precision (the file has microseconds).
    #[allow(dead_code)] // For the in-memory capture of the engine.
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
    write_record::<&str, &str, &str>(out, timestamp, level, thread, target, message, &[], &[]);
}

/// Appends one record, newline-terminated, in the file format, with its
/// spans (outermost first) and fields.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_record<S, K, V>(
    out: &mut String,
    timestamp: SystemTime,
    level: log::Level,
    thread: Option<&str>,
    target: &str,
    message: &str,
    spans: &[S],
    fields: &[(K, V)],
) where
    S: AsRef<str>,
    K: AsRef<str>,
    V: AsRef<str>,
{
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
    if !spans.is_empty() || !fields.is_empty() {
        write_extended(out, target, message, spans, fields);
        return;
    }
    escape_into(out, target);
    out.push_str(": ");
    write_message(out, message);
}

/// The part after the thread of a record with spans or fields.
fn write_extended<S, K, V>(
    out: &mut String,
    target: &str,
    message: &str,
    spans: &[S],
    fields: &[(K, V)],
) where
    S: AsRef<str>,
    K: AsRef<str>,
    V: AsRef<str>,
{
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
    if spans.is_empty() {
        out.push(':');
    }
    for span in spans {
        escape_name_into(out, span.as_ref(), ':');
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
        escape_name_into(out, key.as_ref(), '=');
        out.push('=');
        escape_into(out, value.as_ref());
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
    let mut lines = message.split('\n');
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for more in lines {
        out.push('\n');
        out.push_str(CONTINUATION);
        out.push_str(more);
    }
    out.push('\n');
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
}

impl CapturedRecord {
    /// The value of the first field named `key`, if the record has one.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// let _route = collector.enter();
    /// logged_test::init_logger()?;
    /// log::info!(order = 42, paid = true; "order paid");
    /// let captured = collector.captured()?;
    /// let record = &captured.records()[0];
    /// assert_eq!(record.field("order"), Some("42"));
    /// assert_eq!(record.field("refund"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for CapturedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64 + self.message.len());
        write_record(
            &mut out,
            self.timestamp,
            self.level,
            self.thread.as_deref(),
            &self.target,
            &self.message,
            &self.spans,
            &self.fields,
        );
        f.write_str(out.trim_end_matches('\n'))
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
            record.spans.push(unescape(chain.get(start..end)?));
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
    let cached = SECOND.try_with(|cell| {
        let mut cell = cell.try_borrow_mut().ok()?;
        if cell.0 != secs {
            cell.1.clear();
            write_second(&mut cell.1, secs);
            cell.0 = secs;
        }
        out.push_str(&cell.1);
        Some(())
    });
    if !matches!(cached, Ok(Some(()))) {
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
            spans,
            fields,
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
            &["outer", "inner"],
            &[("retries", "2"), ("peer", "db 1")],
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
            extra: Some(Box::new(Extra {
                fields: vec![(Text::Static("ms"), "120".to_owned())],
                spans: vec!["request", "query"],
            })),
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
    fn turn_foreign_lines_into_records() {
        let mut out = Vec::new();
        parse_records("not a record\n", 0, &mut out);
        assert_eq!(out[0].message, "not a record");
        assert_eq!(out[0].target, "?");
    }
}
