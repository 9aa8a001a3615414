//! Code generation for `#[logged_test]`.
//!
//! A test fn becomes a fn without parameters that builds a `TestSpec`, calls
//! `__private::start`, runs the user's body (in a closure for a sync fn, on a
//! runtime or under the foreign runtime's `.await` for an `async fn`) and hands
//! the result to `__private::finish`. Generated code names everything through
//! absolute paths and prefixes its locals with `__logged_test_`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, FnArg, Item, ItemFn, Lit, LitStr, Meta, Pat, ReturnType, Signature,
    Stmt, Type,
};

use crate::parse::{Config, FnKind, Options, Runtime, combine, path_to_string};

/// The start of every message about the fn's parameters.
const PARAMETER_RULE: &str = "a `#[logged_test]` fn takes no parameters or one `&TestLogs`";

/// What an attribute on the test fn means to `#[logged_test]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    /// libtest's `#[test]`: the fn is a test already.
    LibTest,
    /// Another `#[logged_test]`.
    LoggedTest,
    /// Makes tests and fills the fn's other parameters (`#[rstest]`, `#[test_case]`).
    SuppliesArgs,
    /// Makes a test and runs an `async fn` on its runtime (`#[tokio::test]`).
    RuntimeTest,
    /// Both: makes a test, fills its parameters and runs it (`#[sqlx::test]`).
    RuntimeSuppliesArgs,
    /// Makes a test that runs the body again after a failure (`#[flaky_test]`).
    Retries,
    /// `#[should_panic]`.
    ShouldPanic,
}

impl Role {
    /// The attribute makes the fn a test, so `#[logged_test]` adds no `#[test]`.
    fn registers(self) -> bool {
        !matches!(self, Role::LoggedTest | Role::ShouldPanic)
    }

    /// The attribute passes the fn's parameters other than `&TestLogs`.
    fn supplies_args(self) -> bool {
        matches!(self, Role::SuppliesArgs | Role::RuntimeSuppliesArgs)
    }

    /// The attribute runs an `async fn` itself.
    fn runs_async(self) -> bool {
        matches!(
            self,
            Role::RuntimeTest | Role::RuntimeSuppliesArgs | Role::Retries
        )
    }
}

/// Attribute paths and what they mean, first match wins. `*` matches one
/// segment, a leading `..` any number of leading segments (rstest and
/// test-log decide by the last segment too). `..::test` covers
/// `tokio::test`, `async_std::test`, `actix_rt::test`, `test_r::test` and
/// `logged_test`'s own alias is caught before it.
const ROLES: [(&str, Role); 14] = [
    ("test", Role::LibTest),
    ("core::prelude::*::test", Role::LibTest),
    ("std::prelude::*::test", Role::LibTest),
    ("..::logged_test", Role::LoggedTest),
    ("logged_test::test", Role::LoggedTest),
    ("..::rstest", Role::SuppliesArgs),
    ("..::test_case", Role::SuppliesArgs),
    ("..::test_matrix", Role::SuppliesArgs),
    ("..::case", Role::SuppliesArgs),
    ("..::flaky_test", Role::Retries),
    ("sqlx::test", Role::RuntimeSuppliesArgs),
    ("..::wasm_bindgen_test", Role::RuntimeTest),
    ("..::test", Role::RuntimeTest),
    ("should_panic", Role::ShouldPanic),
];

/// The role of an attribute, by the first pattern in [`ROLES`] its path matches.
fn role(path: &syn::Path) -> Option<Role> {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let matches = |pattern: &str| {
        let pattern: Vec<&str> = pattern.split("::").collect();
        let (pattern, any_prefix) = match pattern.split_first() {
            Some((&"..", rest)) => (rest, true),
            _ => (pattern.as_slice(), false),
        };
        let fits = any_prefix && segments.len() >= pattern.len() || segments.len() == pattern.len();
        let tail = segments
            .get(segments.len().saturating_sub(pattern.len())..)
            .unwrap_or_default();
        fits && pattern.iter().zip(tail).all(|(p, s)| *p == "*" || p == s)
    };
    ROLES
        .iter()
        .find(|(pattern, _)| matches(pattern))
        .map(|(_, role)| *role)
}

/// Expands `#[logged_test(args)] item`; on error, the item plus the errors.
pub(crate) fn logged_test(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone(), Overrides::default()) {
        Ok(tokens) => tokens,
        Err(error) => {
            // Keep the item so that the body still type-checks and IDEs keep
            // working, and so that one mistake gives one error (tokio).
            let mut tokens = recovered(item);
            tokens.extend(error.into_compile_error());
            tokens
        }
    }
}

