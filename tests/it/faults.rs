//! Faults and hostile input: a crashing process, a panicking test body, the
//! log directory vanishing, UI receivers that don't keep up, code that logs
//! from `Display` and `Drop`, and messages that could break the line format.
//!
//! The crash and panic cases re-run this test binary on one of the
//! `#[ignore]`d `child_*` tests (test-log's `tests/output.rs` way), told what
//! to do by `FAULTS_CHILD_MODE` and `FAULTS_CHILD_DIR`; run directly, the
//! children do nothing.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, LogError, TestLogs};

const CRASH_LINES: usize = 10_000;
const CRASH_SESSION: &str = "crash.log";
/// How long the idle-crash child waits for its last line before giving up;
/// a watchdog against a hang, never reached when the test passes.
const IDLE_WATCHDOG: std::time::Duration = std::time::Duration::from_secs(120);

fn child_mode() -> Option<(String, PathBuf)> {
    let mode = std::env::var("FAULTS_CHILD_MODE").ok()?;
    let dir = std::env::var_os("FAULTS_CHILD_DIR")?;
    Some((mode, PathBuf::from(dir)))
}

fn run_child(test: &str, mode: &str, dir: &Path, logs_dir: Option<&Path>) -> Output {
    let mut command = common::this_binary();
    command
        .args([
            "--ignored",
            "--exact",
            test,
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FAULTS_CHILD_MODE", mode)
        .env("FAULTS_CHILD_DIR", dir);
    match logs_dir {
        Some(logs_dir) => command.env("LOGGED_TEST_DIR", logs_dir),
        None => command.env_remove("LOGGED_TEST_DIR"),
    };
    command.output().unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn crash_line(n: usize) -> String {
    format!("crash|{n}")
}

/// Whether the file at `path` ends with `suffix` (reads only the tail).
fn ends_with(path: &Path, suffix: &[u8]) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return false;
    };
    let Some(start) = len.checked_sub(suffix.len() as u64) else {
        return false;
    };
    let mut tail = Vec::with_capacity(suffix.len());
    file.seek(SeekFrom::Start(start)).is_ok()
        && file.read_to_end(&mut tail).is_ok()
        && tail == suffix
}

/// Logs `CRASH_LINES` lines, then aborts: right after `wait_for_empty`
/// (mode `flush`), or once the persister has written everything without
/// being asked to (mode `idle`).
#[test]
#[ignore = "run by the crash tests in a child process"]
fn child_logs_then_aborts() {
    let Some((mode, dir)) = child_mode() else {
        return;
    };
    logged_test::init_logger().unwrap();
    let collector = LogCollector::without_ui(&dir).unwrap();
    let path = collector.start_new_session_blocking(CRASH_SESSION).unwrap();
    for n in 0..CRASH_LINES {
        log::info!("{}", crash_line(n));
    }
    match mode.as_str() {
        "flush" => collector.wait_for_empty_blocking().unwrap(),
        "idle" => {
            // Nothing here asks the persister to flush. The last record can
            // only reach the file (the earlier ones overflow its 64 KiB
            // buffer, this one does not) if the persister flushes by itself
            // when its queue runs dry: that is the idleness this waits for.
            let last = format!("{}\n", crash_line(CRASH_LINES - 1));
            let started = std::time::Instant::now();
            while !ends_with(&path, last.as_bytes()) && started.elapsed() < IDLE_WATCHDOG {
                std::thread::yield_now();
            }
        }
        other => panic!("unknown FAULTS_CHILD_MODE {other:?}"),
    }
    std::process::abort();
}

fn assert_crash_lost_nothing(mode: &str) {
    let dir = tempfile::tempdir().unwrap();
    let output = run_child("faults::child_logs_then_aborts", mode, dir.path(), None);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        const SIGABRT: i32 = 6;
        assert_eq!(
            output.status.signal(),
            Some(SIGABRT),
            "{}",
            describe(&output)
        );
    }
    let text = std::fs::read_to_string(dir.path().join(CRASH_SESSION))
        .unwrap_or_else(|e| panic!("no session file ({e}); child:\n{}", describe(&output)));
    let messages: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    let expected: Vec<String> = (0..CRASH_LINES).map(crash_line).collect();
    assert_eq!(messages.len(), CRASH_LINES, "{}", describe(&output));
    assert_eq!(messages, expected);
}

