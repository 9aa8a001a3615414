//! One test logging 1,000,000 `info!` lines under `#[logged_test]` (its log
//! goes past 8 MiB, so to disk); prints the time per call.

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

mod common;

#[logged_test]
fn million(logs: &TestLogs) {
    common::log_million();
    assert!(logs.contains(&format!("latency line {}", common::MILLION - 1)));
}
