//! A test that takes the process down still leaves its whole log, a
//! manifest line saying `"outcome":"crashed"`, and a line on stderr naming
//! it (`src/engine/crash.rs`); a forked child never hangs (`src/engine/fork.rs`).
//! Its own binary: each case kills a child process of this binary.
#![cfg(unix)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test"
)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

/// Records each dying child logs before it dies, at once (no wait).
const RECORDS: usize = 200;

fn marker(mode: &str, n: usize) -> String {
    format!("crash-{mode}|{n}")
}

fn mode() -> Option<String> {
    std::env::var("CRASH_CHILD_MODE").ok()
}

#[inline(never)]
#[expect(unconditional_recursion, reason = "it overflows the stack on purpose")]
fn overflow(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 512]);
    frame[0] + overflow(std::hint::black_box(depth + 1))
}

struct PanicsInDrop;

impl Drop for PanicsInDrop {
    fn drop(&mut self) {
        panic!("a second panic, while unwinding");
    }
}

/// Logs [`RECORDS`] records (some with fields, one on two lines), then dies
/// the way `CRASH_CHILD_MODE` says, with its log still in memory.
#[logged_test]
#[ignore = "run by the crash tests in a child process"]
fn child_logs_then_dies(logs: &TestLogs) {
    let Some(mode) = mode() else { return };
    // Mode `abort_on_disk`: the first half is written by the persister
    // (the flush puts the log on disk), the rest is queued when it aborts.
    let on_disk = mode == "abort_on_disk" || mode == "abort_while_logging";
    if mode == "abort_while_logging" {
        // Keeps the persister busy with this test's queue until the end.
        logged_test::thread::spawn(|| {
            for n in 0.. {
                log::trace!("noise {n}");
                // Continuous, but not a flood the machine spends its time on.
                std::thread::yield_now();
            }
        });
    }
    for n in 0..RECORDS {
        if on_disk && n == RECORDS / 2 {
            logs.flush();
        }
        match n % 3 {
            0 => log::info!("{}", marker(&mode, n)),
            #[cfg(feature = "kv")]
            1 => log::warn!(n = n, kind = "odd"; "{}", marker(&mode, n)),
            #[cfg(not(feature = "kv"))]
            1 => log::warn!("{}", marker(&mode, n)),
            _ => log::error!("{}\nsecond line", marker(&mode, n)),
        }
    }
    match mode.as_str() {
        "abort" | "abort_on_disk" | "abort_while_logging" => std::process::abort(),
        "segfault" => {
            // SAFETY: none: this writes through a null pointer on purpose,
            // to die of SIGSEGV as a buggy FFI call would.
            unsafe { std::ptr::null_mut::<u64>().write_volatile(1) };
        }
        "stack_overflow" => {
            std::hint::black_box(overflow(0));
        }
        "exit" => std::process::exit(3),
        "panic_in_panic" => {
            let _bomb = PanicsInDrop;
            panic!("the first panic");
        }
        "sigterm" => {
            // SAFETY: `raise` has no preconditions.
            unsafe { libc::raise(libc::SIGTERM) };
        }
        other => panic!("unknown CRASH_CHILD_MODE {other:?}"),
    }
    unreachable!("the child should have died");
}

const CHILD: &str = "crash::child_logs_then_dies";

/// Set by the child's own `SIGABRT` handler, which runs just before ours:
/// from then on every allocation on the crashing thread (the persister
/// still works normally on its own) is reported on stderr.
static ARMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static CRASHING_THREAD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct Watching;

impl Watching {
    /// Reports an allocation of `size` bytes if it is on the crashing thread
    /// after the child armed the check.
    fn check(size: usize) {
        // SAFETY: `pthread_self` has no preconditions.
        let me = unsafe { libc::pthread_self() } as usize;
        if ARMED.load(std::sync::atomic::Ordering::SeqCst)
            && CRASHING_THREAD.load(std::sync::atomic::Ordering::SeqCst) == me
        {
            let note = b"\nALLOCATION-DURING-CRASH-DUMP ";
            // SAFETY: a valid buffer of its length.
            unsafe { libc::write(2, note.as_ptr().cast(), note.len()) };
            let mut digits = [b'\n'; 21];
            let mut size = size;
            let mut at = 19;
            loop {
                digits[at] = b'0' + (size % 10) as u8;
                size /= 10;
                if size == 0 || at == 0 {
                    break;
                }
                at -= 1;
            }
            // SAFETY: a valid buffer of its length.
            unsafe { libc::write(2, digits[at..].as_ptr().cast(), 21 - at) };
        }
    }
}

