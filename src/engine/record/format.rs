//! Writing a record's line: [`RecordView`], the one writer behind the
//! session file, `Display` of [`LogLine`](super::LogLine) and
//! [`CapturedRecord`], failure reports, `LOGGED_TEST_LIVE` lines and the
//! crash dump.

use std::time::SystemTime;

use super::escape::{
    escape_into, escape_message_line, escape_name_into, escape_span_text, write_span_fields,
};
use super::time::write_timestamp;
use super::{CapturedRecord, Extra};

/// Prefix of every continuation line of a multi-line message.
pub(crate) const CONTINUATION: &str = "    ";

/// Header field written for a record whose thread has no name.
pub(super) const NO_THREAD: &str = "-";

/// Which of the two forms of a line to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// The session file's line, which
    /// [`parse_records`](super::parse_records) reads back exactly.
    File,
    /// The line for people (`Display`, reports, live lines, crash stderr):
    /// the file's line, except that a record with fields and no span reads
    /// `target: msg k=v` where the file has `target : msg k=v` (see the
    /// module documentation of `record` for why the file keeps the `:`).
    Shown,
}

/// One record, borrowed: what the line writer needs, whichever type holds
/// the record (an [`Entry`](super::Entry) on its way to the file, a
/// [`CapturedRecord`] read back), like `log`'s `Record<'a>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordView<'a> {
    pub(crate) timestamp: SystemTime,
    pub(crate) level: log::Level,
    pub(crate) thread: Option<&'a str>,
    pub(crate) target: &'a str,
    pub(crate) message: &'a str,
    pub(crate) extras: Extras<'a>,
}

