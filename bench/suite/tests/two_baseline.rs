//! Two-argument workload, baseline: plain `#[test]`, no logger.

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test]
        fn $name() {
            let name = stringify!($name);
            common::log_two_args(name);
            assert!(!log::log_enabled!(log::Level::Info));
            assert!(common::two_arg_marker(name).starts_with(name));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
