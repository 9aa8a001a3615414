//! `LogCollector` on its own: files, sessions, flush, drop, UI channel.
#![expect(
    clippy::expect_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use crate::common;
use std::sync::Arc;

use logged_test::LogAssertions as _;
use logged_test::{LogCollector, LogError, PRE_SESSION_FILE};

fn read(path: impl AsRef<std::path::Path>) -> String {
    std::fs::read_to_string(path).expect("log file is readable")
}

#[test]
fn smoke() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    collector.log_str("collector-smoke-1");
    let logs = collector.captured().unwrap();
    assert_eq!(logs.messages(), ["collector-smoke-1"]);
}

#[test]
fn ids_are_unique_and_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let a = LogCollector::without_ui(dir.path().join("a")).unwrap();
    let b = LogCollector::without_ui(dir.path().join("b")).unwrap();
    assert!(a.id() >= 1);
    assert!(b.id() > a.id());
    assert!(logged_test::active_collectors().contains(&a.id()));
}

#[test]
fn seed_style_sequential_collectors_reuse_the_logger() {
    let dir = tempfile::tempdir().unwrap();
    let first = Arc::new(LogCollector::without_ui(dir.path().join("one")).unwrap());
    let first_result = first.clone().init_global_logger(log::LevelFilter::Info);
    assert!(
        matches!(
            first_result,
            Ok(()) | Err(LogError::LoggerAlreadyInitialized)
        ),
        "{first_result:?}"
    );
    log::info!("seed-seq-first");
    let first_id = first.id();
    let first_log = first.captured().unwrap();
    first_log.assert_contains("seed-seq-first");
    drop(first);
    assert!(!logged_test::active_collectors().contains(&first_id));

    let second = Arc::new(LogCollector::without_ui(dir.path().join("two")).unwrap());
    let second_result = second.clone().init_global_logger(log::LevelFilter::Info);
    // Idempotent: the dispatcher is already installed, which is fine.
    assert!(matches!(second_result, Ok(())), "{second_result:?}");
    let path = second.start_new_session_blocking("session2.log").unwrap();
    log::info!("seed-seq-second");
    log::debug!("seed-seq-below-level");
    second.wait_for_empty_blocking().unwrap();
    let text = read(&path);
    assert!(text.contains("seed-seq-second"), "{text}");
    assert!(!text.contains("seed-seq-first"), "{text}");
    assert!(!text.contains("seed-seq-below-level"), "{text}");
}

#[test]
fn records_before_a_session_go_to_the_pre_session_file() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    collector.log_str("pre-session-marker");
    let session = collector.start_new_session_blocking("s.log").unwrap();
    collector.log_str("in-session-marker");
    collector.wait_for_empty_blocking().unwrap();
    let pre = read(dir.path().join(PRE_SESSION_FILE));
    assert!(pre.contains("pre-session-marker"));
    assert!(!pre.contains("in-session-marker"));
    assert!(read(session).contains("in-session-marker"));
}

#[test]
fn sessions_switch_files_and_generations() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    assert_eq!(collector.generation(), 0);
    assert_eq!(collector.session_path(), None);
    let a = collector.start_new_session_blocking("a.log").unwrap();
    collector.log_str("gen-one");
    let b = collector.start_new_session_blocking("b.log").unwrap();
    collector.log_str("gen-two");
    assert_eq!(collector.generation(), 2);
    assert_eq!(collector.session_path(), Some(b.clone()));
    collector.wait_for_empty_blocking().unwrap();
    assert!(read(&a).contains("gen-one") && !read(&a).contains("gen-two"));
    assert!(read(&b).contains("gen-two") && !read(&b).contains("gen-one"));
    let logs = collector.captured().unwrap();
    let generations: Vec<u64> = logs.records().iter().map(|r| r.generation).collect();
    assert_eq!(generations, [1, 2]);
}