// SAFETY: forwards to the system allocator unchanged; the check only reads
// an atomic and writes a constant with `write(2)`. `realloc` forwards too (the
// default would allocate, copy and free: this allocator is the whole test
// binary's, and `tests/it/huge_message.rs` measures peak memory with it).
unsafe impl std::alloc::GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        Self::check(layout.size());
        // SAFETY: the caller's layout, to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        Self::check(new_size);
        // SAFETY: the caller's pointer, layout and size, to the system
        // allocator that made `ptr`.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

extern "C" fn arm(_signal: libc::c_int) {
    // SAFETY: `pthread_self` has no preconditions.
    let me = unsafe { libc::pthread_self() } as usize;
    CRASHING_THREAD.store(me, std::sync::atomic::Ordering::SeqCst);
    ARMED.store(true, std::sync::atomic::Ordering::SeqCst);
}

fn run(mode: &str, logs_dir: &Path) -> Output {
    common::rerun(CHILD)
        .env("CRASH_CHILD_MODE", mode)
        .env("LOGGED_TEST_DIR", logs_dir)
        .env_remove("NEXTEST")
        .env_remove("NEXTEST_RUN_ID")
        .output()
        .unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- output ---\n{}",
        output.status,
        common::text(output)
    )
}

/// The value of `"key":"..."` in a manifest line (no escapes in our paths).
fn json_str<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let rest = line.get(start..)?;
    rest.get(..rest.find('"')?)
}