#[test]
fn a_crash_right_after_wait_for_empty_loses_no_line() {
    assert_crash_lost_nothing("flush");
}

#[test]
fn a_crash_after_the_persister_went_idle_loses_no_line() {
    assert_crash_lost_nothing("idle");
}

const PANIC_LINES_PER_THREAD: usize = 20_000;

/// Panics while the records of two threads may still be queued.
#[test]
#[ignore = "run by `a_panicking_body_flushes_its_log_keeps_its_directory_and_prints_its_tail`"]
fn child_panics_with_records_in_flight() {
    let Some((mode, _)) = child_mode() else {
        return;
    };
    assert_eq!(mode, "panic");
    let _logs = TestLogs::new("child_panics_with_records_in_flight").unwrap();
    let helper = logged_test::thread::spawn(|| {
        for n in 0..PANIC_LINES_PER_THREAD {
            log::info!("in-flight|helper|{n}");
        }
    });
    for n in 0..PANIC_LINES_PER_THREAD {
        log::info!("in-flight|body|{n}");
    }
    helper.join().unwrap();
    log::error!("in-flight|last");
    panic!("the body failed on purpose");
}

#[test]
fn a_panicking_body_flushes_its_log_keeps_its_directory_and_prints_its_tail() {
    let base = tempfile::tempdir().unwrap();
    let output = run_child(
        "faults::child_panics_with_records_in_flight",
        "panic",
        base.path(),
        Some(base.path()),
    );
    let all = describe(&output);
    assert_eq!(
        output.status.code(),
        Some(101),
        "the child test should fail:\n{all}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let total = 2 * PANIC_LINES_PER_THREAD + 1;
    for expected in [
        "the body failed on purpose",
        "---- captured log of `child_panics_with_records_in_flight` (logged-test) ----",
        &format!(
            "(last 30 of {total}; {} earlier records omitted)",
            total - 30
        ),
        "in-flight|last",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected:?} not printed:\n{all}"
        );
    }
    // The full-log line names the kept directory.
    let kept = stderr
        .lines()
        .find_map(|l| l.split("(directory kept: ").nth(1))
        .and_then(|rest| rest.strip_suffix(") ----"))
        .unwrap_or_else(|| panic!("no `directory kept` line:\n{all}"));
    let kept = Path::new(kept);
    assert!(kept.starts_with(base.path()), "{}", kept.display());
    assert!(kept.is_dir(), "{} was removed", kept.display());
    let text =
        std::fs::read_to_string(kept.join("child_panics_with_records_in_flight.log")).unwrap();
    assert_eq!(
        text.matches("in-flight|body|").count(),
        PANIC_LINES_PER_THREAD
    );
    assert_eq!(
        text.matches("in-flight|helper|").count(),
        PANIC_LINES_PER_THREAD
    );
    assert!(
        text.ends_with("in-flight|last\n"),
        "the last record is missing"
    );
}

/// Asserts `result` is `LogError::Io` about `path`, and its message names it.
#[track_caller]
fn assert_io_error_on<T: std::fmt::Debug>(result: Result<T, LogError>, path: &Path) -> String {
    match result {
        Err(LogError::Io { path: got, source }) => {
            assert_eq!(got, path, "the error names another path ({source})");
            let message = LogError::Io { path: got, source }.to_string();
            assert!(message.contains(&path.display().to_string()), "{message}");
            message
        }
        other => panic!("expected LogError::Io on {}, got {other:?}", path.display()),
    }
}

/// Logs `n` lines through `log` and through the collector; both return at
/// once, whatever the state of the directory (the hot path does no I/O).
fn log_lines(collector: &LogCollector, tag: &str, n: usize) {
    for i in 0..n {
        log::info!("{tag}|{i}");
        collector.log_str(&format!("{tag}|direct|{i}"));
    }
}

fn new_collector(dir: &Path) -> LogCollector {
    logged_test::init_logger().unwrap();
    LogCollector::without_ui(dir).unwrap()
}

