//! The test integration, built on the engine: `TestLogs` (a collector, a
//! directory and a session per test), what a test captured, the one set of
//! assertions on both (`LogAssertions`) and how an assertion reports, the rstest fixture, the `LOGGED_TEST_DIR`
//! manifest. `private.rs`, what `#[logged_test]` expands to call, is
//! mounted by `lib.rs` as `logged_test::__private`.

pub(crate) mod assertions;
pub(crate) mod captured;
pub(crate) mod child;
mod collector_captured;
pub(crate) mod deny;
#[cfg(feature = "rstest")]
pub(crate) mod fixture;
pub(crate) mod manifest;
pub(crate) mod marks;
pub(crate) mod report;
pub(crate) mod snapshot;
pub(crate) mod test_logs;
