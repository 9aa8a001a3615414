//! One test logging 1,000,000 `info!` lines under `#[test_log::test]`
//! (env_logger into libtest's capture); prints the time per call.

mod common;

#[test_log::test]
fn million() {
    common::log_million();
}