#[test]
fn a_deleted_log_directory_is_reported_and_a_new_session_recovers() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("logs");
    let collector = new_collector(&dir);
    let first = collector.start_new_session_blocking("first.log").unwrap();
    log_lines(&collector, "deleted-before", 10);
    collector.wait_for_empty_blocking().unwrap();

    std::fs::remove_dir_all(&dir).unwrap();
    log_lines(&collector, "deleted-during", 10_000);
    let message = assert_io_error_on(collector.wait_for_empty_blocking(), &first);
    assert!(message.contains("deleted"), "{message}");

    // The directory is still gone: records can't be written, and a session
    // can't be started; both say so, naming the path.
    log_lines(&collector, "deleted-still", 10_000);
    let second = dir.join("second.log");
    let message = assert_io_error_on(collector.start_new_session_blocking("second.log"), &second);
    assert!(
        message.contains("log directory no longer exists"),
        "{message}"
    );
    assert_io_error_on(collector.wait_for_empty_blocking(), &first);
    assert_eq!(collector.generation(), 1);

    std::fs::create_dir(&dir).unwrap();
    let third = collector.start_new_session_blocking("third.log").unwrap();
    log_lines(&collector, "recovered", 10);
    collector.wait_for_empty_blocking().unwrap();
    let text = std::fs::read_to_string(&third).unwrap();
    assert_eq!(text.matches("recovered|").count(), 20, "{text}");
    assert_eq!(collector.generation(), 2);
}

#[test]
fn a_log_directory_replaced_by_a_file_is_reported_and_a_new_session_recovers() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("logs");
    let collector = new_collector(&dir);
    let first = collector.start_new_session_blocking("first.log").unwrap();
    log_lines(&collector, "replaced-before", 10);
    collector.wait_for_empty_blocking().unwrap();

    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, "a file, not a directory").unwrap();
    log_lines(&collector, "replaced-during", 10_000);
    let second = dir.join("second.log");
    assert_io_error_on(collector.start_new_session_blocking("second.log"), &second);
    assert_io_error_on(collector.wait_for_empty_blocking(), &first);
    log_lines(&collector, "replaced-still", 10_000);
    assert_io_error_on(collector.wait_for_empty_blocking(), &first);
    assert_eq!(
        std::fs::read_to_string(&dir).unwrap(),
        "a file, not a directory",
        "the file in the directory's place was written to"
    );

    std::fs::remove_file(&dir).unwrap();
    std::fs::create_dir(&dir).unwrap();
    let third = collector.start_new_session_blocking("third.log").unwrap();
    log_lines(&collector, "recovered", 10);
    collector.wait_for_empty_blocking().unwrap();
    assert_eq!(
        std::fs::read_to_string(&third)
            .unwrap()
            .matches("recovered|")
            .count(),
        20
    );
}

#[test]
fn a_session_file_lost_before_a_session_switch_is_still_reported() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("logs");
    let collector = new_collector(&dir);
    let first = collector.start_new_session_blocking("first.log").unwrap();
    log_lines(&collector, "switch-before", 10);
    collector.wait_for_empty_blocking().unwrap();

    // The directory is deleted and recreated (a cleanup script, say) before
    // the next session: the records sent in between went to the deleted file.
    std::fs::remove_dir_all(&dir).unwrap();
    log_lines(&collector, "switch-lost", 100);
    std::fs::create_dir(&dir).unwrap();
    let second = collector.start_new_session_blocking("second.log").unwrap();
    log_lines(&collector, "switch-after", 10);
    let message = assert_io_error_on(collector.wait_for_empty_blocking(), &first);
    assert!(message.contains("deleted"), "{message}");
    // Reported once; the new session is fine.
    collector.wait_for_empty_blocking().unwrap();
    let text = std::fs::read_to_string(&second).unwrap();
    assert_eq!(text.matches("switch-after|").count(), 20, "{text}");
}

const UI_PRODUCERS: usize = 4;
const UI_LINES_PER_PRODUCER: usize = 5_000;
const UI_TOTAL: usize = UI_PRODUCERS * UI_LINES_PER_PRODUCER;

