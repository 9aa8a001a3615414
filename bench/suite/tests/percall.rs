//! Per-call cost on the logging thread, for `bench/callgrind.sh`: each
//! measured call sits in its own `#[inline(never)]` function, so callgrind
//! (`--toggle-collect`) counts the instructions spent in it, on the logging
//! thread only (the persister's work is not counted). Not a timing bench:
//! run the script.

use logged_test::LogAssertions as _;
use logged_test::TestLogs;

/// Calls per measured function (the script divides by it): few enough
/// that, even under valgrind, the memory-mode test ends before the 100 ms
/// after which a test's log goes to disk.
const CALLS: u32 = 1_000;

#[inline(never)]
fn percall_log(n: u32) {
    for i in 0..n {
        log::info!("text {i}");
    }
}

#[inline(never)]
fn percall_tracing(n: u32) {
    for i in 0..n {
        tracing::info!(n = i, "text");
    }
}

#[inline(never)]
fn percall_captured(logs: &TestLogs) -> usize {
    std::hint::black_box(logs.captured()).len()
}

/// In memory: what a short test does.
#[test]
fn memory_mode() {
    let logs = TestLogs::new("percall::memory_mode").unwrap();
    percall_log(CALLS);
    percall_tracing(CALLS);
    assert_eq!(percall_captured(&logs), 2 * CALLS as usize);
}

/// On disk: what a long test does once its log went to disk.
#[test]
fn disk_mode() {
    let logs = TestLogs::new("percall::disk_mode").unwrap();
    logs.flush();
    percall_log(CALLS);
    percall_tracing(CALLS);
    logs.flush();
    assert!(logs.contains(&format!("text {}", CALLS - 1)));
}
