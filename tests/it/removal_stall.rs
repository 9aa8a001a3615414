//! A measurement, not a check (it asserts no time): how long another test's
//! `flush()` takes while a passing test's 200,000-file directory is removed.
//! Run it when the machine is quiet:
//!
//! ```sh
//! cargo test --release --test it -- --ignored --nocapture removal_stall::
//! ```
#![expect(
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use logged_test::TestLogs;

const FILES: usize = 200_000;

/// Median, 99th percentile and maximum of `times`.
fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    format!(
        "{} flushes: median {:?}, p99 {:?}, max {:?}",
        times.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

#[test]
#[ignore = "a measurement: run by hand with --ignored --nocapture"]
fn flush_latency_while_a_big_directory_is_removed() {
    let big = TestLogs::new("removal_stall::big").unwrap();
    let dir = big.dir().to_path_buf();
    let files = dir.join("files");
    std::fs::create_dir(&files).unwrap();
    for i in 0..FILES {
        std::fs::File::create(files.join(i.to_string())).unwrap();
    }
    let removing = Arc::new(AtomicBool::new(true));
    let start = Arc::new(Barrier::new(2));
    let flusher = {
        let removing = removing.clone();
        let start = start.clone();
        std::thread::spawn(move || {
            let other = TestLogs::new("removal_stall::flusher").unwrap();
            let mut flush = |i: usize| {
                log::info!("flush {i}");
                let at = Instant::now();
                other.flush();
                at.elapsed()
            };
            // The same flushes for 3 s with no removal going on, to compare.
            let until = Instant::now() + Duration::from_secs(3);
            let baseline: Vec<_> = (0..)
                .map(&mut flush)
                .take_while(|_| Instant::now() < until)
                .collect();
            start.wait();
            let during: Vec<_> = (0..)
                .map(&mut flush)
                .take_while(|_| removing.load(Ordering::Relaxed))
                .collect();
            (summary(during), summary(baseline))
        })
    };
    start.wait();
    let at = Instant::now();
    drop(big);
    let removal = at.elapsed();
    removing.store(false, Ordering::Relaxed);
    let (during, baseline) = flusher.join().unwrap();
    assert!(!dir.exists());
    println!(
        "removing {FILES} files took {removal:?}\n  another test meanwhile: {during}\n  \
         the same with no removal:  {baseline}"
    );
}
