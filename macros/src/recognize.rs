//! What `#[logged_test]` is applied to: the attributes around it (by a table
//! of path patterns, like tokio-macros and test-log), what an attribute above
//! it has already expanded into, the `&TestLogs` parameter and the
//! expectations of `#[should_panic]`, `#[flaky_test]` and `#[test_case]`.
//!
//! Nothing here produces an error: [`crate::check`] judges what is recognised
//! here, and [`crate::render`] writes the test from it.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, FnArg, Item, ItemFn, Lit, LitStr, Meta, Pat, Stmt, Type};

use crate::parse::{FnKind, path_to_string};

/// What an attribute on the test fn means to `#[logged_test]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
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
    pub(crate) fn registers(self) -> bool {
        !matches!(self, Role::LoggedTest | Role::ShouldPanic)
    }

    /// The attribute passes the fn's parameters other than `&TestLogs`.
    pub(crate) fn supplies_args(self) -> bool {
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
pub(crate) fn role(path: &syn::Path) -> Option<Role> {
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

/// The user's `logs: &TestLogs` parameter.
pub(crate) struct LogsParam {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) pat: Pat,
    pub(crate) ty: Type,
}

/// What the attributes and the body say about the fn.
pub(crate) struct TestFn {
    pub(crate) function: ItemFn,
    /// The attributes with a role.
    pub(crate) roles: Vec<(Role, Attribute)>,
    /// An attribute above `#[logged_test]` already expanded, known by its output.
    pub(crate) expanded_above: Option<Above>,
    /// The attribute that runs the `async fn` (as written), when not `#[logged_test]`.
    pub(crate) runtime_attr: Option<String>,
}

/// An attribute written above `#[logged_test]`, already expanded when the
/// macro runs, recognised by the shape of its output.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Above {
    /// `#[tokio::test]`: a sync `#[test]` fn whose body starts with `let body = async { .. }`.
    TokioTest,
    /// `#[test_case(..)]`: one fn per case, whose body starts with `let _result = super::f(..)`.
    TestCase,
    /// `#[flaky_test]`: a test fn whose body starts with the fn it retries, of
    /// the same name and still carrying `#[logged_test]`, then the retry loop.
    FlakyTest,
}

impl TestFn {
    pub(crate) fn new(function: ItemFn) -> Self {
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
    pub(crate) fn registering_attr(&self) -> Option<String> {
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
    pub(crate) fn kind(&self) -> FnKind<'_> {
        match (&self.runtime_attr, self.function.sig.asyncness) {
            (Some(attr), _) => FnKind::ForeignRuntime(attr),
            (None, None) => FnKind::Sync,
            (None, Some(_)) => FnKind::Async,
        }
    }

    /// With `registered_by_other`, the attribute that registers the test
    /// (`by`, as written, when known) runs an `async fn` too.
    pub(crate) fn run_by_other(&mut self, by: Option<&str>) {
        if self.runtime_attr.is_none() && self.function.sig.asyncness.is_some() {
            self.runtime_attr = Some(by.unwrap_or(OTHER_ATTRIBUTE).to_owned());
        }
    }

    /// Another attribute passes the parameters other than `&TestLogs`.
    pub(crate) fn others_supply_args(&self, registered_by_other: bool) -> bool {
        registered_by_other || self.roles.iter().any(|(role, _)| role.supplies_args())
    }

    /// How many times a `#[flaky_test]` below runs the body.
    pub(crate) fn flaky_attempts(&self) -> Option<u32> {
        let flaky = self.roles.iter().find(|(role, _)| *role == Role::Retries);
        flaky.and_then(|(_, attr)| flaky_attr_attempts(attr))
    }

    /// `#[should_panic]`, with its `expected` message if any.
    pub(crate) fn should_panic(&self) -> Option<Option<LitStr>> {
        self.roles
            .iter()
            .find(|(role, _)| *role == Role::ShouldPanic)
            .map(|(_, attr)| should_panic_expected(attr))
    }

    /// `#[rstest]` is below: it builds the fixtures, so the test starts in the first one.
    pub(crate) fn under_rstest(&self) -> bool {
        self.roles.iter().any(|(role, attr)| {
            *role == Role::SuppliesArgs
                && attr
                    .path()
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "rstest")
        })
    }
}

/// The index of the fn `#[flaky_test]` retries in `stmts`, when `stmts` are
/// `#[flaky_test]`'s output: a fn named `ident` that still carries
/// `#[logged_test]`, followed by the retry loop.
pub(crate) fn flaky_retried_fn(stmts: &[Stmt], ident: &syn::Ident) -> Option<usize> {
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
pub(crate) fn flaky_loop_attempts(stmts: &[Stmt]) -> Option<u32> {
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

/// How messages name an attribute given only as `registered_by_other`.
const OTHER_ATTRIBUTE: &str = "the attribute that registers this test";

/// The `&TestLogs` parameter and the parameters left for an attribute that
/// supplies them (`#[rstest]`, `#[test_case]` below this one). Without such
/// an attribute only the first parameter can be the `&TestLogs`
/// ([`crate::check`] rejects the others).
pub(crate) fn parameters(
    test_fn: &TestFn,
    registered_by_other: bool,
) -> (Option<LogsParam>, Vec<FnArg>) {
    let inputs: &Punctuated<FnArg, syn::Token![,]> = &test_fn.function.sig.inputs;
    let logs_param = |arg: &FnArg| match arg {
        FnArg::Typed(typed) if logs_type(&typed.ty) == LogsType::Shared => Some(LogsParam {
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
    if !test_fn.others_supply_args(registered_by_other) {
        return (inputs.first().and_then(logs_param), Vec::new());
    }
    let position = inputs.iter().position(|arg| logs_param(arg).is_some());
    let param = position.and_then(|i| logs_param(&inputs[i]));
    let kept = inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != position);
    (param, kept.map(|(_, arg)| arg.clone()).collect())
}

/// How a parameter's type compares with `&TestLogs`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LogsType {
    /// `&TestLogs`: a shared reference to a type named `TestLogs`.
    Shared,
    /// `&mut TestLogs`.
    Mutable,
    /// `TestLogs`, by value.
    Owned,
    /// Anything else.
    Other,
}

/// How `ty` compares with `&TestLogs`.
pub(crate) fn logs_type(ty: &Type) -> LogsType {
    match ty {
        Type::Reference(reference) if names_test_logs(&reference.elem) => {
            match reference.mutability {
                Some(_) => LogsType::Mutable,
                None => LogsType::Shared,
            }
        }
        _ if names_test_logs(ty) => LogsType::Owned,
        _ => LogsType::Other,
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
pub(crate) struct CaseExpectation {
    /// `=> ...` is given: test-case checks the value, not libtest.
    pub(crate) checked: bool,
    /// `=> panics`, with the message if given.
    pub(crate) panics: bool,
    pub(crate) message: Option<LitStr>,
    /// A `#[test_matrix]`, which makes many cases.
    pub(crate) matrix: bool,
}

/// The expectations of the test-case attributes, in the order test-case
/// numbers them; none when only rstest's `#[case]`s (which have none) are there.
pub(crate) fn test_case_expectations(attrs: &[Attribute]) -> Vec<CaseExpectation> {
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

#[cfg(test)]
mod should {
    use super::*;
    use quote::quote;

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
}
