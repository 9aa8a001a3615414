//! Option parsing for `#[logged_test(...)]`.
//!
//! The arguments parse as a comma-separated list of [`Meta`]s. Each key has a
//! `set_<key>` method on [`Options`] that checks the value and rejects a second
//! occurrence; [`Options::build`] then checks the rules between options and
//! against the kind of fn the attribute sits on, and yields a [`Config`].

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// The option keys, in the order the "unknown option" message lists them.
const KEYS: [&str; 6] = [
    "level",
    "markers",
    "session",
    "keep",
    "flavor",
    "worker_threads",
];

/// The level names `level = "..."` accepts (in any case).
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// The longest session name (in bytes) the run-time accepts.
const MAX_SESSION_LEN: usize = 255;

/// Independent errors, merged with [`syn::Error::combine`] so one build shows them all.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Records `error` next to the ones already seen.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Records the error of `result`, if any, and hands back its value.
    pub(crate) fn check<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `Err` with every recorded error, or `Ok(value)` when there were none.
    pub(crate) fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(errors) => Err(errors),
            None => Ok(value),
        }
    }
}

/// Which kind of test fn the options apply to; decides whether runtime options make sense.
#[derive(Clone, Copy)]
pub(crate) enum FnKind<'a> {
    /// A plain `fn`.
    Sync,
    /// An `async fn` that runs on the runtime `#[logged_test]` builds.
    Async,
    /// An `async fn` whose runtime comes from another attribute (`#[tokio::test]`).
    AsyncWithRuntime(&'a syn::Path),
}

/// The runtime `#[logged_test]` builds for an `async fn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runtime {
    /// `flavor = "current_thread"`, the default.
    CurrentThread,
    /// `flavor = "multi_thread"`, with `worker_threads = N` if given.
    MultiThread {
        /// `worker_threads = N`; `None` leaves tokio's default.
        worker_threads: Option<usize>,
    },
}

/// The checked options of one `#[logged_test(...)]`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Config {
    /// `level = "..."`, lowercased.
    pub(crate) level: Option<&'static str>,
    /// `markers = [...]`, in order.
    pub(crate) markers: Vec<String>,
    /// `session = "..."`.
    pub(crate) session: Option<String>,
    /// `keep` / `keep = true`.
    pub(crate) keep: bool,
    /// The runtime to build; `None` for a sync fn and for an `async fn` run by another attribute.
    pub(crate) runtime: Option<Runtime>,
}

/// The flavor names `flavor = "..."` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

/// A value with the option (`key = value`) it came from, for errors about that option.
struct Given<T> {
    value: T,
    option: Meta,
}

/// Options as written, each checked on its own; [`Options::build`] checks them together.
#[derive(Default)]
pub(crate) struct Options {
    level: Option<Given<&'static str>>,
    markers: Option<Given<Vec<String>>>,
    session: Option<Given<String>>,
    keep: Option<Given<bool>>,
    flavor: Option<Given<Flavor>>,
    worker_threads: Option<Given<usize>>,
    /// Keys seen so far, valid value or not, to reject a second occurrence.
    seen: Vec<&'static str>,
}

