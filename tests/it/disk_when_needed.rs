//! A test's log lives in memory and reaches the disk only when that helps:
//! a short passing test creates no directory, a failing one leaves every
//! record in its file, a long one is on disk before it ends, and a log too
//! big for memory is read back whole and in order.
//!
//! The directory checks re-run this test binary on the `#[ignore]`d
//! children below, with `LOGGED_TEST_DIR` pointing at a fresh directory.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, TestLogs, logged_test};

use crate::common;

/// Records in the failing child: more than a report shows.
const FAILING_RECORDS: usize = 500;
/// Records of about 300 bytes each: well past the 8 MiB kept in memory.
const BIG_RECORDS: usize = 40_000;
/// A watchdog against a hang, never reached when the test passes.
const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(120);

#[logged_test]
#[ignore = "run by `a_short_passing_test_creates_no_directory`"]
fn child_passes_quickly(logs: &TestLogs) {
    log::info!("child-quick-line");
    logs.assert_contains("child-quick-line");
}

#[logged_test]
#[ignore = "run by `a_failing_test_keeps_every_record_on_disk`"]
fn child_fails_after_many_records() {
    for i in 0..FAILING_RECORDS {
        log::info!("child-record-{i:04}");
    }
    panic!("child failed on purpose");
}

#[logged_test]
#[ignore = "run by `a_log_that_cannot_be_written_is_not_reported_as_kept`"]
fn child_fails_where_no_directory_can_be_made(logs: &TestLogs) {
    log::info!("a record with nowhere to go");
    // Both report the directory error; the second no longer has it pending.
    assert!(logs.collector().wait_for_empty_blocking().is_err());
    let _ = logs.collector().wait_for_empty_blocking();
    panic!("child failed on purpose");
}

#[logged_test]
#[ignore = "run by `a_rerun_replaces_the_kept_log_of_the_same_test`"]
fn child_fails_with_its_run_number() {
    let run = std::env::var("DISK_WHEN_NEEDED_RUN").unwrap_or_default();
    log::info!("child-run-{run}");
    panic!("child failed on purpose");
}

#[logged_test]
#[ignore = "run by `a_long_test_is_on_disk_before_it_ends`"]
fn child_waits_for_stdin() {
    log::info!("child-long-running-marker");
    // Tell the parent we logged, then wait for it to have seen the file.
    println!("child-ready");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    log::info!("child-after-the-parent-looked");
}

fn child(test: &str, logs_dir: &Path) -> Command {
    let mut command = common::rerun(test);
    command.env("LOGGED_TEST_DIR", logs_dir);
    command
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Every `.log` file under `dir`, but for those in an older run's
/// directory moved aside (`.old-<pid>-<n>`) for the remover thread, which
/// may still be at work when a short child process exits; the next run
/// removes what it left.
fn log_files_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .filter(|p| {
            !p.components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with(".old-"))
        })
        .collect()
}

