//! Real-suite shape under `#[logged_test]`: everything captured (trace),
//! worker threads routed by inheritance.

use logged_test::LogAssertions as _;
use logged_test::{TestLogs, logged_test};

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[logged_test]
        fn $name(logs: &TestLogs) {
            std::hint::black_box(common::real_work($n));
            // What a real test checks now and then: one marker.
            assert!(logs.contains(&format!("worker 0 of test {} at step 0", $n)));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/real_cases.rs"));
