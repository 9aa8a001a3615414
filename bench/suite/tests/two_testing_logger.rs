//! Two-argument workload under `testing_logger`.

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test]
        fn $name() {
            testing_logger::setup();
            let name = stringify!($name);
            common::log_two_args(name);
            let marker = common::two_arg_marker(name);
            testing_logger::validate(|captured| {
                assert!(captured.iter().any(|l| l.body.contains(&marker)));
            });
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