/// Checks what a child that died `mode`'s way left: the manifest line, the
/// whole log file, and the stderr report.
fn assert_whole_log_after(mode: &str, signal: Option<i32>, code: Option<i32>) {
    use std::os::unix::process::ExitStatusExt as _;
    let root = tempfile::tempdir().unwrap();
    let output = run(mode, root.path());
    let seen = describe(&output);
    assert_eq!(output.status.signal(), signal, "{seen}");
    assert_eq!(output.status.code(), code, "{seen}");

    let manifest = std::fs::read_to_string(root.path().join("manifest.jsonl"))
        .unwrap_or_else(|e| panic!("no manifest ({e}); child:\n{seen}"));
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "one line for the one test: {manifest}\n{seen}"
    );
    let line = lines[0];
    assert_eq!(json_str(line, "test"), Some(CHILD), "{line}");
    assert_eq!(json_str(line, "outcome"), Some("crashed"), "{line}");

    let log = PathBuf::from(json_str(line, "log").expect("a log path"));
    let text = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| panic!("no log at {} ({e}); child:\n{seen}", log.display()));
    // A panic is a record too (ERROR, target `logged_test`): the panics of
    // `panic_in_panic` are in the log beside the test's own records.
    let panics = text.matches(" logged_test: panicked at ").count();
    let records = RECORDS + panics;
    assert!(
        line.contains(&format!("\"records\":{records},")),
        "{line}\n{seen}"
    );
    assert!(
        line.contains(&format!(
            "\"levels\":{{\"error\":{},\"warn\":67,\"info\":67,",
            66 + panics
        )),
        "{line}"
    );
    let found: Vec<usize> = (0..RECORDS)
        .filter(|&n| text.contains(&marker(mode, n)))
        .collect();
    assert_eq!(found.len(), RECORDS, "records in the file:\n{text}\n{seen}");
    let positions: Vec<usize> = (0..RECORDS)
        .map(|n| {
            let m = marker(mode, n);
            // The marker followed by what ends it in the file, so `|1` does
            // not match `|10`.
            [" ", "\n"]
                .iter()
                .filter_map(|end| text.find(&format!("{m}{end}")))
                .min()
                .unwrap_or_else(|| panic!("{m} not whole in the file:\n{text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "records out of order:\n{text}"
    );
    assert_eq!(
        text.matches("\n    second line\n").count(),
        RECORDS / 3,
        "{text}"
    );
    #[cfg(feature = "kv")]
    assert!(text.contains(" n=1 kind=odd"), "fields kept: {text}");

    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!(
        "logged-test: crashed: `{CHILD}`: {records} records in {}",
        log.display()
    );
    assert!(stderr.contains(&report), "expected {report:?} in:\n{seen}");
}

/// Installs `arm` for `SIGABRT` before the first collector (so ours calls
/// it, then dumps), logs, and aborts.
#[test]
#[ignore = "run by `the_crash_path_allocates_nothing`"]
fn child_aborts_watching_allocations() {
    let handler = arm as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: a plain handler that only sets an atomic.
    unsafe { libc::signal(libc::SIGABRT, handler) };
    let _logs = TestLogs::new("child_aborts_watching_allocations").unwrap();
    for n in 0..RECORDS {
        match n % 3 {
            0 => log::info!("{}", marker("watching", n)),
            #[cfg(feature = "kv")]
            1 => log::warn!(n = n, kind = "odd"; "{}", marker("watching", n)),
            #[cfg(not(feature = "kv"))]
            1 => log::warn!("{}", marker("watching", n)),
            _ => log::error!("{}\nsecond line", marker("watching", n)),
        }
    }
    log::info!("{}", "a long record ".repeat(30_000));
    std::process::abort();
}

/// From the first handler to the end of the dump (200 records, a 420 KB
/// one too, the manifest line, the report), the crashing thread allocates
/// nothing.
#[test]
fn the_crash_path_allocates_nothing() {
    let root = tempfile::tempdir().unwrap();
    let output = common::rerun("crash::child_aborts_watching_allocations")
        .env("LOGGED_TEST_DIR", root.path())
        .output()
        .unwrap();
    let seen = describe(&output);
    assert!(
        seen.contains(&format!(
            "logged-test: crashed: `child_aborts_watching_allocations`: {} records",
            RECORDS + 1
        )),
        "{seen}"
    );
    assert!(
        !seen.contains("ALLOCATION-DURING-CRASH-DUMP"),
        "the crash path allocated:\n{seen}"
    );
    let manifest = std::fs::read_to_string(root.path().join("manifest.jsonl")).unwrap();
    let log = json_str(&manifest, "log").unwrap_or_else(|| panic!("{manifest}"));
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.contains(&"a long record ".repeat(30_000)),
        "the long record is cut"
    );
    assert!(text.contains(&marker("watching", RECORDS - 1)));
}

const SIGABRT: i32 = 6;
const SIGSEGV: i32 = 11;
const SIGTERM: i32 = 15;

#[test]
fn an_abort_leaves_the_whole_log() {
    assert_whole_log_after("abort", Some(SIGABRT), None);
}

/// The persister, which writes a log that is on disk, finishes what is
/// queued before the process goes.
#[test]
fn an_abort_leaves_the_whole_log_of_a_test_on_disk() {
    assert_whole_log_after("abort_on_disk", Some(SIGABRT), None);
}

/// A second crash of the same test moves the first one's log aside, as a
/// rerun does: the file holds the second run's records only.
#[test]
fn a_crash_replaces_the_log_of_an_earlier_crash() {
    let root = tempfile::tempdir().unwrap();
    let first = run("abort", root.path());
    let second = run("abort", root.path());
    let manifest = std::fs::read_to_string(root.path().join("manifest.jsonl")).unwrap();
    let logs: Vec<&str> = manifest
        .lines()
        .filter_map(|line| json_str(line, "log"))
        .collect();
    assert_eq!(logs.len(), 2, "{manifest}\n{}", describe(&second));
    assert_eq!(logs[0], logs[1], "{manifest}");
    let text = std::fs::read_to_string(logs[1]).unwrap();
    assert_eq!(
        text.matches(&format!("{}\n", marker("abort", 0))).count(),
        1,
        "the second crash appended to the first one's log:\n{text}\n{}",
        describe(&first)
    );
}

/// Another thread logging without pause into the crashed test does not keep
/// the crash path waiting: once the persister has written what was queued
/// at the crash, it is stopped, and every record logged before is there.
#[test]
fn a_crash_while_another_thread_keeps_logging_still_writes_everything_before_it() {
    let root = tempfile::tempdir().unwrap();
    let output = run("abort_while_logging", root.path());
    let seen = describe(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("logged-test: crashed: `{CHILD}`: ")),
        "{seen}"
    );
    assert!(
        !stderr.contains("did not finish"),
        "the crash path gave up waiting for the persister:\n{seen}"
    );
    let manifest = std::fs::read_to_string(root.path().join("manifest.jsonl")).unwrap();
    let log = json_str(&manifest, "log").unwrap_or_else(|| panic!("{manifest}\n{seen}"));
    let text = std::fs::read_to_string(log).unwrap();
    for n in 0..RECORDS {
        let m = marker("abort_while_logging", n);
        assert!(
            text.contains(&format!("{m}\n")) || text.contains(&format!("{m} ")),
            "{m} missing"
        );
    }
}

