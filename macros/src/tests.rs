//! The expansion of every form, pinned by an insta snapshot of the formatted
//! output (test-log's `core/tests/snapshots.rs`): a snapshot shows code that
//! appears unexpectedly, which a check for substrings cannot. The snapshots are
//! in `macros/src/snapshots/`; each one's `expression` is the input.
//!
//! Re-run with `cargo test -p logged-test-macros`; after a deliberate change to
//! the expansion, regenerate with `INSTA_UPDATE=always cargo test -p
//! logged-test-macros` (or `cargo insta review`), read every changed `.snap`
//! and commit them. Under `CI=true` insta refuses to write new snapshots.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::Item;

/// `#[logged_test(args)] item`, expanded and laid out by prettyplease.
#[track_caller]
fn expand(args: TokenStream, item: TokenStream) -> String {
    let output = crate::expand(args, item);
    let file: syn::File =
        syn::parse2(output.clone()).unwrap_or_else(|error| panic!("{error}: {output}"));
    prettyplease::unparse(&file)
}

// The plain forms.

#[test]
fn sync() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            fn smoke() {
                work();
            }
        }
    ));
}

#[test]
fn sync_with_logs() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            fn with_logs(#[allow(unused)] my_logs: &'_ logged_test::TestLogs) {
                work();
            }
        }
    ));
}

#[test]
fn sync_keeps_attributes_in_order() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[doc = "d"]
            #[ignore = "slow"]
            pub(crate) fn ordered() {}
        }
    ));
}

#[test]
fn sync_under_test() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[test]
            fn t() {}
        }
    ));
}

#[test]
fn result() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            fn fallible(logs: &TestLogs) -> Result<(), String> {
                step()?;
                Ok(())
            }
        }
    ));
}

#[test]
fn impl_trait() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            fn opaque() -> impl Termination {}
        }
    ));
}

#[test]
fn async_current_thread() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            async fn on_runtime(logs: &TestLogs) -> u8 {
                1
            }
        }
    ));
}

#[test]
fn async_multi_thread() {
    insta::assert_snapshot!(expand(
        quote!(flavor = "multi_thread", worker_threads = 3),
        quote! {
            async fn threaded() {}
        }
    ));
}

#[test]
fn async_flavor_current_thread() {
    insta::assert_snapshot!(expand(
        quote!(flavor = "current_thread"),
        quote! {
            async fn current() -> Result<(), String> {
                Ok(())
            }
        }
    ));
}

#[test]
fn async_under_test() {
    // `#[test]` cannot run an `async fn`, so `#[logged_test]` does.
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[test]
            async fn plain_test_attr() {}
        }
    ));
}

// `should_panic`.

#[test]
fn should_panic() {
    insta::assert_snapshot!(expand(
        quote!(markers = ["m"]),
        quote! {
            #[should_panic(expected = "boom")]
            fn panics() {}
        }
    ));
}

#[test]
fn should_panic_without_message() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[should_panic]
            fn panics() {}
        }
    ));
}

#[test]
fn should_panic_async() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[should_panic]
            async fn panics_async() {}
        }
    ));
}

// Stacked with `#[tokio::test]`.

#[test]
fn above_tokio_test() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[tokio::test(flavor = "multi_thread")]
            async fn foreign(logs: &TestLogs) -> Result<(), ()> {
                Ok(())
            }
        }
    ));
}

#[test]
fn above_tokio_test_should_panic() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[tokio::test]
            #[should_panic]
            async fn foreign_panics() {}
        }
    ));
}

#[test]
fn below_tokio_test() {
    // `#[tokio::test]` above has already made a sync `#[test]` fn.
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[::core::prelude::v1::test]
            fn tokio_above() {
                let body = async {};
                block_on(body)
            }
        }
    ));
}

// rstest.

#[test]
fn rstest_without_logs() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[rstest]
            fn t() {}
        }
    ));
}

#[test]
fn rstest_with_logs() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[rstest]
            #[case(1)]
            fn t(#[case] n: u32, #[ignore] logs: &TestLogs, m: u8) {}
        }
    ));
}

// test-case.

#[test]
fn above_test_case() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[test_case(1)]
            fn t(n: u32) {}
        }
    ));
}

#[test]
fn above_test_case_with_expectations() {
    // prettyplease prints the attribute's own tokens loosely (`= >` for `=>`).
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[test_case(1 => matches Err(_))]
            #[test_case(2 => panics "zero")]
            #[test_case(3 => ignore 3 ; "named")]
            fn cases(n: u32, logs: &TestLogs) -> u32 {
                n
            }
        }
    ));
}

#[test]
fn above_test_matrix() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[test_case(1)]
            #[test_matrix([1, 2] => 1)]
            fn matrix(n: u32) {}
        }
    ));
}

// flaky_test.

#[test]
fn above_flaky_test() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[flaky_test(times = 5)]
            fn retried() {}
        }
    ));
}

