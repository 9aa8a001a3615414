//! What every variant's test does, so that only the logger differs.

/// `info!` lines each test logs.
pub const LINES: u32 = 200;

/// Logs the test's `LINES` formatted lines.
pub fn log_lines(test: u32) {
    for line in 0..LINES {
        log::info!("test {test} line {line} of {LINES}: value {}", line * 31);
    }
}

/// The same lines as [`log_lines`], through `tracing::info!`.
#[allow(dead_code)] // Only the `logged_test_tracing` variant logs through tracing.
pub fn trace_lines(test: u32) {
    for line in 0..LINES {
        tracing::info!("test {test} line {line} of {LINES}: value {}", line * 31);
    }
}

/// The text one line of test `test` (its last) contains, and no other line
/// of any test.
///
/// With `SUITE_WRONG_MARKER` set it is a text no test logs, so that `run.sh`
/// can check that every variant's assertion fails without its marker.
pub fn marker(test: u32) -> String {
    if std::env::var_os("SUITE_WRONG_MARKER").is_some() {
        return format!("test {test} line {LINES} of {LINES}:");
    }
    format!("test {test} line {} of {LINES}:", LINES - 1)
}

/// The two-argument workload: `info!("{name} bench line {i}")`, 200 lines.
#[allow(dead_code)] // Only the two-argument variants use it.
pub fn log_two_args(name: &str) {
    for i in 0..LINES {
        log::info!("{name} bench line {i}");
    }
}

/// The marker of the two-argument workload: the last line of test `name`.
#[allow(dead_code)] // Only the two-argument variants use it.
pub fn two_arg_marker(name: &str) -> String {
    if std::env::var_os("SUITE_WRONG_MARKER").is_some() {
        return format!("{name} bench line {LINES}");
    }
    format!("{name} bench line {}", LINES - 1)
}

/// Records each worker of a real-suite test logs per step.
#[allow(dead_code)]
const REAL_WORKERS: u32 = 2;

/// The real-suite shape: test `n` starts `REAL_WORKERS` threads that do
/// some work per step (hashing) and log a trace record per step with a
/// few arguments, an info record every 100 steps, and pause 1 ms every
/// 50 steps (I/O, timers); 100 ms to about 1 s per test, about 300,000
/// records for the 24 tests. Returns a checksum so the work is not
/// optimised away.
#[allow(dead_code)] // Only the real-suite variants use it.
pub fn real_work(n: u32) -> u64 {
    let steps = 2_000 + (n * 7 % 12) * 1_000;
    let workers: Vec<_> = (0..REAL_WORKERS)
        .map(|w| {
            std::thread::spawn(move || {
                let mut h: u64 = u64::from(n) << 32 | u64::from(w);
                for step in 0..steps {
                    for _ in 0..200 {
                        h = h.rotate_left(5).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(step);
                    }
                    log::trace!(
                        "worker {w} step {step} key={:x} len={}",
                        h & 0xffff,
                        h % 977
                    );
                    if step % 100 == 0 {
                        log::info!("worker {w} of test {n} at step {step}");
                    }
                    if step % 50 == 49 {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
                h
            })
        })
        .collect();
    workers
        .into_iter()
        .map(|t| t.join().unwrap_or(0))
        .fold(0, |a, b| a ^ b)
}

/// Calls of the one-million-call workload.
#[allow(dead_code)]
pub const MILLION: u32 = 1_000_000;

/// The one-million-call workload: `info!("latency line {i}")` a million
/// times; prints the nanoseconds per call measured around the loop (the
/// logging thread's cost) to the real stderr, where `run.sh` reads it.
#[allow(dead_code)]
pub fn log_million() {
    let start = std::time::Instant::now();
    for i in 0..MILLION {
        log::info!("latency line {i}");
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(MILLION);
    // Past libtest's capture (which `eprintln!` would go to), so that the
    // run needs no `--nocapture`, which would change what test-log does.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "ns_per_call={ns:.1}");
}
