//! One view of a run: the manifest lines of every shard and nextest's JUnit
//! cases merged per test, with each test's attempts and final status.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::junit::{self, Case};
use crate::manifest::{self, Levels, Line, Outcome};

/// A test's final status in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Crashed,
    Failed,
    Flaky,
    Passed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Crashed => "crashed",
            Status::Flaky => "flaky",
        }
    }
}

/// One attempt of a test, from one manifest line (or a log file no line
/// names).
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// 1-based; from the manifest's `attempt`, else the line's order.
    pub(crate) number: u32,
    pub(crate) outcome: Outcome,
    /// The log file found on this machine.
    pub(crate) log: Option<PathBuf>,
    /// Why there is no log file to show.
    pub(crate) log_note: Option<String>,
    pub(crate) records: Option<u64>,
    pub(crate) levels: Option<Levels>,
    pub(crate) run_id: Option<String>,
    /// `<manifest path>:<line>`, or the log's path for a log without a line.
    pub(crate) source: String,
}

/// One test of the run.
#[derive(Debug, Clone)]
pub(crate) struct Test {
    /// The test target (`inherit`, `my_crate` for unit tests), or `?`.
    pub(crate) binary: String,
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) attempts: Vec<Attempt>,
    /// Total attempts allowed, when known.
    pub(crate) attempts_allowed: Option<u32>,
    /// The shard directories the test's lines came from.
    pub(crate) dirs: BTreeSet<PathBuf>,
    /// Set when the test ran in more than one shard (or twice in one run).
    pub(crate) duplicate: Option<String>,
    pub(crate) junit: Option<Case>,
    /// Things the reader should know (disagreements, a missing line).
    pub(crate) notes: Vec<String>,
    /// JUnit files were given and none has this test: a `TestLogs` or
    /// collector a test named itself (several per test, or inside a test
    /// that expects a panic), or a shard whose JUnit file is missing. Not
    /// counted in the summary, which then follows nextest's test cases.
    pub(crate) outside_junit: bool,
}

impl Test {
    /// The attempt whose log tells most: the last failing one, else the last.
    pub(crate) fn key_attempt(&self) -> Option<&Attempt> {
        self.attempts
            .iter()
            .rev()
            .find(|a| a.outcome != Outcome::Passed && a.log.is_some())
            .or_else(|| self.attempts.iter().rev().find(|a| a.log.is_some()))
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) crashed: usize,
    pub(crate) flaky: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, status: Status) {
        match status {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::Crashed => self.crashed += 1,
            Status::Flaky => self.flaky += 1,
        }
    }

    pub(crate) fn total(&self) -> usize {
        self.passed + self.failed + self.crashed + self.flaky
    }
}

/// The merged run.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// Sorted: crashed, failed, flaky, passed; then binary and name.
    pub(crate) tests: Vec<Test>,
    pub(crate) total: Counts,
    pub(crate) per_binary: BTreeMap<String, Counts>,
    /// JUnit cases matched to manifest tests.
    pub(crate) matched: usize,
    /// Manifest tests that no JUnit case has (see [`Test::outside_junit`]).
    pub(crate) outside_junit: Counts,
}

/// The binary a manifest line belongs to: its `binary` field, else the
/// folder above the test's folder in its log path.
fn binary_of(line: &Line) -> Option<String> {
    if let Some(b) = &line.binary {
        return Some(b.replace('-', "_"));
    }
    let log = Path::new(line.log.as_deref()?);
    let mut dirs = log.parent()?.ancestors().filter_map(Path::file_name);
    let mut test_dir = dirs.next()?;
    if test_dir.to_string_lossy().starts_with("attempt-") {
        test_dir = dirs.next()?;
    }
    let _ = test_dir;
    dirs.next().map(|b| b.to_string_lossy().replace('-', "_"))
}

