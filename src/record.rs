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
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64 + self.message.len());
        write_line(
            &mut out,
            self.timestamp,
            self.level,
            self.thread.as_deref(),
            &self.target,
            &self.message,
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
        write_line(
            out,
            self.timestamp,
            self.level,
            self.thread,
            &self.target,
            &self.message,
        );
    }

    /// The record as [`CapturedRecord`], without going through text.
    pub(crate) fn to_captured(&self, generation: u64) -> CapturedRecord {
        CapturedRecord {
            level: self.level,
            target: self.target.to_string(),
            message: self.message.to_string(),
            thread: self.thread.map(str::to_owned),
            timestamp: self.timestamp,
            generation,
        }
    }

    /// Heap bytes this entry owns (for the memory threshold).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.message.heap_bytes()
    }

    /// Hands the record's line to `out` in pieces, as [`Entry::write_to`]
    /// would write it, but with the message's lines passed straight from the
    /// entry: a huge message is never copied. `header` is scratch space.
    pub(crate) fn write_pieces(&self, header: &mut String, mut out: impl FnMut(&[u8])) {
        header.clear();
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

    pub(crate) fn to_log_line(&self, collector_id: u64, generation: u64) -> LogLine {
        LogLine {
            level: self.level,
            target: self.target.to_string(),
            message: self.message.to_string(),
            timestamp: self.timestamp,
            thread: self.thread.map(str::to_owned),
            collector_id,
            generation,
        }
    }
}

/// Appends one record, newline-terminated, in the file format.
pub(crate) fn write_line(
    out: &mut String,
    timestamp: SystemTime,
    level: log::Level,
    thread: Option<&str>,
    target: &str,
    message: &str,
) {
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
    escape_into(out, target);
    out.push_str(": ");
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
}

impl fmt::Display for CapturedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64 + self.message.len());
        write_line(
            &mut out,
            self.timestamp,
            self.level,
            self.thread.as_deref(),
            &self.target,
            &self.message,
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
        let mut record = parse_header(line, generation).unwrap_or_else(|| CapturedRecord {
            level: log::Level::Info,
            target: "?".to_owned(),
            message: line.to_owned(),
            thread: None,
            timestamp: UNIX_EPOCH,
            generation,
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
        out.push(record);
    }
}

fn parse_header(line: &str, generation: u64) -> Option<CapturedRecord> {
    let (stamp, rest) = line.split_once(' ')?;
    let timestamp = parse_timestamp(stamp)?;
    let rest = rest.trim_start_matches(' ');
    let (level, rest) = rest.split_once(' ')?;
    let level: log::Level = level.parse().ok()?;
    let rest = rest.trim_start_matches(' ');
    let (thread, rest) = rest.split_once(' ')?;
    let thread = thread.strip_prefix('[')?.strip_suffix(']')?;
    let (target, message) = rest.split_once(' ')?;
    let target = target.strip_suffix(':')?;
    Some(CapturedRecord {
        level,
        target: unescape(target),
        message: message.to_owned(),
        thread: (thread != NO_THREAD).then(|| unescape(thread)),
        timestamp,
        generation,
    })
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

    #[test]
    fn write_the_same_bytes_in_pieces_as_in_one_line() {
        for message in ["plain", "", "two\nlines", "\n", "trailing\n", "a\n\nb  \t"] {
            let entry = Entry {
                level: log::Level::Debug,
                target: Text::Static("a target"),
                message: crate::message::Message::copy(message),
                timestamp: std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_234_567),
                thread: Some("worker 1"),
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

    #[test]
    fn turn_foreign_lines_into_records() {
        let mut out = Vec::new();
        parse_records("not a record\n", 0, &mut out);
        assert_eq!(out[0].message, "not a record");
        assert_eq!(out[0].target, "?");
    }
}
