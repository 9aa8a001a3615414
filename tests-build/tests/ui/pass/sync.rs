//! Sync tests: with and without the `&TestLogs` parameter, next to other attributes.

// trybuild builds this file as a binary, where the tests that use the imports are stripped.
#![allow(
    unused_imports,
    reason = "used only by the tests, which a build as a binary strips; compiled as a module of `tests/ui.rs` in test mode they are used"
)]

use logged_test::{TestLogs, logged_test};

#[logged_test]
fn no_parameter() {
    log::info!("pass-sync no parameter");
}

#[logged_test]
fn with_parameter(logs: &TestLogs) {
    log::info!("pass-sync with parameter");
    let _collector = logs.collector();
}

#[logged_test]
fn with_qualified_parameter_type(_: &::logged_test::TestLogs) {}

#[logged_test]
fn with_early_return(_logs: &logged_test::TestLogs) {
    if cfg!(test) {
        return;
    }
    unreachable!("returned above");
}

/// Doc comments and other attributes stay on the test.
#[logged_test]
#[ignore = "shows that #[ignore] is kept"]
fn ignored() {
    panic!("ignored tests do not run");
}

#[logged_test]
#[should_panic(expected = "pass-sync expected panic")]
fn should_panic() {
    panic!("pass-sync expected panic");
}

#[logged_test::test]
fn through_the_test_alias(_logs: &TestLogs) {}

#[logged_test]
#[test]
fn with_an_explicit_test_attribute() {}

fn main() {}
