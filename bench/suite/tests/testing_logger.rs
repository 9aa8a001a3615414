//! `testing_logger`: records kept in a thread-local `Vec`, checked with
//! `testing_logger::validate`.

mod common;

macro_rules! case {
    ($name:ident, $n:expr) => {
        #[test]
        fn $name() {
            testing_logger::setup();
            common::log_lines($n);
            let marker = common::marker($n);
            testing_logger::validate(|captured| {
                assert_eq!(captured.len(), common::LINES as usize);
                assert!(captured.iter().any(|l| l.body.contains(&marker)));
            });
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));
