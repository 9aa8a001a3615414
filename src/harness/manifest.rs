//! `LOGGED_TEST_DIR/manifest.jsonl`: one JSON line per test, for CI.
//!
//! Each line is written with a single `write` on a file opened with
//! `O_APPEND`, so lines from parallel tests and from nextest's many processes
//! never interleave.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::session::LogDir;
use crate::harness::captured::CapturedLogs;

/// Name of the manifest file in `LOGGED_TEST_DIR`.
pub const MANIFEST_FILE: &str = "manifest.jsonl";

/// `LOGGED_TEST_DIR`, opened once per process: the manifest is always
/// appended to in that directory, whatever later happens to its path.
static DIR: OnceLock<io::Result<LogDir>> = OnceLock::new();
/// Set once a failure to append has been printed.
static REPORTED: AtomicBool = AtomicBool::new(false);

pub(crate) fn append(test: &str, log: Option<&Path>, failed: bool, logs: Option<&CapturedLogs>) {
    let Ok(settings) = crate::env::settings() else {
        return;
    };
    let Some(dir) = &settings.dir else { return };
    let line = render(test, log, failed, logs);
    let written = match DIR.get_or_init(|| {
        // A run whose tests all passed quickly made no test directory:
        // the manifest's directory may not exist yet.
        std::fs::create_dir_all(dir)?;
        LogDir::open(dir)
    }) {
        Ok(handle) => append_line(handle, &line),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    };
    if let Err(e) = written {
        report_once(&dir.join(MANIFEST_FILE), &e);
    }
}

/// Appends `line` to the manifest in `dir` with one `write`, opening the
/// file relative to the directory handle: a symlink planted at its name is
/// refused, never written through.
fn append_line(dir: &LogDir, line: &str) -> io::Result<()> {
    dir.open_append(MANIFEST_FILE)?.write_all(line.as_bytes())
}

/// A manifest CI cannot trust is worth one line on stderr, not one per test.
fn report_once(path: &Path, error: &io::Error) {
    if !REPORTED.swap(true, Ordering::Relaxed) {
        let message = format!(
            "logged-test: could not append to the manifest `{}`: {error}; check that \
             `LOGGED_TEST_DIR` is a writable directory and that nothing else is at that \
             path (later failures of this process are not printed)",
            path.display()
        );
        // `eprintln!` panics if stderr is closed; this runs in a `Drop`.
        let _ = std::panic::catch_unwind(|| eprintln!("{message}"));
    }
}

fn render(test: &str, log: Option<&Path>, failed: bool, logs: Option<&CapturedLogs>) -> String {
    // Counted streaming: a spilled log is never loaded whole.
    let levels = logs.map_or([0usize; 5], CapturedLogs::level_counts);
    let mut line = String::from("{\"test\":");
    push_json_string(&mut line, test);
    // A passing test whose log was not kept has no file to point at; nor
    // has a failing one whose log could not be written.
    match log {
        Some(log) => {
            line.push_str(",\"log\":");
            push_json_string(&mut line, &log.to_string_lossy());
        }
        None if failed => {
            line.push_str(",\"log\":null,\"log_note\":\"not written: see the test's output\"");
        }
        None => line.push_str(",\"log\":null,\"log_note\":\"not kept: the test passed\""),
    }
    let outcome = if failed { "failed" } else { "passed" };
    let records: usize = levels.iter().sum();
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

    #[cfg(unix)]
    #[test]
    fn refuse_a_symlink_at_the_manifest_even_a_dangling_one() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let not_yet = outside.path().join("created-through-a-link");
        std::os::unix::fs::symlink(&not_yet, root.path().join(MANIFEST_FILE)).unwrap();
        let dir = LogDir::open(root.path()).unwrap();
        let err = append_line(&dir, "{}\n").unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
        assert!(
            !not_yet.exists(),
            "the manifest was created through the symlink"
        );

        std::fs::remove_file(root.path().join(MANIFEST_FILE)).unwrap();
        append_line(&dir, "{\"a\":1}\n").unwrap();
        append_line(&dir, "{\"b\":2}\n").unwrap();
        let text = std::fs::read_to_string(root.path().join(MANIFEST_FILE)).unwrap();
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
    }

    #[test]
    fn escape_json() {
        let line = render("a\"b\\c\n", Some(Path::new("/x.log")), true, None);
        assert_eq!(
            line,
            "{\"test\":\"a\\\"b\\\\c\\n\",\"log\":\"/x.log\",\"outcome\":\"failed\",\"records\":0,\"levels\":{\"error\":0,\"warn\":0,\"info\":0,\"debug\":0,\"trace\":0}}\n"
        );
    }
}
