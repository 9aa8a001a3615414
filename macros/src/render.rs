//! The generated code.
//!
//! A test fn becomes a fn without parameters (but those another attribute
//! fills, and rstest's early fixture) that builds a `TestSpec`, calls
//! `__private::start`, runs the user's body (in a closure for a sync fn, on a
//! runtime or under the foreign runtime's `.await` for an `async fn`) and hands
//! the result to `__private::finish`. Generated code names everything through
//! absolute paths and prefixes its locals with `__logged_test_`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, ReturnType, Type};

use crate::parse::{Config, Runtime};
use crate::recognize::{
    Above, CaseExpectation, LogsParam, Role, TestFn, role, test_case_expectations,
};

/// The item to emit beside our errors: unchanged, except that a test
/// attribute an attribute above already added is dropped (libtest would
/// add its own, less helpful, error about the same fn), and the case fn of a
/// `#[test_case]` above does not call the fn whose parameters it lacks.
pub(crate) fn recovered(item: TokenStream) -> TokenStream {
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        return item;
    };
    let test_case_above = TestFn::new(function.clone()).expanded_above == Some(Above::TestCase);
    let before = function.attrs.len();
    function
        .attrs
        .retain(|attr| role(attr.path()) != Some(Role::LibTest));
    if test_case_above {
        function.block.stmts.clear();
        function.sig.output = ReturnType::Default;
    } else if function.attrs.len() == before {
        return item;
    }
    quote! {
        #[allow(dead_code, reason = "kept beside the errors of `#[logged_test]` so that its body is still checked")]
        #function
    }
}