/// `LOGGED_TEST_DIR` relative to the workspace root, as in the README's CI
/// recipe.
#[test]
fn a_relative_logged_test_dir_gets_the_crashed_line() {
    let cwd = tempfile::tempdir().unwrap();
    // A relative `LOGGED_TEST_DIR` is taken from the workspace root, which
    // is the package directory when it is no workspace: make that `cwd`.
    let output = common::rerun(CHILD)
        .current_dir(cwd.path())
        .env("CARGO_MANIFEST_DIR", cwd.path())
        .env_remove("NEXTEST_WORKSPACE_ROOT")
        .env("CRASH_CHILD_MODE", "abort")
        .env("LOGGED_TEST_DIR", "test-logs")
        .output()
        .unwrap();
    let manifest = std::fs::read_to_string(cwd.path().join("test-logs/manifest.jsonl"))
        .unwrap_or_else(|e| panic!("{e}\n{}", describe(&output)));
    assert!(manifest.contains("\"outcome\":\"crashed\""), "{manifest}");
    let log = json_str(&manifest, "log").unwrap();
    assert!(Path::new(log).starts_with(cwd.path()), "{log}");
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.contains(&format!("{}\n", marker("abort", RECORDS - 2))),
        "{text}"
    );
}

#[test]
fn a_segfault_leaves_the_whole_log() {
    assert_whole_log_after("segfault", Some(SIGSEGV), None);
}

#[test]
fn a_stack_overflow_leaves_the_whole_log_and_std_still_reports_it() {
    let root = tempfile::tempdir().unwrap();
    assert_whole_log_after("stack_overflow", Some(SIGABRT), None);
    let output = run("stack_overflow", root.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has overflowed its stack"),
        "std's message is gone:\n{}",
        describe(&output)
    );
}

#[test]
fn process_exit_leaves_the_whole_log() {
    assert_whole_log_after("exit", None, Some(3));
}

#[test]
fn a_panic_while_panicking_leaves_the_whole_log() {
    assert_whole_log_after("panic_in_panic", Some(SIGABRT), None);
}

#[test]
fn sigterm_leaves_the_whole_log_and_still_kills() {
    assert_whole_log_after("sigterm", Some(SIGTERM), None);
}

/// A passing test's process exits normally: no crash report, no
/// "crashed" line (the `exit` hook sees no test running).
#[logged_test]
#[ignore = "run by `a_normal_exit_reports_nothing`"]
fn child_passes() {
    log::info!("fine");
}

