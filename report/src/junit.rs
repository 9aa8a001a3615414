//! nextest's JUnit file (`target/nextest/<profile>/junit.xml`): read its
//! test cases (outcome, retries, captured output) and write an enriched copy
//! whose `<testcase>`s point at the kept logs.
//!
//! The copy is a streaming rewrite: every event of the original is written
//! back unchanged, and only `<properties>` and `<system-out>` lines are added,
//! so whatever nextest (or a later version of it) writes survives.

use std::borrow::Cow;
use std::collections::HashMap;

use quick_xml::events::{BytesEnd, BytesRef, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

/// A failed attempt nextest retried (`<flakyFailure>` when a later attempt
/// passed, `<rerunFailure>` when none did), or the final `<failure>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `failure`, `error`, `flakyFailure` or `rerunFailure`.
    pub(crate) element: String,
    pub(crate) message: String,
    pub(crate) kind: String,
    /// The element's text (or its `<stackTrace>`'s).
    pub(crate) text: String,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// One `<testcase>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Case {
    /// nextest's binary id, e.g. `my-crate::integration` or `my-crate`.
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) time: Option<String>,
    pub(crate) skipped: bool,
    /// The final `<failure>` or `<error>`, if the test failed.
    pub(crate) failure: Option<Failure>,
    /// Earlier failed attempts, in order.
    pub(crate) retries: Vec<Failure>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Case {
    /// The test failed and a retry passed.
    pub(crate) fn is_flaky(&self) -> bool {
        self.failure.is_none() && self.retries.iter().any(|r| r.element == "flakyFailure")
    }

    /// The last attempt's failure. nextest follows Maven Surefire: a failed
    /// test's `<failure>` (with the test case's output) is its first attempt
    /// and each `<rerunFailure>` a later one.
    pub(crate) fn last_failure(&self) -> Option<&Failure> {
        let first = self.failure.as_ref()?;
        Some(
            self.retries
                .iter()
                .rev()
                .find(|r| r.element.starts_with("rerun"))
                .unwrap_or(first),
        )
    }

    /// The last attempt died from a signal or an abort, not a panic.
    pub(crate) fn is_crash(&self) -> bool {
        self.last_failure().is_some_and(looks_like_crash)
    }

    /// How many attempts nextest made.
    pub(crate) fn attempts(&self) -> usize {
        self.retries.len() + 1
    }
}

/// nextest describes a test killed by a signal as "... signal 6 (SIGABRT)"
/// in the message or type; a panic says "panicked" or a non-zero exit code.
pub(crate) fn looks_like_crash(f: &Failure) -> bool {
    let text = format!("{} {}", f.message, f.kind).to_ascii_lowercase();
    text.contains("signal") || text.contains("sigabrt") || text.contains("sigsegv")
}

/// The cargo target name in a nextest binary id: `my-crate::integration` ->
/// `integration`, `my-crate::bin/tool` -> `tool`, `my-crate` (the lib's unit
/// tests) -> `my_crate`.
pub(crate) fn target_of(binary_id: &str) -> String {
    match binary_id.rsplit_once("::") {
        Some((_, target)) => target
            .rsplit_once('/')
            .map_or(target, |(_, t)| t)
            .replace('-', "_"),
        None => binary_id.replace('-', "_"),
    }
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
        })
}

fn entity(r: &BytesRef<'_>) -> Cow<'static, str> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Cow::Owned(c.to_string());
    }
    match r.as_ref() {
        b"amp" => Cow::Borrowed("&"),
        b"lt" => Cow::Borrowed("<"),
        b"gt" => Cow::Borrowed(">"),
        b"quot" => Cow::Borrowed("\""),
        b"apos" => Cow::Borrowed("'"),
        other => Cow::Owned(format!("&{};", String::from_utf8_lossy(other))),
    }
}

/// Where the text being read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    None,
    CaseOut,
    CaseErr,
    FailureText,
    FailureOut,
    FailureErr,
}

