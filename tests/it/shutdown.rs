//! `shutdown()` seals the collector: it returns once what was sent before it
//! is written, however long other threads go on logging, and what they send
//! after it is unattributed, never written and never lost unseen.
//! It runs in a process of its own (a child run of this binary,
//! `common::run_alone`), because it counts unattributed records.

use crate::common;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use logged_test::LogCollector;

#[test]
fn shutdown_returns_while_another_thread_keeps_logging() {
    common::run_alone("shutdown::in_its_own_process");
}

#[test]
#[ignore = "run in a process of its own by `shutdown_returns_while_another_thread_keeps_logging`"]
fn in_its_own_process() {
    if !common::alone("shutdown::in_its_own_process") {
        return;
    }
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let collector = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    let unattributed_before = logged_test::unattributed_count();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let producer = {
        let collector = Arc::clone(&collector);
        std::thread::spawn(move || {
            let mut sent = 0u64;
            // Stops only once `shutdown()` has returned on the other thread.
            while stop_rx.try_recv().is_err() {
                collector.log_str(&format!("forwarded-{sent}"));
                sent += 1;
            }
            sent
        })
    };
    assert!(collector.wait_for_blocking("forwarded-1000", Duration::from_secs(60)));
    collector.shutdown();
    stop_tx.send(()).unwrap();
    let sent = producer.join().unwrap();

    let text = std::fs::read_to_string(dir.path().join(logged_test::PRE_SESSION_FILE)).unwrap();
    let written: Vec<&str> = text.lines().collect();
    assert!(written.len() > 1000, "{} written", written.len());
    for (i, line) in written.iter().enumerate() {
        assert!(
            line.ends_with(&format!(": forwarded-{i}")),
            "line {i}: {line}"
        );
    }
    let unattributed = logged_test::unattributed_count() - unattributed_before;
    assert_eq!(
        written.len() as u64 + unattributed,
        sent,
        "every record is either written (before the seal) or unattributed (after it)"
    );
    assert!(matches!(
        collector.wait_for_empty_blocking(),
        Err(logged_test::LogError::CollectorShutDown)
    ));
}
