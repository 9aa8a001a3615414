//! The integration tests, one binary (rstest's `tests/integration.rs` way):
//! a module per area, sharing `common`. One binary links once and runs its
//! tests in one process; a test that needs a process of its own (a foreign
//! logger or global `tracing` subscriber set first, the only collector
//! alive, process-wide counts, `LOGGED_TEST_*` settings read once per
//! process) re-runs this binary on an `#[ignore]`d child test through
//! `common`, so it lives here too.

mod common;

mod assertions;
mod child_env;
mod child_process;
mod cleanup;
mod collector;
mod crash;
mod deny;
mod diagnostics;
mod directories;
mod disk_when_needed;
mod double_start;
mod early_records;
mod everyday;
mod failure_output;
mod faults;
mod file_descriptors;
mod filters;
mod foreign_logger;
mod foreign_pthread_create;
mod full_disk;
mod hardening;
mod harness;
mod huge_message;
mod inherit;
mod lifecycle_pipe_integration;
mod log_snapshots;
mod macro_async;
mod macro_sync;
mod marks;
mod memory_bounds;
mod mixed_suite;
mod orphaned_threads;
mod pools;
mod readme;
mod removal_stall;
mod routing;
mod rstest_compat;
mod session_names;
mod should_panic_markers;
mod shutdown;
mod sole_collector;
mod spans;
mod stacking;
mod stress;
mod stress_single_collector;
mod tracing;
mod tracing_foreign;
mod tracing_user_global;
mod unattributed_level;
mod unrouted_reasons;
mod verdict;
mod visible_failures;
mod waiters;
