//! `LOGGED_TEST_DIR/manifest.jsonl`: one JSON line per test, for CI.
//!
//! Each line is written with a single `write` on a file opened with
//! `O_APPEND`, so lines from parallel tests and from nextest's many processes
//! never interleave.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::captured::CapturedLogs;

/// Name of the manifest file in `LOGGED_TEST_DIR`.
pub const MANIFEST_FILE: &str = "manifest.jsonl";

pub(crate) fn append(test: &str, log: Option<&Path>, failed: bool, logs: Option<&CapturedLogs>) {
    let Ok(settings) = crate::env::settings() else {
        return;
    };
    let Some(dir) = &settings.dir else { return };
    let line = render(test, log, failed, logs);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(MANIFEST_FILE))
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        crate::diagnostics::emit(format_args!(
            "[MANIFEST] could not append to the manifest: {e}"
        ));
    }
}

fn render(test: &str, log: Option<&Path>, failed: bool, logs: Option<&CapturedLogs>) -> String {
    let mut levels = [0usize; 5];
    if let Some(logs) = logs {
        for record in logs.records() {
            levels[record.level as usize - 1] += 1;
        }
    }
    let mut line = String::from("{\"test\":");
    push_json_string(&mut line, test);
    // A passing test whose log was not kept has no file to point at.
    match log {
        Some(log) => {
            line.push_str(",\"log\":");
            push_json_string(&mut line, &log.to_string_lossy());
        }
        None => line.push_str(",\"log\":null,\"log_note\":\"not kept: the test passed\""),
    }
    let outcome = if failed { "failed" } else { "passed" };
    let records = logs.map_or(0, CapturedLogs::len);
    let _ = write!(
        line,
        ",\"outcome\":\"{outcome}\",\"records\":{records},\"levels\":{{\"error\":{},\"warn\":{},\"info\":{},\"debug\":{},\"trace\":{}}}}}",
        levels[0], levels[1], levels[2], levels[3], levels[4]
    );
    line.push('\n');
    line
}

fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn escape_json() {
        let line = render("a\"b\\c\n", Some(Path::new("/x.log")), true, None);
        assert_eq!(
            line,
            "{\"test\":\"a\\\"b\\\\c\\n\",\"log\":\"/x.log\",\"outcome\":\"failed\",\"records\":0,\"levels\":{\"error\":0,\"warn\":0,\"info\":0,\"debug\":0,\"trace\":0}}\n"
        );
    }
}
