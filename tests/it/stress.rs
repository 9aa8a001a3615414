//! Isolation under load: 32 tests of one process log at the same time, each
//! from its test thread, from a `logged_test::thread::spawn` thread and from
//! tasks on its own `multi_thread` runtime, and each log holds exactly its own
//! lines. Figures quoted in the README's "Guarantees".
//!
//! The 32 tests are `#[ignore]`d children run in a process of their own
//! (each checks that no line of its process went unattributed, and the other
//! tests of this binary leave some): `the_32_tests_pass_side_by_side` re-runs
//! this binary on them as the harness schedules them (as many at once as
//! there are CPUs), and `all_32_tests_run_at_once_in_one_process` with
//! `--test-threads=32`, where each waits for the other 31 before it logs: all
//! 32 collectors are alive and logging at once, under either runner.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use logged_test::{LogCollector, TestLogs};

use crate::common;

/// Lines each source of each test logs.
const LINES_PER_SOURCE: usize = 5_000;
/// Tasks on the runtime; together they log `LINES_PER_SOURCE` lines.
const TASKS: usize = 10;
const LINES_PER_TASK: usize = LINES_PER_SOURCE / TASKS;
/// Sources per test: the test thread, a spawned thread, the runtime's tasks.
const SOURCES: usize = 3;

const TESTS: usize = 32;

/// Set in the child run of `all_32_tests_run_at_once_in_one_process`.
const AT_ONCE_ENV: &str = "STRESS_ALL_AT_ONCE";
/// Set in both child runs: run directly (`--ignored`), the 32 tests do
/// nothing.
const CHILD_ENV: &str = "STRESS_CHILD";
/// Where the 32 tests of the child run wait for each other.
static ALL_AT_ONCE: Barrier = Barrier::new(TESTS);

/// Tests of this binary running right now, and the most ever seen at once.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

macro_rules! parallel_tests {
    ($($name:ident => $id:literal,)*) => {
        $(
            #[test]
            #[ignore = "run in a process of their own by `the_32_tests_pass_side_by_side` and `all_32_tests_run_at_once_in_one_process`"]
            fn $name() {
                if std::env::var_os(CHILD_ENV).is_some() {
                    captures_exactly_its_own_lines($id);
                }
            }
        )*
    };
}

parallel_tests! {
    parallel_test_00_captures_exactly_its_own_lines => 0,
    parallel_test_01_captures_exactly_its_own_lines => 1,
    parallel_test_02_captures_exactly_its_own_lines => 2,
    parallel_test_03_captures_exactly_its_own_lines => 3,
    parallel_test_04_captures_exactly_its_own_lines => 4,
    parallel_test_05_captures_exactly_its_own_lines => 5,
    parallel_test_06_captures_exactly_its_own_lines => 6,
    parallel_test_07_captures_exactly_its_own_lines => 7,
    parallel_test_08_captures_exactly_its_own_lines => 8,
    parallel_test_09_captures_exactly_its_own_lines => 9,
    parallel_test_10_captures_exactly_its_own_lines => 10,
    parallel_test_11_captures_exactly_its_own_lines => 11,
    parallel_test_12_captures_exactly_its_own_lines => 12,
    parallel_test_13_captures_exactly_its_own_lines => 13,
    parallel_test_14_captures_exactly_its_own_lines => 14,
    parallel_test_15_captures_exactly_its_own_lines => 15,
    parallel_test_16_captures_exactly_its_own_lines => 16,
    parallel_test_17_captures_exactly_its_own_lines => 17,
    parallel_test_18_captures_exactly_its_own_lines => 18,
    parallel_test_19_captures_exactly_its_own_lines => 19,
    parallel_test_20_captures_exactly_its_own_lines => 20,
    parallel_test_21_captures_exactly_its_own_lines => 21,
    parallel_test_22_captures_exactly_its_own_lines => 22,
    parallel_test_23_captures_exactly_its_own_lines => 23,
    parallel_test_24_captures_exactly_its_own_lines => 24,
    parallel_test_25_captures_exactly_its_own_lines => 25,
    parallel_test_26_captures_exactly_its_own_lines => 26,
    parallel_test_27_captures_exactly_its_own_lines => 27,
    parallel_test_28_captures_exactly_its_own_lines => 28,
    parallel_test_29_captures_exactly_its_own_lines => 29,
    parallel_test_30_captures_exactly_its_own_lines => 30,
    parallel_test_31_captures_exactly_its_own_lines => 31,
}

