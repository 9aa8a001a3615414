//! Code generation for `#[logged_test]`.
//!
//! A test fn becomes a fn without parameters that builds a `TestSpec`, calls
//! `__private::start`, runs the user's body (in a closure for a sync fn, on a
//! runtime or under the foreign runtime's `.await` for an `async fn`) and hands
//! the result to `__private::finish`. Generated code names everything through
//! absolute paths and prefixes its locals with `__logged_test_`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Item, ItemFn, Pat, ReturnType, Type};

use crate::parse::{Config, Errors, FnKind, Options, Runtime, path_to_string};

/// The start of every message about the fn's parameters.
const PARAMETER_RULE: &str = "a `#[logged_test]` fn takes no parameters or one `&TestLogs`";

/// Expands `#[logged_test(args)] item`; on error, the item unchanged plus the errors.
pub(crate) fn logged_test(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            // Keep the item so that the body still type-checks and IDEs keep
            // working, and so that one mistake gives one error (tokio).
            let mut tokens = item;
            tokens.extend(error.into_compile_error());
            tokens
        }
    }
}

/// The user's `logs: &TestLogs` parameter.
struct LogsParam {
    attrs: Vec<Attribute>,
    pat: Pat,
    ty: Type,
}

/// Everything the checks found out about the fn, besides the config.
struct TestFn {
    function: ItemFn,
    param: Option<LogsParam>,
    /// Parameters kept for an attribute below that supplies them (`#[rstest]`).
    case_params: Vec<FnArg>,
    has_test_attr: bool,
    should_panic: bool,
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let options = errors.check(Options::parse(args));
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(not_a_fn(item, error));
            return errors.finish(TokenStream::new());
        }
    };
    let runtime_attr = function
        .attrs
        .iter()
        .find(|attr| provides_runtime(attr))
        .map(|attr| attr.path().clone());
    let kind = match (&function.sig.asyncness, &runtime_attr) {
        (None, _) => FnKind::Sync,
        (Some(_), None) => FnKind::Async,
        (Some(_), Some(attr)) => FnKind::AsyncWithRuntime(attr),
    };
    let config = options.and_then(|options| errors.check(options.build(kind)));
    let test_fn = errors.check(check_fn(function));
    match (config, test_fn) {
        (Some(config), Some(test_fn)) => errors.finish(render(&config, test_fn)),
        _ => errors.finish(TokenStream::new()),
    }
}

/// A clearer message than syn's "expected `fn`" when the item is some other item.
fn not_a_fn(item: TokenStream, error: syn::Error) -> syn::Error {
    match syn::parse2::<Item>(item) {
        Ok(item) => syn::Error::new(
            item_keyword_span(&item).unwrap_or_else(|| error.span()),
            "`#[logged_test]` applies to test functions, like `fn my_test() { ... }`",
        ),
        // Not even an item: syn's own message says what is wrong with the syntax.
        Err(_) => error,
    }
}

/// The span of the keyword that says what kind of item this is (`struct`, `const`, ...).
fn item_keyword_span(item: &Item) -> Option<Span> {
    Some(match item {
        Item::Const(item) => item.const_token.span,
        Item::Enum(item) => item.enum_token.span,
        Item::ExternCrate(item) => item.extern_token.span,
        Item::ForeignMod(item) => item.abi.extern_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Macro(item) => item.mac.path.span(),
        Item::Mod(item) => item.mod_token.span,
        Item::Static(item) => item.static_token.span,
        Item::Struct(item) => item.struct_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::TraitAlias(item) => item.trait_token.span,
        Item::Type(item) => item.type_token.span,
        Item::Union(item) => item.union_token.span,
        Item::Use(item) => item.use_token.span,
        _ => return None,
    })
}

