//! Reading `manifest.jsonl` files: one JSON object per line, written by
//! `logged-test` in each `LOGGED_TEST_DIR` (one directory per shard).
//!
//! Every field but `test` is optional and unknown fields are ignored, so a
//! manifest written by an older or newer `logged-test` still reads.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Name of the manifest in each directory.
pub(crate) const MANIFEST_FILE: &str = "manifest.jsonl";

/// What a test's run ended as, as one manifest line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    Passed,
    Failed,
    /// The test's process died (a signal, an abort) before the test ended.
    Crashed,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Crashed => "crashed",
        }
    }
}

/// Record counts by level, `[error, warn, info, debug, trace]`.
pub(crate) type Levels = [u64; 5];

/// Level names in the order of [`Levels`].
pub(crate) const LEVEL_NAMES: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// One manifest line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// The directory given on the command line that holds the manifest.
    pub(crate) dir: PathBuf,
    /// 1-based line number in the manifest, for messages.
    pub(crate) line_no: usize,
    pub(crate) test: String,
    pub(crate) binary: Option<String>,
    /// The log path as written (absolute on the machine that ran the test).
    pub(crate) log: Option<String>,
    pub(crate) log_note: Option<String>,
    pub(crate) outcome: Outcome,
    pub(crate) records: Option<u64>,
    pub(crate) levels: Option<Levels>,
    pub(crate) attempt: Option<u32>,
    pub(crate) attempts: Option<u32>,
    pub(crate) run_id: Option<String>,
}

/// The lines of the manifests of `dirs`, and a message for each problem
/// (a missing directory or manifest, a line that is not a manifest line).
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub(crate) lines: Vec<Line>,
    /// Problems that lose a whole directory: the run is incomplete.
    pub(crate) errors: Vec<String>,
    /// Problems that lose one line.
    pub(crate) warnings: Vec<String>,
}

/// Reads the manifest of each directory, continuing past every problem.
pub(crate) fn read_dirs(dirs: &[PathBuf]) -> Read {
    let mut read = Read::default();
    for dir in dirs {
        if !dir.is_dir() {
            read.errors.push(format!(
                "`{}` is not a directory; give the `LOGGED_TEST_DIR` of each shard (the report \
                 is made from the others)",
                dir.display()
            ));
            continue;
        }
        let path = dir.join(MANIFEST_FILE);
        let text = match fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                read.errors.push(format!(
                    "cannot read `{}`: {e}; was `LOGGED_TEST_DIR` set to this directory when the \
                     tests ran? (the report is made from the other directories)",
                    path.display()
                ));
                continue;
            }
        };
        for (i, raw) in text.lines().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            match parse_line(dir, i + 1, raw) {
                Ok(line) => read.lines.push(line),
                Err(why) => {
                    read.warnings
                        .push(format!("{}:{}: {why}; line skipped", path.display(), i + 1))
                }
            }
        }
    }
    read
}

/// Parses one manifest line.
///
/// # Errors
///
/// A message saying what is wrong with the line: not JSON, not an object,
/// no `test` string, or a known field of the wrong type.
pub(crate) fn parse_line(dir: &Path, line_no: usize, raw: &str) -> Result<Line, String> {
    let value: Value = serde_json::from_str(raw).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(map) = value else {
        return Err("not a JSON object".to_owned());
    };
    let test = match map.get("test") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err("no `test` string".to_owned()),
    };
    let opt_str = |key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("`{key}` is {other}, expected a string or null")),
        }
    };
    let opt_u64 = |key: &str| -> Result<Option<u64>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("`{key}` is {v}, expected a whole number")),
        }
    };
    let opt_u32 = |key: &str| -> Result<Option<u32>, String> {
        opt_u64(key)?
            .map(|n| u32::try_from(n).map_err(|_| format!("`{key}` is {n}, too large")))
            .transpose()
    };
    let outcome = match opt_str("outcome")?.as_deref() {
        Some("passed") => Outcome::Passed,
        Some("failed") => Outcome::Failed,
        Some("crashed") => Outcome::Crashed,
        Some(other) => {
            return Err(format!(
                "unknown `outcome` {other:?}; expected \"passed\", \"failed\" or \"crashed\""
            ));
        }
        None => return Err("no `outcome`".to_owned()),
    };
    let levels = match map.get("levels") {
        None | Some(Value::Null) => None,
        Some(Value::Object(levels)) => {
            let mut counts = [0u64; 5];
            for (slot, name) in counts.iter_mut().zip(LEVEL_NAMES) {
                *slot = levels.get(name).and_then(Value::as_u64).unwrap_or(0);
            }
            Some(counts)
        }
        Some(other) => return Err(format!("`levels` is {other}, expected an object")),
    };
    Ok(Line {
        dir: dir.to_path_buf(),
        line_no,
        test,
        binary: opt_str("binary")?,
        log: opt_str("log")?,
        log_note: opt_str("log_note")?,
        outcome,
        records: opt_u64("records")?,
        levels,
        attempt: opt_u32("attempt")?,
        attempts: opt_u32("attempts")?,
        run_id: opt_str("run_id")?,
    })
}