/// Each line is `stress-<test>|<source>|<n>`; the `|` after the test number
/// keeps `stress-1|` from matching `stress-10|`.
fn prefix(id: u32) -> String {
    format!("stress-{id:02}|")
}

fn log_from_runtime(collector: &Arc<LogCollector>, prefix: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let prefix = prefix.to_owned();
                tokio::spawn(collector.scope(async move {
                    for n in 0..LINES_PER_TASK {
                        log::info!("{prefix}task{task}|{n}");
                        if n % 8 == 0 {
                            // Let the task move to the other worker.
                            tokio::task::yield_now().await;
                        }
                    }
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

fn captures_exactly_its_own_lines(id: u32) {
    let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(running, Ordering::SeqCst);
    let test_name = std::thread::current().name().unwrap().to_owned();
    let logs = TestLogs::new(&test_name).unwrap();
    let prefix = prefix(id);
    let at_once = std::env::var_os(AT_ONCE_ENV).is_some();
    if at_once {
        ALL_AT_ONCE.wait();
    }

    // All three sources log at the same time.
    let spawned = {
        let prefix = prefix.clone();
        logged_test::thread::spawn(move || {
            for n in 0..LINES_PER_SOURCE {
                log::info!("{prefix}thread|{n}");
            }
        })
    };
    let tasks = {
        let collector = logs.collector().clone();
        let prefix = prefix.clone();
        std::thread::spawn(move || log_from_runtime(&collector, &prefix))
    };
    for n in 0..LINES_PER_SOURCE {
        log::info!("{prefix}main|{n}");
    }
    spawned.join().unwrap();
    tasks.join().unwrap();

    let captured = logs.captured();
    let records = captured.records();
    // Next expected line number of each source: proves each line is there
    // once and in the order its source logged it.
    let mut next: BTreeMap<&str, usize> = BTreeMap::new();
    for record in records {
        let Some(rest) = record.message.strip_prefix(&prefix) else {
            panic!("{test_name}: foreign line in its log: {record}");
        };
        let (source, n) = rest.split_once('|').unwrap();
        let n: usize = n.parse().unwrap();
        let expected = next.entry(source).or_default();
        assert_eq!(
            n, *expected,
            "{test_name}: line {record} out of order in {source}"
        );
        *expected += 1;
        if source == "main" || source == "thread" {
            assert_eq!(
                record.thread.as_deref(),
                Some(test_name.as_str()),
                "{record}"
            );
        }
    }
    assert_eq!(next.remove("main"), Some(LINES_PER_SOURCE), "{test_name}");
    assert_eq!(next.remove("thread"), Some(LINES_PER_SOURCE), "{test_name}");
    for task in 0..TASKS {
        assert_eq!(
            next.remove(format!("task{task}").as_str()),
            Some(LINES_PER_TASK),
            "{test_name}: task {task}"
        );
    }
    assert!(next.is_empty(), "{test_name}: unexpected sources {next:?}");
    assert_eq!(records.len(), SOURCES * LINES_PER_SOURCE);
    assert_eq!(
        logged_test::unattributed_count(),
        0,
        "a line of this binary reached no collector"
    );
    if at_once {
        assert_eq!(PEAK.load(Ordering::SeqCst), TESTS);
    }
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    eprintln!(
        "{test_name}: {} lines; peak of {} tests running at once",
        records.len(),
        PEAK.load(Ordering::SeqCst)
    );
}

/// Runs the 32 tests in a child run of this binary, on `threads` test
/// threads (libtest's default if `None`), waiting for each other if
/// `at_once`, and checks that all 32 passed.
fn run_the_32(threads: Option<usize>, at_once: bool) {
    let mut command = common::this_binary();
    command
        .args(["--ignored", "stress::parallel_test_"])
        .env(CHILD_ENV, "1");
    if let Some(threads) = threads {
        command.arg(format!("--test-threads={threads}"));
    }
    if at_once {
        command.env(AT_ONCE_ENV, "1");
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(&format!("test result: ok. {TESTS} passed")),
        "the 32 tests failed (at once: {at_once}):\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_32_tests_pass_side_by_side() {
    run_the_32(None, false);
}

#[test]
fn all_32_tests_run_at_once_in_one_process() {
    run_the_32(Some(TESTS), true);
}
