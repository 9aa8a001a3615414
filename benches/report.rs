//! Cost of a failing assertion on a big log: `CapturedLogs::assert_contains`
//! with a marker no record contains, over 1,000,000 captured records, caught
//! with `catch_unwind`. The time is the whole failure: the scan for the
//! marker, the report (the last 50 records) and the closest-record search,
//! which stops after a fixed budget and says so in the report.
//!
//! Run with `cargo bench -p logged-test-benches --bench report`.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose set-up fails should stop loudly, not measure something else"
)]

use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use criterion::Criterion;
use logged_test::LogAssertions as _;
use logged_test::{CapturedLogs, LogCollector};

const RECORDS: usize = 1_000_000;
const MISSING: &str = "request 42 timed out after 30 s";

fn captured_million() -> CapturedLogs {
    let dir = tempfile::tempdir().expect("a temp dir");
    let collector = LogCollector::without_ui(dir.path()).expect("a collector");
    for i in 0..RECORDS {
        collector.log_str(&format!(
            "request {i} handled in {} ms by worker {}",
            i % 97,
            i % 8
        ));
    }
    let logs = collector.captured().expect("the captured records");
    assert_eq!(logs.len(), RECORDS);
    logs
}

fn failure_report(logs: &CapturedLogs) -> String {
    let payload = catch_unwind(AssertUnwindSafe(|| logs.assert_contains(MISSING)))
        .expect_err("the assertion must fail");
    match payload.downcast::<String>() {
        Ok(report) => *report,
        Err(_) => panic!("the panic payload is not the report"),
    }
}

fn failing_assertion(c: &mut Criterion) {
    let logs = captured_million();
    // The report goes in the panic payload; don't print it at every iteration.
    std::panic::set_hook(Box::new(|_| {}));
    let report = failure_report(&logs);
    assert!(report.contains("the search was cut short"), "{report}");
    assert!(report.contains("999951 |"), "{report}");

    let mut group = c.benchmark_group("report");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("assert_contains_fails_over_1M_records", |b| {
        b.iter(|| black_box(failure_report(black_box(&logs))).len());
    });
    // The floor: the scan that finds no record with the marker.
    group.bench_function("contains_over_1M_records", |b| {
        b.iter(|| black_box(&logs).contains(black_box(MISSING)));
    });
    group.finish();
    let _ = std::panic::take_hook();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    failing_assertion(&mut c);
    c.final_summary();
}