/// Finds a manifest's log file: at the path written if it exists there,
/// else under `dir` by its last components (`<binary>/<test>/<file>`, or
/// deeper for per-attempt folders), for artifacts downloaded elsewhere.
pub(crate) fn locate_log(dir: &Path, written: &str) -> Option<PathBuf> {
    let path = Path::new(written);
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    let parts: Vec<_> = path.components().collect();
    // Try the longest suffix first: `attempt-2/x.log` alone is ambiguous.
    for take in (1..=parts.len().min(4)).rev() {
        let mut candidate = dir.to_path_buf();
        for part in parts.iter().skip(parts.len() - take) {
            candidate.push(part);
        }
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    None
}

/// Log files under `dir` (`<binary>/<test>/.../*.log`), for logs that no
/// manifest line names: a test whose process died leaves its log but no line.
pub(crate) fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && depth < 4 {
                stack.push((path, depth + 1));
            } else if kind.is_file() && depth >= 2 && path.extension().is_some_and(|e| e == "log") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn read_every_field_of_the_schema() {
        let line = parse_line(
            Path::new("shard-1"),
            3,
            r#"{"test":"a::b","binary":"inherit","log":"/x/inherit/a__b/attempt-1/a__b.log","outcome":"crashed","records":3,"levels":{"error":1,"warn":2,"info":0,"debug":0,"trace":0},"attempt":1,"attempts":3,"run_id":"r-1"}"#,
        )
        .unwrap();
        assert_eq!(line.test, "a::b");
        assert_eq!(line.binary.as_deref(), Some("inherit"));
        assert_eq!(line.outcome, Outcome::Crashed);
        assert_eq!(line.records, Some(3));
        assert_eq!(line.levels, Some([1, 2, 0, 0, 0]));
        assert_eq!((line.attempt, line.attempts), (Some(1), Some(3)));
        assert_eq!(line.run_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn accept_missing_optional_and_unknown_fields() {
        let line = parse_line(
            Path::new("d"),
            1,
            r#"{"test":"t","outcome":"passed","from_the_future":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(line.outcome, Outcome::Passed);
        assert!(line.log.is_none() && line.levels.is_none() && line.attempt.is_none());
    }

    #[test]
    fn say_what_is_wrong_with_a_bad_line() {
        let cases = [
            ("{\"test\":", "not JSON"),
            ("[1]", "not a JSON object"),
            ("{\"outcome\":\"passed\"}", "no `test` string"),
            (
                "{\"test\":\"t\",\"outcome\":\"exploded\"}",
                "unknown `outcome`",
            ),
            (
                "{\"test\":\"t\",\"outcome\":\"passed\",\"attempt\":\"2\"}",
                "`attempt`",
            ),
            ("{\"test\":\"t\"}", "no `outcome`"),
        ];
        for (raw, expected) in cases {
            let err = parse_line(Path::new("d"), 1, raw).unwrap_err();
            assert!(err.contains(expected), "{raw}: {err}");
        }
    }

    #[test]
    fn report_missing_directories_and_bad_lines_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(MANIFEST_FILE),
            "{\"test\":\"ok\",\"outcome\":\"passed\"}\nnot json\n\n{\"test\":\"two\",\"outcome\":\"failed\"}\n",
        )
        .unwrap();
        let missing = dir.path().join("no-such-shard");
        let read = read_dirs(&[missing.clone(), dir.path().to_path_buf()]);
        assert_eq!(
            read.lines.len(),
            2,
            "the good lines after the bad one are read"
        );
        assert_eq!(read.errors.len(), 1);
        assert!(
            read.errors[0].contains("no-such-shard"),
            "{:?}",
            read.errors
        );
        assert_eq!(read.warnings.len(), 1);
        assert!(
            read.warnings[0].contains("manifest.jsonl:2: not JSON"),
            "{:?}",
            read.warnings
        );
    }

    #[test]
    fn find_a_log_moved_with_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("bin/t/t.log");
        fs::create_dir_all(log.parent().unwrap()).unwrap();
        fs::write(&log, "x\n").unwrap();
        let found = locate_log(dir.path(), "/ci/machine/logs/bin/t/t.log").unwrap();
        assert_eq!(found, log);
        assert_eq!(log_files(dir.path()), vec![log]);
        assert!(locate_log(dir.path(), "/ci/elsewhere/other.log").is_none());
    }
}
