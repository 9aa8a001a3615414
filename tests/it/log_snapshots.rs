//! Log snapshots: one stable line per record, the built-in and the user's
//! redactions, the level and target selection, and grouping by thread that
//! makes two threads logging side by side give the same text every run
//! (20 tests at once below). With the `insta` feature, the same through
//! `assert_log_snapshot!` and the snapshots in `tests/it/snapshots/`.
#![expect(clippy::unwrap_used, reason = "test code fails by panicking")]

use std::sync::mpsc;

use logged_test::{SnapshotOptions, TestLogs, logged_test};

#[logged_test]
fn smoke(logs: &TestLogs) {
    log::info!(target: "snap::smoke", "hello");
    log::warn!(target: "snap::smoke", "two\nlines");
    assert_eq!(
        logs.snapshot(),
        "INFO  snap::smoke: hello\nWARN  snap::smoke: two\\nlines\n"
    );
}

#[cfg(feature = "kv")]
#[logged_test]
fn fields_follow_the_message(logs: &TestLogs) {
    log::warn!(target: "snap::fields", order = 42, user = "ada"; "two\nlines");
    assert_eq!(
        logs.snapshot(),
        "WARN  snap::fields: two\\nlines order=42 user=ada\n"
    );
}

#[logged_test]
fn built_in_redactions_hide_what_changes_between_runs(logs: &TestLogs) {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data.bin");
    let pid_file = logs.dir().join("server.pid");
    let value = 7u8;
    log::info!(
        target: "snap",
        "request 67e55044-10b1-426f-9247-bb680e5fe0c8 from 127.0.0.1:{} took {:?}",
        40000 + u32::from(value),
        std::time::Duration::from_micros(1234)
    );
    log::info!(target: "snap", "value at {:p}, wrote {}", &value, data.display());
    log::info!(target: "snap", "pid in {}; also on [::1]:8443 and localhost:3000", pid_file.display());
    log::info!(target: "snap", "timings 12.3ms 1.5s 250us; not 5sec nor v2s");
    assert_eq!(
        logs.snapshot(),
        "INFO  snap: request [UUID] from 127.0.0.1:[PORT] took [DURATION]\n\
         INFO  snap: value at [ADDR], wrote [TEMP]/data.bin\n\
         INFO  snap: pid in [TEST_DIR]/server.pid; also on [::1]:[PORT] and localhost:[PORT]\n\
         INFO  snap: timings [DURATION] [DURATION] [DURATION]; not 5sec nor v2s\n"
    );
}

#[logged_test]
fn user_redactions_and_selection(logs: &TestLogs) {
    log::debug!(target: "app::db", "connecting as ada");
    log::info!(target: "app::db", "session token=Zm9vYmFy for ada");
    log::warn!(target: "hyper::client", "connection reset");
    log::error!(target: "appliance", "not under `app`");
    let options = SnapshotOptions::new()
        .min_level(log::Level::Info)
        .target("app")
        .target("hyper")
        .redact("ada", "[USER]")
        .redact_with(|line| match line.find("token=") {
            Some(at) => {
                let end = line[at..].find(' ').map_or(line.len(), |n| at + n);
                format!("{}token=[TOKEN]{}", &line[..at], &line[end..])
            }
            None => line.to_owned(),
        });
    assert_eq!(
        logs.snapshot_with(&options),
        "INFO  app::db: session token=[TOKEN] for [USER]\nWARN  hyper::client: connection reset\n"
    );
    // A `CapturedLogs` (here after a mark) snapshots the same way.
    let mark = logs.mark();
    log::info!(target: "app", "after the mark");
    assert_eq!(logs.since(mark).snapshot(), "INFO  app: after the mark\n");
}

/// Two named threads log `STEPS` records each, freely interleaved; only
/// their first records are ordered (alpha's, then beta's), which fixes the
/// order of the groups.
const STEPS: usize = 50;

fn two_threads_log(logs: &TestLogs) {
    log::info!(target: "snap::run", "starting two workers");
    let (alpha_started, wait_for_alpha) = mpsc::channel::<()>();
    let (go, wait_for_go) = mpsc::channel::<()>();
    let collector = logs.collector().clone();
    let alpha = std::thread::Builder::new()
        .name("alpha".into())
        .spawn(collector.bind(move || {
            log::info!(target: "snap::alpha", "alpha up");
            alpha_started.send(()).unwrap();
            wait_for_go.recv().unwrap();
            for i in 0..STEPS {
                log::info!(target: "snap::alpha", "alpha step {i} took {}.{}ms", i % 7, i % 3);
            }
        }))
        .unwrap();
    wait_for_alpha.recv().unwrap();
    let beta = std::thread::Builder::new()
        .name("beta".into())
        .spawn(collector.bind(move || {
            log::info!(target: "snap::beta", "beta up");
            go.send(()).unwrap();
            for i in 0..STEPS {
                log::warn!(target: "snap::beta", "beta step {i} on 127.0.0.1:{}", 40000 + i);
            }
        }))
        .unwrap();
    alpha.join().unwrap();
    beta.join().unwrap();
    log::info!(target: "snap::run", "both done");
}

fn expected_by_thread(test_thread: &str) -> String {
    let mut text = format!(
        "--- thread {test_thread} ---\nINFO  snap::run: starting two workers\nINFO  snap::run: both done\n--- thread alpha ---\nINFO  snap::alpha: alpha up\n"
    );
    for i in 0..STEPS {
        text.push_str(&format!(
            "INFO  snap::alpha: alpha step {i} took [DURATION]\n"
        ));
    }
    text.push_str("--- thread beta ---\nINFO  snap::beta: beta up\n");
    for i in 0..STEPS {
        text.push_str(&format!(
            "WARN  snap::beta: beta step {i} on 127.0.0.1:[PORT]\n"
        ));
    }
    text
}

macro_rules! parallel_runs {
    ($($name:ident)*) => {$(
        #[logged_test]
        fn $name(logs: &TestLogs) {
            two_threads_log(logs);
            let by_thread = logs.snapshot_with(&SnapshotOptions::new().by_thread());
            let thread = std::thread::current();
            assert_eq!(by_thread, expected_by_thread(thread.name().unwrap()));
        }
    )*};
}

parallel_runs!(
    by_thread_01 by_thread_02 by_thread_03 by_thread_04 by_thread_05
    by_thread_06 by_thread_07 by_thread_08 by_thread_09 by_thread_10
    by_thread_11 by_thread_12 by_thread_13 by_thread_14 by_thread_15
    by_thread_16 by_thread_17 by_thread_18 by_thread_19 by_thread_20
);

// Its records carry `log` key-values (feature `kv`).
#[cfg(all(feature = "insta", feature = "kv"))]
mod with_insta {
    use logged_test::{SnapshotOptions, TestLogs, logged_test};

    #[logged_test]
    fn checkout(logs: &TestLogs) {
        log::info!(target: "shop", "order 67e55044-10b1-426f-9247-bb680e5fe0c8 paid in 12ms");
        log::warn!(target: "shop", card = "visa"; "card expires soon");
        logged_test::assert_log_snapshot!(logs);
        let warnings = SnapshotOptions::new().min_level(log::Level::Warn);
        logged_test::assert_log_snapshot!("checkout_warnings", logs.snapshot_with(&warnings));
        logged_test::assert_log_snapshot!("checkout_captured", logs.captured());
    }
}
