//! Child processes logged into the test's log: every line of stdout and
//! stderr becomes a record as it arrives, levels are read from level words,
//! the exit status ends the output, large outputs on both pipes never
//! deadlock, and a server-like child is read until it exits or its guard is
//! dropped. The children are `sh` scripts (Unix only).
#![cfg(unix)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

/// Long enough never to be reached when the test passes.
const PATIENCE: Duration = Duration::from_secs(60);

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]).stdin(Stdio::null());
    command
}

#[logged_test]
fn smoke(logs: &TestLogs) {
    let output = logs
        .run_child_blocking(&mut sh("echo child-smoke-out; echo child-smoke-err >&2"))
        .unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, "child-smoke-out\n");
    assert_eq!(output.stderr, "child-smoke-err\n");
    let captured = logs.captured();
    let out = captured.matching("child-smoke-out").next().unwrap();
    assert_eq!(out.level, log::Level::Info);
    assert_eq!(out.target, "child::sh");
    assert_eq!(out.field("stream"), Some("stdout"));
    assert!(out.field("pid").unwrap().parse::<u32>().is_ok());
    let err = captured.matching("child-smoke-err").next().unwrap();
    assert_eq!(err.level, log::Level::Warn);
    assert_eq!(err.field("stream"), Some("stderr"));
    // The exit status is the last record.
    let last = captured.records().last().unwrap();
    assert_eq!(last.message, "exited: exit status: 0");
    assert_eq!(last.level, log::Level::Info);
}

#[logged_test]
fn level_words_set_the_level(logs: &TestLogs) {
    let script = "\
        echo 'ERROR child-levels: a' >&2; \
        echo '[2026-11-27T11:54:37Z DEBUG app] child-levels: b' >&2; \
        echo '2026-11-27T11:54:37.123456Z  TRACE app: child-levels: c'; \
        printf '\\033[33m WARN\\033[0m app: child-levels: d\\n'; \
        echo 'INFO: child-levels: e' >&2; \
        echo 'child-levels: f plain stderr' >&2";
    logs.run_child_blocking(&mut sh(script)).unwrap();
    logs.assert_logged_at(log::Level::Error, "child-levels: a");
    logs.assert_logged_at(log::Level::Debug, "child-levels: b");
    logs.assert_logged_at(log::Level::Trace, "child-levels: c");
    logs.assert_logged_at(log::Level::Warn, " WARN app: child-levels: d");
    logs.assert_logged_at(log::Level::Info, "child-levels: e");
    logs.assert_logged_at(log::Level::Warn, "child-levels: f");
}

#[logged_test]
fn a_child_that_exits_non_zero(logs: &TestLogs) {
    let output = logs
        .run_child_blocking(&mut sh("echo 'ERROR child-fails: cannot bind' >&2; exit 3"))
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    logs.assert_logged_at(log::Level::Error, "child-fails: cannot bind");
    logs.assert_logged_at(log::Level::Warn, "exited: exit status: 3");
    logs.assert_in_order(&["cannot bind", "exited"]);
}

#[logged_test]
fn ten_megabytes_on_both_pipes_never_deadlock(logs: &TestLogs) {
    // 10 MiB of 100-byte lines to each pipe at once: a reader that took one
    // pipe after the other would leave the child blocked on the other.
    const BYTES: usize = 10 * 1024 * 1024;
    let line_o = "o".repeat(99);
    let line_e = "e".repeat(99);
    let script =
        format!("yes {line_o} | head -c {BYTES} & yes {line_e} | head -c {BYTES} >&2; wait");
    let output = logs.run_child_blocking(&mut sh(&script)).unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), BYTES);
    assert_eq!(output.stderr.len(), BYTES);
    let lines = BYTES.div_ceil(100);
    let captured = logs.captured();
    let stdout_records = captured.count_where(|r| r.field("stream") == Some("stdout"));
    let stderr_records = captured.count_where(|r| r.field("stream") == Some("stderr"));
    assert_eq!((stdout_records, stderr_records), (lines, lines));
    assert_eq!(captured.len(), 2 * lines + 1);
}

