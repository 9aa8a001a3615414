//! `#[logged_test]`: a collector, private directory and session per test;
//! the test asserts its marker with `assert_contains`.

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[logged_test]
        fn $name(logs: &TestLogs) {
            common::log_lines($n);
            logs.assert_contains(&common::marker($n));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
