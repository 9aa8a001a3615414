//! What `#[logged_test]` costs each test, without the logging itself:
//! - `per_test/test_logs`: `TestLogs::new(name)` (a collector in memory,
//!   its session begun, the thread routed: no directory, no thread), one
//!   `info!`, one `assert_contains`, and the drop that tears it all down,
//!   which is the work the macro's expansion does around a test body;
//! - `per_test_parts/*`: what costs more when a test needs the disk, and
//!   the disk collector's pieces: a `TestLogs` whose directory is made,
//!   written and removed (`dir()`, as a long or failing test does); a disk
//!   collector made and dropped; a flush round trip; `captured()` of a
//!   one-record disk log;
//! - `session/*`: the round trip of `start_new_session` (the persister opens
//!   the file and answers), blocking and async.
//!
//! Run with `cargo bench -p logged-test-benches --bench per_test`.
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, not measure something else"
)]

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use logged_test::LogAssertions as _;
use logged_test::{LogCollector, TestLogs};

fn per_test(c: &mut Criterion) {
    let mut group = c.benchmark_group("per_test");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("test_logs", |b| {
        b.iter(|| {
            let logs = TestLogs::new("bench::per_test").expect("test logs");
            log::info!("marker {}", 42);
            logs.assert_contains("marker 42");
            drop(logs);
        });
    });
    group.finish();
}

fn per_test_parts(c: &mut Criterion) {
    let mut group = c.benchmark_group("per_test_parts");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("test_logs_to_disk", |b| {
        b.iter(|| {
            let logs = TestLogs::new("bench::to_disk").expect("test logs");
            log::info!("marker {}", 42);
            std::hint::black_box(logs.dir());
            drop(logs);
        });
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    group.bench_function("collector_new_drop", |b| {
        b.iter(|| LogCollector::without_ui(dir.path()).expect("a collector"));
    });
    let collector = LogCollector::without_ui(dir.path()).expect("a collector");
    collector
        .start_new_session_blocking("parts.log")
        .expect("a session");
    group.bench_function("wait_for_empty_round_trip", |b| {
        b.iter(|| collector.wait_for_empty_blocking().expect("a flush"));
    });
    group.bench_function("captured_one_record", |b| {
        b.iter_batched(
            || {
                let fresh = LogCollector::without_ui(dir.path()).expect("a collector");
                fresh
                    .start_new_session_blocking("one.log")
                    .expect("a session");
                fresh.log_str("marker 42");
                fresh
            },
            // The collector is returned, so that its drop is not timed.
            |fresh| {
                let captured = fresh.captured().expect("the records");
                (fresh, captured)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// Session switches per collector: a collector keeps every session file it
/// wrote open (to read it back), so a long benchmark uses several.
const SESSIONS_PER_COLLECTOR: u64 = 200;

/// Times `iters` calls of `switch(collector, name)`, alternating two names
/// so that every call changes files; new collectors are made untimed.
fn switch_sessions(iters: u64, switch: impl Fn(&LogCollector, &str)) -> Duration {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut timed = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let collector = LogCollector::without_ui(dir.path()).expect("a collector");
        let batch = SESSIONS_PER_COLLECTOR.min(iters - done);
        let start = Instant::now();
        for i in 0..batch {
            switch(&collector, if i % 2 == 0 { "a.log" } else { "b.log" });
        }
        timed += start.elapsed();
        done += batch;
    }
    timed
}

fn session(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("session");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("start_new_session_blocking", |b| {
        b.iter_custom(|iters| {
            switch_sessions(iters, |collector, name| {
                collector
                    .start_new_session_blocking(name)
                    .expect("a session");
            })
        });
    });
    group.bench_function("start_new_session_async", |b| {
        b.iter_custom(|iters| {
            switch_sessions(iters, |collector, name| {
                runtime
                    .block_on(collector.start_new_session(name))
                    .expect("a session");
            })
        });
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    per_test(&mut c);
    per_test_parts(&mut c);
    session(&mut c);
    c.final_summary();
}