/// The item to emit beside our errors: unchanged, except that a test
/// attribute an attribute above already added is dropped (libtest would
/// add its own, less helpful, error about the same fn), and the case fn of a
/// `#[test_case]` above does not call the fn whose parameters it lacks.
fn recovered(item: TokenStream) -> TokenStream {
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
        #[allow(dead_code)]
        #function
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

/// The user's `logs: &TestLogs` parameter.
struct LogsParam {
    attrs: Vec<Attribute>,
    pat: Pat,
    ty: Type,
}

/// What the attributes and the body say about the fn.
struct TestFn {
    function: ItemFn,
    /// The attributes with a role.
    roles: Vec<(Role, Attribute)>,
    /// An attribute above `#[logged_test]` already expanded, known by its output.
    expanded_above: Option<Above>,
    /// The attribute that runs the `async fn` (as written), when not `#[logged_test]`.
    runtime_attr: Option<String>,
}

/// An attribute written above `#[logged_test]`, already expanded when the
/// macro runs, recognised by the shape of its output.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Above {
    /// `#[tokio::test]`: a sync `#[test]` fn whose body starts with `let body = async { .. }`.
    TokioTest,
    /// `#[test_case(..)]`: one fn per case, whose body starts with `let _result = super::f(..)`.
    TestCase,
    /// `#[flaky_test]`: a test fn whose body starts with the fn it retries, of
    /// the same name and still carrying `#[logged_test]`, then the retry loop.
    FlakyTest,
}

impl TestFn {
    fn new(function: ItemFn) -> Self {
        let roles = function
            .attrs
            .iter()
            .filter_map(|attr| role(attr.path()).map(|role| (role, attr.clone())))
            .collect();
        let mut test_fn = TestFn {
            function,
            roles,
            expanded_above: None,
            runtime_attr: None,
        };
        test_fn.expanded_above = test_fn.recognise_above();
        test_fn.runtime_attr = match (test_fn.function.sig.asyncness, test_fn.expanded_above) {
            (None, Some(Above::TokioTest)) => Some("tokio::test".to_owned()),
            (None, _) => None,
            (Some(_), _) => test_fn
                .roles
                .iter()
                .find(|(role, _)| role.runs_async())
                .map(|(_, attr)| path_to_string(attr.path())),
        };
        test_fn
    }

    fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|(r, _)| *r == role)
    }

    /// The first attribute that makes the fn a test, as written.
    fn registering_attr(&self) -> Option<String> {
        self.roles
            .iter()
            .find(|(role, _)| role.registers())
            .map(|(_, attr)| path_to_string(attr.path()))
    }

    fn recognise_above(&self) -> Option<Above> {
        let sig = &self.function.sig;
        if flaky_retried_fn(&self.function.block.stmts, &sig.ident).is_some() {
            return Some(Above::FlakyTest);
        }
        let Some(Stmt::Local(local)) = self.function.block.stmts.first() else {
            return None;
        };
        let (Pat::Ident(binding), Some(init)) = (&local.pat, &local.init) else {
            return None;
        };
        let sync_test = sig.asyncness.is_none() && self.has(Role::LibTest);
        match (binding.ident.to_string().as_str(), &*init.expr) {
            ("body", Expr::Async(body)) if sync_test => {
                match flaky_retried_fn(&body.block.stmts, &sig.ident) {
                    Some(_) => Some(Above::FlakyTest),
                    None => Some(Above::TokioTest),
                }
            }
            ("_result", call) if sig.inputs.is_empty() && calls_super(call) => {
                Some(Above::TestCase)
            }
            _ => None,
        }
    }

    /// The kind of fn the options apply to.
    fn kind(&self) -> FnKind<'_> {
        match (&self.runtime_attr, self.function.sig.asyncness) {
            (Some(attr), _) => FnKind::ForeignRuntime(attr),
            (None, None) => FnKind::Sync,
            (None, Some(_)) => FnKind::Async,
        }
    }
}

/// The index of the fn `#[flaky_test]` retries in `stmts`, when `stmts` are
/// `#[flaky_test]`'s output: a fn named `ident` that still carries
/// `#[logged_test]`, followed by the retry loop.
fn flaky_retried_fn(stmts: &[Stmt], ident: &syn::Ident) -> Option<usize> {
    let mut items = stmts.iter().enumerate();
    let (index, inner) = items.find_map(|(i, stmt)| match stmt {
        Stmt::Item(Item::Fn(inner)) => Some((i, inner)),
        _ => None,
    })?;
    let logged = inner
        .attrs
        .iter()
        .any(|attr| role(attr.path()) == Some(Role::LoggedTest));
    let retry_loop = stmts
        .get(index + 1..)
        .unwrap_or_default()
        .iter()
        .any(|stmt| matches!(stmt, Stmt::Expr(Expr::ForLoop(_), _)));
    (inner.sig.ident == *ident && logged && retry_loop).then_some(index)
}

