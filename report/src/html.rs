//! `report.html`: one self-contained file (no network, no external asset).
//!
//! The run is embedded as JSON in `<script type="application/json">`
//! elements, one for the tests and one per log, and `report.js` renders it:
//! the summary and the non-passing tests' headers at load, a test's details
//! and log when it is opened, the passing tests when their list is opened,
//! and of a long log only the lines on screen. So a run of 10,000 tests with
//! logs of 100,000 lines opens at once.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::junit::{Case, Failure};
use crate::manifest::Outcome;
use crate::model::{Attempt, Run, Status, Test};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// What the page says about where it came from.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) dirs: &'a [PathBuf],
    pub(crate) junit: &'a [PathBuf],
    /// Problems with the input, shown at the top.
    pub(crate) problems: &'a [String],
    /// The folder `report.html` is written to, for relative links.
    pub(crate) out_dir: &'a Path,
}

/// Renders the page. Logs of failing, crashed and flaky tests are read and
/// embedded; a log that cannot be read is named with the reason.
pub(crate) fn render(run: &Run, cx: &Context<'_>) -> String {
    let mut logs = Logs::default();
    let tests: Vec<Value> = run
        .tests
        .iter()
        .map(|t| test_json(t, cx, &mut logs))
        .collect();
    let logs = logs.texts;
    let binaries: Vec<Value> = run
        .per_binary
        .iter()
        .map(|(name, c)| json!([name, c.passed, c.failed, c.crashed, c.flaky]))
        .collect();
    let data = json!({
        "dirs": cx.dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
        "junit": cx.junit.iter().map(|j| j.display().to_string()).collect::<Vec<_>>(),
        "problems": cx.problems,
        "total": {
            "passed": run.total.passed,
            "failed": run.total.failed,
            "crashed": run.total.crashed,
            "flaky": run.total.flaky,
        },
        "binaries": binaries,
        "tests": tests,
    });
    let mut page = String::with_capacity(64 * 1024 + logs.iter().map(String::len).sum::<usize>());
    page.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>logged-test report</title>\n<style>",
    );
    page.push_str(CSS);
    page.push_str("</style></head>\n<body>\n<noscript>This report needs JavaScript to show the tests.</noscript>\n");
    // A static summary, so the counts read even where scripts are off.
    let _ = write!(
        page,
        "<header><h1>logged-test report</h1><p id=\"summary\">{} tests: \
         <span class=\"count passed\" id=\"count-passed\">{}</span> passed, \
         <span class=\"count failed\" id=\"count-failed\">{}</span> failed, \
         <span class=\"count crashed\" id=\"count-crashed\">{}</span> crashed, \
         <span class=\"count flaky\" id=\"count-flaky\">{}</span> flaky</p></header>\n\
         <main id=\"app\"></main>\n",
        run.total.total(),
        run.total.passed,
        run.total.failed,
        run.total.crashed,
        run.total.flaky
    );
    push_json_script(&mut page, "data", &data.to_string());
    for (i, log) in logs.iter().enumerate() {
        // A JSON string, so the log's text cannot end the script element.
        let text = Value::String(log.clone()).to_string();
        push_json_script(&mut page, &format!("log-{i}"), &text);
    }
    page.push_str("<script>");
    page.push_str(JS);
    page.push_str("</script>\n</body></html>\n");
    page
}

/// `<script type="application/json">` with every `<` escaped: the text can
/// neither close the element nor open a comment.
fn push_json_script(page: &mut String, id: &str, json: &str) {
    let _ = write!(page, "<script type=\"application/json\" id=\"{id}\">");
    page.push_str(&json.replace('<', "\\u003c"));
    page.push_str("</script>\n");
}

/// The embedded logs, each file once (a retried test's attempts may name
/// the same file).
#[derive(Debug, Default)]
struct Logs {
    texts: Vec<String>,
    index: HashMap<PathBuf, usize>,
}

/// The most of one log embedded in the page: its last 32 MiB (about
/// 300,000 lines), from a line start; the file has the rest.
const MAX_EMBEDDED_LOG: usize = 32 << 20;

/// `bytes` as embedded: whole, or the tail after a line saying what is left out.
fn embedded_text(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let from = bytes.len() - max;
    let start = bytes
        .iter()
        .skip(from)
        .position(|&b| b == b'\n')
        .map_or(from, |p| from + p + 1);
    let tail = bytes.get(start..).unwrap_or_default();
    format!(
        "[logged-test report: the first {start} bytes of this log are not embedded; open the file for them]\n{}",
        String::from_utf8_lossy(tail)
    )
}

impl Logs {
    fn embed(&mut self, path: &Path) -> std::io::Result<usize> {
        if let Some(&i) = self.index.get(path) {
            return Ok(i);
        }
        let bytes = fs::read(path)?;
        self.texts.push(embedded_text(&bytes, MAX_EMBEDDED_LOG));
        let i = self.texts.len() - 1;
        self.index.insert(path.to_path_buf(), i);
        Ok(i)
    }
}