/// The test fn, and beside it what it needs: rstest's early fixture and the
/// compile-time checks of the options.
pub(crate) fn render(
    config: &Config,
    test_fn: TestFn,
    param: Option<LogsParam>,
    case_params: Vec<FnArg>,
    registered_by: Option<String>,
) -> TokenStream {
    let registering = test_fn.registering_attr().or(registered_by).or_else(|| {
        // Named "" in the spec: the option does not say which attribute it is.
        config.registered_by_other.then(String::new)
    });
    let adds_test = registering.is_none();
    let attempts = config.attempts.or_else(|| test_fn.flaky_attempts());
    let should_panic = test_fn.should_panic();
    let cases = test_case_expectations(&test_fn.function.attrs);
    let early = test_fn.under_rstest();
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = test_fn.function;

    // The user's pattern keeps its span, so clippy sees this `let` as user code;
    // `_logs: &TestLogs` is fine as a parameter and must stay fine here.
    let binding = param.map(|LogsParam { attrs, pat, ty }| {
        quote! {
            #[allow(clippy::no_effect_underscore_binding, reason = "the test's `&TestLogs` parameter, bound here")]
            #(#attrs)*
            let #pat: #ty = &__logged_test_logs;
        }
    });
    // `impl Trait` cannot annotate a closure or a `let`, so it is left to inference.
    let ret = match &sig.output {
        ReturnType::Default => Some(quote!(())),
        ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => None,
        ReturnType::Type(_, ty) => Some(ty.to_token_stream()),
    };
    let catches = should_panic.is_some() || cases.iter().any(|case| case.panics);
    let body = Body {
        binding,
        block: &block,
        ret,
        span: Span::call_site().located_at(block.span()),
        should_panic: catches,
    };
    let result = match sig.asyncness {
        None => render_sync(body),
        Some(_) => render_async(config.runtime, body),
    };
    if config.runtime.is_some() {
        sig.asyncness = None;
    }
    // With an expectation on every case, test-case checks the value, of any type.
    let checked = !cases.is_empty() && cases.iter().all(|case| case.checked);
    let finish = match (should_panic.is_some(), catches, checked) {
        (true, _, _) => quote! {
            ::logged_test::__private::finish_should_panic(
                __logged_test_logs, &__logged_test_spec, __logged_test_result,
            )
        },
        (false, true, true) => quote! {
            ::logged_test::__private::finish_unwound(
                __logged_test_logs,
                &__logged_test_spec,
                ::core::result::Result::map(__logged_test_result, ::logged_test::__private::Checked),
            ).0
        },
        (false, true, false) => quote! {
            ::logged_test::__private::finish_unwound(
                __logged_test_logs, &__logged_test_spec, __logged_test_result,
            )
        },
        (false, false, true) => quote! {
            ::logged_test::__private::finish(
                __logged_test_logs,
                &__logged_test_spec,
                ::logged_test::__private::Checked(__logged_test_result),
                ::core::option::Option::None,
            ).0
        },
        (false, false, false) => quote! {{
            let __logged_test_error = {
                #[allow(unused_imports, reason = "the result's type decides which trait is used")]
                use ::logged_test::__private::{DescribeAny as _, DescribeErr as _};
                (&::logged_test::__private::Describe(&__logged_test_result)).describe_err()
            };
            ::logged_test::__private::finish(
                __logged_test_logs, &__logged_test_spec, __logged_test_result, __logged_test_error,
            )
        }},
    };
    let spec_info = SpecInfo {
        ident: &sig.ident,
        should_panic,
        registered_by: registering,
        attempts,
        cases,
    };
    let spec = render_spec(config, &spec_info);
    let early_fixture = early.then(|| format_ident!("__logged_test_early_{}", sig.ident));
    let start = match &early_fixture {
        // rstest builds the fixtures in parameter order: this one, first, starts the test.
        Some(fixture) => quote!(#fixture),
        None => quote!(::logged_test::__private::start(&__logged_test_spec)),
    };
    let early_param: Option<FnArg> = early_fixture
        .as_ref()
        .map(|fixture| syn::parse_quote!(#fixture: ::logged_test::TestLogs));
    sig.inputs = early_param.into_iter().chain(case_params).collect();
    let early_item = early_fixture.as_ref().map(|fixture| {
        quote! {
            #[allow(non_camel_case_types, dead_code, reason = "rstest's fixture for the test's `TestLogs`, named after the test")]
            #[doc(hidden)]
            // Braced, so that the parameter of the same name is a binding.
            struct #fixture {}
            impl #fixture {
                #[allow(dead_code, reason = "rstest calls it; unused where the test is stripped")]
                fn default() -> ::logged_test::TestLogs {
                    #spec
                    ::logged_test::__private::start(&__logged_test_spec)
                }
            }
        }
    });
    let test_attr = adds_test.then(|| quote!(#[::core::prelude::v1::test]));
    let checks = render_checks(config);
    quote! {
        #(#attrs)*
        #test_attr
        #vis #sig {
            #spec
            let __logged_test_logs = #start;
            let __logged_test_result = #result;
            #finish
        }
        #early_item
        #checks
    }
}

/// What the spec says besides the options.
struct SpecInfo<'a> {
    ident: &'a syn::Ident,
    /// `#[should_panic]`, with its `expected` message if any.
    should_panic: Option<Option<LitStr>>,
    /// The attribute that registers the test, as written.
    registered_by: Option<String>,
    /// How many times another attribute runs the body.
    attempts: Option<u32>,
    /// The expectations of the `#[test_case]`s, in order.
    cases: Vec<CaseExpectation>,
}

fn render_spec(config: &Config, info: &SpecInfo<'_>) -> TokenStream {
    let (level, session) = (option(&config.level), option(&config.session));
    let (markers, keep) = (&config.markers, config.keep);
    let ident = info.ident;
    let should_panic = info.should_panic.is_some();
    let panic_expected = option(&info.should_panic.clone().flatten());
    let registered_by = option(&info.registered_by);
    let attempts = option(&info.attempts);
    let numbered = !info.cases.iter().any(|case| case.matrix);
    let cases = info.cases.iter().map(|case| {
        let message = option(&case.message);
        match (case.panics, case.checked) {
            (true, _) => quote!(::logged_test::__private::Expect::Panics(#message)),
            (false, true) => quote!(::logged_test::__private::Expect::Checked),
            (false, false) => quote!(::logged_test::__private::Expect::Returns),
        }
    });
    let deny = option(&config.deny);
    let filter = option(&config.filter);
    quote! {
        let __logged_test_spec = ::logged_test::__private::TestSpec {
            fn_name: ::core::stringify!(#ident),
            module_path: ::core::module_path!(),
            level: #level,
            filter: #filter,
            markers: &[#(#markers),*],
            session: #session,
            keep: #keep,
            should_panic: #should_panic,
            panic_expected: #panic_expected,
            registered_by: #registered_by,
            attempts: #attempts,
            cases: &[#(#cases),*],
            cases_numbered: #numbered,
            deny: #deny,
        };
    }
}

/// `::core::option::Option::Some(value)` or `None`, as an expression.
fn option(value: &Option<impl ToTokens>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

/// Compile-time checks of the level, session and filter, by the run-time
/// crate's own rules, at the literals. A `const` item outside the fn, so
/// they run even where libtest strips the test fn (a non-test build).
fn render_checks(config: &Config) -> Option<TokenStream> {
    let level = config
        .level
        .iter()
        .map(|lit| quote_spanned!(lit.span()=> ::logged_test::__private::check_level(#lit);));
    let session = config
        .session
        .iter()
        .map(|lit| quote_spanned!(lit.span()=> ::logged_test::__private::check_session(#lit);));
    let deny = config
        .deny
        .iter()
        .map(|lit| quote_spanned!(lit.span()=> ::logged_test::__private::check_deny(#lit);));
    let filter = config
        .filter
        .iter()
        .map(|lit| quote_spanned!(lit.span()=> ::logged_test::__private::check_filter(#lit);));
    let checks: TokenStream = level.chain(session).chain(filter).chain(deny).collect();
    (!checks.is_empty()).then(|| quote!(const _: () = { #checks };))
}

/// The user's body and what the rendering of it needs.
struct Body<'a> {
    /// `let logs: &TestLogs = ...;`, when the fn takes it.
    binding: Option<TokenStream>,
    block: &'a syn::Block,
    /// The return type, `None` when it cannot be written (`impl Trait`).
    ret: Option<TokenStream>,
    /// Generated code around the body is located at the body, so type errors
    /// land in user code, but keeps the macro's hygiene, so lints that skip
    /// macro output (`clippy::redundant_closure_call`) skip it too.
    span: Span,
    should_panic: bool,
}

/// The body of a sync test, in a closure typed with the return type.
fn render_sync(body: Body<'_>) -> TokenStream {
    let Body {
        binding,
        block,
        ret,
        span: body_span,
        should_panic,
    } = body;
    let ret = ret.map(|ret| quote!(-> #ret));
    let run = match should_panic {
        true => quote_spanned! {body_span=>
            ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(move || #ret #block))
        },
        false => quote_spanned!(body_span=> (move || #ret #block)()),
    };
    quote! {{ #binding #run }}
}

/// The body of an `async fn` test, inside the collector's scope, on the
/// runtime `#[logged_test]` builds or awaited under another attribute's.
fn render_async(runtime: Option<Runtime>, body: Body<'_>) -> TokenStream {
    let Body {
        binding,
        block,
        ret,
        span: body_span,
        should_panic,
    } = body;
    let body = match ret {
        Some(ret) => quote_spanned! {body_span=>
            let __logged_test_output: #ret = async #block.await;
            __logged_test_output
        },
        None => quote_spanned! {body_span=> async #block.await },
    };
    // Fully qualified calls: a user's trait in scope with a `scope` or
    // `block_on` method (say, a blanket impl) cannot capture them.
    let scoped = quote! {
        ::logged_test::LogCollector::scope(
            ::logged_test::TestLogs::collector(&__logged_test_logs),
            async { #binding #body },
        )
    };
    let Some(runtime) = runtime else {
        return match should_panic {
            true => quote! {
                ::logged_test::__private::CatchUnwind(::std::boxed::Box::pin(#scoped)).await
            },
            false => quote! { #scoped.await },
        };
    };
    let flavor = match runtime {
        Runtime::CurrentThread => quote!(::logged_test::__private::Flavor::CurrentThread),
        Runtime::MultiThread { worker_threads } => {
            let worker_threads = option(&worker_threads);
            quote!(::logged_test::__private::Flavor::MultiThread { worker_threads: #worker_threads })
        }
    };
    let run = quote! {
        ::logged_test::__private::tokio::runtime::Runtime::block_on(&__logged_test_rt, #scoped)
    };
    let run = match should_panic {
        true => quote!(::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| #run))),
        false => run,
    };
    quote! {{
        let __logged_test_rt = ::logged_test::__private::runtime(&__logged_test_logs, #flavor);
        let __logged_test_output = #run;
        __logged_test_output
    }}
}