/// How many times `#[flaky_test]` runs the body: the end of its `for i in 0..N` loop.
fn flaky_loop_attempts(stmts: &[Stmt]) -> Option<u32> {
    stmts.iter().find_map(|stmt| match stmt {
        Stmt::Expr(Expr::ForLoop(for_loop), _) => match &*for_loop.expr {
            Expr::Range(range) => match range.end.as_deref() {
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Int(lit), ..
                })) => lit.base10_parse().ok(),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}

/// `times = N` of a `#[flaky_test(..)]` below, else its default of 3.
fn flaky_attr_attempts(attr: &Attribute) -> Option<u32> {
    let Meta::List(list) = &attr.meta else {
        return Some(3);
    };
    let metas = list
        .parse_args_with(Punctuated::<Meta, syn::Token![,]>::parse_terminated)
        .ok()?;
    let times = metas.iter().find_map(|meta| match meta {
        Meta::NameValue(nv) if nv.path.is_ident("times") => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Int(lit), ..
            }) => lit.base10_parse().ok(),
            _ => None,
        },
        _ => None,
    });
    Some(times.unwrap_or(3))
}

/// `super::f(..)` or `super::f(..).await`, as test-case's expansion calls the test.
fn calls_super(expr: &Expr) -> bool {
    match expr {
        Expr::Await(await_expr) => calls_super(&await_expr.base),
        Expr::Call(call) => matches!(&*call.func, Expr::Path(path)
            if path.path.segments.first().is_some_and(|s| s.ident == "super")),
        _ => false,
    }
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

fn try_expand(
    args: TokenStream,
    item: TokenStream,
    overrides: Overrides,
) -> syn::Result<TokenStream> {
    let options = Options::parse(args);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let not_a_fn = not_a_fn(item, error);
            return Err(match options {
                Ok(_) => not_a_fn,
                Err(mut errors) => {
                    errors.combine(not_a_fn);
                    errors
                }
            });
        }
    };
    let mut test_fn = TestFn::new(function);
    if test_fn.expanded_above == Some(Above::FlakyTest) {
        options?;
        return expand_flaky_above(test_fn.function);
    }
    let registered_by_other = overrides.registered_by.is_some()
        || options.as_ref().is_ok_and(Options::registered_by_other);
    if registered_by_other
        && test_fn.runtime_attr.is_none()
        && test_fn.function.sig.asyncness.is_some()
    {
        test_fn.runtime_attr = Some(
            overrides
                .registered_by
                .clone()
                .unwrap_or_else(|| OTHER_ATTRIBUTE.to_owned()),
        );
    }
    let (config, option_errors) = match options.and_then(|options| options.build(test_fn.kind())) {
        Ok(config) => (Some(config), None),
        Err(errors) => (None, Some(errors)),
    };
    let (param, case_params, param_errors) = parameters(&test_fn, registered_by_other);
    let errors = option_errors
        .into_iter()
        .chain(signature_errors(&test_fn.function.sig))
        .chain(param_errors)
        .chain(stacking_errors(&test_fn));
    if let Some(errors) = combine(errors) {
        return Err(errors);
    }
    let mut config = config.unwrap_or_default();
    config.registered_by_other |= overrides.registered_by.is_some();
    config.attempts = config.attempts.or(overrides.attempts);
    Ok(render(
        &config,
        test_fn,
        param,
        case_params,
        overrides.registered_by,
    ))
}

/// How messages name an attribute given only as `registered_by_other`.
const OTHER_ATTRIBUTE: &str = "the attribute that registers this test";

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

/// The `&TestLogs` parameter, the parameters left for an attribute that
/// supplies them (`#[rstest]`, `#[test_case]` below this one), and the errors.
fn parameters(
    test_fn: &TestFn,
    registered_by_other: bool,
) -> (Option<LogsParam>, Vec<FnArg>, Vec<syn::Error>) {
    let inputs: &Punctuated<FnArg, syn::Token![,]> = &test_fn.function.sig.inputs;
    let logs_param = |arg: &FnArg| match arg {
        FnArg::Typed(typed) if logs_type_problem(&typed.ty).is_none() => Some(LogsParam {
            // rstest's `#[ignore]` marks an argument another attribute fills.
            attrs: typed
                .attrs
                .iter()
                .filter(|a| !a.path().is_ident("ignore"))
                .cloned()
                .collect(),
            pat: (*typed.pat).clone(),
            ty: (*typed.ty).clone(),
        }),
        _ => None,
    };
    if registered_by_other || test_fn.roles.iter().any(|(role, _)| role.supplies_args()) {
        let position = inputs.iter().position(|arg| logs_param(arg).is_some());
        let param = position.and_then(|i| logs_param(&inputs[i]));
        let kept = inputs
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != position);
        return (
            param,
            kept.map(|(_, arg)| arg.clone()).collect(),
            Vec::new(),
        );
    }
    let mut errors = Vec::new();
    let first = inputs.first();
    let fix = match first {
        Some(FnArg::Receiver(receiver)) => Some((
            receiver.to_token_stream(),
            "a test is not a method, remove `self`",
        )),
        Some(FnArg::Typed(typed)) => {
            logs_type_problem(&typed.ty).map(|fix| (typed.ty.to_token_stream(), fix))
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
    (first.and_then(logs_param), Vec::new(), errors)
}

/// What to change when `ty` is not a shared reference to a type named `TestLogs`.
fn logs_type_problem(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Reference(reference) if names_test_logs(&reference.elem) => reference
            .mutability
            .map(|_| "take a shared reference, `&TestLogs`"),
        _ if names_test_logs(ty) => Some("take it by reference, `&TestLogs`"),
        _ => Some("change the type to `&TestLogs` or remove the parameter"),
    }
}