fn test_json(test: &Test, cx: &Context<'_>, logs: &mut Logs) -> Value {
    let mut obj = Map::new();
    obj.insert("b".into(), test.binary.clone().into());
    obj.insert("n".into(), test.name.clone().into());
    obj.insert("s".into(), test.status.as_str().into());
    if test.outside_junit {
        obj.insert("u".into(), 1.into());
    }
    if test.status == Status::Passed && test.attempts.len() <= 1 && test.notes.is_empty() {
        // The common case stays small: 10,000 of these are about 0.6 MB.
        if let Some(a) = test.attempts.first().and_then(|a| a.log.as_deref()) {
            obj.insert("href".into(), href(cx.out_dir, a).into());
        }
        return Value::Object(obj);
    }
    let embed = test.status != Status::Passed;
    let attempts: Vec<Value> = test
        .attempts
        .iter()
        .map(|a| attempt_json(a, cx, embed, logs))
        .collect();
    obj.insert("a".into(), attempts.into());
    if let Some(n) = test.attempts_allowed {
        obj.insert("allowed".into(), n.into());
    }
    if let Some(d) = &test.duplicate {
        obj.insert("dup".into(), d.clone().into());
    }
    if !test.notes.is_empty() {
        obj.insert("notes".into(), test.notes.clone().into());
    }
    if let Some(case) = &test.junit {
        obj.insert("j".into(), case_json(case));
    }
    if let Some(key) = test.key_attempt() {
        obj.insert("key".into(), key.number.into());
    }
    Value::Object(obj)
}

fn attempt_json(a: &Attempt, cx: &Context<'_>, embed: bool, logs: &mut Logs) -> Value {
    let mut obj = Map::new();
    obj.insert("n".into(), a.number.into());
    obj.insert("o".into(), a.outcome.as_str().into());
    obj.insert("src".into(), a.source.clone().into());
    if let Some(r) = a.records {
        obj.insert("rec".into(), r.into());
    }
    if let Some(l) = a.levels {
        obj.insert("lv".into(), json!(l));
    }
    if let Some(r) = &a.run_id {
        obj.insert("run".into(), r.clone().into());
    }
    if let Some(note) = &a.log_note {
        obj.insert("note".into(), note.clone().into());
    }
    if let Some(log) = &a.log {
        obj.insert("path".into(), log.display().to_string().into());
        obj.insert("href".into(), href(cx.out_dir, log).into());
        if embed || a.outcome != Outcome::Passed {
            match logs.embed(log) {
                Ok(i) => {
                    obj.insert("L".into(), i.into());
                }
                Err(e) => {
                    obj.insert("note".into(), format!("cannot read the log: {e}").into());
                }
            }
        }
    }
    Value::Object(obj)
}

fn failure_json(f: &Failure) -> Value {
    let mut obj = Map::new();
    obj.insert("el".into(), f.element.clone().into());
    for (key, value) in [
        ("msg", &f.message),
        ("type", &f.kind),
        ("text", &f.text),
        ("out", &f.stdout),
        ("err", &f.stderr),
    ] {
        if !value.trim().is_empty() {
            obj.insert(key.into(), value.clone().into());
        }
    }
    Value::Object(obj)
}

fn case_json(case: &Case) -> Value {
    let mut obj = Map::new();
    obj.insert("id".into(), case.classname.clone().into());
    if let Some(t) = &case.time {
        obj.insert("time".into(), t.clone().into());
    }
    if let Some(f) = &case.failure {
        obj.insert("failure".into(), failure_json(f));
    }
    if !case.retries.is_empty() {
        obj.insert(
            "retries".into(),
            case.retries
                .iter()
                .map(failure_json)
                .collect::<Vec<_>>()
                .into(),
        );
    }
    if !case.stdout.trim().is_empty() {
        obj.insert("out".into(), case.stdout.clone().into());
    }
    if !case.stderr.trim().is_empty() {
        obj.insert("err".into(), case.stderr.clone().into());
    }
    Value::Object(obj)
}

/// A link from the report's folder to `target`: relative when both are on
/// this machine (so the folder can be moved or uploaded whole), percent-encoded.
pub(crate) fn href(from_dir: &Path, target: &Path) -> String {
    let abs = |p: &Path| p.canonicalize().or_else(|_| std::path::absolute(p));
    let (Ok(from), Ok(to)) = (abs(from_dir), abs(target)) else {
        return encode(&target.display().to_string());
    };
    let from_parts: Vec<Component<'_>> = from.components().collect();
    let to_parts: Vec<Component<'_>> = to.components().collect();
    let common = from_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return format!("file://{}", encode(&to.display().to_string()));
    }
    let mut rel = String::new();
    for _ in common..from_parts.len() {
        rel.push_str("../");
    }
    let rest: Vec<String> = to_parts
        .iter()
        .skip(common)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    rel.push_str(&rest.join("/"));
    encode(&rel)
}

fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn link_relative_to_the_report_and_encode() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let log = dir.path().join("shard 1/bin/t#1/t.log");
        fs::create_dir_all(&out).unwrap();
        fs::create_dir_all(log.parent().unwrap()).unwrap();
        fs::write(&log, "x").unwrap();
        assert_eq!(href(&out, &log), "../shard%201/bin/t%231/t.log");
    }

    #[test]
    fn embed_the_tail_of_a_huge_log_from_a_line_start() {
        assert_eq!(embedded_text(b"a\nb\n", 10), "a\nb\n");
        let text = embedded_text(b"first line\nsecond\nthird\n", 10);
        assert_eq!(
            text,
            "[logged-test report: the first 18 bytes of this log are not embedded; open the file for them]\nthird\n"
        );
    }

    #[test]
    fn keep_a_log_from_closing_its_script_element() {
        let mut page = String::new();
        push_json_script(&mut page, "log-0", "\"</script><!-- x\"");
        assert!(!page.contains("</script><"), "{page}");
        assert!(page.ends_with("</script>\n"));
        assert_eq!(page.matches("</script>").count(), 1);
    }
}