/// Reads the test cases of a JUnit file.
///
/// # Errors
///
/// The parser's message with the byte position, for a file that is not
/// well-formed XML.
pub(crate) fn parse(xml: &str) -> Result<Vec<Case>, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut cases = Vec::new();
    let mut case: Option<Case> = None;
    let mut failure: Option<Failure> = None;
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut sink = Sink::None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.name().as_ref().to_vec();
                match name.as_slice() {
                    b"testcase" => {
                        case = Some(Case {
                            classname: attr(e, b"classname").unwrap_or_default(),
                            name: attr(e, b"name").unwrap_or_default(),
                            time: attr(e, b"time"),
                            ..Case::default()
                        });
                    }
                    b"failure" | b"error" | b"flakyFailure" | b"rerunFailure" | b"flakyError"
                    | b"rerunError"
                        if case.is_some() && failure.is_none() =>
                    {
                        failure = Some(Failure {
                            element: String::from_utf8_lossy(&name).into_owned(),
                            message: attr(e, b"message").unwrap_or_default(),
                            kind: attr(e, b"type").unwrap_or_default(),
                            ..Failure::default()
                        });
                        sink = Sink::FailureText;
                    }
                    b"skipped" => {
                        if let Some(c) = case.as_mut() {
                            c.skipped = true;
                        }
                    }
                    b"system-out" if failure.is_some() => sink = Sink::FailureOut,
                    b"system-err" if failure.is_some() => sink = Sink::FailureErr,
                    b"stackTrace" if failure.is_some() => sink = Sink::FailureText,
                    b"system-out" if case.is_some() => sink = Sink::CaseOut,
                    b"system-err" if case.is_some() => sink = Sink::CaseErr,
                    _ => {}
                }
                if empty {
                    close(&name, &mut case, &mut failure, &mut cases, &mut sink);
                } else {
                    stack.push(name);
                }
            }
            Event::End(_) => {
                if let Some(name) = stack.pop() {
                    close(&name, &mut case, &mut failure, &mut cases, &mut sink);
                }
            }
            Event::Text(t) => {
                let text = t.xml_content().unwrap_or(Cow::Borrowed(""));
                push_text(sink, &mut case, &mut failure, &text);
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t).into_owned();
                push_text(sink, &mut case, &mut failure, &text);
            }
            Event::GeneralRef(r) => push_text(sink, &mut case, &mut failure, &entity(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(cases)
}

fn push_text(sink: Sink, case: &mut Option<Case>, failure: &mut Option<Failure>, text: &str) {
    let target = match (sink, case.as_mut(), failure.as_mut()) {
        (Sink::CaseOut, Some(c), _) => &mut c.stdout,
        (Sink::CaseErr, Some(c), _) => &mut c.stderr,
        (Sink::FailureText, _, Some(f)) => &mut f.text,
        (Sink::FailureOut, _, Some(f)) => &mut f.stdout,
        (Sink::FailureErr, _, Some(f)) => &mut f.stderr,
        _ => return,
    };
    target.push_str(text);
}

fn close(
    name: &[u8],
    case: &mut Option<Case>,
    failure: &mut Option<Failure>,
    cases: &mut Vec<Case>,
    sink: &mut Sink,
) {
    match name {
        b"testcase" => {
            if let Some(c) = case.take() {
                cases.push(c);
            }
            *sink = Sink::None;
        }
        b"failure" | b"error" | b"flakyFailure" | b"rerunFailure" | b"flakyError"
        | b"rerunError" => {
            if let (Some(f), Some(c)) = (failure.take(), case.as_mut()) {
                if f.element == "failure" || f.element == "error" {
                    c.failure = Some(f);
                } else {
                    c.retries.push(f);
                }
            }
            *sink = Sink::None;
        }
        b"system-out" | b"system-err" | b"stackTrace" => {
            *sink = if failure.is_some() {
                Sink::FailureText
            } else {
                Sink::None
            };
        }
        _ => {}
    }
}

/// What to add to one `<testcase>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Enrichment {
    /// `<property name=".." value=".."/>`, in order.
    pub(crate) properties: Vec<(String, String)>,
    /// Paths written as `[[ATTACHMENT|path]]` lines in `<system-out>`.
    pub(crate) attachments: Vec<String>,
}

