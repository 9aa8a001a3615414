//! Real-suite shape under `#[test_log::test]` with its default filter
//! (`info`: the trace records are filtered out, as in the suites ported
//! from it).

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test_log::test]
        fn $name() {
            std::hint::black_box(common::real_work($n));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/real_cases.rs"));