#[test]
fn above_flaky_test_default_times() {
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[flaky_test]
            fn retried_three_times() {}
        }
    ));
}

#[test]
fn below_flaky_test() {
    // `#[flaky_test]` above: the test fn is kept, the retried fn expanded.
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            fn retried() {
                #[logged_test]
                fn retried(logs: &TestLogs) {
                    work();
                }
                for i in 0..4 {
                    run(i);
                }
            }
        }
    ));
}

// Each option.

#[test]
fn option_level() {
    insta::assert_snapshot!(expand(
        quote!(level = "DEBUG"),
        quote! {
            fn leveled() {}
        }
    ));
}

#[test]
fn option_filter() {
    insta::assert_snapshot!(expand(
        quote!(filter = "info,my_crate::db=trace"),
        quote! {
            fn filtered() {}
        }
    ));
}

#[test]
fn option_markers() {
    insta::assert_snapshot!(expand(
        quote!(markers = ["a", "b"]),
        quote! {
            fn marked() {}
        }
    ));
}

#[test]
fn option_session() {
    insta::assert_snapshot!(expand(
        quote!(session = "x.log"),
        quote! {
            fn named() {}
        }
    ));
}

#[test]
fn option_keep() {
    insta::assert_snapshot!(expand(
        quote!(keep),
        quote! {
            fn kept() {}
        }
    ));
}

#[test]
fn option_deny() {
    insta::assert_snapshot!(expand(
        quote!(deny = "warn"),
        quote! {
            fn strict() {}
        }
    ));
}

#[test]
fn option_registered_by_other_and_attempts() {
    insta::assert_snapshot!(expand(
        quote!(registered_by_other, attempts = 2),
        quote! {
            fn other(n: u32) {}
        }
    ));
}

#[test]
fn option_registered_by_other_async() {
    insta::assert_snapshot!(expand(
        quote!(registered_by_other),
        quote! {
            async fn other_runtime() {}
        }
    ));
}

#[test]
fn options_together() {
    insta::assert_snapshot!(expand(
        quote!(
            level = "DEBUG",
            markers = ["a", "b"],
            session = "x.log",
            keep,
            deny = "error"
        ),
        quote! {
            fn specified() {}
        }
    ));
}

// Rejected forms: the item is kept, followed by every error.

#[test]
fn error_options_and_signature() {
    insta::assert_snapshot!(expand(
        quote!(levle = "debug", keep = 1),
        quote! {
            const unsafe fn broken<T>(a: u32, b: u32) where T: Copy {}
        }
    ));
}

#[test]
fn error_below_tokio_test() {
    // The `#[test]` `#[tokio::test]` added is dropped from the kept item.
    insta::assert_snapshot!(expand(
        quote!(flavor = "multi_thread"),
        quote! {
            #[::core::prelude::v1::test]
            fn above(logs: &TestLogs) {
                let body = async {};
                run(body)
            }
        }
    ));
}

#[test]
fn error_below_test_case() {
    // The case fn no longer calls the fn whose parameters it lacks.
    insta::assert_snapshot!(expand(
        quote!(),
        quote! {
            #[::core::prelude::v1::test]
            fn test_case_1() {
                let _result = super::f(1);
                _result
            }
        }
    ));
}

/// Users may deny `clippy::allow_attributes_without_reason`: every
/// `#[allow(..)]` the expansion adds says why, in every form that adds one.
#[test]
fn generated_allows_carry_a_reason() {
    for (args, item) in [
        (
            quote!(),
            quote!(
                fn sync(logs: &TestLogs) {}
            ),
        ),
        (
            quote!(),
            quote!(
                #[rstest]
                fn early(logs: &TestLogs) {}
            ),
        ),
        (
            quote!(keep = 1),
            quote!(
                #[::core::prelude::v1::test]
                fn recovered() {
                    let body = async {};
                    run(body)
                }
            ),
        ),
    ] {
        let output = crate::expand(args, item).to_string();
        let allows: Vec<&str> = output.split("# [allow").skip(1).collect();
        assert!(!allows.is_empty(), "no `#[allow]` in {output}");
        for allow in allows {
            let attribute = allow.split(")]").next().unwrap_or_default();
            assert!(
                attribute.contains("reason ="),
                "`#[allow{attribute})]` has no reason"
            );
        }
    }
}

// The messages, one list per rejected form, after the kept item.

/// The messages of the `compile_error!`s after the unchanged item.
#[track_caller]
fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    let output = crate::expand(args, item.clone());
    let file: syn::File = syn::parse2(output).unwrap_or_else(|e| panic!("{e}"));
    let mut items = file.items.into_iter();
    let first = items.next().map(|item| item.to_token_stream().to_string());
    assert_eq!(
        first,
        Some(crate::render::recovered(item).to_string()),
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

#[test]
fn keep_the_item_and_report_every_mistake() {
    let rule = "a `#[logged_test]` fn takes no parameters or one `&TestLogs`";
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
