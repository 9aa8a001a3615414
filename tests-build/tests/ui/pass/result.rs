//! Tests returning `Result`: `?` and `return` work as in a plain test.

// trybuild builds this file as a binary, where the tests that use the imports are stripped.
#![allow(
    unused_imports,
    reason = "used only by the tests, which a build as a binary strips; compiled as a module of `tests/ui.rs` in test mode they are used"
)]

use std::num::ParseIntError;

use logged_test::{TestLogs, logged_test};

#[logged_test]
fn question_mark(_logs: &TestLogs) -> Result<(), ParseIntError> {
    let n: u8 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[logged_test]
fn early_return() -> Result<(), String> {
    if cfg!(test) {
        return Ok(());
    }
    Err("not reached".to_owned())
}

#[logged_test]
fn boxed_error() -> Result<(), Box<dyn std::error::Error>> {
    let _: u16 = "65535".parse()?;
    Ok(())
}

fn main() {}
