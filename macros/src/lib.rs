//! Proc macros for `logged-test`.
//!
//! Depend on the `logged-test` crate instead: it re-exports [`macro@logged_test`]
//! (also as `logged_test::test`) and documents it, and it provides the run-time
//! code the expansion calls.

mod expand;
mod parse;
#[cfg(test)]
mod tests;

#[allow(missing_docs)] // documented at the re-export in logged_test
#[proc_macro_attribute]
pub fn logged_test(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::logged_test(args.into(), item.into()).into()
}
