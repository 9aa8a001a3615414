//! Per-call cost of logging into a collector: `log::info!` with static text,
//! `log::info!` with two formatted arguments, and `LogCollector::log_str`.
//!
//! Each is measured two ways, so the persister can never fall behind without
//! it showing:
//! - `enqueue`: only the N calls on the logging thread (the persister drains
//!   in parallel on another core; its backlog is drained, untimed, after each
//!   sample, and each sample has a new collector);
//! - `end_to_end`: the N calls plus the `wait_for_empty_blocking` that waits
//!   until all N are written, divided by N.
//!
//! `in_test/*` makes the same calls inside a test (`TestLogs`, what
//! `#[logged_test]` builds), where records stay in memory: the calls are
//! timed in runs of 10,000, each with a fresh `TestLogs` made and dropped
//! untimed, so a sample never grows past the in-memory threshold.
//!
//! `reference/format_two_args` is the floor under `info_two_args`: the same
//! `format!` into a `String`, dropped at once, with no logger involved.
//!
//! `filtered/*` is a test with the filter `info,bench_app=debug,bench_dep=off`
//! logging `log::debug!` with an argument whose `Display` is expensive
//! (64 numbers): `dep_debug_expensive` is left out by the filter and must cost
//! no formatting, `app_debug_expensive` is captured; `reference/expensive_display`
//! is the cost of that `Display` alone.
//!
//! `captured/snapshot_10000` is one `TestLogs::captured()` of a test that
//! logged 10,000 records (target: at most 2 us, whatever the count: the
//! snapshot shares the record chunks), and `captured/contains_10000` a
//! `contains` over that snapshot (a scan, O(records)).
//!
//! Run with `cargo bench -p logged-test-benches --bench hot_path`.
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, not measure something else"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use logged_test::LogAssertions as _;
use logged_test::LogCollector;

/// Fresh collectors in a temporary directory, one per sample: the timed
/// calls go to a thread bound to it, and its files are removed after the
/// sample so that a long run does not fill the disk.
struct Samples {
    dir: tempfile::TempDir,
    count: u64,
}

impl Samples {
    fn new() -> Samples {
        logged_test::init_logger().expect("no other logger in this process");
        Samples {
            dir: tempfile::tempdir().expect("a temporary directory"),
            count: 0,
        }
    }

    /// Runs `calls(collector, iters)` on a new collector, with this thread
    /// bound to it; returns (enqueue time, time until everything is written).
    fn sample(&mut self, iters: u64, calls: Calls) -> (Duration, Duration) {
        self.count += 1;
        let dir = self.dir.path().join(format!("sample-{}", self.count));
        let collector = LogCollector::without_ui(&dir).expect("a collector");
        collector
            .start_new_session_blocking("calls.log")
            .expect("a session");
        let guard = collector.enter();
        let start = Instant::now();
        calls(&collector, iters);
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
}

/// Makes `n` calls on a thread bound to `collector`.
type Calls = fn(&LogCollector, u64);

const CASES: [(&str, Calls); 3] = [
    ("info_static", |_, n| {
        for _ in 0..n {
            log::info!("static text");
        }
    }),
    ("info_two_args", |_, n| {
        for i in 0..n {
            log::info!("request {} took {} us", black_box(i), black_box(42));
        }
    }),
    ("log_str", |collector, n| {
        for _ in 0..n {
            collector.log_str(black_box("static text"));
        }
    }),
];

/// A value whose `Display` does real work: what a filter must not pay for.
struct Expensive(u64);

impl std::fmt::Display for Expensive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for i in 0..64 {
            write!(f, "{},", self.0.wrapping_mul(i))?;
        }
        Ok(())
    }
}

/// The filter of the `filtered` group.
const FILTER: &str = "info,bench_app=debug,bench_dep=off";

const FILTERED: [(&str, Calls); 2] = [
    ("dep_debug_expensive", |_, n| {
        for i in 0..n {
            log::debug!(target: "bench_dep::pool", "state {}", Expensive(black_box(i)));
        }
    }),
    ("app_debug_expensive", |_, n| {
        for i in 0..n {
            log::debug!(target: "bench_app::db", "state {}", Expensive(black_box(i)));
        }
    }),
];

/// Times `iters` calls made inside tests, in runs of [`RUN`] calls per test.
fn in_test(iters: u64, calls: Calls) -> Duration {
    in_test_filtered(iters, calls, None)
}

/// [`in_test`], the tests capturing what `filter` lets through.
fn in_test_filtered(iters: u64, calls: Calls, filter: Option<&str>) -> Duration {
    const RUN: u64 = 10_000;
    let mut timed = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let logs = match filter {
            Some(filter) => logged_test::TestLogs::with_filter("bench::in_test", filter),
            None => logged_test::TestLogs::new("bench::in_test"),
        }
        .expect("test logs");
        let n = RUN.min(iters - done);
        let start = Instant::now();
        calls(logs.collector(), n);
        timed += start.elapsed();
        done += n;
    }
    timed
}

fn per_call(c: &mut Criterion) {
    let mut samples = Samples::new();
    let mut group = c.benchmark_group("per_call");
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
                    let (enqueued, written) = samples.sample(iters, calls);
                    if end_to_end { written } else { enqueued }
                });
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("in_test");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for (name, calls) in CASES {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| in_test(iters, calls));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("filtered");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for (name, calls) in FILTERED {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| in_test_filtered(iters, calls, Some(FILTER)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("reference");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let mut i = 0u64;
    group.bench_function("format_two_args", |b| {
        b.iter(|| {
            i += 1;
            format!("request {} took {} us", black_box(i), black_box(42))
        });
    });
    group.bench_function("expensive_display", |b| {
        b.iter(|| {
            i += 1;
            format!("state {}", Expensive(black_box(i)))
        });
    });
    group.finish();
}

/// A test that logged 10,000 records, still in memory (a fresh one well
/// within the 100 ms after which a test's log goes to disk).
fn ten_thousand() -> logged_test::TestLogs {
    let logs = logged_test::TestLogs::new("bench::captured").expect("test logs");
    for i in 0..10_000 {
        log::info!("record {i}");
    }
    logs
}

fn captured(c: &mut Criterion) {
    let mut group = c.benchmark_group("captured");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("snapshot_10000", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let logs = ten_thousand();
                let n = (iters - done).min(2_000);
                let start = Instant::now();
                for _ in 0..n {
                    black_box(logs.captured());
                }
                timed += start.elapsed();
                done += n;
            }
            timed
        });
    });
    let snapshot = ten_thousand().captured();
    assert_eq!(snapshot.len(), 10_000);
    group.bench_function("contains_10000", |b| {
        b.iter(|| black_box(snapshot.contains(black_box("record 9999"))))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    captured(&mut c);
    per_call(&mut c);
    c.final_summary();
}
