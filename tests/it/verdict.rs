//! The outcome in the manifest is libtest's verdict, and a failure is a
//! record where it happened: checked by re-running this binary on the
//! `#[ignore]`d children below with `LOGGED_TEST_DIR` set, and comparing
//! each manifest line with what libtest printed for that test.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::collections::BTreeMap;
use std::path::Path;

use logged_test::logged_test;
use test_case::test_case;

use crate::common;

// ---- children: each name says what libtest decides ----

#[logged_test]
#[test_case(1 => matches Err(_) ; "passes err")]
#[test_case(2 => matches Ok(_) ; "passes ok")]
#[test_case(3 => matches Err(_) ; "fails ok")]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_expected_errors(n: u32) -> Result<u32, String> {
    log::info!("verdict-expected-errors {n}");
    match n {
        1 => Err("expected".into()),
        _ => Ok(n),
    }
}

#[logged_test]
#[test_case(0 => panics "divide by zero" ; "passes panic")]
#[test_case(1 => panics "divide by zero" ; "fails no panic")]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_case_panics(n: u32) {
    log::info!("verdict-case-panics {n}");
    assert!(n != 0, "attempt to divide by zero");
}

#[logged_test]
#[test_case(1 => panics "boom" ; "passes mixed panic")]
#[test_case(2 => 2 ; "passes mixed value")]
#[test_case(3 => 4 ; "fails mixed value")]
#[test_case(4 => 4 ; "fails mixed unexpected panic")]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_mixed(n: u32) -> u32 {
    if n == 1 || n == 4 {
        panic!("boom {n}");
    }
    n
}

#[logged_test]
#[should_panic(expected = "wanted")]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_passes_should_panic_expected() {
    panic!("the wanted message");
}

#[logged_test]
#[should_panic(expected = "wanted")]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_fails_should_panic_other_message() {
    panic!("another message");
}

#[logged_test]
#[should_panic]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_fails_should_panic_no_panic() {}

#[logged_test]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_passes_result_ok() -> Result<(), String> {
    Ok(())
}

#[logged_test]
#[ignore = "run by `the_manifest_outcome_is_libtests_verdict` in a child process"]
fn child_verdict_fails_result_err() -> Result<(), String> {
    Err("returned on purpose".into())
}

/// Logs on drop, as values dropped while unwinding do.
struct Teardown;

impl Drop for Teardown {
    fn drop(&mut self) {
        log::info!("verdict-teardown");
    }
}

#[logged_test]
#[ignore = "run by `a_panic_is_a_record_where_it_happened` in a child process"]
fn child_panics_between_work_and_teardown() {
    let _teardown = Teardown;
    for i in 1..=40 {
        log::info!("verdict-work-{i}");
    }
    panic!("verdict-boom");
}

#[logged_test(markers = ["verdict-marker-missing"])]
#[ignore = "run by `an_err_with_a_missing_marker_reports_the_marker` in a child process"]
fn child_returns_err_and_misses_a_marker() -> Result<(), String> {
    log::info!("verdict-other-record");
    Err("returned on purpose".into())
}

// ---- the checks ----

/// libtest's verdict per test, from its `test <name> ... ok|FAILED` lines.
fn libtest_verdicts(stdout: &str) -> BTreeMap<String, &'static str> {
    stdout
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("test ")?;
            let (name, verdict) = rest.rsplit_once(" ... ")?;
            let name = name.trim_end_matches(" - should panic").to_owned();
            match verdict {
                "ok" => Some((name, "passed")),
                "FAILED" => Some((name, "failed")),
                _ => None,
            }
        })
        .collect()
}

/// The outcome per test from the manifest.
fn manifest_outcomes(dir: &Path) -> BTreeMap<String, String> {
    let manifest = std::fs::read_to_string(dir.join(logged_test::MANIFEST_FILE)).unwrap();
    manifest
        .lines()
        .map(|line| {
            let field = |key: &str| {
                let start = line.find(&format!("\"{key}\":\"")).unwrap() + key.len() + 4;
                let len = line[start..].find('"').unwrap();
                line[start..start + len].to_owned()
            };
            (field("test"), field("outcome"))
        })
        .collect()
}