#[test]
fn a_normal_exit_reports_nothing() {
    let root = tempfile::tempdir().unwrap();
    let output = common::rerun("crash::child_passes")
        .env("LOGGED_TEST_DIR", root.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let manifest = std::fs::read_to_string(root.path().join("manifest.jsonl")).unwrap();
    assert!(manifest.contains("\"outcome\":\"passed\""), "{manifest}");
    assert!(!manifest.contains("crashed"), "{manifest}");
    assert!(
        !common::text(&output).contains("logged-test: crashed"),
        "{}",
        describe(&output)
    );
}

/// Under nextest (a process per test), the crashed test's records are on
/// its stderr, which nextest shows under the failure.
#[test]
fn under_nextest_a_crash_shows_the_records() {
    let root = tempfile::tempdir().unwrap();
    let output = common::rerun(CHILD)
        .env("CRASH_CHILD_MODE", "abort")
        .env("LOGGED_TEST_DIR", root.path())
        .env("NEXTEST", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for n in 0..RECORDS {
        assert!(
            stderr.contains(&marker("abort", n)),
            "record {n} missing from stderr:\n{}",
            describe(&output)
        );
    }
}

/// The same, through a real `cargo nextest run` of the crashing child, when
/// this test itself runs under nextest (CI's `cargo nextest run` step):
/// nextest holds no cargo lock while tests run, so the inner run reuses
/// the build. Under `cargo test` (which may hold the lock) it is skipped
/// with a note; `under_nextest_a_crash_shows_the_records` covers it there.
#[test]
fn a_real_nextest_run_shows_the_crashed_records() {
    if std::env::var_os("NEXTEST").is_none() {
        println!(
            "note: not under nextest; the real nextest crash case runs in `cargo nextest run`"
        );
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let has_nextest = std::process::Command::new(&cargo)
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_nextest {
        println!("note: cargo-nextest is not installed; the nextest crash case is skipped");
        return;
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut features = Vec::new();
    for (on, feature) in [
        (cfg!(feature = "inherit"), "inherit"),
        (cfg!(feature = "tracing"), "tracing"),
        (cfg!(feature = "rstest"), "rstest"),
        (cfg!(feature = "kv"), "kv"),
        (cfg!(feature = "insta"), "insta"),
        (cfg!(feature = "tokio-process"), "tokio-process"),
    ] {
        if on {
            features.push(feature);
        }
    }
    let root = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(&cargo);
    common::scrub(&mut command)
        .current_dir(manifest_dir)
        .args(["nextest", "run", "--package", "logged-test", "--test", "it"])
        .arg("--no-default-features");
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command
        .args([
            "--run-ignored",
            "only",
            "--no-fail-fast",
            "--no-tests",
            "fail",
        ])
        .args(["-E", &format!("test(={CHILD})")])
        .env("CRASH_CHILD_MODE", "abort")
        .env("LOGGED_TEST_DIR", root.path())
        .output()
        .unwrap();
    let text = common::text(&output);
    assert!(!output.status.success(), "the child should crash:\n{text}");
    assert!(
        text.contains("SIGABRT"),
        "nextest should say how it died:\n{text}"
    );
    for n in 0..RECORDS {
        assert!(
            text.contains(&marker("abort", n)),
            "record {n} missing from nextest's output:\n{text}"
        );
    }
    let manifest = std::fs::read_to_string(root.path().join("manifest.jsonl")).unwrap();
    assert!(manifest.contains("\"outcome\":\"crashed\""), "{manifest}");
}

/// Forks; in the child, uses the parent's `TestLogs` and a new one, logs,
/// and exits with 0 if nothing hung and every answer was the documented one.
#[logged_test]
#[ignore = "run by `a_forked_child_never_hangs`"]
fn child_forks(logs: &TestLogs) {
    log::info!("before the fork");
    logs.flush();
    // SAFETY: the child below only calls what this crate documents for a
    // forked child, then `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            in_forked_child(logs)
        })) {
            Ok(()) => 0,
            Err(_) => 1,
        };
        // SAFETY: ends the child without running the parent's exit hooks.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is valid for a write.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the forked child failed (status {status:#x}); see its stderr above"
    );
    // The parent's log goes on as before, without the child's records.
    log::info!("after the fork");
    logs.flush();
    logs.assert_contains("after the fork");
    logs.assert_not_contains("from the child");
}

fn in_forked_child(logs: &TestLogs) {
    // Records for the parent's collector go nowhere, without blocking.
    log::info!("from the child, for the parent's log");
    // What needs the persister fails at once, with a message saying why.
    let error = logs.collector().wait_for_empty_blocking().unwrap_err();
    assert!(error.to_string().contains("fork"), "{error}");
    let flushed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| logs.flush()));
    assert!(flushed.is_err(), "flush() in a forked child should panic");
    let _ = logs.dir();
    // A new TestLogs works in memory.
    let own = TestLogs::new("forked_child").unwrap();
    log::info!("from the child, in its own log");
    own.assert_contains("from the child, in its own log");
    assert!(own.collector().wait_for_empty_blocking().is_err());
    drop(own);
}

#[test]
fn a_forked_child_never_hangs() {
    use std::os::unix::process::CommandExt as _;
    // Its own process group, so the watchdog also ends a hung grandchild.
    let mut child = common::rerun("crash::child_forks")
        .process_group(0)
        .spawn()
        .unwrap();
    // A watchdog, not a sleep: the child is killed only if it has not
    // finished within a minute, which only a hang takes.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        if done_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .is_err()
        {
            // SAFETY: `kill` has no memory preconditions.
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
            return true;
        }
        false
    });
    let status = child.wait().unwrap();
    let _ = done_tx.send(());
    let killed = watchdog.join().unwrap();
    assert!(!killed, "the forked test hung and was killed");
    assert!(status.success(), "{status}");
}

