//! Real-suite shape, baseline: plain `#[test]`, no logger.

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test]
        fn $name() {
            std::hint::black_box(common::real_work($n));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/real_cases.rs"));
