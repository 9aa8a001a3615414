//! Two-argument workload under `#[logged_test]`, the marker checked
//! through `logs.captured()` (the way to look at fields and spans).

use logged_test::{TestLogs, logged_test};

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[logged_test]
        fn $name(logs: &TestLogs) {
            let name = stringify!($name);
            common::log_two_args(name);
            let marker = common::two_arg_marker(name);
            let captured = logs.captured();
            assert!(
                captured
                    .records()
                    .iter()
                    .any(|r| r.message.contains(&marker))
            );
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