#[logged_test]
fn a_server_is_read_until_it_exits(logs: &TestLogs) {
    let script = "\
        echo 'INFO child-server: listening on 127.0.0.1:4000'; \
        while read request; do echo \"child-server: served $request\"; done; \
        echo 'WARN child-server: stdin closed, shutting down'";
    let mut command = sh(script);
    command.stdin(Stdio::piped());
    let mut server = logs.spawn_child(&mut command).unwrap();
    assert!(logs.wait_for_blocking("listening on", PATIENCE));
    let mut stdin = server.child_mut().stdin.take().unwrap();
    writeln!(stdin, "ping").unwrap();
    assert!(logs.wait_for_blocking("served ping", PATIENCE));
    drop(stdin);
    let output = server.wait_blocking().unwrap();
    assert!(output.status.success());
    logs.assert_in_order(&["listening", "served ping", "shutting down", "exited"]);
    logs.assert_logged_at(log::Level::Warn, "shutting down");
}

#[logged_test]
fn dropping_the_guard_kills_the_child_and_stops_logging(logs: &TestLogs) {
    let script = "echo child-drop: up; exec sleep 1000";
    let server = logs.spawn_child(&mut sh(script)).unwrap();
    let pid = server.id();
    assert!(logs.wait_for_blocking("child-drop: up", PATIENCE));
    drop(server);
    // Killed and reaped by the drop: the pid no longer names a process.
    let alive = Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!alive.success(), "process {pid} still runs");
    logs.assert_not_contains("exited");
}

#[logged_test(flavor = "multi_thread", worker_threads = 2)]
async fn run_child_in_an_async_test(logs: &TestLogs) {
    let output = logs
        .run_child(&mut sh(
            "echo child-async: one; echo 'ERROR child-async: two' >&2",
        ))
        .await
        .unwrap();
    assert!(output.status.success());
    logs.assert_logged_at(log::Level::Info, "child-async: one");
    logs.assert_logged_at(log::Level::Error, "child-async: two");
    let server = logs
        .spawn_child(&mut sh("echo child-async: three"))
        .unwrap();
    assert_eq!(server.wait().await.unwrap().stdout, "child-async: three\n");
}

#[logged_test]
async fn run_child_on_a_current_thread_runtime(logs: &TestLogs) {
    let output = logs
        .run_child(&mut sh("echo child-current: ok"))
        .await
        .unwrap();
    assert_eq!(output.stdout, "child-current: ok\n");
    logs.assert_contains("child-current: ok");
}

#[logged_test(deny = "warn")]
fn child_warnings_are_subject_to_deny(logs: &TestLogs) {
    logs.allow("child-deny: tolerated");
    logs.run_child_blocking(&mut sh(
        "echo 'child-deny: tolerated' >&2; echo 'ERROR child-deny: seen' >&2",
    ))
    .unwrap();
    assert_eq!(logs.unexpected().len(), 1);
    logs.assert_logged_at(log::Level::Error, "child-deny: seen");
}

#[logged_test]
fn a_program_that_cannot_start_is_an_error(logs: &TestLogs) {
    let error = logs
        .run_child_blocking(&mut Command::new("/nonexistent/child-missing"))
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    assert!(logs.captured().is_empty());
}

#[cfg(feature = "tokio-process")]
#[logged_test]
async fn a_tokio_command_runs_the_same_way(logs: &TestLogs) {
    let output = logs
        .run_child(tokio::process::Command::new("sh").args(["-c", "echo 'WARN child-tokio: slow'"]))
        .await
        .unwrap();
    assert!(output.status.success());
    logs.assert_logged_at(log::Level::Warn, "child-tokio: slow");
    assert_eq!(logs.captured().records()[0].target, "child::sh");
}