/// `UI_PRODUCERS` threads log `UI_LINES_PER_PRODUCER` lines each into
/// `collector`; returns once all have returned and the log is flushed.
fn produce(collector: &Arc<LogCollector>, tag: &str) {
    let producers: Vec<_> = (0..UI_PRODUCERS)
        .map(|t| {
            let collector = collector.clone();
            let tag = tag.to_owned();
            std::thread::spawn(move || {
                for n in 0..UI_LINES_PER_PRODUCER {
                    collector.log_str(&format!("{tag}|{t}|{n}"));
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    collector.wait_for_empty_blocking().unwrap();
}

/// Checks that every producer's lines are on disk, once and in order.
fn assert_disk_complete(collector: &LogCollector, tag: &str) {
    let captured = collector.captured().unwrap();
    assert_eq!(captured.len(), UI_TOTAL);
    assert_in_producer_order(captured.messages().into_iter(), tag, UI_LINES_PER_PRODUCER);
}

/// Each producer's lines appear in order; with `complete`, all of them.
fn assert_in_producer_order<'a>(
    messages: impl Iterator<Item = &'a str>,
    tag: &str,
    complete: usize,
) -> usize {
    let mut next = [0; UI_PRODUCERS];
    let mut seen = 0;
    for message in messages {
        let fields: Vec<&str> = message.split('|').collect();
        let [got_tag, t, n] = fields[..] else {
            panic!("unexpected line {message:?}")
        };
        assert_eq!(got_tag, tag);
        let (t, n): (usize, usize) = (t.parse().unwrap(), n.parse().unwrap());
        assert!(
            n >= next[t],
            "producer {t}: {message:?} repeated or out of order"
        );
        if complete > 0 {
            assert_eq!(
                n, next[t],
                "producer {t}: a line before {message:?} is missing"
            );
        }
        next[t] = n + 1;
        seen += 1;
    }
    if complete > 0 {
        assert_eq!(next, [complete; UI_PRODUCERS]);
    }
    seen
}

#[test]
fn a_full_ui_channel_that_is_never_read_does_not_block_callers() {
    let dir = tempfile::tempdir().unwrap();
    let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(8);
    let collector = Arc::new(LogCollector::new(dir.path(), ui_tx).unwrap());
    produce(&collector, "full");
    assert_disk_complete(&collector, "full");
    let mut received = Vec::new();
    while let Ok(line) = ui_rx.try_recv() {
        received.push(line.record.message);
    }
    assert_eq!(received.len(), 8);
    assert_eq!(collector.ui_missed(), (UI_TOTAL - 8) as u64);
}

#[test]
fn a_slow_ui_reader_never_blocks_callers_and_each_line_is_received_or_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(64);
    let collector = Arc::new(LogCollector::new(dir.path(), ui_tx).unwrap());
    // Reads until the collector is dropped, doing some work on each line.
    let reader = std::thread::spawn(move || {
        let mut received = Vec::new();
        while let Some(line) = ui_rx.blocking_recv() {
            let rendered = line.to_string();
            assert!(rendered.ends_with(&line.message));
            received.push(line.record.message);
        }
        received
    });
    produce(&collector, "slow");
    assert_disk_complete(&collector, "slow");
    let missed = collector.ui_missed();
    drop(collector);
    let received = reader.join().unwrap();
    assert_eq!(
        received.len() as u64 + missed,
        UI_TOTAL as u64,
        "every line is either received or counted as missed"
    );
    assert_in_producer_order(received.iter().map(String::as_str), "slow", 0);
}

#[test]
fn a_dropped_ui_receiver_counts_every_later_line_as_missed() {
    let dir = tempfile::tempdir().unwrap();
    let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(UI_TOTAL);
    let collector = Arc::new(LogCollector::new(dir.path(), ui_tx).unwrap());
    collector.log_str("dropped|0|0");
    collector.wait_for_empty_blocking().unwrap();
    assert_eq!(ui_rx.try_recv().unwrap().message, "dropped|0|0");
    drop(ui_rx);
    for n in 1..UI_LINES_PER_PRODUCER {
        collector.log_str(&format!("dropped|0|{n}"));
    }
    collector.wait_for_empty_blocking().unwrap();
    assert_eq!(collector.captured().unwrap().len(), UI_LINES_PER_PRODUCER);
    assert_eq!(collector.ui_missed(), (UI_LINES_PER_PRODUCER - 1) as u64);
}

/// Owns a collector and logs from its `Drop`, before the collector drops.
struct Service {
    collector: LogCollector,
}

struct LogsWhileFormatted;

impl std::fmt::Display for LogsWhileFormatted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        log::debug!("drop-nested-from-display");
        f.write_str("formatted")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        log::info!("drop-via-log {}", LogsWhileFormatted);
        self.collector.log_str("drop-via-collector");
        // A flush from `Drop` works too: the persister is still running.
        let flushed = self.collector.wait_for_empty_blocking();
        log::info!("drop-flushed {}", flushed.is_ok());
    }
}

#[test]
fn logging_from_the_drop_of_the_collectors_owner_is_captured() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service {
        collector: new_collector(dir.path()),
    };
    let path = service
        .collector
        .start_new_session_blocking("owner.log")
        .unwrap();
    log::info!("drop-before");
    drop(service);
    let text = std::fs::read_to_string(path).unwrap();
    let messages: Vec<&str> = text
        .lines()
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    assert_eq!(
        messages,
        [
            "drop-before",
            "drop-nested-from-display",
            "drop-via-log formatted",
            "drop-via-collector",
            "drop-flushed true",
        ]
    );
}

