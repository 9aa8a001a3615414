//! Baseline: plain `#[test]`, no logger installed, so `info!` is filtered out
//! by `log`'s global max level (`Off`) and nothing is captured.

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test]
        fn $name() {
            common::log_lines($n);
            // Nothing is captured without a logger: check that, and that the
            // marker text is what the other variants look for.
            assert!(!log::log_enabled!(log::Level::Info));
            assert!(common::marker($n).ends_with(":"));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
