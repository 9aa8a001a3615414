//! `#[traced_test]` (tracing-test): a global tracing subscriber writing into
//! one shared buffer, searched by `logs_contain` for lines of the test's span.
//! `log` records reach tracing only through `tracing_log::LogTracer`.

use tracing_test::traced_test;

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[traced_test]
        #[test]
        fn $name() {
            // Process-wide and once only: later calls fail, which is fine.
            let _ = tracing_log::LogTracer::init();
            common::log_lines($n);
            assert!(logs_contain(&common::marker($n)));
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