#[test]
fn a_display_that_drops_the_collector_it_is_logged_to_does_not_deadlock() {
    struct DropsCollector(std::cell::RefCell<Option<LogCollector>>);
    impl std::fmt::Display for DropsCollector {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            drop(self.0.borrow_mut().take());
            f.write_str("collector gone")
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let collector = new_collector(dir.path());
    let path = collector.start_new_session_blocking("gone.log").unwrap();
    let _guard = collector.enter();
    log::info!("gone-before");
    let value = DropsCollector(std::cell::RefCell::new(Some(collector)));
    log::info!("gone-during {value}");
    log::info!("gone-after");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with("gone-before\n"), "{text}");
}

#[test]
fn logging_from_a_thread_local_destructor_does_not_panic() {
    struct LogsOnDrop;
    impl Drop for LogsOnDrop {
        fn drop(&mut self) {
            log::info!("tls-destructor");
        }
    }
    thread_local! {
        static NOISY: LogsOnDrop = const { LogsOnDrop };
    }
    let dir = tempfile::tempdir().unwrap();
    let collector = new_collector(dir.path());
    let run = collector.bind(|| NOISY.with(|_| log::info!("tls-alive")));
    std::thread::spawn(run).join().unwrap();
    // Whether the destructor's record is captured depends on the order the
    // thread's locals are torn down; it must not panic either way.
    collector.captured().unwrap().assert_contains("tls-alive");
}

#[test]
fn awkward_messages_read_back_as_one_record_each() {
    let non_utf8: &[u8] = b"bytes \xff\xfe\x80 and \xc3 end";
    let mib_line = "x".repeat(1 << 20);
    let line = "one line of a long multi-line message\n";
    let mib_lines = line.repeat((1 << 20) / line.len());
    let messages = [
        mib_line.as_str(),
        mib_lines.as_str(),
        "carriage\rreturn",
        "crlf\r\nline\r\n",
        "two\nlines",
        "trailing newline\n",
        "\n",
        "",
        "\n\n\nleading newlines",
        "nul\0byte\0",
        "looks escaped: \\s \\n \\r \\t \\\\ \\",
        "\\",
        "tab\there",
        "    indented like a continuation",
        "first\n    indented continuation\n        deeper",
        "first\n2026-01-01T00:00:00.000000Z ERROR [fake] forged: looks like a record",
        "\u{1b}[31mansi red\u{1b}[0m",
        "non-ascii: séance ✓ 日本語 🦀",
        &String::from_utf8_lossy(non_utf8),
    ];
    let dir = tempfile::tempdir().unwrap();
    let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(3 * messages.len());
    let collector = LogCollector::new(dir.path(), ui_tx).unwrap();
    logged_test::init_logger().unwrap();
    let _guard = collector.enter();
    let mut expected = Vec::new();
    for message in messages {
        collector.log_str(message);
        collector.log(log::Level::Warn, message);
        log::error!("{message}");
        expected.extend([message; 3]);
    }
    let captured = collector.captured().unwrap();
    assert_eq!(
        captured.len(),
        expected.len(),
        "a message became several records"
    );
    for (n, (got, want)) in captured.messages().into_iter().zip(&expected).enumerate() {
        assert!(
            got == *want,
            "record {n} reads back as {}, logged {}",
            abbreviate(got),
            abbreviate(want)
        );
    }
    for want in &expected {
        assert_eq!(ui_rx.try_recv().unwrap().message, *want);
    }
    assert_eq!(collector.ui_missed(), 0);
}

/// A message short enough for a failure report.
fn abbreviate(message: &str) -> String {
    match message.char_indices().nth(80) {
        Some((end, _)) => format!("{:?}... ({} bytes)", &message[..end], message.len()),
        None => format!("{message:?}"),
    }
}
