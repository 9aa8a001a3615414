//! Escaping for the session file: every header field, span name and field
//! is one space-free token, and the separators inside a token (`:`, `=`,
//! `{`, `}`, `,`) are escaped where they could be misread.
//!
//! `\s` is a space, `\n`, `\r` and `\t` are themselves, `\e` is the empty
//! string (an empty name, a thread literally named ""), and a backslash
//! before any other character is that character.

/// Appends a header field (thread, target) or field value, escaped.
pub(super) fn escape_into(out: &mut String, field: &str) {
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
pub(super) fn escape_name_into(out: &mut String, name: &str, separator: char) {
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
pub(super) fn escape_span_text(out: &mut String, text: &str) {
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

/// Appends a line of an extended record's message with `\` and `=`
/// escaped (`\\`, `\=`), so that every token after the message that holds
/// an unescaped `=` is a field.
pub(super) fn escape_message_line(out: &mut String, line: &str) {
    if !line.contains(['\\', '=']) {
        out.push_str(line);
        return;
    }
    for c in line.chars() {
        if matches!(c, '\\' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A span's fields as the session file writes them between braces after
/// its name: `key=value` pairs separated by commas, escaped so the whole
/// chain stays one token (`id=7,peer=db\s1`).
#[cfg(any(test, feature = "tracing"))]
pub(crate) fn span_fields_text<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> String {
    let mut out = String::new();
    write_span_fields(&mut out, fields);
    out
}

/// Appends a span's fields as the session file writes them between
/// braces (what `span_fields_text` returns).
pub(super) fn write_span_fields<K: AsRef<str>, V: AsRef<str>>(out: &mut String, fields: &[(K, V)]) {
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        escape_span_text(out, key.as_ref());
        out.push('=');
        escape_span_text(out, value.as_ref());
    }
}

/// Byte offsets of the occurrences of `c` in `token` not escaped by a backslash.
pub(super) fn unescaped(token: &str, c: char) -> impl Iterator<Item = usize> + '_ {
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

pub(super) fn ends_with_unescaped(token: &str, c: char) -> bool {
    match token.len().checked_sub(c.len_utf8()) {
        Some(last) => unescaped(token, c).last() == Some(last),
        None => false,
    }
}

pub(super) fn unescape(field: &str) -> String {
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
