//! Compile-time behaviour of `#[logged_test]`: every misuse in `tests/ui/fail`
//! gives the error in its `.stderr`, and every form in `tests/ui/pass` expands.
//!
//! trybuild builds each file as a binary, where libtest strips `#[test]` fns
//! before type checking, so the pass files are also compiled here as modules
//! (in test mode) and their tests run with this binary.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`
//! and review them; they depend on the rustc version.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

#[expect(dead_code, reason = "the file's `main` is for trybuild's binary build")]
#[path = "ui/pass/async_current_thread.rs"]
mod pass_async_current_thread;
#[expect(dead_code, reason = "the file's `main` is for trybuild's binary build")]
#[path = "ui/pass/async_multi_thread.rs"]
mod pass_async_multi_thread;
#[expect(dead_code, reason = "the file's `main` is for trybuild's binary build")]
#[path = "ui/pass/hygiene.rs"]
mod pass_hygiene;
#[expect(dead_code, reason = "the file's `main` is for trybuild's binary build")]
#[path = "ui/pass/options.rs"]
mod pass_options;
#[expect(dead_code, reason = "the file's `main` is for trybuild's binary build")]
#[path = "ui/pass/result.rs"]
mod pass_result;
#[expect(dead_code, reason = "the file's `main` is for trybuild's binary build")]
#[path = "ui/pass/stacked.rs"]
mod pass_stacked;
#[expect(dead_code, reason = "the file's `main` is for trybuild's binary build")]
#[path = "ui/pass/sync.rs"]
mod pass_sync;
