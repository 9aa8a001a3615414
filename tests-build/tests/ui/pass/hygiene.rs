//! The expansion names everything by absolute path: a trait in scope whose
//! methods share names with the ones it calls, implemented for every type,
//! changes nothing.

// trybuild builds this file as a binary, where the tests that use the imports are stripped.
#![allow(
    unused_imports,
    reason = "used only by the tests, which a build as a binary strips; compiled as a module of `tests/ui.rs` in test mode they are used"
)]

use logged_test::{TestLogs, logged_test};

#[expect(dead_code, reason = "the expansion must never call these")]
trait Everything {
    fn scope(&self, _: u8) {}
    fn collector(&self, _: u8) {}
    fn block_on(&self, _: u8) {}
}

impl<T: ?Sized> Everything for T {}

#[logged_test(flavor = "multi_thread")]
async fn own_runtime(_logs: &TestLogs) {}

#[logged_test]
#[tokio::test]
async fn tokio_runtime(_logs: &TestLogs) {}

#[logged_test]
fn sync(_logs: &TestLogs) {}

fn main() {}