/// A record's fields and spans, as the type that holds them keeps them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Extras<'a> {
    /// A record without fields or spans.
    None,
    /// An entry's: span fields already in their file text.
    Entry(&'a Extra),
    /// A captured record's: span fields as pairs.
    Captured(&'a CapturedRecord),
}

/// A span's fields, in the form the record holds them.
enum SpanFields<'a> {
    /// As the file writes them between braces (`""`: none).
    Text(&'a str),
    /// As pairs, escaped while they are written.
    Pairs(&'a [(String, String)]),
}

impl Extras<'_> {
    fn has_spans(&self) -> bool {
        match self {
            Extras::None => false,
            Extras::Entry(extra) => extra.span_chain().next().is_some(),
            Extras::Captured(record) => !record.spans.is_empty(),
        }
    }

    fn has_fields(&self) -> bool {
        match self {
            Extras::None => false,
            Extras::Entry(extra) => extra.fields().next().is_some(),
            Extras::Captured(record) => !record.fields.is_empty(),
        }
    }

    /// Calls `f` with each span, outermost first.
    fn for_each_span(&self, mut f: impl FnMut(&str, SpanFields<'_>)) {
        match self {
            Extras::None => {}
            Extras::Entry(extra) => {
                for (name, text) in extra.span_chain() {
                    f(name, SpanFields::Text(text));
                }
            }
            Extras::Captured(record) => {
                for (name, fields) in record.span_chain() {
                    f(name, SpanFields::Pairs(fields));
                }
            }
        }
    }

    /// Calls `f` with each field, in order.
    fn for_each_field(&self, mut f: impl FnMut(&str, &str)) {
        match self {
            Extras::None => {}
            Extras::Entry(extra) => extra.fields().for_each(|(k, v)| f(k, v)),
            Extras::Captured(record) => record.fields.iter().for_each(|(k, v)| f(k, v)),
        }
    }
}

impl<'a> RecordView<'a> {
    /// A record without fields or spans.
    pub(crate) fn plain(
        timestamp: SystemTime,
        level: log::Level,
        thread: Option<&'a str>,
        target: &'a str,
        message: &'a str,
    ) -> RecordView<'a> {
        RecordView {
            timestamp,
            level,
            thread,
            target,
            message,
            extras: Extras::None,
        }
    }

    /// Whether the [`Form::Shown`] line differs from the file's.
    pub(crate) fn shown_differs(&self) -> bool {
        !self.extras.has_spans() && self.extras.has_fields()
    }

    /// Appends the record's line in `form`, newline-terminated.
    pub(crate) fn write(&self, out: &mut String, form: Form) {
        self.write_header(out);
        let (spans, fields) = (self.extras.has_spans(), self.extras.has_fields());
        if !spans && !fields {
            escape_into(out, self.target);
            out.push_str(": ");
            write_message(out, self.message);
            return;
        }
        self.write_extended(out, spans, form);
    }

    /// Hands the record's line to `out` in pieces, as [`write`](Self::write)
    /// would write it, but with the message's lines passed straight from
    /// the record: a huge message is never copied. `header` is scratch space.
    pub(crate) fn write_pieces(&self, header: &mut String, mut out: impl FnMut(&[u8])) {
        header.clear();
        if self.extras.has_spans() || self.extras.has_fields() {
            // Spans and fields change how the message is escaped: format
            // the whole line (a huge message with fields is rare).
            self.write(header, Form::File);
            out(header.as_bytes());
            return;
        }
        self.write_header(header);
        escape_into(header, self.target);
        header.push_str(": ");
        out(header.as_bytes());
        message_pieces(self.message, |piece| out(piece.as_bytes()));
    }

    /// The timestamp, the level and the thread, and the space after them.
    fn write_header(&self, out: &mut String) {
        write_timestamp(out, self.timestamp);
        out.push_str(match self.level {
            log::Level::Error => " ERROR [",
            log::Level::Warn => " WARN  [",
            log::Level::Info => " INFO  [",
            log::Level::Debug => " DEBUG [",
            log::Level::Trace => " TRACE [",
        });
        match self.thread {
            // `\-` and `\e` keep a thread literally named "-" or "" apart from none.
            Some(NO_THREAD) => out.push_str("\\-"),
            Some("") => out.push_str("\\e"),
            Some(name) => escape_into(out, name),
            None => out.push_str(NO_THREAD),
        }
        out.push_str("] ");
    }

    /// The part after the thread of a record with spans or fields.
    fn write_extended(&self, out: &mut String, spans: bool, form: Form) {
        // No colon after the target marks the extended form; a target that
        // itself ends with one has that colon escaped.
        match self.target.strip_suffix(':') {
            Some(head) => {
                escape_into(out, head);
                out.push_str("\\:");
            }
            None => escape_into(out, self.target),
        }
        match (spans, form) {
            // The empty span chain: `target : msg k=v` in the file.
            (false, Form::File) => out.push_str(" :"),
            (false, Form::Shown) => out.push(':'),
            (true, _) => out.push(' '),
        }
        self.extras.for_each_span(|span, fields| {
            if span.is_empty() {
                out.push_str("\\e");
            } else {
                escape_span_text(out, span);
            }
            match fields {
                SpanFields::Text(text) if !text.is_empty() => {
                    out.push('{');
                    out.push_str(text);
                    out.push('}');
                }
                SpanFields::Pairs(pairs) if !pairs.is_empty() => {
                    out.push('{');
                    write_span_fields(out, pairs);
                    out.push('}');
                }
                SpanFields::Text(_) | SpanFields::Pairs(_) => {}
            }
            out.push(':');
        });
        out.push(' ');
        let mut lines = self.message.split('\n');
        if let Some(first) = lines.next() {
            escape_message_line(out, first);
        }
        for more in lines {
            out.push('\n');
            out.push_str(CONTINUATION);
            escape_message_line(out, more);
        }
        self.extras.for_each_field(|key, value| {
            out.push(' ');
            escape_name_into(out, key, '=');
            out.push('=');
            escape_into(out, value);
        });
        out.push('\n');
    }
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

#[cfg(test)]
mod should {
    use super::super::{Entry, ExtraBuilder, LogLine, Text, record};
    use super::*;
    use crate::engine::message::Message;

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

    #[test]
    fn write_spans_before_and_fields_after_the_message() {
        let record = record(
            "my_crate::db",
            "connected",
            &[("outer", &[]), ("inner", &[])],
            &[("retries", "2"), ("peer", "db 1")],
        );
        let mut s = String::new();
        record.view().write(&mut s, Form::File);
        assert!(
            s.ends_with("my_crate::db outer:inner: connected retries=2 peer=db\\s1\n"),
            "{s:?}"
        );
    }

    #[test]
    fn show_fields_without_a_span_after_a_plain_colon_everywhere() {
        let captured = record("my_crate", "paid k=1", &[], &[("order", "42")]);
        let mut file = String::new();
        captured.view().write(&mut file, Form::File);
        assert!(
            file.ends_with(" my_crate : paid k\\=1 order=42\n"),
            "{file:?}"
        );
        let shown = captured.to_string();
        assert!(
            shown.ends_with(" my_crate: paid k\\=1 order=42"),
            "{shown:?}"
        );
        assert!(!shown.contains(" : "), "{shown:?}");
        let line = LogLine {
            record: captured.clone(),
            collector_id: 1,
        };
        assert_eq!(line.to_string(), shown);
        // An entry's shown line (live lines, crash stderr) is the same.
        let mut extra = ExtraBuilder::new();
        extra.field_str(Text::Static("order"), "42");
        let entry = Entry {
            level: log::Level::Info,
            target: Text::Static("my_crate"),
            message: Message::copy("paid k=1"),
            timestamp: std::time::UNIX_EPOCH,
            thread: None,
            extra: extra.finish(),
        };
        let mut entry_shown = String::new();
        entry.write_shown(&mut entry_shown);
        assert_eq!(entry_shown, format!("{shown}\n"));
        assert!(entry.view().shown_differs());
        // With a span, or without fields, both forms are the file's line.
        for record in [
            record("my_crate", "m", &[("s", &[("id", "7")])], &[("k", "v")]),
            record("my_crate", "m k=v", &[], &[]),
        ] {
            let mut file = String::new();
            record.view().write(&mut file, Form::File);
            assert!(!record.view().shown_differs());
            assert_eq!(record.to_string(), file.trim_end_matches('\n'));
        }
    }
}