#[test]
fn a_short_passing_test_creates_no_directory() {
    let logs_dir = tempfile::tempdir().unwrap();
    let output = child("disk_when_needed::child_passes_quickly", logs_dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    // Only the manifest: no per-binary or per-test directory was ever made.
    let entries: Vec<_> = std::fs::read_dir(logs_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(entries, ["manifest.jsonl"]);
    let manifest = std::fs::read_to_string(logs_dir.path().join("manifest.jsonl")).unwrap();
    assert!(
        manifest.contains("\"log\":null") && manifest.contains("not kept: the test passed"),
        "{manifest}"
    );
}

#[test]
fn a_failing_test_keeps_every_record_on_disk() {
    let logs_dir = tempfile::tempdir().unwrap();
    let output = child(
        "disk_when_needed::child_fails_after_many_records",
        logs_dir.path(),
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let files = log_files_under(logs_dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let mut records: Vec<&str> = text.lines().collect();
    // The last record is the panic, where it happened.
    let panic = records.pop().unwrap_or_default();
    assert!(panic.contains("logged_test: panicked at"), "{panic}");
    assert_eq!(records.len(), FAILING_RECORDS, "{text}");
    for (i, line) in records.iter().enumerate() {
        assert!(line.ends_with(&format!("child-record-{i:04}")), "{line}");
    }
    let shown = common::text(&output);
    assert!(
        shown.contains(&files[0].display().to_string()),
        "the report does not name {}:\n{shown}",
        files[0].display()
    );
}

#[test]
fn a_log_that_cannot_be_written_is_not_reported_as_kept() {
    let root = tempfile::tempdir().unwrap();
    let not_a_dir = root.path().join("a-file");
    std::fs::write(&not_a_dir, "").unwrap();
    let output = child(
        "disk_when_needed::child_fails_where_no_directory_can_be_made",
        &not_a_dir,
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let shown = common::text(&output);
    assert!(!shown.contains("directory kept"), "{shown}");
    assert!(
        shown.contains("the full log could not be written"),
        "{shown}"
    );
    assert!(shown.contains("a record with nowhere to go"), "{shown}");
}

#[test]
fn a_rerun_replaces_the_kept_log_of_the_same_test() {
    let logs_dir = tempfile::tempdir().unwrap();
    for run in 1..=3 {
        let output = child(
            "disk_when_needed::child_fails_with_its_run_number",
            logs_dir.path(),
        )
        .env("DISK_WHEN_NEEDED_RUN", run.to_string())
        .output()
        .unwrap();
        assert!(!output.status.success());
        // One directory for the test, holding the newest failure only.
        let files = log_files_under(logs_dir.path());
        assert_eq!(files.len(), 1, "after run {run}: {files:?}");
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains(&format!("child-run-{run}")), "{text}");
        // The record, then the panic.
        assert_eq!(text.lines().count(), 2, "{text}");
    }
    let dirs: Vec<_> = log_files_under(logs_dir.path())
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .filter(|d| d != logs_dir.path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
}

#[test]
fn a_long_test_is_on_disk_before_it_ends() {
    let logs_dir = tempfile::tempdir().unwrap();
    let mut running = child("disk_when_needed::child_waits_for_stdin", logs_dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(running.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("child-ready") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the child ended early"
        );
    }
    // The child now waits on its stdin; nothing it does asks for the disk.
    // Its log must get there by itself, soon after the test started.
    let started = std::time::Instant::now();
    let on_disk = loop {
        let found = log_files_under(logs_dir.path()).into_iter().find(|path| {
            std::fs::read_to_string(path).is_ok_and(|t| t.contains("child-long-running-marker"))
        });
        if let Some(path) = found {
            break Some(path);
        }
        if started.elapsed() > WATCHDOG {
            break None;
        }
        std::thread::yield_now();
    };
    writeln!(running.stdin.take().unwrap()).unwrap();
    let status = running.wait().unwrap();
    let path = on_disk.expect("the running test's log never reached the disk");
    assert!(status.success());
    // It passed and was not kept: its directory is gone again.
    assert!(
        !path.exists(),
        "{} outlived its passing test",
        path.display()
    );
}

/// A message of about 300 bytes, some of them on two lines.
fn big_message(i: usize) -> String {
    let filler = "x".repeat(280);
    if i % 7 == 0 {
        format!("big-{i:06} {filler}\nsecond line of {i}")
    } else {
        format!("big-{i:06} {filler}")
    }
}

#[test]
fn a_test_logging_more_than_memory_holds_reads_back_every_record_in_order() {
    let logs = TestLogs::new("disk_when_needed::spill").unwrap();
    for i in 0..BIG_RECORDS {
        log::info!("{}", big_message(i));
    }
    let captured = logs.captured();
    assert_eq!(captured.len(), BIG_RECORDS);
    for (i, record) in captured.records().iter().enumerate() {
        assert_eq!(record.message, big_message(i), "record #{}", i + 1);
    }
    logs.assert_contains(&format!("big-{:06}", BIG_RECORDS - 1));
    assert_eq!(logs.count("big-"), BIG_RECORDS);
    // Past the threshold the log went to disk, whole.
    logs.flush();
    let text = std::fs::read_to_string(logs.session_path()).unwrap();
    assert_eq!(text.matches(" big-").count(), BIG_RECORDS);
}

#[test]
fn a_collector_past_the_memory_threshold_reads_back_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    collector.start_new_session_blocking("first.log").unwrap();
    for i in 0..BIG_RECORDS / 2 {
        collector.log_str(&big_message(i));
    }
    collector.start_new_session_blocking("second.log").unwrap();
    for i in BIG_RECORDS / 2..BIG_RECORDS {
        collector.log_str(&big_message(i));
    }
    collector.wait_for_empty_blocking().unwrap();
    // Deleting the files changes nothing: read-back uses the held handles.
    std::fs::remove_file(dir.path().join("first.log")).unwrap();
    std::fs::remove_file(dir.path().join("second.log")).unwrap();
    let captured = collector.captured().unwrap();
    assert_eq!(captured.len(), BIG_RECORDS);
    for (i, record) in captured.records().iter().enumerate() {
        assert_eq!(record.message, big_message(i), "record #{}", i + 1);
        let session = if i < BIG_RECORDS / 2 { 1 } else { 2 };
        assert_eq!(record.generation, session, "record #{}", i + 1);
    }
    // Records only on disk are read back as soon as they are logged,
    // without a flush first.
    collector.log_str("one more, not flushed");
    let captured = collector.captured().unwrap();
    assert_eq!(captured.len(), BIG_RECORDS + 1);
    assert_eq!(
        captured.records().last().unwrap().message,
        "one more, not flushed"
    );
}