static PLAIN_HANDLER_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn plain_handler(_signal: libc::c_int) {
    PLAIN_HANDLER_CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Handlers the program installed before the first collector still get
/// their signals, and when they return (the program goes on) nothing is
/// written or reported.
#[test]
#[ignore = "run by `handlers_installed_before_still_run_and_nothing_is_dumped`"]
fn child_with_earlier_handlers() {
    let handler = plain_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: `plain_handler` only bumps an atomic, which is
    // async-signal-safe; `signal` installs it without SA_SIGINFO.
    unsafe {
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGILL, handler);
    }
    let logs = TestLogs::new("child_with_earlier_handlers").unwrap();
    log::info!("before the signals");
    // SAFETY: `raise` has no preconditions; both handlers return.
    unsafe {
        libc::raise(libc::SIGTERM);
        libc::raise(libc::SIGILL);
    }
    assert_eq!(
        PLAIN_HANDLER_CALLS.load(std::sync::atomic::Ordering::SeqCst),
        2
    );
    log::info!("after the signals");
    logs.assert_in_order(&["before the signals", "after the signals"]);
    // The persister was not frozen: the log still goes to disk.
    logs.flush();
}

#[test]
fn handlers_installed_before_still_run_and_nothing_is_dumped() {
    let root = tempfile::tempdir().unwrap();
    let output = common::rerun("crash::child_with_earlier_handlers")
        .env("LOGGED_TEST_DIR", root.path())
        .output()
        .unwrap();
    let seen = describe(&output);
    assert!(output.status.success(), "{seen}");
    assert!(!seen.contains("logged-test: crashed"), "{seen}");
    let manifest = std::fs::read_to_string(root.path().join("manifest.jsonl")).unwrap();
    assert!(manifest.contains("\"outcome\":\"passed\""), "{manifest}");
}

/// Our handler, as `sigaction` reported it when the next one was installed.
static OURS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static CHAINING_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A later handler that passes the signal on to the one before it, as
/// signal-hook (under `tokio::signal`) does.
extern "C" fn chaining_handler(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    CHAINING_CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let previous = OURS.load(std::sync::atomic::Ordering::SeqCst);
    if previous > 1 {
        type Action = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);
        // SAFETY: `previous` is the `SA_SIGINFO` handler that was installed
        // before this one (ours), not a special value.
        let action = unsafe { std::mem::transmute::<usize, Action>(previous) };
        action(signal, info, context);
    }
}

/// A `SIGTERM` handler installed after the first collector, which passes
/// the signal on to ours: the program handles it and goes on.
#[test]
#[ignore = "run by `a_later_handler_that_passes_sigterm_on_keeps_the_process`"]
fn child_with_a_later_chaining_handler() {
    let logs = TestLogs::new("child_with_a_later_chaining_handler").unwrap();
    // SAFETY: all-zero `sigaction`s are valid; the new action is a complete
    // `SA_SIGINFO` handler that only touches atomics and calls ours.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = chaining_handler as *const () as usize;
        new.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut new.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGTERM, &new, &mut old), 0);
        assert!(
            old.sa_flags & libc::SA_SIGINFO != 0,
            "ours was not installed"
        );
        OURS.store(old.sa_sigaction, std::sync::atomic::Ordering::SeqCst);
        libc::raise(libc::SIGTERM);
    }
    assert_eq!(CHAINING_CALLS.load(std::sync::atomic::Ordering::SeqCst), 1);
    log::info!("still running");
    logs.assert_contains("still running");
    logs.flush();
}

#[test]
fn a_later_handler_that_passes_sigterm_on_keeps_the_process() {
    let root = tempfile::tempdir().unwrap();
    let output = common::rerun("crash::child_with_a_later_chaining_handler")
        .env("LOGGED_TEST_DIR", root.path())
        .output()
        .unwrap();
    let seen = describe(&output);
    assert!(output.status.success(), "{seen}");
    assert!(!seen.contains("logged-test: crashed"), "{seen}");
}
