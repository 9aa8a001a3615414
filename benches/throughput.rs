//! Sustained rate, each sample ending with `wait_for_empty_blocking`, so
//! everything counted is on disk:
//! - `throughput/one_thread`: 1,000,000 formatted `info!` lines from one
//!   thread into one collector;
//! - `throughput/two_threads`: two threads, each logging 1,000,000 lines into
//!   its own collector; the rate is the aggregate (2,000,000 lines over the
//!   time until both are written).
//!
//! Collectors are made and dropped outside the timed part.
//!
//! Run with `cargo bench -p logged-test-benches --bench throughput`.
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, not measure something else"
)]

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use logged_test::LogCollector;

/// Lines per logging thread and sample.
const LINES: u64 = 1_000_000;

/// Logs `LINES` lines on this thread into a new collector; returns when they
/// are written. `ready` is waited on once the collector is set up.
fn log_lines(ready: &Barrier) -> Instant {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let collector = LogCollector::without_ui(dir.path()).expect("a collector");
    let _guard = collector.enter();
    ready.wait();
    for i in 0..LINES {
        log::info!("request {} took {} us", black_box(i), 42);
    }
    collector
        .wait_for_empty_blocking()
        .expect("records written");
    Instant::now()
}

/// Time from the start of `threads` threads to the last one's lines being written.
fn run(threads: usize) -> Duration {
    let ready = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| log_lines(&ready)))
            .collect();
        ready.wait();
        let start = Instant::now();
        let done = workers
            .into_iter()
            .map(|w| w.join().expect("a logging thread"))
            .max()
            .expect("at least one thread");
        done - start
    })
}

fn throughput(c: &mut Criterion) {
    logged_test::init_logger().expect("no other logger in this process");
    let mut group = c.benchmark_group("throughput");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(10));
    for (name, threads) in [("one_thread", 1), ("two_threads", 2)] {
        group.throughput(Throughput::Elements(LINES * threads as u64));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run(threads)).sum());
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    c.final_summary();
}
