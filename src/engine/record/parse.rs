//! Reading session files back: [`parse_records`], the inverse of the
//! [`Form::File`](super::Form::File) line.

use std::time::UNIX_EPOCH;

use super::CapturedRecord;
use super::escape::{ends_with_unescaped, unescape, unescaped};
use super::format::{CONTINUATION, NO_THREAD};
use super::time::parse_timestamp;

/// Parses records written in [`Form::File`](super::Form::File). Lines that are not in the format
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

/// Reads back what `span_fields_text` wrote.
pub(super) fn parse_span_fields(text: &str) -> Vec<(String, String)> {
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

#[cfg(test)]
mod should {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::span_fields_text;
    use super::super::{Entry, ExtraBuilder, Form, RecordView, SpanChain, Text, record};
    use super::*;
    use crate::engine::message::Message;

    fn round_trip(thread: Option<&str>, target: &str, message: &str) -> CapturedRecord {
        let t = UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_000);
        let mut s = String::new();
        RecordView::plain(t, log::Level::Debug, thread, target, message).write(&mut s, Form::File);
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

    fn round_trip_extended(
        target: &str,
        message: &str,
        spans: &[&str],
        fields: &[(&str, &str)],
    ) -> CapturedRecord {
        let t = UNIX_EPOCH + Duration::new(1_795_000_000, 7_000);
        let spans_without_fields: Vec<(&str, &[(&str, &str)])> =
            spans.iter().map(|s| (*s, &[][..])).collect();
        let mut written = record(target, message, &spans_without_fields, fields);
        written.timestamp = t;
        written.thread = Some("th".to_owned());
        let mut s = String::new();
        written.view().write(&mut s, Form::File);
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
        // `Display` is the file's line, but for the empty span chain.
        let file = s.trim_end_matches('\n');
        let shown = if spans.is_empty() && !fields.is_empty() {
            file.replacen(" : ", ": ", 1)
        } else {
            file.to_owned()
        };
        assert_eq!(r.to_string(), shown);
        r
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
    fn round_trip_every_shape_of_record_exactly() {
        let messages = [
            "plain",
            "k=v a=b",
            "a\\b \\= c\\",
            "target: x: y:",
            "two\nlines: k=v\n  and\\more=",
            "",
            "ends with a space ",
        ];
        type Spans<'a> = &'a [(&'a str, &'a [(&'a str, &'a str)])];
        let spans: [Spans<'_>; 3] = [
            &[],
            &[
                ("outer", &[]),
                ("inner", &[("id", "7"), ("who", "a b:=,{}")]),
            ],
            &[("", &[("", "")])],
        ];
        let fields: [&[(&str, &str)]; 3] = [&[], &[("n", "5")], &[("k=ey", "v:\\ =\n"), ("", "")]];
        for message in messages {
            for spans in spans {
                for fields in fields {
                    for target in ["my_crate::db", "t:", "a b\\"] {
                        let mut written = record(target, message, spans, fields);
                        written.thread = Some("tests::x y".to_owned());
                        written.level = log::Level::Trace;
                        let mut line = String::new();
                        written.view().write(&mut line, Form::File);
                        let mut read = Vec::new();
                        parse_records(&line, 0, &mut read);
                        assert_eq!(read, [written.clone()], "{line:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn write_span_fields_in_braces_and_read_them_back() {
        type Chain = &'static [(&'static str, &'static [(&'static str, &'static str)])];
        let chains: [Chain; 4] = [
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
            // As the `tracing` layer makes it: each span's fields as text.
            let spans = chain
                .iter()
                .map(|(name, f)| (*name, Some(Arc::from(span_fields_text(f)))))
                .collect();
            let mut extra = ExtraBuilder::new();
            extra.field_str(Text::Static("k"), "v");
            extra.span_chain(Arc::new(SpanChain { spans }));
            let entry = Entry {
                level: log::Level::Info,
                target: Text::Static("t"),
                message: Message::copy("m x=1"),
                timestamp: UNIX_EPOCH,
                thread: Some("th"),
                extra: extra.finish(),
            };
            let mut line = String::new();
            entry.write_to(&mut line);
            // As a captured record holds it: pairs, escaped as written.
            let mut captured = record("t", "m x=1", chain, &[("k", "v")]);
            captured.thread = Some("th".to_owned());
            let mut from_pairs = String::new();
            captured.view().write(&mut from_pairs, Form::File);
            assert_eq!(from_pairs, line);
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
        record(
            "t",
            "m",
            &[("request", &[("id", "7")]), ("checkout", &[])],
            &[],
        )
        .view()
        .write(&mut line, Form::File);
        assert!(line.ends_with(" t request{id=7}:checkout: m\n"), "{line:?}");
    }

    #[test]
    fn turn_foreign_lines_into_records() {
        let mut out = Vec::new();
        parse_records("not a record\n", 0, &mut out);
        assert_eq!(out[0].message, "not a record");
        assert_eq!(out[0].target, "?");
    }
}