/// `TestLogs`, `logged_test::TestLogs`, `::logged_test::TestLogs`, ...
fn names_test_logs(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "TestLogs" && segment.arguments.is_none()),
        Type::Paren(paren) => names_test_logs(&paren.elem),
        Type::Group(group) => names_test_logs(&group.elem),
        _ => false,
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

fn render(
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
    let attempts = config.attempts.or_else(|| {
        let flaky = test_fn
            .roles
            .iter()
            .find(|(role, _)| *role == Role::Retries);
        flaky.and_then(|(_, attr)| flaky_attr_attempts(attr))
    });
    let should_panic = test_fn
        .roles
        .iter()
        .find(|(role, _)| *role == Role::ShouldPanic)
        .map(|(_, attr)| should_panic_expected(attr));
    let cases = test_case_expectations(&test_fn.function.attrs);
    let early = test_fn.roles.iter().any(|(role, attr)| {
        *role == Role::SuppliesArgs
            && attr
                .path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "rstest")
    });
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
            #[allow(clippy::no_effect_underscore_binding)]
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
                #[allow(unused_imports)]
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
            #[allow(non_camel_case_types, dead_code)]
            #[doc(hidden)]
            // Braced, so that the parameter of the same name is a binding.
            struct #fixture {}
            impl #fixture {
                #[allow(dead_code)]
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

/// The `expected` message of `#[should_panic(expected = "..")]` or `#[should_panic = ".."]`.
fn should_panic_expected(attr: &Attribute) -> Option<LitStr> {
    let literal = |expr: &Expr| match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.clone()),
        _ => None,
    };
    match &attr.meta {
        Meta::Path(_) => None,
        Meta::NameValue(nv) => literal(&nv.value),
        Meta::List(list) => {
            let metas = list
                .parse_args_with(Punctuated::<Meta, syn::Token![,]>::parse_terminated)
                .ok()?;
            metas.iter().find_map(|meta| match meta {
                Meta::NameValue(nv) if nv.path.is_ident("expected") => literal(&nv.value),
                _ => None,
            })
        }
    }
}

/// What one `#[test_case(..)]` (or `#[test_matrix(..)]`) expects of the fn.
#[derive(Clone)]
struct CaseExpectation {
    /// `=> ...` is given: test-case checks the value, not libtest.
    checked: bool,
    /// `=> panics`, with the message if given.
    panics: bool,
    message: Option<LitStr>,
    /// A `#[test_matrix]`, which makes many cases.
    matrix: bool,
}

/// The expectations of the test-case attributes, in the order test-case
/// numbers them; none when only rstest's `#[case]`s (which have none) are there.
fn test_case_expectations(attrs: &[Attribute]) -> Vec<CaseExpectation> {
    let last_segment = |attr: &Attribute| {
        attr.path()
            .segments
            .last()
            .map(|segment| segment.ident.to_string())
    };
    let test_case_family = attrs.iter().any(|attr| {
        matches!(
            last_segment(attr).as_deref(),
            Some("test_case" | "test_matrix")
        )
    });
    if !test_case_family {
        return Vec::new();
    }
    attrs
        .iter()
        .filter_map(|attr| {
            let matrix = match last_segment(attr)?.as_str() {
                "test_case" | "case" => false,
                "test_matrix" => true,
                _ => return None,
            };
            let Meta::List(list) = &attr.meta else {
                return None;
            };
            Some(case_expectation(list.tokens.clone(), matrix))
        })
        .collect()
}

