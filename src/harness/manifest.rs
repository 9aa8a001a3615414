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

pub use crate::engine::session::MANIFEST_FILE;

/// `LOGGED_TEST_DIR`, opened once per process: the manifest is always
/// appended to in that directory, whatever later happens to its path.
static DIR: OnceLock<io::Result<LogDir>> = OnceLock::new();
/// Set once a failure to append has been printed.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// What one manifest line says about a test.
#[derive(Debug, Default)]
pub(crate) struct Line<'a> {
    pub(crate) test: &'a str,
    /// The test target's name (`inherit`, the crate's for its unit tests).
    pub(crate) binary: &'a str,
    /// The kept log file, if any.
    pub(crate) log: Option<&'a Path>,
    /// Why there is no log, or what went wrong with it, when it is not the
    /// usual (not kept because the test passed).
    pub(crate) note: Option<&'a str>,
    pub(crate) failed: bool,
    pub(crate) logs: Option<&'a CapturedLogs>,
    /// 1-based, when the test may be retried or nextest says.
    pub(crate) attempt: Option<u32>,
    /// How many attempts the test may have, when known.
    pub(crate) attempts: Option<u32>,
    /// nextest's `NEXTEST_RUN_ID`.
    pub(crate) run_id: Option<&'a str>,
}

pub(crate) fn append(line: &Line<'_>) {
    let Ok(settings) = crate::env::settings() else {
        return;
    };
    let Some(dir) = &settings.dir else { return };
    let dir = crate::env::resolve_dir(dir).unwrap_or_else(|_| dir.clone());
    let text = render(line);
    let written = match DIR.get_or_init(|| {
        // A run whose tests all passed quickly made no test directory:
        // the manifest's directory may not exist yet.
        std::fs::create_dir_all(&dir)?;
        LogDir::open(&dir)
    }) {
        Ok(handle) => append_line(handle, &text),
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
        // To the real stderr: libtest captures `eprintln!` and shows it only
        // under a failing test, and the run may well be green.
        crate::harness::test_logs::print_to_real_stderr(&format!("{message}\n"));
    }
}

fn render(entry: &Line<'_>) -> String {
    // Counted streaming: a spilled log is never loaded whole.
    let levels = entry.logs.map_or([0usize; 5], CapturedLogs::level_counts);
    let mut line = String::from("{\"test\":");
    push_json_string(&mut line, entry.test);
    line.push_str(",\"binary\":");
    push_json_string(&mut line, entry.binary);
    // A passing test whose log was not kept has no file to point at; nor
    // has a failing one whose log could not be written.
    match entry.log {
        Some(log) => {
            line.push_str(",\"log\":");
            push_json_string(&mut line, &log.to_string_lossy());
        }
        None => line.push_str(",\"log\":null"),
    }
    let note = match (entry.note, entry.log, entry.failed) {
        (Some(note), _, _) => Some(note),
        (None, Some(_), _) => None,
        (None, None, true) => Some("not written: see the test's output"),
        (None, None, false) => Some("not kept: the test passed"),
    };
    if let Some(note) = note {
        line.push_str(",\"log_note\":");
        push_json_string(&mut line, note);
    }
    let outcome = if entry.failed { "failed" } else { "passed" };
    let records: usize = levels.iter().sum();
    let _ = write!(
        line,
        ",\"outcome\":\"{outcome}\",\"records\":{records},\"levels\":{{\"error\":{},\"warn\":{},\"info\":{},\"debug\":{},\"trace\":{}}}",
        levels[0], levels[1], levels[2], levels[3], levels[4]
    );
    if let Some(attempt) = entry.attempt {
        let _ = write!(line, ",\"attempt\":{attempt}");
    }
    if let Some(attempts) = entry.attempts {
        let _ = write!(line, ",\"attempts\":{attempts}");
    }
    if let Some(run_id) = entry.run_id {
        line.push_str(",\"run_id\":");
        push_json_string(&mut line, run_id);
    }
    line.push_str("}\n");
    line
}

/// The start of a test's line, `{"test":"...","binary":"..."` (with the
/// attempt fields where known), and its log part, `,"log":"..."`, for the
/// crash path to complete without allocating.
pub(crate) fn crash_line_parts(
    test: &str,
    binary: &str,
    attempt: (Option<u32>, Option<u32>),
    run_id: Option<&str>,
    log: &Path,
) -> (String, String) {
    let mut test_json = String::from("{\"test\":");
    push_json_string(&mut test_json, test);
    test_json.push_str(",\"binary\":");
    push_json_string(&mut test_json, binary);
    if let Some(attempt) = attempt.0 {
        let _ = write!(test_json, ",\"attempt\":{attempt}");
    }
    if let Some(attempts) = attempt.1 {
        let _ = write!(test_json, ",\"attempts\":{attempts}");
    }
    if let Some(run_id) = run_id {
        test_json.push_str(",\"run_id\":");
        push_json_string(&mut test_json, run_id);
    }
    let mut log_json = String::from(",\"log\":");
    push_json_string(&mut log_json, &log.to_string_lossy());
    (test_json, log_json)
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
        let line = render(&Line {
            test: "a\"b\\c\n",
            binary: "bin",
            log: Some(Path::new("/x.log")),
            failed: true,
            ..Line::default()
        });
        assert_eq!(
            line,
            "{\"test\":\"a\\\"b\\\\c\\n\",\"binary\":\"bin\",\"log\":\"/x.log\",\"outcome\":\"failed\",\"records\":0,\"levels\":{\"error\":0,\"warn\":0,\"info\":0,\"debug\":0,\"trace\":0}}\n"
        );
    }

    #[test]
    fn say_the_attempt_and_the_run_and_why_there_is_no_log() {
        let line = render(&Line {
            test: "t",
            binary: "b",
            note: Some("not removed: busy"),
            attempt: Some(2),
            attempts: Some(3),
            run_id: Some("r-1"),
            ..Line::default()
        });
        assert_eq!(
            line,
            "{\"test\":\"t\",\"binary\":\"b\",\"log\":null,\"log_note\":\"not removed: busy\",\"outcome\":\"passed\",\"records\":0,\"levels\":{\"error\":0,\"warn\":0,\"info\":0,\"debug\":0,\"trace\":0},\"attempt\":2,\"attempts\":3,\"run_id\":\"r-1\"}\n"
        );
    }
}
