//! Memory stays bounded however much is logged (issue #17, items 7 and 8),
//! asserted on a child process's peak resident set (`VmHWM`), never on time:
//! - reading a spilled log back (a failing test's tail, the manifest's
//!   counts, assertions) streams the file instead of loading it;
//! - loggers faster than the disk wait for the persister (backpressure)
//!   instead of queueing without limit.
#![cfg(target_os = "linux")]
#![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]

use crate::common;

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, TestLogs};

/// Peak resident set of this process so far, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The `name=value` numbers a child printed.
fn reported(text: &str, name: &str) -> u64 {
    // libtest may print `test <name> ... ` before it on the same line.
    let prefix = format!("{name}=");
    let at = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("the child did not report {name}:\n{text}"));
    let digits: String = text[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

/// Records of about 160 bytes: about 50 MB of log, far past the 8 MiB
/// kept in memory (loaded whole, it would take about 150 MiB).
const BIG_LOG_RECORDS: usize = 300_000;

#[test]
#[ignore = "run by `a_failing_test_reads_a_huge_log_back_in_bounded_memory`"]
fn child_fails_with_a_huge_log() {
    if std::env::var_os("MEMORY_BOUNDS_CHILD").is_none() {
        return;
    }
    let padding = "p".repeat(120);
    let outcome = std::panic::catch_unwind(|| {
        let logs = TestLogs::new("memory_bounds::huge_failing").unwrap();
        for i in 0..BIG_LOG_RECORDS {
            log::info!("huge-log record {i} {padding}");
        }
        logs.flush();
        println!("logged_kib={}", peak_kib());
        // Assertions over the spilled log, streamed.
        assert_eq!(logs.count("huge-log record"), BIG_LOG_RECORDS);
        let last = format!("huge-log record {} ", BIG_LOG_RECORDS - 1);
        logs.captured()
            .assert_in_order(&["huge-log record 0 ", &last]);
        println!("asserted_kib={}", peak_kib());
        // Fails: the drop prints the tail and appends the manifest line.
        panic!("the test fails with a huge log");
    });
    assert!(outcome.is_err());
    println!("failed_kib={}", peak_kib());
}

#[test]
fn a_failing_test_reads_a_huge_log_back_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::rerun("memory_bounds::child_fails_with_a_huge_log")
        .env("MEMORY_BOUNDS_CHILD", "1")
        .env("LOGGED_TEST_DIR", dir.path())
        // A backtrace's symbolisation (CI sets `RUST_BACKTRACE=1`) reads the
        // binary's debug info, about 60 MiB: not what this test measures.
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(output.status.success(), "{text}");
    let logged = reported(&text, "logged_kib");
    let asserted = reported(&text, "asserted_kib");
    let failed = reported(&text, "failed_kib");
    // The failure printed the tail and the manifest counted every record.
    assert!(
        text.contains(&format!("huge-log record {} ", BIG_LOG_RECORDS - 1)),
        "{text}"
    );
    let manifest = std::fs::read_to_string(dir.path().join("manifest.jsonl")).unwrap();
    assert!(
        manifest.contains(&format!("\"records\":{BIG_LOG_RECORDS},")),
        "{manifest}"
    );
    assert!(manifest.contains("\"outcome\":\"failed\""), "{manifest}");
    // Loading the log would take several hundred MiB; streaming takes a
    // read block and a tail.
    let bound = 64 * 1024;
    assert!(
        asserted.saturating_sub(logged) < bound && failed.saturating_sub(logged) < bound,
        "peak after logging {logged} KiB, after the assertions {asserted} KiB, after \
         failing {failed} KiB: reading back added more than {bound} KiB"
    );
}

/// Loggers and the records each logs: far more than the disk keeps up
/// with, as fast as they can.
const LOGGERS: usize = 4;
const RECORDS_PER_LOGGER: usize = 400_000;

#[test]
#[ignore = "run by `fast_loggers_wait_for_the_disk_instead_of_queueing_without_limit`"]
fn child_logs_faster_than_the_disk() {
    let Some(dir) = std::env::var_os("MEMORY_BOUNDS_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    println!("start_kib={}", peak_kib());
    std::thread::scope(|s| {
        for n in 0..LOGGERS {
            let dir = dir.join(format!("logger-{n}"));
            s.spawn(move || {
                let collector = LogCollector::without_ui(&dir).unwrap();
                for i in 0..RECORDS_PER_LOGGER {
                    collector.log_str(&format!("logger {n} record {i} and some text to write"));
                }
                collector.wait_for_empty_blocking().unwrap();
                assert_eq!(collector.lost_records(), 0);
            });
        }
    });
    println!("end_kib={}", peak_kib());
}

#[test]
fn fast_loggers_wait_for_the_disk_instead_of_queueing_without_limit() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::rerun("memory_bounds::child_logs_faster_than_the_disk")
        .env("MEMORY_BOUNDS_DIR", dir.path())
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(output.status.success(), "{text}");
    let start = reported(&text, "start_kib");
    let end = reported(&text, "end_kib");
    // Per logger: 8 MiB kept in memory, a full queue (about 6 MiB), the
    // batch being written and allocator slack; unbounded queues reached
    // 750 MiB here.
    let bound = LOGGERS as u64 * 64 * 1024;
    assert!(
        end.saturating_sub(start) < bound,
        "peak rose from {start} KiB to {end} KiB: more than {bound} KiB for {LOGGERS} loggers"
    );
}
