//! Per-test log capture for Rust: every test gets its own collector, its
//! records kept in memory and written to a private directory only when the
//! test fails or asks for them, and assertions on what it logged that print
//! the log when they fail.
//!
//! # Quick start
//!
//! ```
//! use logged_test::prelude::*;
//!
//! #[logged_test(markers = ["payment accepted"])]
//! fn pays(logs: &TestLogs) {
//!     log::info!("payment accepted for order {}", 42);
//!     logs.assert_logged_at(log::Level::Info, "order 42");
//! }
//! ```
//!
//! # Assertions
//!
//! The queries and assertions on a test's records ([`contains`],
//! [`assert_contains`], [`assert_logged_at`], [`assert_in_order`], ...) are
//! the methods of one trait, [`LogAssertions`], implemented by [`TestLogs`]
//! (what the test captured so far) and [`CapturedLogs`] (a snapshot); the
//! [`prelude`] brings it into scope. A failing assertion panics at the
//! caller's line with the records, the closest one and where the log is.
//!
//! [`contains`]: LogAssertions::contains
//! [`assert_contains`]: LogAssertions::assert_contains
//! [`assert_logged_at`]: LogAssertions::assert_logged_at
//! [`assert_in_order`]: LogAssertions::assert_in_order
//!
//! # How routing works
//!
//! `log` has one global logger per process, while `cargo test` runs tests as
//! parallel threads of one process and tokio moves tasks between threads. A
//! scoped subscriber would miss records from other threads, so `logged-test`
//! installs one global dispatcher and routes each record, on the thread that
//! logs it, by these rules in order:
//!
//! 1. the innermost [`LogCollector::enter`] / [`LogCollector::scope`] /
//!    [`LogCollector::bind`] active on the current thread (`#[logged_test]`
//!    enters the test thread and every thread of its runtime;
//!    [`thread::spawn`] carries the route to new threads);
//! 2. otherwise the newest collector created on this thread that is still alive;
//! 3. otherwise the route this thread inherited from the thread that created
//!    it (Linux with glibc, feature `inherit`, on by default): every thread,
//!    however it is started, begins with its creator's route. A thread
//!    created before its creator was routed (the workers of a runtime built
//!    before the test's `TestLogs`) takes the route its nearest routed
//!    ancestor has when it logs, if that route is the first the ancestor had
//!    since the thread was created. The inherited route is weak: it never
//!    keeps a collector alive;
//! 4. otherwise the only collector alive in the process, if there is
//!    exactly one, for a thread with no history of another test: not a
//!    thread libtest runs another test on nor one started from it (with the
//!    hook below, threads remember which thread the main thread created
//!    them under: under libtest, which test), not a thread whose test route
//!    ended (logging after `drop(logs)`, a thread-local destructor at thread
//!    exit), not an orphaned thread;
//! 5. otherwise the record is *unattributed*: it goes to no collector, is
//!    counted by [`unattributed_count`], listed (the newest 20) in the
//!    report of a test that fails while it ran, and, at `warn` and above
//!    (`LOGGED_TEST_UNATTRIBUTED` changes the level), written to stderr
//!    (with `eprint!`, on the thread that logged it, so libtest shows it
//!    under the test whose output that thread inherited) with the prefix
//!    `[logged-test: unattributed]`. It never goes to another test's log.
//!    A thread that was never routed keeps the newest of its unattributed
//!    records (256, 64 KiB), and the next [`TestLogs`] made on that thread
//!    puts them first in its log, with their timestamps: what an rstest
//!    fixture listed before `test_logs` logged.
//!
//! A thread whose route came from a collector that is gone (a thread that
//! outlived its test: inherited, bound, entered or spawned with
//! [`thread::spawn`]) is *orphaned*: its records are unattributed, and
//! rule 4 never hands them to a later test. Threads it creates are orphaned
//! too. Inheritance happens when a thread is created, so a pool created
//! lazily inside one test (a global runtime) belongs to that test; create
//! such pools inside [`detached`], which makes every thread created in it
//! (and their threads) no test's: rule 4 serves them when one test runs at
//! a time (`--test-threads=1`, nextest), and they are unattributed
//! otherwise. Or route their threads explicitly
//! ([`LogCollector::route_runtime`], [`LogCollector::bind`]).
//!
//! The hook is the crate's own `pthread_create`, which forwards to glibc's.
//! `build.rs` leaves it out of sanitizer and `crt-static` builds; turn the
//! feature off when another tool must own `pthread_create`. If another
//! definition is the one called, the crate notices once per process, turns
//! inheritance off, and says so on stderr and in failure reports;
//! [`inherits_routes`] tells whether threads inherit routes.
//!
//! Each collector filters by its own level ([`LogCollector::set_level`]) or
//! per-target directives in `RUST_LOG`'s syntax ([`LogCollector::set_filter`]).
//! The route is cached per thread: the logging call takes no process-wide lock
//! and does no I/O; the process's one persister thread writes the files.
//!
//! # Sessions and generations
//!
//! Records sent before any session go to [`PRE_SESSION_FILE`] in the log
//! directory. [`LogCollector::start_new_session`] switches files and bumps the
//! generation. A record belongs to the session whose start was the last to
//! enter the collector's queue before the record did; so every record logged
//! after `start_new_session` returned is in that session or a later one, and
//! every record logged before it was called is in an earlier one.
//!
//! # Environment variables
//!
//! `LOGGED_TEST_DIR` (where per-test directories and the CI manifest go),
//! `LOGGED_TEST_KEEP`, `LOGGED_TEST_LEVEL`, `LOGGED_TEST_FILTER`, `LOGGED_TEST_LIVE`,
//! `LOGGED_TEST_DENY`, `LOGGED_TEST_DEBUG` and `LOGGED_TEST_UNATTRIBUTED` are read once per process; an invalid value is an
//! error naming the variable. The values each accepts and what it does are
//! in the README's [Environment variables] table.
//!
//! [Environment variables]: https://github.com/logged-test/logged-test#environment-variables
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `inherit` | on | threads start with their creator's route (Linux with dynamic glibc; see the README, "Threads inherit their creator's route") |
//! | `tracing` | off | `tracing` events are captured like `log` records ([`tracing::layer`] for custom subscribers) |
//! | `kv` | off | `log` key-values (`log::info!(order = 42; "paid")`) captured as fields; it turns on `log`'s `kv` feature, which would otherwise reach your non-test builds |
//! | `insta` | off | [`assert_log_snapshot!`]: log snapshots through insta (`cargo insta review`) |
//! | `tokio-process` | off | [`TestLogs::run_child`] and its twins also take a `tokio::process::Command` |
//! | `rstest` | off | the `test_logs` rstest fixture (it builds rstest's macros; `#[logged_test::test]` works with `#[rstest]` without it) |
#![deny(missing_docs)]
// Doctests are built without `--test`, so the `#[test]` fns that examples of
// `#[logged_test]` expand to are compiled out, leaving their imports unused.
// The same examples are type-checked and run by `tests/it/readme.rs`.
#![doc(test(attr(deny(warnings), allow(unused_imports, unnameable_test_items))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod engine;
mod env;
mod error;
mod harness;

