//! Peak memory while 1,000,000 records of 100 bytes wait in one collector's
//! queue: the rise of the peak resident set size (`VmHWM` in
//! `/proc/self/status`, reset through `/proc/self/clear_refs`) across the
//! 1,000,000 `info!` calls, compared with the 100 MB of messages queued.
//!
//! Two measurements, each in a fresh child process so that one run's freed
//! memory cannot hide the next one's:
//! - `stalled`: the persister thread is moved to `SCHED_IDLE` on the logging
//!   thread's CPU, so it barely runs until the calls are done and nearly all
//!   1,000,000 records are queued at once (the worst case);
//! - `running`: the persister drains on the other core as usual.
//!
//! Linux only. Run with `cargo bench -p logged-test-benches --bench memory`; not a criterion bench.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose set-up fails should stop loudly, not measure something else"
)]

#[cfg(target_os = "linux")]
mod linux {
    use std::time::Instant;

    use logged_test::LogCollector;

    const LINES: usize = 1_000_000;
    const MESSAGE_BYTES: usize = 100;
    pub(super) const MODE_VAR: &str = "LOGGED_TEST_BENCH_MEMORY_MODE";

    fn status_kib(field: &str) -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
    }

    /// The id of this process's thread whose name starts with `prefix`.
    fn thread_id(prefix: &str) -> libc::pid_t {
        for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
            let task = task.expect("a task entry");
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.starts_with(prefix) {
                return task.file_name().to_string_lossy().parse().expect("a tid");
            }
        }
        panic!("no thread named {prefix}*");
    }

    /// Puts the persister on this thread's CPU at idle priority.
    fn stall(persister: libc::pid_t) {
        // SAFETY: plain syscalls on a zeroed cpu_set_t and sched_param owned here.
        unsafe {
            let cpu = libc::sched_getcpu();
            assert!(cpu >= 0, "sched_getcpu failed");
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu as usize, &mut set);
            let size = std::mem::size_of::<libc::cpu_set_t>();
            assert_eq!(libc::sched_setaffinity(0, size, &set), 0, "pin this thread");
            assert_eq!(
                libc::sched_setaffinity(persister, size, &set),
                0,
                "pin the persister"
            );
            let param = libc::sched_param { sched_priority: 0 };
            assert_eq!(
                libc::sched_setscheduler(persister, libc::SCHED_IDLE, &param),
                0,
                "SCHED_IDLE for the persister"
            );
        }
    }

    /// Undoes [`stall`] so the persister can drain.
    fn release(persister: libc::pid_t) {
        // SAFETY: as in `stall`.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for cpu in 0..libc::CPU_SETSIZE as usize {
                libc::CPU_SET(cpu, &mut set);
            }
            let size = std::mem::size_of::<libc::cpu_set_t>();
            libc::sched_setaffinity(0, size, &set);
            libc::sched_setaffinity(persister, size, &set);
            let param = libc::sched_param { sched_priority: 0 };
            libc::sched_setscheduler(persister, libc::SCHED_OTHER, &param);
        }
    }

    pub(super) fn measure(stalled: bool) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let collector = LogCollector::without_ui(dir.path()).expect("a collector");
        logged_test::init_logger().expect("no other logger in this process");
        let _guard = collector.enter();
        let session = collector
            .start_new_session_blocking("memory.log")
            .expect("a session");
        // Warm up the thread-local caches and the channel.
        for _ in 0..1000 {
            log::info!("warm-up");
        }
        collector
            .wait_for_empty_blocking()
            .expect("records written");

        let message = "m".repeat(MESSAGE_BYTES);
        let persister = thread_id("logged-test-per");
        if stalled {
            stall(persister);
        }
        std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
        let before = status_kib("VmHWM:");
        let start = Instant::now();
        for _ in 0..LINES {
            log::info!("{message}");
        }
        let logging = start.elapsed();
        let peak = status_kib("VmHWM:");
        let written = std::fs::metadata(&session).map_or(0, |m| m.len());
        if stalled {
            release(persister);
        }
        collector
            .wait_for_empty_blocking()
            .expect("records written");
        let total = std::fs::metadata(&session).map_or(0, |m| m.len());
        let line_bytes = total as f64 / (LINES + 1000) as f64;
        let still_queued = LINES as f64 - (written as f64 / line_bytes - 1000.0).max(0.0);
        let queued_bytes = (LINES * MESSAGE_BYTES) as f64;
        let rise = (peak - before) as f64 * 1024.0;
        println!(
            "memory/{:<8} peak RSS rise {:>6.1} MB = {:.2} x the {:.0} MB of messages; \
             ~{:.0}% of the lines were still queued when the calls returned; calls took {:.2?}",
            if stalled { "stalled" } else { "running" },
            rise / 1e6,
            rise / queued_bytes,
            queued_bytes / 1e6,
            100.0 * still_queued / LINES as f64,
            logging,
        );
    }
}

#[cfg(target_os = "linux")]
fn main() {
    use linux::{MODE_VAR, measure};

    match std::env::var(MODE_VAR).as_deref() {
        Ok("stalled") => measure(true),
        Ok("running") => measure(false),
        _ => {
            // `cargo bench` passes `--bench` (and maybe a filter, ignored);
            // `cargo test --benches` passes nothing: then measure nothing.
            if !std::env::args().any(|a| a == "--bench") {
                eprintln!("memory: measured only under `cargo bench`");
                return;
            }
            let exe = std::env::current_exe().expect("this executable");
            for mode in ["stalled", "running"] {
                let status = std::process::Command::new(&exe)
                    .env(MODE_VAR, mode)
                    .status()
                    .expect("a child process");
                assert!(status.success(), "the {mode} measurement failed");
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the memory benchmark reads /proc and needs Linux; skipped");
}