/// Checks the signature and attributes, collecting every problem.
fn check_fn(function: ItemFn) -> syn::Result<TestFn> {
    let mut errors = Errors::default();
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            "a `#[logged_test]` fn cannot be `const`; remove `const`",
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "a `#[logged_test]` fn cannot be `unsafe`; remove `unsafe` and use an `unsafe` block inside",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a `#[logged_test]` fn cannot be `extern`; remove the ABI",
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a `#[logged_test]` fn cannot be generic; remove the generic parameters",
        ));
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            "a `#[logged_test]` fn cannot have a `where` clause; remove it",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "a `#[logged_test]` fn cannot be variadic; remove `...`",
        ));
    }
    // `#[rstest]`/`#[test_case]` below this attribute fill in the other
    // parameters, so they stay in the signature; only `&TestLogs` is ours.
    let supplies_params = function.attrs.iter().any(|attr| {
        ["rstest", "test_case"]
            .iter()
            .any(|n| last_segment_is(attr.path(), n))
    });
    let (param, case_params) = if supplies_params {
        split_case_params(&sig.inputs)
    } else {
        (
            errors.check(check_params(&sig.inputs)).flatten(),
            Vec::new(),
        )
    };
    for attr in &function.attrs {
        if is_logged_test(attr) {
            errors.push(syn::Error::new_spanned(
                attr,
                format!(
                    "`#[logged_test]` given twice; remove `#[{}]`",
                    path_to_string(attr.path())
                ),
            ));
        }
    }
    let has_test_attr = function.attrs.iter().any(is_test_attribute);
    let should_panic = function
        .attrs
        .iter()
        .any(|attr| last_segment_is(attr.path(), "should_panic"));
    errors.finish(TestFn {
        function,
        param,
        case_params,
        has_test_attr,
        should_panic,
    })
}

/// Accepts no parameter or one `pat: &TestLogs`.
fn check_params(inputs: &Punctuated<FnArg, syn::Token![,]>) -> syn::Result<Option<LogsParam>> {
    let mut errors = Errors::default();
    let mut args = inputs.iter();
    let param = match args.next() {
        None => None,
        Some(FnArg::Receiver(receiver)) => {
            errors.push(syn::Error::new_spanned(
                receiver,
                format!("{PARAMETER_RULE}; a test is not a method, remove `self`"),
            ));
            None
        }
        Some(FnArg::Typed(typed)) => match logs_type_problem(&typed.ty) {
            Some(fix) => {
                errors.push(syn::Error::new_spanned(
                    &typed.ty,
                    format!("{PARAMETER_RULE}; {fix}"),
                ));
                None
            }
            None => Some(LogsParam {
                attrs: typed.attrs.clone(),
                pat: (*typed.pat).clone(),
                ty: (*typed.ty).clone(),
            }),
        },
    };
    let extra: Vec<&FnArg> = args.collect();
    if !extra.is_empty() {
        // One error over all the extra parameters, starting at the second.
        let tokens: TokenStream = extra.iter().map(|arg| arg.to_token_stream()).collect();
        errors.push(syn::Error::new_spanned(
            tokens,
            format!("{PARAMETER_RULE}; remove the other parameters"),
        ));
    }
    errors.finish(param)
}

/// Under `#[rstest]`/`#[test_case]`: the `&TestLogs` parameter (if any) is
/// ours, every other one is left for that attribute.
fn split_case_params(
    inputs: &Punctuated<FnArg, syn::Token![,]>,
) -> (Option<LogsParam>, Vec<FnArg>) {
    let mut param = None;
    let mut kept = Vec::new();
    for arg in inputs {
        match arg {
            FnArg::Typed(typed) if param.is_none() && logs_type_problem(&typed.ty).is_none() => {
                param = Some(LogsParam {
                    attrs: typed.attrs.clone(),
                    pat: (*typed.pat).clone(),
                    ty: (*typed.ty).clone(),
                });
            }
            other => kept.push(other.clone()),
        }
    }
    (param, kept)
}