/// `file_stem` of the library: a test's folder name.
pub(crate) fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Merges the manifest lines, nextest's JUnit cases (if any) and the log
/// files of `dirs` that no line names.
pub(crate) fn merge(lines: Vec<Line>, cases: Vec<Case>, dirs: &[PathBuf]) -> Run {
    // Group lines by (binary, test); lines whose binary is unknown join the
    // one group of that name if there is exactly one.
    let mut groups: BTreeMap<(String, String), Vec<Line>> = BTreeMap::new();
    let mut unknown: Vec<Line> = Vec::new();
    for line in lines {
        match binary_of(&line) {
            Some(b) => groups.entry((b, line.test.clone())).or_default().push(line),
            None => unknown.push(line),
        }
    }
    let mut by_name: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for key in groups.keys() {
        by_name.entry(key.1.clone()).or_default().push(key.clone());
    }
    for line in unknown {
        let key = match by_name.get(&line.test).map(Vec::as_slice) {
            Some([only]) => only.clone(),
            _ => ("?".to_owned(), line.test.clone()),
        };
        groups.entry(key).or_default().push(line);
    }

    let mut tests: BTreeMap<(String, String), Test> = groups
        .into_iter()
        .map(|((binary, name), lines)| {
            let test = from_lines(binary.clone(), name.clone(), lines);
            ((binary, name), test)
        })
        .collect();

    // JUnit: the runner's verdict, retries and output.
    let have_junit = !cases.is_empty();
    let mut matched = 0;
    for case in cases {
        let binary = junit::target_of(&case.classname);
        let key = (binary.clone(), case.name.clone());
        let unknown_key = ("?".to_owned(), case.name.clone());
        let test = if tests.contains_key(&key) {
            matched += 1;
            tests.get_mut(&key)
        } else if tests.contains_key(&unknown_key) {
            matched += 1;
            let mut test = tests.remove(&unknown_key);
            if let Some(t) = test.as_mut() {
                t.binary = binary.clone();
            }
            tests
                .entry(key)
                .or_insert_with(|| test.unwrap_or_else(|| empty(&binary, &case.name)));
            tests.get_mut(&(binary.clone(), case.name.clone()))
        } else {
            if case.skipped {
                continue;
            }
            Some(
                tests
                    .entry(key)
                    .or_insert_with(|| empty(&binary, &case.name)),
            )
        };
        if let Some(test) = test {
            apply_case(test, case);
        }
    }

    // Log files no line names: a process that died before its test ended
    // (after JUnit, so such a log joins the test case nextest reported).
    let named: BTreeSet<PathBuf> = tests
        .values()
        .flat_map(|t| t.attempts.iter().filter_map(|a| a.log.clone()))
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    for dir in dirs {
        for log in manifest::log_files(dir) {
            if log.canonicalize().is_ok_and(|c| named.contains(&c)) {
                continue;
            }
            adopt_orphan(&mut tests, dir, log);
        }
    }

    let mut run = Run {
        matched,
        ..Run::default()
    };
    for mut test in tests.into_values() {
        if have_junit && test.junit.is_none() {
            test.outside_junit = true;
            run.outside_junit.add(test.status);
            run.tests.push(test);
            continue;
        }
        run.total.add(test.status);
        run.per_binary
            .entry(test.binary.clone())
            .or_default()
            .add(test.status);
        run.tests.push(test);
    }
    run.tests
        .sort_by(|a, b| (a.status, &a.binary, &a.name).cmp(&(b.status, &b.binary, &b.name)));
    run
}

fn empty(binary: &str, name: &str) -> Test {
    Test {
        binary: binary.to_owned(),
        name: name.to_owned(),
        status: Status::Passed,
        attempts: Vec::new(),
        attempts_allowed: None,
        dirs: BTreeSet::new(),
        duplicate: None,
        junit: None,
        notes: Vec::new(),
        outside_junit: false,
    }
}

