//! Peak memory of one huge record: logging a 64 MiB message and writing it
//! to the log may hold the caller's string and one copy at a time, not four.
//!
//! It runs in a process of its own (a child run of this binary,
//! `common::run_alone`), because it reads the process's peak
//! resident set size (`VmHWM` in `/proc/self/status`, reset through
//! `/proc/self/clear_refs`). Linux only.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]
#![cfg(target_os = "linux")]

use crate::common;
use logged_test::LogCollector;

const MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// The caller's string, one copy, and slack for everything else (threads,
/// the 64 KiB write buffer, allocator rounding): 2.25 times the message.
const MAX_PEAK_RISE: usize = MESSAGE_BYTES * 9 / 4;

fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Peak resident memory gained while `f` runs, in bytes.
fn peak_rise(f: impl FnOnce()) -> usize {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kib("VmRSS:");
    f();
    (status_kib("VmHWM:").saturating_sub(before)) * 1024
}

#[test]
fn a_huge_message_is_logged_and_written_with_one_copy_at_a_time() {
    common::run_alone("huge_message::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `a_huge_message_is_logged_and_written_with_one_copy_at_a_time`"]
fn in_its_own_process() {
    if !common::alone("huge_message::in_its_own_process") {
        return;
    }
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let session = collector.start_new_session_blocking("huge.log").unwrap();
    log::info!("warm-up {}", 1);
    collector.wait_for_empty_blocking().unwrap();

    for (how, log) in [
        (
            "log::info!(\"{}\")",
            (|m: &str| log::info!("{m}")) as fn(&str),
        ),
        ("log::info!(\"{}!\") (formatted in pieces)", |m: &str| {
            log::info!("{}!", m)
        }),
    ] {
        let rise = peak_rise(|| {
            let message = "m".repeat(MESSAGE_BYTES);
            log(&message);
            collector.wait_for_empty_blocking().unwrap();
        });
        assert!(
            rise <= MAX_PEAK_RISE,
            "{how}: the peak grew by {:.2} times the message ({rise} bytes for {MESSAGE_BYTES})",
            rise as f64 / MESSAGE_BYTES as f64
        );
        eprintln!(
            "{how}: peak rise {:.2} x the message",
            rise as f64 / MESSAGE_BYTES as f64
        );
    }
    let written = std::fs::metadata(&session).unwrap().len() as usize;
    assert!(written > 2 * MESSAGE_BYTES, "{written} bytes in the log");

    // Written in pieces, it still reads back whole, every line of it.
    let lines = format!(
        "{}\nsecond line\n\n{}",
        "a".repeat(1 << 20),
        "z".repeat(1 << 20)
    );
    log::warn!("{lines}");
    log::info!("after the huge one");
    let logs = collector.captured().unwrap();
    let records = logs.records();
    let [.., huge, after] = records else {
        panic!("{} records", records.len());
    };
    assert_eq!(huge.level, log::Level::Warn);
    assert!(
        huge.message == lines,
        "the multi-line record did not read back whole"
    );
    assert_eq!(after.message, "after the huge one");
}