impl Options {
    /// Parses the attribute's arguments, reporting every malformed option at once.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated
            .parse2(args)
            .map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!(
                        "{error}; write options as `key = value` separated by commas, like `level = \"debug\", keep`"
                    ),
                )
            })?;
        let mut options = Self::default();
        let mut errors = Errors::default();
        for meta in metas {
            errors.check(options.set(meta));
        }
        errors.finish(options)
    }

    /// Dispatches one option to its `set_<key>`.
    fn set(&mut self, meta: Meta) -> syn::Result<()> {
        let key = match meta.path().get_ident() {
            Some(ident) => ident.to_string(),
            None => String::new(),
        };
        match key.as_str() {
            "level" => self.set_level(meta),
            "markers" => self.set_markers(meta),
            "session" => self.set_session(meta),
            "keep" => self.set_keep(meta),
            "flavor" => self.set_flavor(meta),
            "worker_threads" => self.set_worker_threads(meta),
            _ => Err(syn::Error::new_spanned(
                meta.path(),
                format!(
                    "unknown option `{}`; expected one of {}",
                    path_to_string(meta.path()),
                    backticked(&KEYS),
                ),
            )),
        }
    }

    fn set_level(&mut self, option: Meta) -> syn::Result<()> {
        const USAGE: &str = "`level` takes a string literal, like `level = \"debug\"`";
        self.first("level", &option)?;
        let lit = string_value(&option, USAGE)?;
        let wanted = lit.value().to_ascii_lowercase();
        let Some(level) = LEVELS.iter().copied().find(|level| *level == wanted) else {
            return Err(syn::Error::new_spanned(
                lit,
                format!(
                    "unknown level `{}`; expected one of {}",
                    lit.value(),
                    backticked(&LEVELS),
                ),
            ));
        };
        self.level = Some(Given {
            value: level,
            option,
        });
        Ok(())
    }

    fn set_markers(&mut self, option: Meta) -> syn::Result<()> {
        const USAGE: &str =
            "`markers` takes an array of string literals, like `markers = [\"ready\", \"done\"]`";
        self.first("markers", &option)?;
        let Some(Expr::Array(array)) = value(&option) else {
            return Err(value_error(&option, USAGE));
        };
        let mut markers = Vec::with_capacity(array.elems.len());
        let mut errors = Errors::default();
        for elem in &array.elems {
            match elem {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) if lit.value().is_empty() => errors.push(syn::Error::new_spanned(
                    lit,
                    "an empty marker matches every record; write the text the logs must contain",
                )),
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => markers.push(lit.value()),
                _ => errors.push(syn::Error::new_spanned(
                    elem,
                    "a marker must be a string literal, like `\"ready\"`",
                )),
            }
        }
        let markers = errors.finish(markers)?;
        self.markers = Some(Given {
            value: markers,
            option,
        });
        Ok(())
    }

    fn set_session(&mut self, option: Meta) -> syn::Result<()> {
        const USAGE: &str = "`session` takes a string literal, like `session = \"startup.log\"`";
        self.first("session", &option)?;
        let lit = string_value(&option, USAGE)?;
        let name = lit.value();
        if let Some(problem) = session_name_problem(&name) {
            return Err(syn::Error::new_spanned(
                lit,
                format!("{problem}; give a plain file name, like `session = \"startup.log\"`"),
            ));
        }
        self.session = Some(Given {
            value: name,
            option,
        });
        Ok(())
    }

    fn set_keep(&mut self, option: Meta) -> syn::Result<()> {
        const USAGE: &str = "`keep` takes no value or a bool, like `keep` or `keep = true`";
        self.first("keep", &option)?;
        let keep = match &option {
            Meta::Path(_) => true,
            Meta::NameValue(name_value) => match &name_value.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(lit),
                    ..
                }) => lit.value,
                other => return Err(syn::Error::new_spanned(other, USAGE)),
            },
            Meta::List(_) => return Err(value_error(&option, USAGE)),
        };
        self.keep = Some(Given {
            value: keep,
            option,
        });
        Ok(())
    }

    fn set_flavor(&mut self, option: Meta) -> syn::Result<()> {
        const USAGE: &str = "`flavor` takes a string literal, like `flavor = \"multi_thread\"`";
        self.first("flavor", &option)?;
        let lit = string_value(&option, USAGE)?;
        let flavor = match lit.value().as_str() {
            "current_thread" => Flavor::CurrentThread,
            "multi_thread" => Flavor::MultiThread,
            other => {
                return Err(syn::Error::new_spanned(
                    lit,
                    format!(
                        "unknown flavor `{other}`; expected `current_thread` or `multi_thread`"
                    ),
                ));
            }
        };
        self.flavor = Some(Given {
            value: flavor,
            option,
        });
        Ok(())
    }

    fn set_worker_threads(&mut self, option: Meta) -> syn::Result<()> {
        const USAGE: &str =
            "`worker_threads` takes a positive integer literal, like `worker_threads = 2`";
        self.first("worker_threads", &option)?;
        let Some(Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        })) = value(&option)
        else {
            return Err(value_error(&option, USAGE));
        };
        let threads = match lit.base10_parse::<usize>() {
            Ok(0) | Err(_) => return Err(syn::Error::new_spanned(lit, USAGE)),
            Ok(threads) => threads,
        };
        self.worker_threads = Some(Given {
            value: threads,
            option,
        });
        Ok(())
    }

    /// Rejects the second occurrence of `key`, at that key.
    fn first(&mut self, key: &'static str, option: &Meta) -> syn::Result<()> {
        if self.seen.contains(&key) {
            return Err(syn::Error::new_spanned(
                option.path(),
                format!("`{key}` given twice"),
            ));
        }
        self.seen.push(key);
        Ok(())
    }

    /// Checks the rules between options and against the fn, and yields the [`Config`].
    pub(crate) fn build(self, kind: FnKind<'_>) -> syn::Result<Config> {
        let mut errors = Errors::default();
        let runtime_options = [
            self.flavor.as_ref().map(|given| ("flavor", &given.option)),
            self.worker_threads
                .as_ref()
                .map(|given| ("worker_threads", &given.option)),
        ];
        let runtime = match kind {
            FnKind::Sync => {
                for (key, option) in runtime_options.into_iter().flatten() {
                    errors.push(syn::Error::new_spanned(
                        option,
                        format!(
                            "`{key}` only applies to `async fn` tests; remove it or make the test `async`"
                        ),
                    ));
                }
                None
            }
            FnKind::AsyncWithRuntime(attr) => {
                for (key, option) in runtime_options.into_iter().flatten() {
                    errors.push(syn::Error::new_spanned(
                        option,
                        format!(
                            "`{key}` needs the runtime that `#[logged_test]` builds; remove `#[{}]` or the option",
                            path_to_string(attr),
                        ),
                    ));
                }
                None
            }
            FnKind::Async => match (&self.flavor, &self.worker_threads) {
                (
                    Some(Given {
                        value: Flavor::MultiThread,
                        ..
                    }),
                    threads,
                ) => Some(Runtime::MultiThread {
                    worker_threads: threads.as_ref().map(|given| given.value),
                }),
                (_, Some(threads)) => {
                    errors.push(syn::Error::new_spanned(
                        &threads.option,
                        "`worker_threads` needs `flavor = \"multi_thread\"`; add it or remove `worker_threads`",
                    ));
                    None
                }
                (_, None) => Some(Runtime::CurrentThread),
            },
        };
        errors.finish(Config {
            level: self.level.map(|given| given.value),
            markers: self.markers.map(|given| given.value).unwrap_or_default(),
            session: self.session.map(|given| given.value),
            keep: self.keep.is_some_and(|given| given.value),
            runtime,
        })
    }
}