pub use engine::collector::{DIRECT_TARGET, LogCollector};
pub use engine::logger::init_logger;
pub use engine::record::{CapturedRecord, LogLine};
pub use engine::registry::active_collectors;
pub use engine::routing::{ScopeGuard, detached, inherits_routes};
pub use engine::session::{MAX_SESSION_NAME_BYTES, PRE_SESSION_FILE};
pub use engine::thread;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use engine::tracing;
pub use engine::unattributed::unattributed_count;
pub use error::LogError;
pub use harness::assertions::LogAssertions;
pub use harness::captured::CapturedLogs;
pub use harness::child::{ChildCommand, ChildLogs, ChildOutput};
#[cfg(feature = "rstest")]
#[cfg_attr(docsrs, doc(cfg(feature = "rstest")))]
pub use harness::fixture::test_logs;
pub use harness::manifest::MANIFEST_FILE;
pub use harness::marks::Mark;
pub use harness::snapshot::SnapshotOptions;
pub use harness::test_logs::TestLogs;

/// What a test module needs, in one import: [`TestLogs`], [`CapturedLogs`],
/// [`CapturedRecord`], the assertions on them ([`LogAssertions`]) and the
/// [`logged_test`] attribute.
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
///
/// let logs = TestLogs::new("docs::prelude")?;
/// log::info!("ready");
/// logs.assert_contains("ready");
/// let snapshot: CapturedLogs = logs.captured();
/// let first: &CapturedRecord = &snapshot.records()[0];
/// assert_eq!(first.message, "ready");
/// # Ok::<(), logged_test::LogError>(())
/// ```
pub mod prelude {
    pub use crate::{CapturedLogs, CapturedRecord, LogAssertions, TestLogs, logged_test};
}

