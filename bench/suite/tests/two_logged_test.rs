//! Two-argument workload under `#[logged_test]`, the marker checked with
//! `TestLogs::contains`.

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[logged_test]
        fn $name(logs: &TestLogs) {
            let name = stringify!($name);
            common::log_two_args(name);
            assert!(logs.contains(&common::two_arg_marker(name)));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
