//! Every option in every accepted form.

// trybuild builds this file as a binary, where the tests that use the imports are stripped.
#![allow(
    unused_imports,
    reason = "used only by the tests, which a build as a binary strips; compiled as a module of `tests/ui.rs` in test mode they are used"
)]

use logged_test::{TestLogs, logged_test};

#[logged_test(level = "debug", markers = ["pass-options one", "pass-options two"])]
fn level_and_markers() {
    log::debug!("pass-options one");
    log::info!("pass-options two");
}

#[logged_test(level = "TRACE")]
fn level_in_any_case() {}

#[logged_test(markers = [])]
fn empty_markers() {}

#[logged_test(session = "pass-options.log", keep = false)]
fn session_and_keep(_logs: &TestLogs) {}

#[logged_test(level = "info", markers = ["pass-options trailing comma"],)]
fn trailing_comma() {
    log::info!("pass-options trailing comma");
}

fn main() {}
