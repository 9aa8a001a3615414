//! Cost of creating a thread: `std::thread::spawn` of an empty closure plus
//! its `join`, from a thread with no route and from one routed to a
//! collector (the new thread then inherits the route).
//!
//! Compare the thread-creation hook on and off:
//! `cargo bench -p logged-test-benches --bench thread_spawn` and
//! `cargo bench -p logged-test-benches --bench thread_spawn --no-default-features`.
#![expect(
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, not measure something else"
)]

use std::hint::black_box;

use criterion::Criterion;
use logged_test::LogCollector;

fn spawn_join() {
    std::thread::spawn(|| black_box(1u8))
        .join()
        .expect("the empty thread does not panic");
}

fn thread_spawn(c: &mut Criterion) {
    logged_test::init_logger().expect("no other logger in this process");
    let mut group = c.benchmark_group("thread_spawn");
    group.bench_function("unrouted", |b| b.iter(spawn_join));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let collector = LogCollector::without_ui(dir.path()).expect("a collector");
    let guard = collector.enter();
    group.bench_function("routed", |b| b.iter(spawn_join));
    drop(guard);
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    thread_spawn(&mut c);
    c.final_summary();
}