/// Gives a test its own [`TestLogs`]: a fresh collector, a private
/// directory and a session file named after the test.
///
/// Works on sync and `async fn` tests (it builds the tokio runtime: current
/// thread by default). The test may take one `&TestLogs` parameter.
///
/// | option | example | effect |
/// | --- | --- | --- |
/// | `level` | `level = "debug"` | capture this level and above (default `trace`, or `LOGGED_TEST_LEVEL`) |
/// | `filter` | `filter = "info,my_crate::db=trace,hyper=off"` | capture per target, in `RUST_LOG`'s syntax ([`TestLogs::set_filter`]; default `LOGGED_TEST_FILTER`); not with `level` |
/// | `markers` | `markers = ["a", "b"]` | each must be in the log when the test returns |
/// | `session` | `session = "run.log"` | session file name (default `<test name>.log`) |
/// | `keep` | `keep` | keep the directory even when the test passes |
/// | `flavor` | `flavor = "multi_thread"` | runtime of an `async fn` test |
/// | `worker_threads` | `worker_threads = 2` | workers of a `multi_thread` runtime |
/// | `registered_by_other` | `registered_by_other` | another attribute makes the fn a test: add no `#[test]` |
/// | `attempts` | `attempts = 3` | another attribute runs the body up to 3 times: one log per attempt |
/// | `deny` | `deny = "warn"` | fail the test on a record at this level or above that nothing expected ([`TestLogs::deny`]; default `off`, or `LOGGED_TEST_DENY`) |
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
///
/// #[logged_test(level = "debug", markers = ["started", "stopped"])]
/// fn lifecycle() {
///     log::debug!("started");
///     log::trace!("not captured at debug");
///     log::info!("stopped");
/// }
///
/// #[logged_test(flavor = "multi_thread", worker_threads = 2)]
/// async fn tasks_are_captured(logs: &TestLogs) {
///     tokio::spawn(async { log::info!("from a worker") }).await.unwrap();
///     logs.assert_contains("from a worker");
/// }
/// ```
pub use logged_test_macros::logged_test;

/// The same attribute as [`logged_test`], named `test` so that `#[rstest]`
/// recognises it as a test attribute and does not add its own `#[test]`.
///
/// # Examples
///
/// ```
/// use rstest::rstest;
///
/// #[rstest]
/// #[case(1)]
/// #[case(2)]
/// #[logged_test::test]
/// fn each_case_has_its_own_log(#[case] n: u32) {
///     log::info!("case {n}");
/// }
/// ```
pub use logged_test_macros::logged_test as test;

/// Asserts a snapshot of a log with [insta](https://insta.rs), so that
/// `cargo insta review` shows and accepts changes (feature `insta`).
///
/// Takes a [`TestLogs`], a [`CapturedLogs`] (their
/// [`snapshot`](TestLogs::snapshot), with the built-in redactions), or a
/// text already made with [`snapshot_with`](TestLogs::snapshot_with); an
/// optional first argument names the snapshot, as with
/// `insta::assert_snapshot!`.
///
/// # Panics
///
/// When the snapshot differs from the stored one (or there is none yet
/// and insta does not accept new snapshots, as on CI).
///
/// # Examples
///
/// ```
/// use logged_test::{logged_test, TestLogs};
///
/// #[logged_test]
/// fn checkout(logs: &TestLogs) {
///     log::info!(target: "shop", "order 67e55044-10b1-426f-9247-bb680e5fe0c8 paid in 12ms");
///     // snapshots/<file>__checkout.snap holds "INFO  shop: order [UUID] paid in [DURATION]"
///     logged_test::assert_log_snapshot!(logs);
///     let warnings = logged_test::SnapshotOptions::new().min_level(log::Level::Warn);
///     logged_test::assert_log_snapshot!("checkout_warnings", logs.snapshot_with(&warnings));
/// }
/// ```
#[cfg(feature = "insta")]
#[cfg_attr(docsrs, doc(cfg(feature = "insta")))]
#[macro_export]
macro_rules! assert_log_snapshot {
    ($logs:expr $(,)?) => {
        $crate::__private::insta::assert_snapshot!(
            $crate::__private::insta::_macro_support::AutoName,
            $crate::__private::LogSnapshot::log_snapshot(&$logs),
            ::core::stringify!($logs)
        )
    };
    ($name:expr, $logs:expr $(,)?) => {
        $crate::__private::insta::assert_snapshot!(
            $name,
            $crate::__private::LogSnapshot::log_snapshot(&$logs),
            ::core::stringify!($logs)
        )
    };
}

// Declared here, not in `harness/mod.rs`, so that its path (which compile
// errors of the option checks name) is `logged_test::__private`.
#[doc(hidden)]
#[path = "harness/private.rs"]
pub mod __private;

// The README shows the fixture, so its examples compile with the feature on
// (CI tests with `--all-features`).
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "rstest"))]
pub struct ReadmeDoctests;
