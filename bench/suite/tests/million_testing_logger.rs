//! One test logging 1,000,000 `info!` lines under `testing_logger`;
//! prints the time per call.

mod common;

#[test]
fn million() {
    testing_logger::setup();
    common::log_million();
    testing_logger::validate(|captured| assert_eq!(captured.len(), common::MILLION as usize));
}