/// Copies `xml`, adding to each `<testcase>` found in `enrich` (by
/// `(classname, name)`) its properties and attachment lines. Returns the
/// copy and how many test cases were enriched.
///
/// # Errors
///
/// The parser's message with the byte position, for a file that is not
/// well-formed XML.
pub(crate) fn enrich(
    xml: &str,
    enrich: &HashMap<(String, String), Enrichment>,
) -> Result<(String, usize), String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + enrich.len() * 256));
    let io = |e: std::io::Error| e.to_string();
    let mut depth = 0usize;
    // The enrichment of the open test case: its depth, whether its
    // attachments are written yet.
    let mut open: Option<(&Enrichment, usize, bool)> = None;
    let mut count = 0;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        match &event {
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                depth += 1;
                writer.write_event(event.borrow()).map_err(io)?;
                if let Some(found) = lookup(e, enrich) {
                    write_properties(&mut writer, found).map_err(io)?;
                    open = Some((found, depth, false));
                    count += 1;
                }
                continue;
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                if let Some(found) = lookup(e, enrich) {
                    writer.write_event(Event::Start(e.borrow())).map_err(io)?;
                    write_properties(&mut writer, found).map_err(io)?;
                    write_system_out(&mut writer, found).map_err(io)?;
                    writer
                        .write_event(Event::End(BytesEnd::new("testcase")))
                        .map_err(io)?;
                    count += 1;
                    continue;
                }
            }
            Event::Empty(e) if e.name().as_ref() == b"system-out" => {
                if let Some((found, at, done)) = open.as_mut() {
                    if *at == depth && !*done {
                        write_system_out(&mut writer, found).map_err(io)?;
                        *done = true;
                        continue;
                    }
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(e) => {
                if let Some((found, at, done)) = open.as_mut() {
                    let name = e.name();
                    if *at + 1 == depth && name.as_ref() == b"system-out" && !*done {
                        write_lines(&mut writer, found, true).map_err(io)?;
                        *done = true;
                    } else if *at == depth && name.as_ref() == b"testcase" {
                        if !*done {
                            write_system_out(&mut writer, found).map_err(io)?;
                        }
                        open = None;
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
        writer.write_event(event).map_err(io)?;
    }
    let bytes = writer.into_inner();
    Ok((String::from_utf8_lossy(&bytes).into_owned(), count))
}

fn lookup<'a>(
    e: &BytesStart<'_>,
    enrich: &'a HashMap<(String, String), Enrichment>,
) -> Option<&'a Enrichment> {
    let key = (
        attr(e, b"classname").unwrap_or_default(),
        attr(e, b"name").unwrap_or_default(),
    );
    enrich.get(&key)
}

fn write_properties(w: &mut Writer<Vec<u8>>, found: &Enrichment) -> std::io::Result<()> {
    if found.properties.is_empty() {
        return Ok(());
    }
    w.write_event(Event::Start(BytesStart::new("properties")))?;
    for (name, value) in &found.properties {
        let property = BytesStart::new("property")
            .with_attributes([("name", name.as_str()), ("value", value.as_str())]);
        w.write_event(Event::Empty(property))?;
    }
    w.write_event(Event::End(BytesEnd::new("properties")))
}

fn write_system_out(w: &mut Writer<Vec<u8>>, found: &Enrichment) -> std::io::Result<()> {
    if found.attachments.is_empty() {
        return Ok(());
    }
    w.write_event(Event::Start(BytesStart::new("system-out")))?;
    write_lines(w, found, false)?;
    w.write_event(Event::End(BytesEnd::new("system-out")))
}

fn write_lines(w: &mut Writer<Vec<u8>>, found: &Enrichment, after: bool) -> std::io::Result<()> {
    let mut text = String::new();
    if after && !found.attachments.is_empty() {
        text.push('\n');
    }
    for path in &found.attachments {
        text.push_str("[[ATTACHMENT|");
        text.push_str(path);
        text.push_str("]]\n");
    }
    w.write_event(Event::Text(BytesText::new(&text)))
}

#[cfg(test)]
mod should {
    use super::*;

    const NEXTEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="3" failures="1" errors="0" uuid="u" timestamp="t" time="1.0">
    <testsuite name="demo::flow" tests="3" disabled="0" errors="0" failures="1">
        <testcase name="ok" classname="demo::flow" timestamp="t" time="0.01">
        </testcase>
        <testcase name="bad" classname="demo::flow" timestamp="t" time="0.02">
            <failure message="thread &apos;bad&apos; panicked at src/x.rs:3:5" type="test failure">a &lt;b&gt; &amp; c</failure>
            <rerunFailure message="panicked" type="test failure"><system-out>first try</system-out></rerunFailure>
            <system-out>out &amp; more</system-out>
            <system-err><![CDATA[err <raw>]]></system-err>
        </testcase>
        <testcase name="flaky" classname="demo::flow" timestamp="t" time="0.03"><flakyFailure message="m" type="test failure"><stackTrace>st</stackTrace><system-err>e1</system-err></flakyFailure></testcase>
        <testcase name="crash" classname="demo::flow" timestamp="t" time="0.03"><failure message="thread panicked" type="test failure"/><rerunFailure message="process aborted with signal 6 (SIGABRT)" type="test abort"/></testcase>
        <testcase name="bare" classname="demo::flow"/>
        <testcase name="empty-out" classname="demo::flow"><system-out/><system-err/></testcase>
    </testsuite>
</testsuites>
"#;

    #[test]
    fn read_outcomes_retries_and_output() {
        let cases = parse(NEXTEST).unwrap();
        assert_eq!(cases.len(), 6);
        assert!(cases[0].failure.is_none() && cases[0].retries.is_empty());
        let bad = &cases[1];
        let failure = bad.failure.as_ref().unwrap();
        assert_eq!(failure.message, "thread 'bad' panicked at src/x.rs:3:5");
        assert_eq!(failure.text, "a <b> & c");
        assert_eq!(bad.stdout, "out & more");
        assert_eq!(bad.stderr, "err <raw>");
        assert_eq!(bad.retries.len(), 1);
        assert_eq!(bad.retries[0].stdout, "first try");
        assert_eq!(bad.attempts(), 2);
        assert!(!bad.is_flaky() && !bad.is_crash());
        assert!(cases[2].is_flaky());
        assert_eq!(cases[2].retries[0].text, "st");
        assert_eq!(cases[2].retries[0].stderr, "e1");
        assert!(cases[3].is_crash(), "the last attempt decides");
        assert_eq!(
            cases[3].last_failure().unwrap().message,
            "process aborted with signal 6 (SIGABRT)"
        );
    }

    #[test]
    fn name_the_target_of_a_binary_id() {
        assert_eq!(target_of("logged-test::inherit"), "inherit");
        assert_eq!(target_of("logged-test"), "logged_test");
        assert_eq!(target_of("my-crate::bin/my-tool"), "my_tool");
    }

    #[test]
    fn enrich_only_the_named_cases_and_keep_the_rest() {
        let mut map = HashMap::new();
        let e = Enrichment {
            properties: vec![("logged-test.log".into(), "/l/a&b.log".into())],
            attachments: vec!["/l/a&b.log".into()],
        };
        for name in ["bad", "flaky", "bare", "empty-out"] {
            map.insert(("demo::flow".to_owned(), name.to_owned()), e.clone());
        }
        let (out, count) = enrich(NEXTEST, &map).unwrap();
        assert_eq!(count, 4);
        assert_eq!(
            out.matches("<system-out").count(),
            NEXTEST.matches("<system-out").count() + 2,
            "an empty <system-out/> is filled, not doubled: {out}"
        );
        assert_eq!(
            parse(&out).unwrap()[5].stdout,
            "[[ATTACHMENT|/l/a&b.log]]\n"
        );
        let cases = parse(&out).unwrap();
        let original = parse(NEXTEST).unwrap();
        assert_eq!(cases[0], original[0], "an unnamed case is unchanged");
        assert_eq!(cases[3], original[3]);
        assert_eq!(cases[1].stdout, "out & more\n[[ATTACHMENT|/l/a&b.log]]\n");
        assert_eq!(cases[2].stdout, "[[ATTACHMENT|/l/a&b.log]]\n");
        assert_eq!(cases[4].stdout, "[[ATTACHMENT|/l/a&b.log]]\n");
        assert_eq!(cases[1].failure, original[1].failure);
        assert_eq!(cases[1].retries, original[1].retries);
        assert_eq!(
            out.matches("<property name=\"logged-test.log\" value=\"/l/a&amp;b.log\"/>")
                .count(),
            4
        );
    }

    #[test]
    fn refuse_malformed_xml_with_a_position() {
        let err = parse("<testsuites><testcase></testsuites>").unwrap_err();
        assert!(err.starts_with("at byte"), "{err}");
    }
}