/// What to change when `ty` is not a shared reference to a type named `TestLogs`.
fn logs_type_problem(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Reference(reference) if names_test_logs(&reference.elem) => {
            if reference.mutability.is_some() {
                Some("take a shared reference, `&TestLogs`")
            } else {
                None
            }
        }
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

fn last_segment_is(path: &syn::Path, name: &str) -> bool {
    path.segments
        .last()
        .is_some_and(|segment| segment.ident == name)
}

/// An attribute that already makes the fn a test: `#[test]`, `#[tokio::test]`,
/// `#[rstest]`, `#[test_case(...)]`, ... (last path segment, as rstest and test-log decide).
fn is_test_attribute(attr: &Attribute) -> bool {
    ["test", "rstest", "test_case"]
        .iter()
        .any(|name| last_segment_is(attr.path(), name))
}

/// A test attribute that runs an `async fn` itself (`#[tokio::test]`), unlike libtest's `#[test]`.
fn provides_runtime(attr: &Attribute) -> bool {
    last_segment_is(attr.path(), "test") && !is_libtest(attr.path())
}

/// `test`, `core::prelude::v1::test`, `::std::prelude::rust_2021::test`, ...
fn is_libtest(path: &syn::Path) -> bool {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    match segments.as_slice() {
        [test] => path.leading_colon.is_none() && test == "test",
        [krate, prelude, _, test] => {
            (krate == "core" || krate == "std") && prelude == "prelude" && test == "test"
        }
        _ => false,
    }
}

/// Another `#[logged_test]` (`logged_test`, `logged_test::test`, `logged_test::logged_test`).
fn is_logged_test(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    match segments.as_slice() {
        [.., last] if last == "logged_test" => true,
        [.., krate, last] => krate == "logged_test" && last == "test",
        _ => false,
    }
}

/// The return type, `()` when omitted.
fn return_type(output: &ReturnType) -> TokenStream {
    match output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    }
}

/// `impl Trait` cannot annotate a closure or a `let`, so such a return type is left to inference.
fn can_annotate(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => !matches!(**ty, Type::ImplTrait(_)),
    }
}

