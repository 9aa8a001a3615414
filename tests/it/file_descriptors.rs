//! A collector with thousands of sessions keeps a bounded number of files
//! open. It runs in a process of its own (a child run of this binary,
//! `common::run_alone`), because it counts the process's open file
//! descriptors.

use crate::common;
use logged_test::LogAssertions as _;
use logged_test::LogCollector;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[test]
fn two_thousand_sessions_keep_few_files_open_and_read_back_whole() {
    common::run_alone("file_descriptors::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `two_thousand_sessions_keep_few_files_open_and_read_back_whole`"]
fn in_its_own_process() {
    if !common::alone("file_descriptors::in_its_own_process") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let before = open_fds();
    for i in 0..2000 {
        collector
            .start_new_session_blocking(&format!("session-{i}.log"))
            .unwrap();
        collector.log_str(&format!("fd-session-{i}"));
    }
    if cfg!(target_os = "linux") {
        let growth = open_fds().saturating_sub(before);
        assert!(
            growth <= 16,
            "{growth} more open files after 2,000 sessions"
        );
    }
    let logs = collector.captured().unwrap();
    assert_eq!(logs.len(), 2000);
    logs.assert_in_order(&["fd-session-0", "fd-session-1000", "fd-session-1999"]);
    assert_eq!(logs.session(1234).messages(), ["fd-session-1233"]);
}