#[test]
fn the_manifest_outcome_is_libtests_verdict() {
    let logs_dir = tempfile::tempdir().unwrap();
    let mut command = common::this_binary();
    command.args(["--ignored", "verdict::child_verdict_", "--test-threads=4"]);
    let output = command
        .env("LOGGED_TEST_DIR", logs_dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verdicts = libtest_verdicts(&stdout);
    let outcomes = manifest_outcomes(logs_dir.path());
    assert_eq!(verdicts.len(), 14, "{stdout}");
    for (name, verdict) in &verdicts {
        let expected = match (name.contains("passes"), name.contains("fails")) {
            (true, false) => "passed",
            (false, true) => "failed",
            _ => panic!("a child's name says whether it passes: {name}"),
        };
        assert_eq!(*verdict, expected, "libtest's verdict on {name}:\n{stdout}");
        assert_eq!(
            outcomes.get(name).map(String::as_str),
            Some(*verdict),
            "the manifest's outcome of {name} (manifest: {outcomes:#?})"
        );
    }
    assert_eq!(outcomes.len(), verdicts.len(), "{outcomes:#?}");
}

#[test]
fn a_panic_is_a_record_where_it_happened() {
    let logs_dir = tempfile::tempdir().unwrap();
    let output = common::rerun("verdict::child_panics_between_work_and_teardown")
        .env("LOGGED_TEST_DIR", logs_dir.path())
        .output()
        .unwrap();
    let out = common::text(&output);
    assert!(!output.status.success(), "{out}");
    // The tail is centred on the panic: the work before it, the panic
    // marked, and what teardown logged after it.
    let header =
        "captured records around the failure (#41 of 42, marked `>`; 12 earlier records omitted):";
    assert!(out.contains(header), "{out}");
    let tail = &out[out.find(header).unwrap()..];
    let lines: Vec<&str> = tail.lines().skip(1).take(30).collect();
    assert!(lines[0].contains("verdict-work-13"), "{tail}");
    assert!(lines[27].contains("verdict-work-40"), "{tail}");
    let panic_line = lines[28];
    assert!(panic_line.starts_with("> 41 | "), "{tail}");
    assert!(
        panic_line.contains(
            "ERROR [verdict::child_panics_between_work_and_teardown] logged_test: panicked at tests/it/verdict.rs:"
        ),
        "{tail}"
    );
    assert!(panic_line.ends_with(": verdict-boom"), "{tail}");
    assert!(lines[29].contains("verdict-teardown"), "{tail}");
    // The record is in the file too, between the work and the teardown.
    let dir = common::kept_test_dir(
        logs_dir.path(),
        "verdict.child_panics_between_work_and_teardown",
    );
    let log =
        std::fs::read_to_string(dir.join("verdict__child_panics_between_work_and_teardown.log"))
            .unwrap();
    let panic_at = log
        .find("logged_test: panicked at tests/it/verdict.rs:")
        .unwrap();
    assert!(log.find("verdict-work-40").unwrap() < panic_at, "{log}");
    assert!(log.find("verdict-teardown").unwrap() > panic_at, "{log}");
}

#[test]
fn a_failed_test_case_check_is_a_record_in_the_log() {
    let logs_dir = tempfile::tempdir().unwrap();
    let output = common::rerun("verdict::child_verdict_expected_errors::test_case_3_fails_ok")
        .env("LOGGED_TEST_DIR", logs_dir.path())
        .output()
        .unwrap();
    let out = common::text(&output);
    assert!(!output.status.success(), "{out}");
    // test-case's check panics after the fn returned: the tail ends with it.
    assert!(out.contains("> 2 | "), "{out}");
    assert!(
        out.contains("logged_test: panicked at tests/it/verdict.rs:"),
        "{out}"
    );
    assert!(out.contains("verdict-expected-errors 3"), "{out}");
}

#[test]
fn an_err_with_a_missing_marker_reports_the_marker() {
    let logs_dir = tempfile::tempdir().unwrap();
    let output = common::rerun("verdict::child_returns_err_and_misses_a_marker")
        .env("LOGGED_TEST_DIR", logs_dir.path())
        .output()
        .unwrap();
    let out = common::text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(
        out.contains("#[logged_test] markers not found in the log: [\"verdict-marker-missing\"]"),
        "{out}"
    );
    assert!(out.contains("(the test also returned `Err`)"), "{out}");
    assert!(
        out.contains("logged_test: returned Err: \"returned on purpose\""),
        "{out}"
    );
    assert!(out.contains("returned on purpose"), "{out}");
}