#[tokio::test]
async fn async_session_and_flush_do_not_block_a_current_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let collector = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    let path = collector.start_new_session("async.log").await.unwrap();
    let c = collector.clone();
    // A task on the same (only) runtime thread logs while we await the flush.
    let task = tokio::spawn(async move { c.log_str("async-flush-marker") });
    task.await.unwrap();
    collector.wait_for_empty().await.unwrap();
    assert!(read(path).contains("async-flush-marker"));
}

#[test]
fn an_existing_session_file_is_appended_to_and_earlier_content_is_not_captured() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reused.log"), "from an earlier run\n").unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let path = collector.start_new_session_blocking("reused.log").unwrap();
    collector.log_str("this-run-marker");
    let logs = collector.captured().unwrap();
    assert_eq!(logs.messages(), ["this-run-marker"]);
    let text = read(path);
    assert!(text.starts_with("from an earlier run\n"), "{text}");
    assert!(text.contains("this-run-marker"));
}

#[test]
fn the_same_session_name_twice_keeps_both_generations() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    collector.start_new_session_blocking("same.log").unwrap();
    collector.log_str("same-first");
    collector.start_new_session_blocking("same.log").unwrap();
    collector.log_str("same-second");
    let logs = collector.captured().unwrap();
    assert_eq!(logs.messages(), ["same-first", "same-second"]);
    assert_eq!(logs.records()[1].generation, 2);
}

#[test]
fn a_multi_line_message_is_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let path = collector.start_new_session_blocking("multi.log").unwrap();
    collector.log(log::Level::Warn, "first line\nsecond line\r\nthird");
    collector.log_str("next record");
    let logs = collector.captured().unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(
        logs.records()[0].message,
        "first line\nsecond line\r\nthird"
    );
    let text = read(path);
    assert!(text.contains("\n    second line"), "{text:?}");
}

#[test]
fn each_collector_filters_by_its_own_level() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = LogCollector::without_ui(dir.path().join("quiet")).unwrap();
    let chatty = LogCollector::without_ui(dir.path().join("chatty")).unwrap();
    quiet.set_level(log::LevelFilter::Warn);
    for c in [&quiet, &chatty] {
        c.log(log::Level::Debug, "level-debug");
        c.log(log::Level::Error, "level-error");
    }
    assert_eq!(quiet.captured().unwrap().messages(), ["level-error"]);
    assert_eq!(
        chatty.captured().unwrap().messages(),
        ["level-debug", "level-error"]
    );
}

#[test]
fn flush_covers_records_sent_from_other_threads() {
    let dir = tempfile::tempdir().unwrap();
    let collector = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    let path = collector.start_new_session_blocking("threads.log").unwrap();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let c = collector.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    c.log_str(&format!("flush-thread-{t}-{i}"));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    collector.wait_for_empty_blocking().unwrap();
    let text = read(path);
    assert_eq!(text.matches("flush-thread-").count(), 4000);
}

#[test]
fn drop_drains_100_000_lines() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let path = collector.start_new_session_blocking("drain.log").unwrap();
    for i in 0..100_000 {
        collector.log_str(&format!("drain-{i}"));
    }
    drop(collector);
    let text = read(path);
    assert_eq!(text.lines().count(), 100_000);
    assert!(text.ends_with("drain-99999\n"));
}

#[test]
fn the_ui_channel_gets_every_line_with_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(16);
    let collector = LogCollector::new(dir.path(), ui_tx).unwrap();
    collector.start_new_session_blocking("ui.log").unwrap();
    collector.log(log::Level::Error, "ui-marker");
    collector.wait_for_empty_blocking().unwrap();
    let line = ui_rx.try_recv().unwrap();
    assert_eq!(line.message, "ui-marker");
    assert_eq!(line.level, log::Level::Error);
    assert_eq!(line.collector_id, collector.id());
    assert_eq!(line.generation, 1);
    assert_eq!(line.target, logged_test::DIRECT_TARGET);
    assert_eq!(collector.ui_missed(), 0);
}

