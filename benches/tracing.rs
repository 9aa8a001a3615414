//! Per-call cost of a `tracing` event captured by a collector (feature
//! `tracing`): `tracing::info!(n, "text")` (one field), the same inside a
//! span, inside two nested spans with two fields each (formatted once per
//! span, not per event), and `tracing::info!("text")` alone; plus
//! `log::info!("text")` for comparison, in the same process.
//!
//! Measured as in `hot_path`: `enqueue` is only the N calls on the logging
//! thread; `end_to_end` adds the wait until all N are written, divided by N.
//!
//! Run with `cargo bench -p logged-test-benches --features tracing --bench tracing`.
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, not measure something else"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use logged_test::LogCollector;

/// Runs `calls(iters)` on a thread routed to a fresh collector; returns
/// (enqueue time, time until everything is written).
fn sample(dir: &std::path::Path, n: u64, iters: u64, calls: Calls) -> (Duration, Duration) {
    let dir = dir.join(format!("sample-{n}"));
    let collector = LogCollector::without_ui(&dir).expect("a collector");
    collector
        .start_new_session_blocking("calls.log")
        .expect("a session");
    let guard = collector.enter();
    let start = Instant::now();
    calls(iters);
    let enqueued = start.elapsed();
    collector
        .wait_for_empty_blocking()
        .expect("records written");
    let written = start.elapsed();
    drop(guard);
    drop(collector);
    let _ = std::fs::remove_dir_all(dir);
    (enqueued, written)
}

/// Makes `n` calls on a thread routed to a collector.
type Calls = fn(u64);

const CASES: [(&str, Calls); 5] = [
    ("tracing_info_one_field", |n| {
        for i in 0..n {
            tracing::info!(n = black_box(i), "text");
        }
    }),
    ("tracing_info_one_field_in_span", |n| {
        let _span = tracing::info_span!("request").entered();
        for i in 0..n {
            tracing::info!(n = black_box(i), "text");
        }
    }),
    ("tracing_info_one_field_in_spans_with_fields", |n| {
        let _request = tracing::info_span!("request", id = 7, path = "/cart").entered();
        let _checkout = tracing::info_span!("checkout", items = 3, user = "ada").entered();
        for i in 0..n {
            tracing::info!(n = black_box(i), "text");
        }
    }),
    ("tracing_info_static", |n| {
        for _ in 0..n {
            tracing::info!("static text");
        }
    }),
    ("log_info_static", |n| {
        for _ in 0..n {
            log::info!("static text");
        }
    }),
];

fn per_call(c: &mut Criterion) {
    logged_test::init_logger().expect("no other logger or subscriber in this process");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut count = 0;
    let mut group = c.benchmark_group("tracing_per_call");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for (name, calls) in CASES {
        for end_to_end in [false, true] {
            let id = BenchmarkId::new(name, if end_to_end { "end_to_end" } else { "enqueue" });
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    count += 1;
                    let (enqueued, written) = sample(dir.path(), count, iters, calls);
                    if end_to_end { written } else { enqueued }
                });
            });
        }
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    per_call(&mut c);
    c.final_summary();
}