/// Reads `args => [ignore|inconclusive] expectation ; "name"` at the top level.
fn case_expectation(tokens: TokenStream, matrix: bool) -> CaseExpectation {
    use proc_macro2::TokenTree;
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let arrow = tokens.windows(2).position(|pair| {
        matches!(pair, [TokenTree::Punct(eq), TokenTree::Punct(gt)]
            if eq.as_char() == '=' && gt.as_char() == '>' && eq.spacing() == proc_macro2::Spacing::Joint)
    });
    let mut case = CaseExpectation {
        checked: false,
        panics: false,
        message: None,
        matrix,
    };
    let Some(arrow) = arrow else { return case };
    case.checked = true;
    let mut rest = tokens.iter().skip(arrow + 2).skip_while(
        |tree| matches!(tree, TokenTree::Ident(word) if word == "ignore" || word == "inconclusive"),
    );
    if let Some(TokenTree::Ident(word)) = rest.next() {
        if word == "panics" {
            case.panics = true;
            case.message = match rest.next() {
                Some(TokenTree::Literal(lit)) => syn::parse2::<LitStr>(lit.to_token_stream()).ok(),
                _ => None,
            };
        }
    }
    case
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

#[cfg(test)]
mod should {
    use super::*;
    use quote::quote;

    /// `quote!` renders `a::b` as `a :: b`; compare without spaces.
    fn squash(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// The squashed expansion of `#[logged_test(args)] item`, which must succeed.
    #[track_caller]
    fn expansion(args: TokenStream, item: TokenStream) -> String {
        let output = logged_test(args, item);
        let file: syn::File =
            syn::parse2(output.clone()).unwrap_or_else(|e| panic!("{e}: {output}"));
        assert!(
            !output.to_string().contains("compile_error"),
            "expected an expansion, got {output}"
        );
        assert!(matches!(file.items.first(), Some(Item::Fn(_))), "{output}");
        squash(&output.to_string())
    }

    /// The messages of the `compile_error!`s after the unchanged item.
    #[track_caller]
    fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
        let output = logged_test(args, item.clone());
        let file: syn::File = syn::parse2(output).unwrap_or_else(|e| panic!("{e}"));
        let mut items = file.items.into_iter();
        let first = items.next().map(|item| item.to_token_stream().to_string());
        assert_eq!(
            first,
            Some(recovered(item).to_string()),
            "the item must be kept (as `recovered` leaves it)"
        );
        items
            .map(|item| match item {
                Item::Macro(mac)
                    if mac
                        .mac
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "compile_error") =>
                {
                    syn::parse2::<syn::LitStr>(mac.mac.tokens)
                        .map_or_else(|e| e.to_string(), |lit| lit.value())
                }
                other => panic!("expected compile_error!, got {}", other.to_token_stream()),
            })
            .collect()
    }

    const TEST_ATTR: &str = "#[::core::prelude::v1::test]";
    const CLOSURE: &str = "(move||->(){";

    #[test]
    fn recognise_attributes_by_the_table() {
        for (path, expected) in [
            (quote!(test), Some(Role::LibTest)),
            (quote!(::core::prelude::v1::test), Some(Role::LibTest)),
            (quote!(std::prelude::rust_2021::test), Some(Role::LibTest)),
            (quote!(tokio::test), Some(Role::RuntimeTest)),
            (quote!(logged_test_alias::test), Some(Role::RuntimeTest)),
            (quote!(logged_test::test), Some(Role::LoggedTest)),
            (quote!(logged_test), Some(Role::LoggedTest)),
            (quote!(::logged_test::logged_test), Some(Role::LoggedTest)),
            (quote!(rstest), Some(Role::SuppliesArgs)),
            (quote!(rstest::rstest), Some(Role::SuppliesArgs)),
            (quote!(test_case::test_case), Some(Role::SuppliesArgs)),
            (quote!(should_panic), Some(Role::ShouldPanic)),
            (quote!(flaky_test), Some(Role::Retries)),
            (quote!(flaky_test::flaky_test), Some(Role::Retries)),
            (quote!(sqlx::test), Some(Role::RuntimeSuppliesArgs)),
            (quote!(actix_rt::test), Some(Role::RuntimeTest)),
            (quote!(async_std::test), Some(Role::RuntimeTest)),
            (quote!(test_r::test), Some(Role::RuntimeTest)),
            (quote!(wasm_bindgen_test), Some(Role::RuntimeTest)),
            (
                quote!(wasm_bindgen_test::wasm_bindgen_test),
                Some(Role::RuntimeTest),
            ),
            (quote!(serial), None),
            (quote!(serial_test::parallel), None),
            (quote!(ignore), None),
            (quote!(doc), None),
        ] {
            let path: syn::Path =
                syn::parse2(path.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(role(&path), expected, "for {}", path_to_string(&path));
        }
    }

    #[test]
    fn expand_each_form() {
        let start = "::logged_test::__private::start(&__logged_test_spec)";
        let finish = "::logged_test::__private::finish(__logged_test_logs,&__logged_test_spec,__logged_test_result,__logged_test_error,)";
        let scope = "::logged_test::LogCollector::scope(::logged_test::TestLogs::collector(&__logged_test_logs),async{";
        // (args, item, what the expansion contains, what it must not contain)
        let cases: Vec<(TokenStream, TokenStream, Vec<&str>, Vec<&str>)> = vec![
            (
                quote!(),
                quote!(
                    fn smoke() {
                        work();
                    }
                ),
                vec![
                    TEST_ATTR,
                    "fnsmoke(){",
                    start,
                    "(move||->(){work();})()",
                    finish,
                ],
                vec!["should_panic:true", "const_"],
            ),
            (
                quote!(),
                quote!(
                    #[doc = "d"]
                    #[ignore = "slow"]
                    pub(crate) fn ordered() {}
                ),
                vec![
                    r#"#[doc="d"]#[ignore="slow"]#[::core::prelude::v1::test]pub(crate)fnordered"#,
                ],
                vec![],
            ),
            (
                quote!(),
                quote!(
                    #[test]
                    fn t() {}
                ),
                vec!["#[test]fnt()"],
                vec![TEST_ATTR],
            ),
            (
                quote!(),
                quote!(
                    #[rstest]
                    fn t() {}
                ),
                vec![
                    "#[rstest]fnt(__logged_test_early_t:::logged_test::TestLogs)",
                    "let__logged_test_logs=__logged_test_early_t;",
                    "struct__logged_test_early_t{}",
                    "fndefault()->::logged_test::TestLogs{",
                ],
                vec![TEST_ATTR],
            ),
            (
                quote!(),
                quote!(
                    #[test_case(1)]
                    fn t(n: u32) {}
                ),
                vec!["fnt(n:u32)"],
                vec![TEST_ATTR],
            ),
            (
                quote!(),
                quote!(
                    #[rstest]
                    #[case(1)]
                    fn t(#[case] n: u32, #[ignore] logs: &TestLogs, m: u8) {}
                ),
                vec![
                    "fnt(__logged_test_early_t:::logged_test::TestLogs,#[case]n:u32,m:u8)",
                    "letlogs:&TestLogs=&__logged_test_logs;",
                ],
                vec!["#[ignore]"],
            ),
            (
                quote!(),
                quote!(
                    fn p(#[allow(unused)] my_logs: &'_ logged_test::TestLogs) {}
                ),
                vec![
                    "fnp(){",
                    "#[allow(unused)]letmy_logs:&'_logged_test::TestLogs=&__logged_test_logs;",
                ],
                vec![],
            ),
            (
                quote!(),
                quote!(
                    fn fallible() -> Result<(), String> {
                        step()?;
                        Ok(())
                    }
                ),
                vec!["(move||->Result<(),String>{step()?;Ok(())})()"],
                vec![],
            ),
            (
                quote!(),
                quote!(
                    fn opaque() -> impl Termination {}
                ),
                vec!["(move||{})()"],
                vec![CLOSURE],
            ),
            (
                quote!(
                    level = "DEBUG",
                    markers = ["a", "b"],
                    session = "x.log",
                    keep
                ),
                quote!(
                    fn specified() {}
                ),
                vec![
                    "fn_name:::core::stringify!(specified)",
                    "level:::core::option::Option::Some(\"DEBUG\")",
                    "markers:&[\"a\",\"b\"]",
                    "session:::core::option::Option::Some(\"x.log\")",
                    "keep:true",
                    "const_:()={::logged_test::__private::check_level(\"DEBUG\");::logged_test::__private::check_session(\"x.log\");};",
                ],
                vec![],
            ),
            (
                quote!(markers = ["m"]),
                quote!(
                    #[should_panic(expected = "boom")]
                    fn panics() {}
                ),
                vec![
                    "should_panic:true",
                    "::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(move||->(){})",
                    "::logged_test::__private::finish_should_panic(",
                ],
                vec![finish],
            ),
            (
                quote!(),
                quote!(
                    async fn on_runtime(logs: &TestLogs) -> u8 {
                        1
                    }
                ),
                vec![
                    "fnon_runtime()->u8{",
                    "::logged_test::__private::runtime(&__logged_test_logs,::logged_test::__private::Flavor::CurrentThread)",
                    scope,
                    "letlogs:&TestLogs=&__logged_test_logs;let__logged_test_output:u8=async{1}.await;",
                ],
                vec!["asyncfn", "move"],
            ),
            (
                quote!(flavor = "multi_thread", worker_threads = 3),
                quote!(
                    async fn threaded() {}
                ),
                vec!["Flavor::MultiThread{worker_threads:::core::option::Option::Some(3usize)}"],
                vec![],
            ),
            (
                quote!(),
                quote!(
                    #[should_panic]
                    async fn panics_async() {}
                ),
                vec![
                    "::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(||::logged_test::__private::tokio::runtime::Runtime::block_on(",
                ],
                vec![],
            ),
            (
                quote!(),
                quote!(
                    #[tokio::test(flavor = "multi_thread")]
                    async fn foreign() -> Result<(), ()> {
                        Ok(())
                    }
                ),
                vec!["asyncfnforeign()", scope, "}.await;", "async{Ok(())}.await"],
                vec![TEST_ATTR, "runtime("],
            ),
            (
                quote!(),
                quote!(
                    #[tokio::test]
                    #[should_panic]
                    async fn foreign_panics() {}
                ),
                vec!["::logged_test::__private::CatchUnwind(::std::boxed::Box::pin("],
                vec![],
            ),
            (
                // `#[test]` cannot run an `async fn`, so `#[logged_test]` does.
                quote!(),
                quote!(
                    #[test]
                    async fn plain_test_attr() {}
                ),
                vec!["#[test]fnplain_test_attr()", "__private::runtime("],
                vec![TEST_ATTR],
            ),
            (
                // `#[tokio::test]` above: already a sync `#[test]` fn.
                quote!(),
                quote!(
                    #[::core::prelude::v1::test]
                    fn tokio_above() {
                        let body = async {};
                        block_on(body)
                    }
                ),
                vec!["(move||->(){letbody=async{};block_on(body)})()"],
                vec!["runtime("],
            ),
        ];
        for (args, item, present, absent) in cases {
            let expanded = expansion(args, item.clone());
            for part in present {
                assert!(
                    expanded.contains(part),
                    "`{part}` missing from the expansion of {item}:\n{expanded}"
                );
            }
            for part in absent {
                assert!(
                    !expanded.contains(part),
                    "`{part}` in the expansion of {item}:\n{expanded}"
                );
            }
        }
    }

    #[test]
    fn expand_with_other_registering_attributes() {
        let early_start = "::logged_test::__private::start(&__logged_test_spec)";
        // (args, item, what the expansion contains, what it must not contain)
        let cases: Vec<(TokenStream, TokenStream, Vec<&str>, Vec<&str>)> = vec![
            (
                quote!(),
                quote!(
                    #[flaky_test(times = 5)]
                    fn retried() {}
                ),
                vec![
                    "#[flaky_test(times=5)]fnretried()",
                    "registered_by:::core::option::Option::Some(\"flaky_test\")",
                    "attempts:::core::option::Option::Some(5u32)",
                ],
                vec![TEST_ATTR],
            ),
            (
                quote!(),
                quote!(
                    #[flaky_test]
                    fn retried_three_times() {}
                ),
                vec!["attempts:::core::option::Option::Some(3u32)"],
                vec![TEST_ATTR],
            ),
            (
                // `#[flaky_test]` above: the test fn is kept, the retried fn expanded.
                quote!(),
                quote!(
                    fn retried() {
                        #[logged_test]
                        fn retried(logs: &TestLogs) {
                            work();
                        }
                        for i in 0..4 {
                            run(i);
                        }
                    }
                ),
                vec![
                    "fnretried(){fnretried(){",
                    "registered_by:::core::option::Option::Some(\"flaky_test\")",
                    "attempts:::core::option::Option::Some(4u32)",
                    "letlogs:&TestLogs=&__logged_test_logs;",
                    "}foriin0..4{run(i);}}",
                ],
                vec![TEST_ATTR, "#[logged_test]"],
            ),
            (
                quote!(registered_by_other, attempts = 2),
                quote!(
                    fn other(n: u32) {}
                ),
                vec![
                    "fnother(n:u32)",
                    "registered_by:::core::option::Option::Some(\"\")",
                    "attempts:::core::option::Option::Some(2u32)",
                ],
                vec![TEST_ATTR],
            ),
            (
                quote!(registered_by_other),
                quote!(
                    async fn other_runtime() {}
                ),
                vec!["asyncfnother_runtime()", "}.await"],
                vec![TEST_ATTR, "__private::runtime("],
            ),
            (
                quote!(),
                quote!(
                    #[should_panic(expected = "boom")]
                    fn expected() {}
                ),
                vec!["panic_expected:::core::option::Option::Some(\"boom\")"],
                vec![],
            ),
            (
                quote!(),
                quote!(
                    #[test_case(1 => matches Err(_))]
                    #[test_case(2 => panics "zero")]
                    #[test_case(3 => ignore 3 ; "named")]
                    fn cases(n: u32) -> u32 {
                        n
                    }
                ),
                vec![
                    "cases:&[::logged_test::__private::Expect::Checked,::logged_test::__private::Expect::Panics(::core::option::Option::Some(\"zero\")),::logged_test::__private::Expect::Checked],cases_numbered:true",
                    "::core::result::Result::map(__logged_test_result,::logged_test::__private::Checked),).0",
                    "::std::panic::catch_unwind(",
                ],
                vec![],
            ),
            (
                quote!(),
                quote!(
                    #[test_case(1)]
                    #[test_matrix([1, 2] => 1)]
                    fn matrix(n: u32) {}
                ),
                vec![
                    "cases:&[::logged_test::__private::Expect::Returns,::logged_test::__private::Expect::Checked],cases_numbered:false",
                    "describe_err()",
                ],
                vec!["__private::Checked"],
            ),
            (
                // rstest's `#[case]` has no expectations.
                quote!(),
                quote!(
                    #[rstest]
                    #[case(1)]
                    fn rstest_case(#[case] n: u32) {}
                ),
                vec!["cases:&[]", early_start],
                vec![],
            ),
        ];
        for (args, item, present, absent) in cases {
            let expanded = expansion(args, item.clone());
            for part in present {
                assert!(
                    expanded.contains(part),
                    "`{part}` missing from the expansion of {item}:\n{expanded}"
                );
            }
            for part in absent {
                assert!(
                    !expanded.contains(part),
                    "`{part}` in the expansion of {item}:\n{expanded}"
                );
            }
        }
    }

    #[test]
    fn recover_without_the_errors_of_other_attributes() {
        // `#[tokio::test]` above: its `#[test]` is dropped, so libtest does
        // not also reject the parameter.
        let item = quote!(
            #[::core::prelude::v1::test]
            fn above(logs: &TestLogs) {
                let body = async {};
                run(body)
            }
        );
        let kept = squash(&recovered(item).to_string());
        assert!(
            kept.starts_with("#[allow(dead_code)]fnabove(logs:&TestLogs)"),
            "{kept}"
        );
        // `#[test_case]` above: the case fn no longer calls the fn whose parameters it lacks.
        let item = quote!(
            #[::core::prelude::v1::test]
            fn test_case_1() {
                let _result = super::f(1);
                _result
            }
        );
        assert_eq!(
            squash(&recovered(item).to_string()),
            "#[allow(dead_code)]fntest_case_1(){}"
        );
        // Anything else: unchanged.
        let item = quote!(
            fn plain() {}
        );
        assert_eq!(recovered(item.clone()).to_string(), item.to_string());
    }

    #[test]
    fn keep_the_item_and_report_every_mistake() {
        let rule = PARAMETER_RULE;
        let tokio = "configures a runtime, and `#[tokio::test]` builds this test's runtime; give the option to it";
        for (args, item, expected) in [
            (
                quote!(levle = "debug"),
                quote!(const unsafe fn broken<T>(a: u32, b: u32) where T: Copy {}),
                vec![
                    "unknown option `levle`; did you mean `level`? expected one of `level`, `filter`, `markers`, `session`, `keep`, `flavor`, `worker_threads`, `registered_by_other`, `attempts`, `deny`".to_owned(),
                    "a `#[logged_test]` fn cannot be `const`; remove `const`".into(),
                    "a `#[logged_test]` fn cannot be `unsafe`; remove `unsafe` and use an `unsafe` block inside".into(),
                    "a `#[logged_test]` fn cannot be generic; remove the generic parameters".into(),
                    "a `#[logged_test]` fn cannot have a `where` clause; remove it".into(),
                    format!("{rule}; change the type to `&TestLogs` or remove the parameter"),
                    format!("{rule}; remove the other parameters"),
                ],
            ),
            (quote!(), quote!(extern "C" fn ffi() {}), vec!["a `#[logged_test]` fn cannot be `extern`; remove the ABI".into()]),
            (quote!(), quote!(fn p(logs: TestLogs) {}), vec![format!("{rule}; take it by reference, `&TestLogs`")]),
            (quote!(), quote!(fn p(logs: &mut TestLogs) {}), vec![format!("{rule}; take a shared reference, `&TestLogs`")]),
            (quote!(), quote!(fn p(logs: &TestLogs<u8>) {}), vec![format!("{rule}; change the type to `&TestLogs` or remove the parameter")]),
            (quote!(), quote!(fn p(logs: &<X as Y>::TestLogs) {}), vec![format!("{rule}; change the type to `&TestLogs` or remove the parameter")]),
            (quote!(), quote!(fn p(a: &TestLogs, b: &TestLogs) {}), vec![format!("{rule}; remove the other parameters")]),
            (quote!(), quote!(fn method(&self) {}), vec![format!("{rule}; a test is not a method, remove `self`")]),
            (quote!(), quote!(#[logged_test::test] fn twice() {}), vec!["`#[logged_test]` given twice; remove `#[logged_test::test]`".into()]),
            (quote!(), quote!(#[::logged_test::logged_test] fn twice() {}), vec!["`#[logged_test]` given twice; remove `#[::logged_test::logged_test]`".into()]),
            (quote!(flavor = "multi_thread"), quote!(fn sync() {}), vec!["`flavor` only applies to `async fn` tests; remove it or make the test `async`".into()]),
            (
                quote!(flavor = "multi_thread"),
                quote!(#[tokio::test] async fn below() {}),
                vec![format!("`flavor` {tokio}, like `#[tokio::test(flavor = \"multi_thread\")]`")],
            ),
            (
                // `#[tokio::test]` above: a sync `#[test]` fn whose body starts with `let body = async`.
                quote!(flavor = "multi_thread"),
                quote!(#[::core::prelude::v1::test] fn above() { let body = async {}; run(body) }),
                vec![format!("`flavor` {tokio}, like `#[tokio::test(flavor = \"multi_thread\")]`")],
            ),
            (
                // `#[test_case]` above: one fn per case calling `super::f(..)`.
                quote!(),
                quote!(fn test_case_1() { let _result = super::f(1); _result }),
                vec!["`#[logged_test]` is below `#[test_case(..)]`, which already made each case a test: every case would run twice and could not get its `&TestLogs`; write `#[logged_test]` above the `#[test_case(..)]` attributes".into()],
            ),
            (quote!(keep), quote!(struct NotAFn;), vec!["`#[logged_test]` applies to test functions, like `fn my_test() { ... }`".into()]),
            (
                quote!(keep = 1),
                quote!(struct NotAFn;),
                vec![
                    "`keep` takes no value or a bool, like `keep` or `keep = true`".into(),
                    "`#[logged_test]` applies to test functions, like `fn my_test() { ... }`".into(),
                ],
            ),
        ] {
            assert_eq!(errors(args, item.clone()), expected, "for {item}");
        }
    }
}
