//! The misuse checks. Each rule yields `syn::Error`s spanned at the tokens at
//! fault, and [`check`] chains them all (rstest-macros' `error.rs`, with
//! `syn::Error::combine`), so one build shows every mistake: the options'
//! own errors ([`crate::parse`]), then the signature's, the parameters' and
//! the stacking of attributes.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{FnArg, Item, Signature};

use crate::parse::{Config, Options, path_to_string};
use crate::recognize::{Above, LogsType, Role, TestFn, logs_type};

/// Every check on a fn, chained: the [`Config`] of the options when nothing is wrong.
pub(crate) fn check(
    options: syn::Result<Options>,
    test_fn: &TestFn,
    registered_by_other: bool,
) -> syn::Result<Config> {
    let (config, option_errors) = match options.and_then(|options| options.build(test_fn.kind())) {
        Ok(config) => (Some(config), None),
        Err(errors) => (None, Some(errors)),
    };
    let errors = option_errors
        .into_iter()
        .chain(signature_errors(&test_fn.function.sig))
        .chain(parameter_errors(test_fn, registered_by_other))
        .chain(stacking_errors(test_fn));
    match combine(errors) {
        Some(errors) => Err(errors),
        None => Ok(config.unwrap_or_default()),
    }
}

/// The errors for an item that is not a fn: the options' own, then [`not_a_fn`].
pub(crate) fn check_not_a_fn(
    options: syn::Result<Options>,
    item: TokenStream,
    error: syn::Error,
) -> syn::Error {
    let not_a_fn = not_a_fn(item, error);
    match options {
        Ok(_) => not_a_fn,
        Err(mut errors) => {
            errors.combine(not_a_fn);
            errors
        }
    }
}

/// All `errors` as one (`syn::Error::combine`), or `None` when there are none.
pub(crate) fn combine(errors: impl IntoIterator<Item = syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, error| {
        all.combine(error);
        all
    })
}

/// The start of every message about the fn's parameters.
const PARAMETER_RULE: &str = "a `#[logged_test]` fn takes no parameters or one `&TestLogs`";

/// A clearer message than syn's "expected `fn`", at the token syn stopped
/// at, when the item is some other item.
fn not_a_fn(item: TokenStream, error: syn::Error) -> syn::Error {
    match syn::parse2::<Item>(item) {
        Ok(item) => syn::Error::new(
            item_keyword(&item).unwrap_or_else(|| error.span()),
            "`#[logged_test]` applies to test functions, like `fn my_test() { ... }`",
        ),
        // Not even an item: syn's own message says what is wrong with the syntax.
        Err(_) => error,
    }
}

/// The span of the keyword that says what kind of item this is, for the common ones.
fn item_keyword(item: &Item) -> Option<Span> {
    match item {
        Item::Const(item) => Some(item.const_token.span),
        Item::Static(item) => Some(item.static_token.span),
        Item::Struct(item) => Some(item.struct_token.span),
        Item::Enum(item) => Some(item.enum_token.span),
        _ => None,
    }
}

/// The part of a signature a rule is about, if the signature has it.
type SignaturePart = fn(&Signature) -> Option<TokenStream>;

/// What a test fn's signature cannot have: the offending part and the fix.
const SIGNATURE_RULES: [(SignaturePart, &str); 6] = [
    (
        |sig| sig.constness.map(ToTokens::into_token_stream),
        "cannot be `const`; remove `const`",
    ),
    (
        |sig| sig.unsafety.map(ToTokens::into_token_stream),
        "cannot be `unsafe`; remove `unsafe` and use an `unsafe` block inside",
    ),
    (
        |sig| sig.abi.as_ref().map(ToTokens::to_token_stream),
        "cannot be `extern`; remove the ABI",
    ),
    (
        |sig| (!sig.generics.params.is_empty()).then(|| sig.generics.to_token_stream()),
        "cannot be generic; remove the generic parameters",
    ),
    (
        |sig| {
            sig.generics
                .where_clause
                .as_ref()
                .map(ToTokens::to_token_stream)
        },
        "cannot have a `where` clause; remove it",
    ),
    (
        |sig| sig.variadic.as_ref().map(ToTokens::to_token_stream),
        "cannot be variadic; remove `...`",
    ),
];

fn signature_errors(sig: &Signature) -> impl Iterator<Item = syn::Error> + '_ {
    SIGNATURE_RULES.iter().filter_map(move |(part, fix)| {
        let part = part(sig)?;
        Some(syn::Error::new_spanned(
            part,
            format!("a `#[logged_test]` fn {fix}"),
        ))
    })
}

/// Without an attribute that supplies the other parameters, only one
/// `&TestLogs` parameter is allowed: what is wrong with the first, and the
/// rest.
fn parameter_errors(test_fn: &TestFn, registered_by_other: bool) -> Vec<syn::Error> {
    if test_fn.others_supply_args(registered_by_other) {
        return Vec::new();
    }
    let inputs = &test_fn.function.sig.inputs;
    let mut errors = Vec::new();
    let fix = match inputs.first() {
        Some(FnArg::Receiver(receiver)) => Some((
            receiver.to_token_stream(),
            "a test is not a method, remove `self`",
        )),
        Some(FnArg::Typed(typed)) => {
            logs_type_fix(logs_type(&typed.ty)).map(|fix| (typed.ty.to_token_stream(), fix))
        }
        None => None,
    };
    if let Some((tokens, fix)) = fix {
        errors.push(syn::Error::new_spanned(
            tokens,
            format!("{PARAMETER_RULE}; {fix}"),
        ));
    }
    let extra: TokenStream = inputs
        .iter()
        .skip(1)
        .map(ToTokens::to_token_stream)
        .collect();
    if !extra.is_empty() {
        // One error over all the extra parameters, starting at the second.
        let message = format!("{PARAMETER_RULE}; remove the other parameters");
        errors.push(syn::Error::new_spanned(extra, message));
    }
    errors
}

/// What to change when a parameter's type is not a shared reference to a type named `TestLogs`.
fn logs_type_fix(ty: LogsType) -> Option<&'static str> {
    match ty {
        LogsType::Shared => None,
        LogsType::Mutable => Some("take a shared reference, `&TestLogs`"),
        LogsType::Owned => Some("take it by reference, `&TestLogs`"),
        LogsType::Other => Some("change the type to `&TestLogs` or remove the parameter"),
    }
}

/// A second `#[logged_test]`, and test-case's cases under this attribute.
fn stacking_errors(test_fn: &TestFn) -> impl Iterator<Item = syn::Error> + '_ {
    let twice = test_fn
        .roles
        .iter()
        .filter(|(role, _)| *role == Role::LoggedTest);
    let twice = twice.map(|(_, attr)| {
        let path = path_to_string(attr.path());
        syn::Error::new_spanned(
            attr,
            format!("`#[logged_test]` given twice; remove `#[{path}]`"),
        )
    });
    let below_test_case = (test_fn.expanded_above == Some(Above::TestCase)).then(|| {
        syn::Error::new(
            Span::call_site(),
            "`#[logged_test]` is below `#[test_case(..)]`, which already made each case a test: \
             every case would run twice and could not get its `&TestLogs`; \
             write `#[logged_test]` above the `#[test_case(..)]` attributes",
        )
    });
    twice.chain(below_test_case)
}
