//! Two-argument workload under `#[test_log::test]` (env_logger); run.sh
//! checks its captured output once with `--show-output`.

#[allow(dead_code)]
mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test_log::test]
        fn $name() {
            common::log_two_args(stringify!($name));
            assert!(log::log_enabled!(log::Level::Info));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
