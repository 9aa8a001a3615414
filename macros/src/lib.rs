//! Proc macros for `logged-test`.
//!
//! Depend on the `logged-test` crate instead: it re-exports [`macro@logged_test`]
//! (also as `logged_test::test`) and documents it, and it provides the run-time
//! code the expansion calls.
//!
//! The attribute works in the steps of rstest-macros: `parse` reads
//! the options and `recognize` the fn and the attributes around it,
//! `check` turns every misuse into one combined `syn::Error`, and
//! `render` writes the test. This file is the glue (`try_expand`, like
//! test-log's `try_test`); on an error the item is kept beside the
//! `compile_error!`s (`render::recovered`). The expansion of each form is
//! pinned by the snapshot tests in `tests.rs`.

mod check;
mod parse;
mod recognize;
mod render;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, Item, ItemFn, Meta, Stmt};

use crate::parse::Options;
use crate::recognize::{Above, Role, TestFn, flaky_loop_attempts, flaky_retried_fn, role};

#[expect(missing_docs, reason = "documented at the re-export in logged_test")]
#[proc_macro_attribute]
pub fn logged_test(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand(args.into(), item.into()).into()
}

/// Expands `#[logged_test(args)] item`; on error, the item plus the errors.
fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone(), Overrides::default()) {
        Ok(tokens) => tokens,
        Err(error) => {
            // Keep the item so that the body still type-checks and IDEs keep
            // working, and so that one mistake gives one error (tokio).
            let mut tokens = render::recovered(item);
            tokens.extend(error.into_compile_error());
            tokens
        }
    }
}

/// What an attribute around `#[logged_test]` decided for it, when it is
/// expanded as part of that attribute's output (the fn that `#[flaky_test]`
/// above runs on each attempt).
#[derive(Default)]
struct Overrides {
    /// The attribute that registers the test, as written.
    registered_by: Option<String>,
    /// How many times that attribute runs the body, when known.
    attempts: Option<u32>,
}

/// Parse, recognise, check, render.
fn try_expand(
    args: TokenStream,
    item: TokenStream,
    overrides: Overrides,
) -> syn::Result<TokenStream> {
    let options = Options::parse(args);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => return Err(check::check_not_a_fn(options, item, error)),
    };
    let mut test_fn = TestFn::new(function);
    if test_fn.expanded_above == Some(Above::FlakyTest) {
        options?;
        return expand_flaky_above(test_fn.function);
    }
    let registered_by_other = overrides.registered_by.is_some()
        || options.as_ref().is_ok_and(Options::registered_by_other);
    if registered_by_other {
        test_fn.run_by_other(overrides.registered_by.as_deref());
    }
    let mut config = check::check(options, &test_fn, registered_by_other)?;
    config.registered_by_other |= overrides.registered_by.is_some();
    config.attempts = config.attempts.or(overrides.attempts);
    let (param, case_params) = recognize::parameters(&test_fn, registered_by_other);
    Ok(render::render(
        &config,
        test_fn,
        param,
        case_params,
        overrides.registered_by,
    ))
}

/// With `#[flaky_test]` above, `#[logged_test]` is on both the test fn
/// (already registered by flaky's `#[test]`) and the fn it retries: the
/// test fn is left as it is, and the retried fn is expanded here, as a
/// fn that another attribute registers and runs up to N times.
fn expand_flaky_above(mut function: ItemFn) -> syn::Result<TokenStream> {
    let ident = function.sig.ident.clone();
    let at_top = flaky_retried_fn(&function.block.stmts, &ident).is_some();
    let stmts = match function.block.stmts.first_mut() {
        Some(Stmt::Local(local)) if !at_top => {
            match local.init.as_mut().map(|init| &mut *init.expr) {
                Some(Expr::Async(body)) => &mut body.block.stmts,
                _ => return Ok(function.into_token_stream()),
            }
        }
        _ => &mut function.block.stmts,
    };
    let Some(index) = flaky_retried_fn(stmts, &ident) else {
        return Ok(function.into_token_stream());
    };
    let attempts = flaky_loop_attempts(stmts);
    let Some(Stmt::Item(Item::Fn(inner))) = stmts.get_mut(index) else {
        return Ok(function.into_token_stream());
    };
    let position = inner
        .attrs
        .iter()
        .position(|attr| role(attr.path()) == Some(Role::LoggedTest));
    let Some(attr) = position.map(|i| inner.attrs.remove(i)) else {
        return Ok(function.into_token_stream());
    };
    let args = match attr.meta {
        Meta::List(list) => list.tokens,
        Meta::Path(_) | Meta::NameValue(_) => TokenStream::new(),
    };
    let overrides = Overrides {
        registered_by: Some("flaky_test".to_owned()),
        attempts,
    };
    let expanded = try_expand(args, inner.to_token_stream(), overrides)?;
    *inner = syn::parse2(expanded)?;
    Ok(function.into_token_stream())
}
