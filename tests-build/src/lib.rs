//! Nothing: this package holds the trybuild UI tests of `#[logged_test]`
//! (`tests/ui.rs`), apart from the library so that its `cargo test` builds
//! no trybuild.