fn render(config: &Config, test_fn: TestFn) -> TokenStream {
    let TestFn {
        function,
        param,
        case_params,
        has_test_attr,
        should_panic,
    } = test_fn;
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;

    let ident = &sig.ident;
    let level = option_str(config.level);
    let markers = &config.markers;
    let session = option_str(config.session.as_deref());
    let keep = config.keep;
    let spec = quote! {
        let __logged_test_spec = ::logged_test::__private::TestSpec {
            fn_name: ::core::stringify!(#ident),
            module_path: ::core::module_path!(),
            level: #level,
            markers: &[#(#markers),*],
            session: #session,
            keep: #keep,
            should_panic: #should_panic,
        };
    };

    // The user's pattern keeps its span, so clippy sees this `let` as user code;
    // `_logs: &TestLogs` is fine as a parameter and must stay fine here.
    let binding = param.map(|LogsParam { attrs, pat, ty }| {
        quote! {
            #[allow(clippy::no_effect_underscore_binding)]
            #(#attrs)*
            let #pat: #ty = &__logged_test_logs;
        }
    });

    // Generated code around the body is located at the body, so type errors
    // land in user code, but keeps the macro's hygiene, so lints that skip
    // macro output (`clippy::redundant_closure_call`) skip it too.
    let body_span = Span::call_site().located_at(block.span());
    let ret = return_type(&sig.output);
    let annotate = can_annotate(&sig.output);

    let result = if sig.asyncness.is_none() {
        let ret_annotation = annotate.then(|| quote!(-> #ret));
        let call = quote_spanned! {body_span=>
            (move || #ret_annotation #block)()
        };
        quote! {{ #binding #call }}
    } else {
        let typed_body = if annotate {
            quote_spanned! {body_span=>
                let __logged_test_output: #ret = async #block.await;
                __logged_test_output
            }
        } else {
            quote_spanned! {body_span=> async #block.await }
        };
        // Fully qualified calls: a user's trait in scope with a `scope` or
        // `block_on` method (say, a blanket impl) cannot capture them.
        let scoped = quote! {
            ::logged_test::LogCollector::scope(
                ::logged_test::TestLogs::collector(&__logged_test_logs),
                async {
                    #binding
                    #typed_body
                },
            )
        };
        match config.runtime {
            Some(runtime) => {
                sig.asyncness = None;
                let flavor = flavor(runtime);
                quote! {{
                    let __logged_test_rt = ::logged_test::__private::runtime(&__logged_test_logs, #flavor);
                    let __logged_test_output = ::logged_test::__private::tokio::runtime::Runtime::block_on(&__logged_test_rt, #scoped);
                    __logged_test_output
                }}
            }
            None => quote! { #scoped.await },
        }
    };

    sig.inputs = case_params.into_iter().collect();
    let test_attr = (!has_test_attr).then(|| quote!(#[::core::prelude::v1::test]));
    quote! {
        #(#attrs)*
        #test_attr
        #vis #sig {
            #spec
            let __logged_test_logs = ::logged_test::__private::start(&__logged_test_spec);
            let __logged_test_result = #result;
            ::logged_test::__private::finish(__logged_test_logs, &__logged_test_spec, __logged_test_result)
        }
    }
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

fn flavor(runtime: Runtime) -> TokenStream {
    match runtime {
        Runtime::CurrentThread => quote!(::logged_test::__private::Flavor::CurrentThread),
        Runtime::MultiThread { worker_threads } => {
            let worker_threads = match worker_threads {
                Some(threads) => quote!(::core::option::Option::Some(#threads)),
                None => quote!(::core::option::Option::None),
            };
            quote!(::logged_test::__private::Flavor::MultiThread {
                worker_threads: #worker_threads
            })
        }
    }
}

#[cfg(test)]
mod should {
    use super::*;

    /// The expansion of `#[logged_test(args)] item`, which must succeed.
    #[track_caller]
    fn expand(args: TokenStream, item: TokenStream) -> ItemFn {
        let output = logged_test(args, item);
        assert!(
            !output.to_string().contains("compile_error"),
            "expected an expansion, got {output}"
        );
        match syn::parse2(output) {
            Ok(function) => function,
            Err(error) => panic!("the expansion is not a fn: {error}"),
        }
    }

    /// The messages of the `compile_error!`s after the unchanged item.
    #[track_caller]
    fn expand_errors(args: TokenStream, item: TokenStream) -> Vec<String> {
        let output = logged_test(args, item.clone());
        let file: syn::File = match syn::parse2(output) {
            Ok(file) => file,
            Err(error) => panic!("the expansion does not parse: {error}"),
        };
        let mut items = file.items.into_iter();
        let first = items.next().map(|item| item.to_token_stream().to_string());
        assert_eq!(
            first,
            Some(item.to_string()),
            "the item must be kept unchanged"
        );
        let messages: Vec<String> = items
            .map(|item| match item {
                syn::Item::Macro(mac)
                    if mac.mac.path.is_ident("compile_error")
                        || last_segment_is(&mac.mac.path, "compile_error") =>
                {
                    match syn::parse2::<syn::LitStr>(mac.mac.tokens) {
                        Ok(lit) => lit.value(),
                        Err(error) => panic!("compile_error! without a string: {error}"),
                    }
                }
                other => panic!("expected compile_error!, got {}", other.to_token_stream()),
            })
            .collect();
        assert!(!messages.is_empty(), "expected errors");
        messages
    }

    fn test_attr_count(function: &ItemFn) -> usize {
        function
            .attrs
            .iter()
            .filter(|attr| is_test_attribute(attr))
            .count()
    }

    fn attr_strings(function: &ItemFn) -> Vec<String> {
        function
            .attrs
            .iter()
            .map(|attr| attr.to_token_stream().to_string())
            .collect()
    }

    fn body(function: &ItemFn) -> String {
        function.block.to_token_stream().to_string()
    }

    /// `quote!` renders `a::b` as `a :: b`; compare without spaces.
    fn squash(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn turn_a_plain_fn_into_one_test() {
        let function = expand(
            quote!(),
            quote!(
                fn smoke() {
                    work();
                }
            ),
        );
        assert_eq!(test_attr_count(&function), 1);
        assert_eq!(
            attr_strings(&function),
            ["# [:: core :: prelude :: v1 :: test]"]
        );
        assert!(function.sig.inputs.is_empty());
        assert!(function.sig.asyncness.is_none());
        let body = squash(&body(&function));
        assert!(body.contains("::logged_test::__private::start(&__logged_test_spec)"));
        assert!(body.contains("(move||->(){work();})()"), "{body}");
        assert!(body.contains(
            "::logged_test::__private::finish(__logged_test_logs,&__logged_test_spec,__logged_test_result)"
        ));
    }

    #[test]
    fn keep_user_attributes_in_order_and_append_the_test_attribute() {
        let function = expand(
            quote!(),
            quote! {
                /// Docs.
                #[ignore = "slow"]
                #[cfg_attr(miri, ignore)]
                pub(crate) fn ordered() {}
            },
        );
        let attrs = attr_strings(&function);
        assert_eq!(attrs.len(), 4, "{attrs:?}");
        assert!(attrs[0].contains("doc"), "{attrs:?}");
        assert!(attrs[1].contains("ignore = \"slow\""), "{attrs:?}");
        assert!(attrs[2].contains("cfg_attr"), "{attrs:?}");
        assert_eq!(attrs[3], "# [:: core :: prelude :: v1 :: test]");
        assert_eq!(function.vis.to_token_stream().to_string(), "pub (crate)");
    }

    #[test]
    fn add_no_test_attribute_next_to_another_one() {
        for attr in [
            quote!(#[test]),
            quote!(#[::core::prelude::v1::test]),
            quote!(#[logged_test_alias::test]),
            quote!(#[rstest]),
            quote!(#[rstest::rstest]),
            quote!(#[test_case(1)]),
            quote!(#[test_case::test_case(1)]),
            quote!(#[test_case::test]),
        ] {
            let function = expand(quote!(), quote!(#attr fn stacked() {}));
            assert_eq!(test_attr_count(&function), 1, "with {attr}");
            assert_eq!(function.attrs.len(), 1, "with {attr}");
        }
    }

    #[test]
    fn bind_the_logs_parameter_with_the_users_pattern_and_type() {
        for (param, binding) in [
            (
                quote!(logs: &TestLogs),
                "letlogs:&TestLogs=&__logged_test_logs;",
            ),
            (
                quote!(my_logs: &logged_test::TestLogs),
                "letmy_logs:&logged_test::TestLogs=&__logged_test_logs;",
            ),
            (
                quote!(_: &::logged_test::TestLogs),
                "let_:&::logged_test::TestLogs=&__logged_test_logs;",
            ),
            (
                quote!(#[allow(unused)] logs: &'_ TestLogs),
                "#[allow(unused)]letlogs:&'_TestLogs=&__logged_test_logs;",
            ),
        ] {
            let function = expand(quote!(), quote!(fn with_param(#param) {}));
            assert!(function.sig.inputs.is_empty());
            assert!(squash(&body(&function)).contains(binding), "for {param}");
        }
    }

    #[test]
    fn run_the_body_in_a_closure_typed_with_the_return_type() {
        let function = expand(
            quote!(),
            quote!(
                fn fallible() -> Result<(), String> {
                    step()?;
                    Ok(())
                }
            ),
        );
        assert_eq!(
            function.sig.output.to_token_stream().to_string(),
            "-> Result < () , String >"
        );
        assert!(squash(&body(&function)).contains("(move||->Result<(),String>{step()?;Ok(())})()"));
    }

    #[test]
    fn leave_an_impl_trait_return_type_to_inference() {
        let function = expand(
            quote!(),
            quote!(
                fn opaque() -> impl std::process::Termination {}
            ),
        );
        assert!(squash(&body(&function)).contains("(move||{})()"));
    }

    #[test]
    fn fill_the_spec_from_the_options() {
        let function = expand(
            quote!(
                level = "DEBUG",
                markers = ["a", "b"],
                session = "x.log",
                keep
            ),
            quote! {
                #[should_panic(expected = "boom")]
                fn specified() {}
            },
        );
        let body = squash(&body(&function));
        for field in [
            "fn_name:::core::stringify!(specified)",
            "module_path:::core::module_path!()",
            "level:::core::option::Option::Some(\"debug\")",
            "markers:&[\"a\",\"b\"]",
            "session:::core::option::Option::Some(\"x.log\")",
            "keep:true",
            "should_panic:true",
        ] {
            assert!(body.contains(field), "{field} missing from {body}");
        }
    }

    #[test]
    fn fill_the_spec_with_defaults() {
        let function = expand(
            quote!(),
            quote!(
                fn plain() {}
            ),
        );
        let body = squash(&body(&function));
        for field in [
            "level:::core::option::Option::None",
            "markers:&[]",
            "session:::core::option::Option::None",
            "keep:false",
            "should_panic:false",
        ] {
            assert!(body.contains(field), "{field} missing from {body}");
        }
    }

    #[test]
    fn detect_every_form_of_should_panic() {
        for attr in [
            quote!(#[should_panic]),
            quote!(#[should_panic = "boom"]),
            quote!(#[should_panic(expected = "boom")]),
        ] {
            let function = expand(quote!(), quote!(#attr fn panics() {}));
            assert!(
                squash(&body(&function)).contains("should_panic:true"),
                "with {attr}"
            );
        }
    }

    #[test]
    fn run_an_async_fn_on_its_own_runtime() {
        let function = expand(
            quote!(),
            quote!(
                async fn on_runtime(logs: &TestLogs) -> u8 {
                    1
                }
            ),
        );
        assert!(function.sig.asyncness.is_none());
        assert_eq!(test_attr_count(&function), 1);
        let body = squash(&body(&function));
        assert!(body.contains(
            "::logged_test::__private::runtime(&__logged_test_logs,::logged_test::__private::Flavor::CurrentThread)"
        ), "{body}");
        assert!(body.contains("::logged_test::__private::tokio::runtime::Runtime::block_on(&__logged_test_rt,::logged_test::LogCollector::scope(::logged_test::TestLogs::collector(&__logged_test_logs),async{#[allow(clippy::no_effect_underscore_binding)]letlogs:&TestLogs=&__logged_test_logs;let__logged_test_output:u8=async{1}.await;__logged_test_output},))"), "{body}");
        assert!(!body.contains("move"), "{body}");
    }

    #[test]
    fn pass_the_flavor_and_worker_threads() {
        let function = expand(
            quote!(flavor = "multi_thread", worker_threads = 3),
            quote!(
                async fn threaded() {}
            ),
        );
        assert!(squash(&body(&function)).contains(
            "::logged_test::__private::Flavor::MultiThread{worker_threads:::core::option::Option::Some(3usize)}"
        ));
        let function = expand(
            quote!(flavor = "multi_thread"),
            quote!(
                async fn threaded() {}
            ),
        );
        assert!(squash(&body(&function)).contains(
            "::logged_test::__private::Flavor::MultiThread{worker_threads:::core::option::Option::None}"
        ));
    }

    #[test]
    fn keep_an_async_fn_async_under_a_foreign_runtime() {
        let function = expand(
            quote!(),
            quote! {
                #[tokio::test(flavor = "multi_thread")]
                async fn foreign() -> Result<(), ()> { Ok(()) }
            },
        );
        assert!(function.sig.asyncness.is_some());
        assert_eq!(test_attr_count(&function), 1);
        let body = squash(&body(&function));
        assert!(!body.contains("runtime("), "{body}");
        assert!(body.contains(
            "let__logged_test_result=::logged_test::LogCollector::scope(::logged_test::TestLogs::collector(&__logged_test_logs),async{let__logged_test_output:Result<(),()>=async{Ok(())}.await;__logged_test_output},).await;"
        ), "{body}");
    }

    #[test]
    fn build_a_runtime_for_an_async_fn_under_libtest_test() {
        // `#[test]` cannot run an `async fn`, so `#[logged_test]` does.
        let function = expand(
            quote!(),
            quote!(
                #[test]
                async fn plain_test_attr() {}
            ),
        );
        assert!(function.sig.asyncness.is_none());
        assert_eq!(test_attr_count(&function), 1);
        assert!(squash(&body(&function)).contains("__private::runtime("));
    }

    #[test]
    fn keep_the_item_and_report_every_mistake() {
        let errors = expand_errors(
            quote!(levle = "debug"),
            quote!(
                const unsafe fn broken<T>(a: u32, b: u32)
                where
                    T: Copy,
                {
                }
            ),
        );
        assert_eq!(
            errors,
            [
                "unknown option `levle`; expected one of `level`, `markers`, `session`, `keep`, `flavor`, `worker_threads`",
                "a `#[logged_test]` fn cannot be `const`; remove `const`",
                "a `#[logged_test]` fn cannot be `unsafe`; remove `unsafe` and use an `unsafe` block inside",
                "a `#[logged_test]` fn cannot be generic; remove the generic parameters",
                "a `#[logged_test]` fn cannot have a `where` clause; remove it",
                "a `#[logged_test]` fn takes no parameters or one `&TestLogs`; change the type to `&TestLogs` or remove the parameter",
                "a `#[logged_test]` fn takes no parameters or one `&TestLogs`; remove the other parameters",
            ]
        );
    }

    #[test]
    fn reject_wrong_parameters() {
        for (params, fix) in [
            (quote!(logs: TestLogs), "take it by reference, `&TestLogs`"),
            (
                quote!(logs: &mut TestLogs),
                "take a shared reference, `&TestLogs`",
            ),
            (
                quote!(logs: &TestLogs<u8>),
                "change the type to `&TestLogs` or remove the parameter",
            ),
            (
                quote!(logs: &LogCollector),
                "change the type to `&TestLogs` or remove the parameter",
            ),
            (
                quote!(logs: &<X as Y>::TestLogs),
                "change the type to `&TestLogs` or remove the parameter",
            ),
            (
                quote!(logs: &TestLogs, other: &TestLogs),
                "remove the other parameters",
            ),
        ] {
            assert_eq!(
                expand_errors(quote!(), quote!(fn params(#params) {})),
                [format!("{PARAMETER_RULE}; {fix}")],
                "for {params}"
            );
        }
    }

    #[test]
    fn reject_a_receiver() {
        assert_eq!(
            expand_errors(
                quote!(),
                quote!(
                    fn method(&self) {}
                )
            ),
            [format!(
                "{PARAMETER_RULE}; a test is not a method, remove `self`"
            )]
        );
    }

    #[test]
    fn reject_an_extern_fn() {
        assert_eq!(
            expand_errors(
                quote!(),
                quote!(
                    extern "C" fn ffi() {}
                )
            ),
            ["a `#[logged_test]` fn cannot be `extern`; remove the ABI"]
        );
    }

    #[test]
    fn reject_a_second_logged_test() {
        for attr in [
            quote!(#[logged_test]),
            quote!(#[logged_test::test]),
            quote!(#[::logged_test::logged_test]),
        ] {
            let path = squash(&attr.to_string());
            let path = path.trim_start_matches("#[").trim_end_matches(']');
            assert_eq!(
                expand_errors(quote!(), quote!(#attr fn twice() {})),
                [format!("`#[logged_test]` given twice; remove `#[{path}]`")],
            );
        }
    }

    #[test]
    fn reject_runtime_options_where_they_do_not_apply() {
        assert_eq!(
            expand_errors(
                quote!(flavor = "multi_thread"),
                quote!(
                    fn sync() {}
                )
            ),
            ["`flavor` only applies to `async fn` tests; remove it or make the test `async`"]
        );
        assert_eq!(
            expand_errors(
                quote!(flavor = "multi_thread"),
                quote!(
                    #[tokio::test]
                    async fn foreign() {}
                )
            ),
            [
                "`flavor` needs the runtime that `#[logged_test]` builds; remove `#[tokio::test]` or the option"
            ]
        );
    }

    #[test]
    fn reject_an_item_that_is_not_a_fn() {
        assert_eq!(
            expand_errors(
                quote!(keep),
                quote!(
                    struct NotAFn;
                )
            ),
            ["`#[logged_test]` applies to test functions, like `fn my_test() { ... }`"]
        );
    }

    #[test]
    fn report_bad_options_on_a_bad_item_too() {
        assert_eq!(
            expand_errors(
                quote!(keep = 1),
                quote!(
                    struct NotAFn;
                )
            ),
            [
                "`keep` takes no value or a bool, like `keep` or `keep = true`",
                "`#[logged_test]` applies to test functions, like `fn my_test() { ... }`",
            ]
        );
    }

    #[test]
    fn recognise_libtest_test_paths() {
        for (path, libtest) in [
            (quote!(test), true),
            (quote!(::core::prelude::v1::test), true),
            (quote!(std::prelude::rust_2021::test), true),
            (quote!(::test), false),
            (quote!(tokio::test), false),
            (quote!(logged_test::test), false),
        ] {
            let path: syn::Path = match syn::parse2(path.clone()) {
                Ok(path) => path,
                Err(error) => panic!("{path}: {error}"),
            };
            assert_eq!(is_libtest(&path), libtest, "for {}", path_to_string(&path));
        }
    }
}