fn from_lines(binary: String, name: String, mut lines: Vec<Line>) -> Test {
    let mut test = empty(&binary, &name);
    // Lines without `attempt` are attempts in the order each shard wrote them.
    let mut order: HashMap<PathBuf, u32> = HashMap::new();
    let mut seen: HashMap<(Option<String>, u32), PathBuf> = HashMap::new();
    let mut duplicates = Vec::new();
    lines.sort_by(|a, b| (&a.dir, a.line_no).cmp(&(&b.dir, b.line_no)));
    for line in &lines {
        let counter = order.entry(line.dir.clone()).or_insert(0);
        *counter += 1;
        let number = line.attempt.unwrap_or(*counter);
        let key = (line.run_id.clone(), number);
        if let Some(first) = seen.get(&key) {
            duplicates.push(format!(
                "attempt {number} is in both `{}` and `{}:{}`",
                first.join(manifest::MANIFEST_FILE).display(),
                line.dir.join(manifest::MANIFEST_FILE).display(),
                line.line_no
            ));
        } else {
            seen.insert(key, line.dir.clone());
        }
        test.dirs.insert(line.dir.clone());
        if let Some(total) = line.attempts {
            test.attempts_allowed = Some(test.attempts_allowed.map_or(total, |t| t.max(total)));
        }
        let log = line
            .log
            .as_deref()
            .and_then(|written| manifest::locate_log(&line.dir, written));
        let log_note = match (&log, &line.log) {
            (Some(_), _) => None,
            (None, Some(written)) => Some(format!(
                "the log `{written}` is not on this machine (was the directory uploaded whole?)"
            )),
            (None, None) => line.log_note.clone(),
        };
        test.attempts.push(Attempt {
            number,
            outcome: line.outcome,
            log,
            log_note,
            records: line.records,
            levels: line.levels,
            run_id: line.run_id.clone(),
            source: format!(
                "{}:{}",
                line.dir.join(manifest::MANIFEST_FILE).display(),
                line.line_no
            ),
        });
    }
    if test.dirs.len() > 1 {
        duplicates.insert(
            0,
            format!(
                "ran in {} shards: {}",
                test.dirs.len(),
                test.dirs
                    .iter()
                    .map(|d| format!("`{}`", d.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if !duplicates.is_empty() {
        test.duplicate = Some(duplicates.join("; "));
    }
    test.attempts
        .sort_by(|a, b| (a.run_id.as_deref(), a.number).cmp(&(b.run_id.as_deref(), b.number)));
    test.status = status_of(&test.attempts);
    test
}

fn status_of(attempts: &[Attempt]) -> Status {
    let Some(last) = attempts.last() else {
        return Status::Passed;
    };
    match last.outcome {
        Outcome::Crashed => Status::Crashed,
        Outcome::Failed => Status::Failed,
        Outcome::Passed if attempts.iter().any(|a| a.outcome != Outcome::Passed) => Status::Flaky,
        Outcome::Passed => Status::Passed,
    }
}

fn adopt_orphan(tests: &mut BTreeMap<(String, String), Test>, dir: &Path, log: PathBuf) {
    let rel: Vec<String> = log
        .strip_prefix(dir)
        .unwrap_or(&log)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let (binary, folder) = match rel.as_slice() {
        [b, t, ..] => (b.replace('-', "_"), t.clone()),
        _ => return,
    };
    let existing = tests
        .iter()
        .find(|((b, n), _)| *b == binary && file_stem(n) == folder)
        .map(|(k, _)| k.clone());
    let key = existing.unwrap_or_else(|| (binary.clone(), folder.clone()));
    let test = tests.entry(key).or_insert_with(|| empty(&binary, &folder));
    let number = test.attempts.iter().map(|a| a.number).max().unwrap_or(0) + 1;
    test.dirs.insert(dir.to_path_buf());
    test.notes.push(format!(
        "`{}` has no manifest line: the test's process ended before the test did (a crash \
         or a kill); crashed: no manifest line",
        log.display()
    ));
    test.attempts.push(Attempt {
        number,
        outcome: Outcome::Crashed,
        source: log.display().to_string(),
        log: Some(log),
        log_note: None,
        records: None,
        levels: None,
        run_id: None,
    });
    // nextest's verdict stands; without it, the log says the test died.
    if test.junit.is_none() {
        test.status = status_of(&test.attempts);
    }
}

fn apply_case(test: &mut Test, case: Case) {
    if let Some(earlier) = &test.junit {
        let note = format!(
            "nextest ran it more than once: it is in two JUnit files (as `{}`)",
            earlier.classname
        );
        test.duplicate = Some(match test.duplicate.take() {
            Some(d) => format!("{d}; {note}"),
            None => note,
        });
    }
    let from_manifest = test.status;
    let verdict = if case.is_crash() {
        Status::Crashed
    } else if case.failure.is_some() {
        Status::Failed
    } else if case.is_flaky() {
        Status::Flaky
    } else {
        Status::Passed
    };
    if test.attempts.is_empty() {
        test.status = verdict;
        if verdict == Status::Crashed {
            test.notes.push(
                "crashed: no manifest line (the process died before the test ended; status \
                 from nextest's JUnit)"
                    .to_owned(),
            );
        }
    } else {
        // nextest saw every attempt; the manifest misses those whose process died.
        let status = match (verdict, from_manifest) {
            (Status::Passed, Status::Crashed | Status::Failed) => {
                test.notes.push(format!(
                    "the manifest says {}, nextest says passed",
                    from_manifest.as_str()
                ));
                Status::Passed
            }
            (Status::Passed, s) => s,
            (v, _) => v,
        };
        test.status = status;
        let junit_attempts = u32::try_from(case.attempts()).unwrap_or(u32::MAX);
        let lines = u32::try_from(test.attempts.len()).unwrap_or(u32::MAX);
        if junit_attempts > lines && !test.attempts.is_empty() {
            test.notes.push(format!(
                "nextest ran {junit_attempts} attempts; the manifest has {lines} (an attempt \
                 whose process died writes none)"
            ));
        }
    }
    if !case.retries.is_empty() {
        let total = u32::try_from(case.attempts()).unwrap_or(u32::MAX);
        test.attempts_allowed = Some(test.attempts_allowed.map_or(total, |t| t.max(total)));
    }
    test.junit = Some(case);
}

#[cfg(test)]
mod should {
    use super::*;
    use crate::manifest::parse_line;

    fn lines(dir: &str, raw: &[&str]) -> Vec<Line> {
        raw.iter()
            .enumerate()
            .map(|(i, r)| parse_line(Path::new(dir), i + 1, r).unwrap())
            .collect()
    }

    fn find<'a>(run: &'a Run, name: &str) -> &'a Test {
        run.tests.iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn mark_failed_then_passed_as_flaky_with_the_new_fields() {
        let run = merge(
            lines(
                "s1",
                &[
                    r#"{"test":"flaky","binary":"suite","outcome":"failed","attempt":1,"attempts":3,"run_id":"r"}"#,
                    r#"{"test":"flaky","binary":"suite","outcome":"passed","attempt":2,"attempts":3,"run_id":"r"}"#,
                    r#"{"test":"dies","binary":"suite","outcome":"crashed","attempt":1,"attempts":1,"run_id":"r"}"#,
                    r#"{"test":"ok","binary":"suite","outcome":"passed","attempt":1,"attempts":1,"run_id":"r"}"#,
                    r#"{"test":"bad","binary":"other","outcome":"failed"}"#,
                ],
            ),
            Vec::new(),
            &[],
        );
        let flaky = find(&run, "flaky");
        assert_eq!(flaky.status, Status::Flaky);
        assert_eq!(flaky.attempts.len(), 2);
        assert_eq!(flaky.attempts_allowed, Some(3));
        assert!(flaky.duplicate.is_none());
        assert_eq!(find(&run, "dies").status, Status::Crashed);
        assert_eq!(
            run.total,
            Counts {
                passed: 1,
                failed: 1,
                crashed: 1,
                flaky: 1
            }
        );
        assert_eq!(run.per_binary["suite"].total(), 3);
        assert_eq!(run.per_binary["other"].failed, 1);
        let order: Vec<_> = run.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(order, ["dies", "bad", "flaky", "ok"]);
    }

    #[test]
    fn report_a_test_that_ran_in_two_shards() {
        let mut all = lines("s1", &[r#"{"test":"t","binary":"b","outcome":"passed"}"#]);
        all.extend(lines(
            "s2",
            &[r#"{"test":"t","binary":"b","outcome":"failed"}"#],
        ));
        let run = merge(all, Vec::new(), &[]);
        assert_eq!(run.tests.len(), 1);
        let dup = run.tests[0].duplicate.as_deref().unwrap();
        assert!(
            dup.contains("ran in 2 shards") && dup.contains("s1") && dup.contains("s2"),
            "{dup}"
        );
        assert!(dup.contains("attempt 1 is in both"), "{dup}");
    }

    #[test]
    fn take_binary_from_the_log_path_when_the_field_is_missing() {
        let run = merge(
            lines(
                "s1",
                &[
                    r#"{"test":"a::t","log":"/ci/logs/my-suite/a__t/a__t.log","outcome":"failed"}"#,
                    r#"{"test":"a::t","log":null,"outcome":"passed"}"#,
                ],
            ),
            Vec::new(),
            &[],
        );
        assert_eq!(run.tests.len(), 1, "{:?}", run.tests);
        assert_eq!(run.tests[0].binary, "my_suite");
        assert_eq!(run.tests[0].status, Status::Flaky);
        let note = run.tests[0].attempts[0].log_note.as_deref().unwrap();
        assert!(note.contains("not on this machine"), "{note}");
    }

    #[test]
    fn use_junit_for_crashes_without_a_line_and_for_flaky_retries() {
        let xml = r#"<testsuites><testsuite name="x">
<testcase name="crash" classname="demo::suite"><failure message="test aborted with signal 6 (SIGABRT)" type="abort"/></testcase>
<testcase name="flaky" classname="demo::suite"><flakyFailure message="panicked" type="test failure"/></testcase>
<testcase name="plain" classname="demo::suite"/>
</testsuite></testsuites>"#;
        let cases = junit::parse(xml).unwrap();
        let run = merge(
            lines("s1", &[r#"{"test":"flaky","outcome":"passed","log":null}"#]),
            cases,
            &[],
        );
        let crash = find(&run, "crash");
        assert_eq!(crash.status, Status::Crashed);
        assert!(
            crash.notes[0].contains("crashed: no manifest line"),
            "{:?}",
            crash.notes
        );
        let flaky = find(&run, "flaky");
        assert_eq!(flaky.status, Status::Flaky);
        assert_eq!(
            flaky.binary, "suite",
            "the binary comes from the JUnit classname"
        );
        assert_eq!(flaky.attempts_allowed, Some(2));
        assert_eq!(find(&run, "plain").status, Status::Passed);
        assert_eq!(run.matched, 1);
    }

    #[test]
    fn follow_junit_counts_and_set_apart_logs_no_test_case_has() {
        let xml = r#"<testsuites><testsuite name="x">
<testcase name="expects_a_panic" classname="demo::suite"/>
</testsuite></testsuites>"#;
        let run = merge(
            lines(
                "s1",
                &[
                    r#"{"test":"expects_a_panic","binary":"suite","outcome":"passed"}"#,
                    r#"{"test":"inner session","binary":"suite","outcome":"failed"}"#,
                ],
            ),
            junit::parse(xml).unwrap(),
            &[],
        );
        assert_eq!(
            run.total.total(),
            1,
            "the summary counts nextest's test cases"
        );
        assert_eq!(run.total.passed, 1);
        assert_eq!(run.outside_junit.failed, 1);
        let inner = find(&run, "inner session");
        assert!(inner.outside_junit && inner.status == Status::Failed);
    }

    #[test]
    fn join_a_crashed_tests_log_to_its_junit_case() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("suite/net__dies/net__dies.log");
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, "x\n").unwrap();
        let xml = r#"<testsuites><testsuite name="x">
<testcase name="net::dies" classname="demo::suite"><failure message="process aborted with signal 6 (SIGABRT)" type="test abort"/></testcase>
</testsuite></testsuites>"#;
        let twice = [junit::parse(xml).unwrap(), junit::parse(xml).unwrap()].concat();
        let run = merge(Vec::new(), twice, &[dir.path().to_path_buf()]);
        assert_eq!(run.tests.len(), 1, "{:?}", run.tests);
        let test = &run.tests[0];
        assert_eq!(test.status, Status::Crashed);
        assert_eq!(test.attempts[0].log.as_deref(), Some(log.as_path()));
        assert!(
            test.duplicate
                .as_deref()
                .unwrap()
                .contains("two JUnit files")
        );
        assert_eq!(run.total.crashed, 1);
    }

    #[test]
    fn adopt_a_log_no_line_names_as_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("suite/mod__dies/mod__dies.log");
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, "x\n").unwrap();
        let run = merge(Vec::new(), Vec::new(), &[dir.path().to_path_buf()]);
        assert_eq!(run.tests.len(), 1);
        assert_eq!(run.tests[0].status, Status::Crashed);
        assert_eq!(run.tests[0].attempts[0].log.as_deref(), Some(log.as_path()));
    }
}
