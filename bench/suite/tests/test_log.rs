//! `#[test_log::test]`: env_logger in test mode, which prints every record
//! into libtest's per-test output capture (default filter `info`).
//!
//! test-log offers no way to read what was captured, so each test checks that
//! `info!` is enabled, and `run.sh` checks once, with `--show-output`, that
//! every test's marker reached the captured output.

#[allow(dead_code)] // `marker` is checked by run.sh: test-log cannot read its capture
mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test_log::test]
        fn $name() {
            common::log_lines($n);
            assert!(log::log_enabled!(log::Level::Info));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