#[test]
fn a_full_ui_channel_never_blocks_and_loses_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (ui_tx, _ui_rx) = tokio::sync::mpsc::channel(4);
    let collector = LogCollector::new(dir.path(), ui_tx).unwrap();
    for i in 0..1000 {
        collector.log_str(&format!("ui-full-{i}"));
    }
    let logs = collector.captured().unwrap();
    assert_eq!(logs.len(), 1000);
    assert_eq!(collector.ui_missed(), 996);
}

#[test]
fn log_dir_is_created_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c");
    let collector = LogCollector::without_ui(&nested).unwrap();
    assert!(nested.is_dir());
    assert_eq!(collector.log_dir(), nested);
}

#[test]
fn a_file_where_the_log_dir_should_be_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = LogCollector::without_ui(&file).unwrap_err();
    match err {
        LogError::Io { path, .. } => assert_eq!(path, file),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn two_collectors_sharing_a_file_each_capture_only_their_own_records() {
    let dir = tempfile::tempdir().unwrap();
    let a = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    let b = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    a.start_new_session_blocking("shared.log").unwrap();
    b.start_new_session_blocking("shared.log").unwrap();
    let writers: Vec<_> = [(a.clone(), "shared-a"), (b.clone(), "shared-b")]
        .into_iter()
        .map(|(c, tag)| {
            std::thread::spawn(move || {
                for i in 0..2000 {
                    c.log_str(&format!("{tag}-{i}"));
                    if i % 100 == 0 {
                        // Interleave the two writers' flushes in the file.
                        c.wait_for_empty_blocking().unwrap();
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    for (c, mine, theirs) in [
        (&a, "shared-a-", "shared-b-"),
        (&b, "shared-b-", "shared-a-"),
    ] {
        let logs = c.captured().unwrap();
        logs.assert_count(mine, 2000);
        logs.assert_not_contains(theirs);
    }
    let text = read(dir.path().join("shared.log"));
    assert_eq!(text.lines().count(), 4000);
}

/// In a process of its own: it counts unattributed records, which other tests of this binary
/// add to.
#[test]
fn records_sent_after_shutdown_are_unattributed_not_lost() {
    common::run_alone("collector::records_sent_after_shutdown_are_unattributed_not_lost_alone");
}

#[test]
#[ignore = "run in a process of its own by `records_sent_after_shutdown_are_unattributed_not_lost`"]
fn records_sent_after_shutdown_are_unattributed_not_lost_alone() {
    if !common::alone("collector::records_sent_after_shutdown_are_unattributed_not_lost_alone") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let collector = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    collector.log_str("before-shutdown");
    let clone = collector.clone();
    collector.shutdown();
    assert!(!logged_test::active_collectors().contains(&collector.id()));
    let before = logged_test::unattributed_count();
    clone.log_str("after-shutdown");
    assert_eq!(logged_test::unattributed_count(), before + 1);
    let err = clone.wait_for_empty_blocking().unwrap_err();
    assert!(matches!(err, LogError::CollectorShutDown), "{err:?}");
    assert!(err.to_string().contains("was shut down"), "{err}");
    assert!(!err.to_string().contains("bug"), "{err}");
    let pre = read(dir.path().join(PRE_SESSION_FILE));
    assert!(pre.contains("before-shutdown") && !pre.contains("after-shutdown"));
}

#[test]
fn captured_still_reads_a_deleted_session_file() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let path = collector.start_new_session_blocking("gone.log").unwrap();
    collector.log_str("written-before-delete");
    collector.wait_for_empty_blocking().unwrap();
    std::fs::remove_file(&path).unwrap();
    let logs = collector.captured().unwrap();
    logs.assert_contains("written-before-delete");
}

#[cfg(unix)]
#[test]
fn a_hard_link_at_the_session_path_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside.txt");
    std::fs::write(&outside, "precious").unwrap();
    let dir = root.path().join("logs");
    let collector = LogCollector::without_ui(&dir).unwrap();
    std::fs::hard_link(&outside, dir.join("linked.log")).unwrap();
    let err = collector
        .start_new_session_blocking("linked.log")
        .unwrap_err();
    assert!(err.to_string().contains("hard link"), "{err}");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
}