/// The value of `key = value`, if the option has that form.
fn value(option: &Meta) -> Option<&Expr> {
    match option {
        Meta::NameValue(name_value) => Some(&name_value.value),
        Meta::Path(_) | Meta::List(_) => None,
    }
}

/// The string literal of `key = "..."`, or `usage` at whatever was written instead.
fn string_value<'a>(option: &'a Meta, usage: &str) -> syn::Result<&'a LitStr> {
    match value(option) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        })) => Ok(lit),
        _ => Err(value_error(option, usage)),
    }
}

/// `usage` at the value of `option`, or at the bare key when there is no value.
fn value_error(option: &Meta, usage: &str) -> syn::Error {
    match option {
        Meta::Path(path) => syn::Error::new_spanned(path, usage),
        Meta::NameValue(name_value) => syn::Error::new_spanned(&name_value.value, usage),
        Meta::List(list) => {
            // Point at `(...)`, the part that should have been `= value`.
            let span = list.delimiter.span().join();
            syn::Error::new(span, usage)
        }
    }
}

/// Why the run-time would refuse `name` as a session file name, if it would
/// (the same rules as `logged_test`'s `session::validate_name`).
fn session_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("the session name is empty".to_owned())
    } else if name == "." || name == ".." {
        Some(format!("`{name}` is a directory, not a file name"))
    } else if let Some(separator) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        Some(format!(
            "the session name contains `{separator}`, which would leave the log directory"
        ))
    } else if name.contains('\0') {
        Some("the session name contains a NUL byte".to_owned())
    } else if name.len() > MAX_SESSION_LEN {
        Some(format!(
            "the session name is {} bytes long, over the limit of {MAX_SESSION_LEN}",
            name.len()
        ))
    } else {
        None
    }
}

/// `a::b` for a path, as a user would write it (`ToTokens` would give `a :: b`).
pub(crate) fn path_to_string(path: &syn::Path) -> String {
    let mut out = String::new();
    if path.leading_colon.is_some() {
        out.push_str("::");
    }
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        out.push_str(&segment.ident.to_string());
        if !segment.arguments.is_none() {
            out.push_str(&segment.arguments.to_token_stream().to_string());
        }
    }
    out
}

/// "`a`, `b`, `c`".
fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod should {
    use super::*;
    use quote::quote;

    /// Every message of a (combined) error, in order.
    fn messages(error: syn::Error) -> Vec<String> {
        error.into_iter().map(|error| error.to_string()).collect()
    }

    #[track_caller]
    fn config(args: TokenStream, kind: FnKind<'_>) -> Config {
        match Options::parse(args).and_then(|options| options.build(kind)) {
            Ok(config) => config,
            Err(error) => panic!("expected a config, got {:?}", messages(error)),
        }
    }

    #[track_caller]
    fn sync_config(args: TokenStream) -> Config {
        config(args, FnKind::Sync)
    }

    #[track_caller]
    fn errors(args: TokenStream, kind: FnKind<'_>) -> Vec<String> {
        match Options::parse(args).and_then(|options| options.build(kind)) {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(error) => messages(error),
        }
    }

    #[track_caller]
    fn sync_error(args: TokenStream) -> String {
        let mut all = errors(args, FnKind::Sync);
        assert_eq!(all.len(), 1, "expected one error, got {all:?}");
        all.remove(0)
    }

    #[track_caller]
    fn async_error(args: TokenStream) -> String {
        let mut all = errors(args, FnKind::Async);
        assert_eq!(all.len(), 1, "expected one error, got {all:?}");
        all.remove(0)
    }

    fn tokio_test() -> syn::Path {
        syn::parse_quote!(tokio::test)
    }

    #[test]
    fn accept_no_options() {
        assert_eq!(sync_config(quote!()), Config::default());
    }

    #[test]
    fn accept_a_trailing_comma() {
        assert!(sync_config(quote!(keep,)).keep);
    }

    #[test]
    fn accept_every_level_in_any_case() {
        for (written, expected) in [
            ("off", "off"),
            ("error", "error"),
            ("warn", "warn"),
            ("info", "info"),
            ("debug", "debug"),
            ("trace", "trace"),
            ("DEBUG", "debug"),
            ("Warn", "warn"),
        ] {
            let config = sync_config(quote!(level = #written));
            assert_eq!(config.level, Some(expected), "for {written:?}");
        }
    }

    #[test]
    fn reject_an_unknown_level() {
        assert_eq!(
            sync_error(quote!(level = "verbose")),
            "unknown level `verbose`; expected one of `off`, `error`, `warn`, `info`, `debug`, `trace`"
        );
    }

    #[test]
    fn reject_a_level_that_is_not_a_string() {
        let expected = "`level` takes a string literal, like `level = \"debug\"`";
        assert_eq!(sync_error(quote!(level = debug)), expected);
        assert_eq!(sync_error(quote!(level = 3)), expected);
        assert_eq!(sync_error(quote!(level)), expected);
        assert_eq!(sync_error(quote!(level("debug"))), expected);
    }

    #[test]
    fn accept_markers_in_order() {
        let config = sync_config(quote!(markers = ["b", "a", "b"]));
        assert_eq!(config.markers, ["b", "a", "b"]);
    }

    #[test]
    fn accept_an_empty_marker_list() {
        assert!(sync_config(quote!(markers = [])).markers.is_empty());
    }

    #[test]
    fn reject_markers_that_are_not_an_array() {
        let expected =
            "`markers` takes an array of string literals, like `markers = [\"ready\", \"done\"]`";
        assert_eq!(sync_error(quote!(markers = "a")), expected);
        assert_eq!(sync_error(quote!(markers)), expected);
        assert_eq!(sync_error(quote!(markers("a"))), expected);
        assert_eq!(sync_error(quote!(markers = ("a", "b"))), expected);
    }

    #[test]
    fn reject_each_marker_that_is_not_a_string() {
        let all = errors(quote!(markers = ["a", 1, b, "c"]), FnKind::Sync);
        assert_eq!(
            all,
            [
                "a marker must be a string literal, like `\"ready\"`",
                "a marker must be a string literal, like `\"ready\"`",
            ]
        );
    }

    #[test]
    fn reject_an_empty_marker() {
        assert_eq!(
            sync_error(quote!(markers = ["a", ""])),
            "an empty marker matches every record; write the text the logs must contain"
        );
    }

    #[test]
    fn accept_a_session_file_name() {
        for name in ["x.log", "startup", ".hidden", "a..b", "ümlaut.log"] {
            assert_eq!(
                sync_config(quote!(session = #name)).session.as_deref(),
                Some(name)
            );
        }
        let longest = "a".repeat(255);
        assert_eq!(
            sync_config(quote!(session = #longest)).session,
            Some(longest)
        );
    }

    #[test]
    fn reject_what_the_runtime_rejects_as_a_session_name() {
        let fix = "; give a plain file name, like `session = \"startup.log\"`";
        let too_long = "é".repeat(128);
        for (name, problem) in [
            ("", "the session name is empty".to_owned()),
            (".", "`.` is a directory, not a file name".to_owned()),
            ("..", "`..` is a directory, not a file name".to_owned()),
            (
                "a/b.log",
                "the session name contains `/`, which would leave the log directory".to_owned(),
            ),
            (
                "a\\b.log",
                "the session name contains `\\`, which would leave the log directory".to_owned(),
            ),
            ("a\0b", "the session name contains a NUL byte".to_owned()),
            (
                too_long.as_str(),
                "the session name is 256 bytes long, over the limit of 255".to_owned(),
            ),
        ] {
            assert_eq!(
                sync_error(quote!(session = #name)),
                format!("{problem}{fix}"),
                "for {name:?}"
            );
        }
    }

    #[test]
    fn reject_a_session_that_is_not_a_string() {
        let expected = "`session` takes a string literal, like `session = \"startup.log\"`";
        assert_eq!(sync_error(quote!(session = x)), expected);
        assert_eq!(sync_error(quote!(session)), expected);
    }

    #[test]
    fn accept_keep_bare_or_with_a_bool() {
        assert!(sync_config(quote!(keep)).keep);
        assert!(sync_config(quote!(keep = true)).keep);
        assert!(!sync_config(quote!(keep = false)).keep);
        assert!(!sync_config(quote!()).keep);
    }

    #[test]
    fn reject_keep_with_another_value() {
        let expected = "`keep` takes no value or a bool, like `keep` or `keep = true`";
        assert_eq!(sync_error(quote!(keep = "yes")), expected);
        assert_eq!(sync_error(quote!(keep = 1)), expected);
        assert_eq!(sync_error(quote!(keep(true))), expected);
    }

    #[test]
    fn default_an_async_fn_to_current_thread() {
        let config = config(quote!(), FnKind::Async);
        assert_eq!(config.runtime, Some(Runtime::CurrentThread));
    }

    #[test]
    fn accept_both_flavors_on_an_async_fn() {
        assert_eq!(
            config(quote!(flavor = "current_thread"), FnKind::Async).runtime,
            Some(Runtime::CurrentThread)
        );
        assert_eq!(
            config(quote!(flavor = "multi_thread"), FnKind::Async).runtime,
            Some(Runtime::MultiThread {
                worker_threads: None
            })
        );
    }

    #[test]
    fn accept_worker_threads_with_multi_thread() {
        for args in [
            quote!(flavor = "multi_thread", worker_threads = 4),
            quote!(worker_threads = 4, flavor = "multi_thread"),
            quote!(flavor = "multi_thread", worker_threads = 4usize),
        ] {
            assert_eq!(
                config(args, FnKind::Async).runtime,
                Some(Runtime::MultiThread {
                    worker_threads: Some(4)
                })
            );
        }
    }

    #[test]
    fn build_no_runtime_for_a_sync_fn_or_a_foreign_runtime() {
        assert_eq!(sync_config(quote!()).runtime, None);
        let tokio_test = tokio_test();
        assert_eq!(
            config(quote!(), FnKind::AsyncWithRuntime(&tokio_test)).runtime,
            None
        );
    }

    #[test]
    fn reject_an_unknown_flavor() {
        assert_eq!(
            async_error(quote!(flavor = "local")),
            "unknown flavor `local`; expected `current_thread` or `multi_thread`"
        );
    }

    #[test]
    fn reject_a_flavor_that_is_not_a_string() {
        assert_eq!(
            async_error(quote!(flavor = multi_thread)),
            "`flavor` takes a string literal, like `flavor = \"multi_thread\"`"
        );
    }

    #[test]
    fn reject_worker_threads_that_are_not_a_positive_integer() {
        let expected =
            "`worker_threads` takes a positive integer literal, like `worker_threads = 2`";
        for args in [
            quote!(flavor = "multi_thread", worker_threads = 0),
            quote!(flavor = "multi_thread", worker_threads = -1),
            quote!(flavor = "multi_thread", worker_threads = "2"),
            quote!(flavor = "multi_thread", worker_threads = 2.0),
            quote!(
                flavor = "multi_thread",
                worker_threads = 99999999999999999999999
            ),
            quote!(flavor = "multi_thread", worker_threads),
        ] {
            assert_eq!(async_error(args), expected);
        }
    }

    #[test]
    fn reject_worker_threads_without_multi_thread() {
        let expected =
            "`worker_threads` needs `flavor = \"multi_thread\"`; add it or remove `worker_threads`";
        assert_eq!(async_error(quote!(worker_threads = 2)), expected);
        assert_eq!(
            async_error(quote!(flavor = "current_thread", worker_threads = 2)),
            expected
        );
    }

    #[test]
    fn reject_runtime_options_on_a_sync_fn() {
        assert_eq!(
            errors(
                quote!(flavor = "multi_thread", worker_threads = 2),
                FnKind::Sync
            ),
            [
                "`flavor` only applies to `async fn` tests; remove it or make the test `async`",
                "`worker_threads` only applies to `async fn` tests; remove it or make the test `async`",
            ]
        );
    }

    #[test]
    fn reject_runtime_options_with_a_foreign_runtime() {
        let tokio_test = tokio_test();
        assert_eq!(
            errors(
                quote!(flavor = "multi_thread", worker_threads = 2),
                FnKind::AsyncWithRuntime(&tokio_test)
            ),
            [
                "`flavor` needs the runtime that `#[logged_test]` builds; remove `#[tokio::test]` or the option",
                "`worker_threads` needs the runtime that `#[logged_test]` builds; remove `#[tokio::test]` or the option",
            ]
        );
    }

    #[test]
    fn reject_an_unknown_option() {
        let valid =
            "expected one of `level`, `markers`, `session`, `keep`, `flavor`, `worker_threads`";
        assert_eq!(
            sync_error(quote!(levle = "debug")),
            format!("unknown option `levle`; {valid}")
        );
        assert_eq!(
            sync_error(quote!(verbose)),
            format!("unknown option `verbose`; {valid}")
        );
        assert_eq!(
            sync_error(quote!(a::level = "debug")),
            format!("unknown option `a::level`; {valid}")
        );
    }

    #[test]
    fn reject_an_option_given_twice() {
        assert_eq!(
            sync_error(quote!(level = "debug", level = "info")),
            "`level` given twice"
        );
        assert_eq!(sync_error(quote!(keep, keep = false)), "`keep` given twice");
        assert_eq!(
            sync_error(quote!(markers = [], session = "a", markers = ["x"])),
            "`markers` given twice"
        );
        assert_eq!(
            async_error(quote!(flavor = "multi_thread", flavor = "multi_thread")),
            "`flavor` given twice"
        );
    }

    #[test]
    fn report_every_bad_option_at_once() {
        assert_eq!(
            errors(
                quote!(levle = "x", level = 1, session = "", keep = 2),
                FnKind::Sync
            ),
            [
                "unknown option `levle`; expected one of `level`, `markers`, `session`, `keep`, `flavor`, `worker_threads`",
                "`level` takes a string literal, like `level = \"debug\"`",
                "the session name is empty; give a plain file name, like `session = \"startup.log\"`",
                "`keep` takes no value or a bool, like `keep` or `keep = true`",
            ]
        );
    }

    #[test]
    fn reject_arguments_that_are_not_options() {
        let hint =
            "; write options as `key = value` separated by commas, like `level = \"debug\", keep`";
        for (args, syn_message) in [
            (quote!("debug"), "expected identifier"),
            (
                quote!(level = ),
                "unexpected end of input, expected an expression",
            ),
            (quote!(level = "a" keep), "expected `,`"),
        ] {
            assert_eq!(sync_error(args), format!("{syn_message}{hint}"));
        }
    }

    #[test]
    fn report_a_bad_value_and_a_repeated_key() {
        assert_eq!(
            errors(quote!(level = 1, level = "info"), FnKind::Sync),
            [
                "`level` takes a string literal, like `level = \"debug\"`",
                "`level` given twice",
            ]
        );
    }

    #[test]
    fn print_paths_as_written() {
        let path: syn::Path = syn::parse_quote!(::logged_test::test);
        assert_eq!(path_to_string(&path), "::logged_test::test");
    }
}
