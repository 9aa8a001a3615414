//! Option parsing for `#[logged_test(...)]`, driven by one table.
//!
//! The arguments parse as a comma-separated list of [`Meta`]s. [`KEYS`] maps
//! each key to the function that parses its value; [`Options::set`] looks the
//! key up (with a "did you mean" for a near miss), rejects a second
//! occurrence and stores the value. [`Options::build`] then checks the rules
//! between options and against the kind of fn, and yields a [`Config`].
//!
//! The values of `level`, `filter`, `session` and `deny` are *not* checked
//! here: the expansion checks them at compile time with the run-time crate's
//! own `const fn` rules (`render::render_checks`), so each rule is written
//! once.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

use crate::check::combine;

/// Parses one option's value.
type ParseValue = fn(&Meta) -> syn::Result<Value>;

/// Every option: its key and the parser of its value, in the order the
/// "unknown option" message lists them.
const KEYS: [(&str, ParseValue); 10] = [
    ("level", level),
    ("filter", filter),
    ("markers", markers),
    ("session", session),
    ("keep", keep),
    ("flavor", flavor),
    ("worker_threads", worker_threads),
    ("registered_by_other", registered_by_other),
    ("attempts", attempts),
    ("deny", deny),
];

/// The runtime `#[logged_test]` builds for an `async fn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runtime {
    /// `flavor = "current_thread"`, the default.
    CurrentThread,
    /// `flavor = "multi_thread"`, with `worker_threads = N` if given.
    MultiThread { worker_threads: Option<usize> },
}

/// Which kind of test fn the options apply to; decides whether runtime options make sense.
#[derive(Clone, Copy)]
pub(crate) enum FnKind<'a> {
    /// A plain `fn`.
    Sync,
    /// An `async fn` that runs on the runtime `#[logged_test]` builds.
    Async,
    /// A test whose runtime comes from another attribute, named as written (`tokio::test`).
    ForeignRuntime(&'a str),
}

/// The checked options of one `#[logged_test(...)]`.
#[derive(Default)]
pub(crate) struct Config {
    /// `level = "..."`, checked by the expansion.
    pub(crate) level: Option<LitStr>,
    /// `filter = "..."`, checked by the expansion.
    pub(crate) filter: Option<LitStr>,
    /// `markers = [...]`, in order.
    pub(crate) markers: Vec<String>,
    /// `session = "..."`, checked by the expansion.
    pub(crate) session: Option<LitStr>,
    /// `keep` / `keep = true`.
    pub(crate) keep: bool,
    /// The runtime to build; `None` for a sync fn and for a foreign runtime.
    pub(crate) runtime: Option<Runtime>,
    /// `registered_by_other`: another attribute makes the fn a test.
    pub(crate) registered_by_other: bool,
    /// `attempts = N`: another attribute runs the body up to N times.
    pub(crate) attempts: Option<u32>,
    /// `deny = "..."`, checked by the expansion.
    pub(crate) deny: Option<LitStr>,
}

/// A parsed option value.
enum Value {
    Level(LitStr),
    Filter(LitStr),
    Markers(Vec<String>),
    Session(LitStr),
    Keep(bool),
    Flavor(Runtime),
    WorkerThreads(usize),
    RegisteredByOther(bool),
    Attempts(u32),
    Deny(LitStr),
}

/// Options as written, each checked on its own; [`Options::build`] checks them together.
#[derive(Default)]
pub(crate) struct Options {
    given: Vec<(&'static str, Value, Meta)>,
    /// Keys seen so far, valid value or not, to reject a second occurrence.
    seen: Vec<&'static str>,
}

impl Options {
    /// Whether `registered_by_other` was given (true), before [`Options::build`]:
    /// it decides who runs an `async fn`, which `build` needs to know.
    pub(crate) fn registered_by_other(&self) -> bool {
        self.given
            .iter()
            .any(|(_, value, _)| matches!(value, Value::RegisteredByOther(true)))
    }

    /// Parses the attribute's arguments, reporting every malformed option at once.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated
            .parse2(args)
            .map_err(|error| {
                let hint = "write options as `key = value` separated by commas, like `level = \"debug\", keep`";
                syn::Error::new(error.span(), format!("{error}; {hint}"))
            })?;
        let mut options = Self::default();
        let errors = metas.into_iter().filter_map(|meta| options.set(meta).err());
        combine(errors).map_or(Ok(options), Err)
    }

    /// The one setter: finds the key in [`KEYS`], rejects a repeat, parses the value.
    fn set(&mut self, option: Meta) -> syn::Result<()> {
        let written = path_to_string(option.path());
        let Some(&(key, parse)) = KEYS.iter().find(|(key, _)| *key == written) else {
            let keys: Vec<&str> = KEYS.iter().map(|(key, _)| *key).collect();
            let hint = did_you_mean(&written, &keys);
            let message = format!(
                "unknown option `{written}`;{hint} expected one of {}",
                backticked(&keys)
            );
            return Err(syn::Error::new_spanned(option.path(), message));
        };
        let twice = self
            .seen
            .contains(&key)
            .then(|| syn::Error::new_spanned(option.path(), format!("`{key}` given twice")));
        self.seen.push(key);
        let value = parse(&option);
        let bad_value = value.as_ref().err().cloned();
        if let Some(errors) = combine(bad_value.into_iter().chain(twice)) {
            return Err(errors);
        }
        if let Ok(value) = value {
            self.given.push((key, value, option));
        }
        Ok(())
    }

    /// Checks the rules between options and against the fn, and yields the [`Config`].
    pub(crate) fn build(self, kind: FnKind<'_>) -> syn::Result<Config> {
        let mut config = Config::default();
        let mut runtime_options = Vec::new();
        let mut flavor = None;
        let mut worker_threads = None;
        for (key, value, option) in self.given {
            match value {
                Value::Level(lit) => config.level = Some(lit),
                Value::Filter(lit) => config.filter = Some(lit),
                Value::Markers(markers) => config.markers = markers,
                Value::Session(lit) => config.session = Some(lit),
                Value::Keep(keep) => config.keep = keep,
                Value::Flavor(runtime) => flavor = Some(runtime),
                Value::WorkerThreads(threads) => worker_threads = Some((threads, option.clone())),
                Value::RegisteredByOther(other) => config.registered_by_other = other,
                Value::Attempts(attempts) => config.attempts = Some(attempts),
                Value::Deny(lit) => config.deny = Some(lit),
            }
            if matches!(key, "flavor" | "worker_threads") {
                runtime_options.push((key, option));
            }
        }
        let misplaced = runtime_options.iter().map(|(key, option)| {
            let message = match kind {
                FnKind::Sync => format!(
                    "`{key}` only applies to `async fn` tests; remove it or make the test `async`"
                ),
                FnKind::ForeignRuntime(attr) => foreign_runtime_message(key, attr),
                FnKind::Async => return None,
            };
            Some(syn::Error::new_spanned(option, message))
        });
        let threads_without_flavor = match (&kind, flavor, &worker_threads) {
            (FnKind::Async, None | Some(Runtime::CurrentThread), Some((_, option))) => {
                Some(syn::Error::new_spanned(
                    option,
                    "`worker_threads` needs `flavor = \"multi_thread\"`; add it or remove `worker_threads`",
                ))
            }
            _ => None,
        };
        let level_and_filter = match (&config.level, &config.filter) {
            (Some(_), Some(filter)) => Some(syn::Error::new_spanned(
                filter,
                "`level` and `filter` both set what the test captures; keep `filter` and \
                 start it with the level, like `filter = \"debug,my_crate::db=trace\"`",
            )),
            _ => None,
        };
        let errors = misplaced
            .flatten()
            .chain(threads_without_flavor)
            .chain(level_and_filter);
        if let Some(errors) = combine(errors) {
            return Err(errors);
        }
        config.runtime = match (kind, flavor) {
            (FnKind::Async, Some(Runtime::MultiThread { .. })) => Some(Runtime::MultiThread {
                worker_threads: worker_threads.map(|(threads, _)| threads),
            }),
            (FnKind::Async, _) => Some(Runtime::CurrentThread),
            _ => None,
        };
        Ok(config)
    }
}

/// The message for a runtime option on a test whose runtime `attr` builds.
fn foreign_runtime_message(key: &str, attr: &str) -> String {
    let example = match key {
        "flavor" => "flavor = \"multi_thread\"",
        _ => "flavor = \"multi_thread\", worker_threads = 2",
    };
    format!(
        "`{key}` configures a runtime, and `#[{attr}]` builds this test's runtime; \
         give the option to it, like `#[{attr}({example})]`"
    )
}

fn level(option: &Meta) -> syn::Result<Value> {
    string(
        option,
        "`level` takes a string literal, like `level = \"debug\"`",
    )
    .map(Value::Level)
}

fn deny(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str = "`deny` takes a string literal, like `deny = \"warn\"`";
    string(option, USAGE).map(Value::Deny)
}

fn filter(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str =
        "`filter` takes a string literal, like `filter = \"info,my_crate::db=trace,hyper=off\"`";
    string(option, USAGE).map(Value::Filter)
}

fn session(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str = "`session` takes a string literal, like `session = \"startup.log\"`";
    string(option, USAGE).map(Value::Session)
}

fn markers(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str =
        "`markers` takes an array of string literals, like `markers = [\"ready\", \"done\"]`";
    let Some(Expr::Array(array)) = value(option) else {
        return Err(value_error(option, USAGE));
    };
    let marker = |elem: &Expr| match elem {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) if lit.value().is_empty() => Err(syn::Error::new_spanned(
            lit,
            "an empty marker matches every record; write the text the logs must contain",
        )),
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(lit.value()),
        _ => Err(syn::Error::new_spanned(
            elem,
            "a marker must be a string literal, like `\"ready\"`",
        )),
    };
    let (markers, errors): (Vec<_>, Vec<_>) =
        array.elems.iter().map(marker).partition(Result::is_ok);
    match combine(errors.into_iter().filter_map(Result::err)) {
        Some(errors) => Err(errors),
        None => Ok(Value::Markers(markers.into_iter().flatten().collect())),
    }
}

fn keep(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str = "`keep` takes no value or a bool, like `keep` or `keep = true`";
    flag(option, USAGE).map(Value::Keep)
}

/// A flag: `key` (true) or `key = <bool>`.
fn flag(option: &Meta, usage: &str) -> syn::Result<bool> {
    match (option, value(option)) {
        (Meta::Path(_), _) => Ok(true),
        (
            _,
            Some(Expr::Lit(ExprLit {
                lit: Lit::Bool(lit),
                ..
            })),
        ) => Ok(lit.value),
        _ => Err(value_error(option, usage)),
    }
}

fn registered_by_other(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str =
        "`registered_by_other` takes no value or a bool, like `registered_by_other`";
    flag(option, USAGE).map(Value::RegisteredByOther)
}

fn attempts(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str = "`attempts` takes a positive integer literal, like `attempts = 3`";
    match value(option) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        })) => match lit.base10_parse::<u32>() {
            Ok(attempts) if attempts > 0 => Ok(Value::Attempts(attempts)),
            _ => Err(syn::Error::new_spanned(lit, USAGE)),
        },
        _ => Err(value_error(option, USAGE)),
    }
}

fn flavor(option: &Meta) -> syn::Result<Value> {
    const FLAVORS: [&str; 2] = ["current_thread", "multi_thread"];
    let lit = string(
        option,
        "`flavor` takes a string literal, like `flavor = \"multi_thread\"`",
    )?;
    match lit.value().as_str() {
        "current_thread" => Ok(Value::Flavor(Runtime::CurrentThread)),
        "multi_thread" => Ok(Value::Flavor(Runtime::MultiThread {
            worker_threads: None,
        })),
        other => {
            let hint = match other {
                "single_thread" | "single_threaded" | "local" => {
                    " the single-threaded flavor is called `current_thread`;".to_owned()
                }
                _ => did_you_mean(other, &FLAVORS),
            };
            let message = format!(
                "unknown flavor `{other}`;{hint} expected `current_thread` or `multi_thread`"
            );
            Err(syn::Error::new_spanned(lit, message))
        }
    }
}

fn worker_threads(option: &Meta) -> syn::Result<Value> {
    const USAGE: &str =
        "`worker_threads` takes a positive integer literal, like `worker_threads = 2`";
    match value(option) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        })) => match lit.base10_parse::<usize>() {
            Ok(threads) if threads > 0 => Ok(Value::WorkerThreads(threads)),
            _ => Err(syn::Error::new_spanned(lit, USAGE)),
        },
        _ => Err(value_error(option, USAGE)),
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
fn string(option: &Meta, usage: &str) -> syn::Result<LitStr> {
    match value(option) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        })) => Ok(lit.clone()),
        _ => Err(value_error(option, usage)),
    }
}

/// `usage` at the value of `option`, or at the bare key when there is no value.
fn value_error(option: &Meta, usage: &str) -> syn::Error {
    match option {
        Meta::Path(path) => syn::Error::new_spanned(path, usage),
        Meta::NameValue(name_value) => syn::Error::new_spanned(&name_value.value, usage),
        Meta::List(list) => syn::Error::new(list.delimiter.span().join(), usage),
    }
}

/// " did you mean `x`?" for the candidate within two edits of `word`, else "".
fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map_or_else(String::new, |(_, candidate)| {
            format!(" did you mean `{candidate}`?")
        })
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`.
#[expect(
    clippy::indexing_slicing,
    reason = "every index is within the table sized from `a` and `b` just above"
)]
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![(0..=b.len()).collect::<Vec<_>>(); a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitute = rows[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitute.min(rows[i - 1][j] + 1).min(rows[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// `a::b` for a path, as a user would write it (`ToTokens` would give `a :: b`).
pub(crate) fn path_to_string(path: &syn::Path) -> String {
    let segments = path.segments.iter().map(|segment| {
        let arguments = &segment.arguments;
        match arguments.is_none() {
            true => segment.ident.to_string(),
            false => format!("{}{}", segment.ident, arguments.to_token_stream()),
        }
    });
    let joined = segments.collect::<Vec<_>>().join("::");
    match path.leading_colon {
        Some(_) => format!("::{joined}"),
        None => joined,
    }
}

/// "`a`, `b`, `c`".
fn backticked(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("`{word}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod should {
    use super::*;
    use quote::quote;

    /// The config as one line, or every error message.
    fn outcome(args: TokenStream, kind: FnKind<'_>) -> Result<String, Vec<String>> {
        match Options::parse(args).and_then(|options| options.build(kind)) {
            Ok(c) => Ok(format!(
                "level={:?} markers={:?} session={:?} keep={} runtime={:?}",
                c.level.map(|lit| lit.value()),
                c.markers,
                c.session.map(|lit| lit.value()),
                c.keep,
                c.runtime
            )),
            Err(errors) => Err(errors.into_iter().map(|e| e.to_string()).collect()),
        }
    }

    const NONE: &str = "level=None markers=[] session=None keep=false";

    #[test]
    fn build_the_config_of_valid_options() {
        use FnKind::{Async, ForeignRuntime, Sync};
        let ct = "runtime=Some(CurrentThread)";
        for (args, kind, expected) in [
            (quote!(), Sync, format!("{NONE} runtime=None")),
            (quote!(keep,), Sync, "level=None markers=[] session=None keep=true runtime=None".into()),
            (quote!(keep = false), Sync, format!("{NONE} runtime=None")),
            (
                quote!(level = "DEBUG", markers = ["b", "a", "b"], session = "x.log", keep = true),
                Sync,
                r#"level=Some("DEBUG") markers=["b", "a", "b"] session=Some("x.log") keep=true runtime=None"#.into(),
            ),
            (quote!(), Async, format!("{NONE} {ct}")),
            (quote!(flavor = "current_thread"), Async, format!("{NONE} {ct}")),
            (
                quote!(flavor = "multi_thread"),
                Async,
                format!("{NONE} runtime=Some(MultiThread {{ worker_threads: None }})"),
            ),
            (
                quote!(worker_threads = 4usize, flavor = "multi_thread"),
                Async,
                format!("{NONE} runtime=Some(MultiThread {{ worker_threads: Some(4) }})"),
            ),
            (quote!(), ForeignRuntime("tokio::test"), format!("{NONE} runtime=None")),
        ] {
            assert_eq!(outcome(args.clone(), kind), Ok(expected), "for {args}");
        }
    }

    #[test]
    fn reject_bad_options_with_the_fix() {
        use FnKind::{Async, ForeignRuntime, Sync};
        let keys = "expected one of `level`, `filter`, `markers`, `session`, `keep`, `flavor`, `worker_threads`, `registered_by_other`, `attempts`, `deny`";
        let level = "`level` takes a string literal, like `level = \"debug\"`";
        let markers =
            "`markers` takes an array of string literals, like `markers = [\"ready\", \"done\"]`";
        let marker = "a marker must be a string literal, like `\"ready\"`";
        let keep = "`keep` takes no value or a bool, like `keep` or `keep = true`";
        let threads =
            "`worker_threads` takes a positive integer literal, like `worker_threads = 2`";
        let syntax =
            "; write options as `key = value` separated by commas, like `level = \"debug\", keep`";
        let needs_mt =
            "`worker_threads` needs `flavor = \"multi_thread\"`; add it or remove `worker_threads`";
        for (args, kind, expected) in [
            (quote!(levle = "debug"), Sync, vec![format!("unknown option `levle`; did you mean `level`? {keys}")]),
            (quote!(verbose), Sync, vec![format!("unknown option `verbose`; {keys}")]),
            (quote!(a::level = "x"), Sync, vec![format!("unknown option `a::level`; {keys}")]),
            (quote!(level = debug), Sync, vec![level.into()]),
            (quote!(level), Sync, vec![level.into()]),
            (quote!(level("debug")), Sync, vec![level.into()]),
            (quote!(markers = "a"), Sync, vec![markers.into()]),
            (quote!(markers = ("a", "b")), Sync, vec![markers.into()]),
            (quote!(markers = ["a", 1, b, "c"]), Sync, vec![marker.into(), marker.into()]),
            (
                quote!(markers = ["a", ""]),
                Sync,
                vec!["an empty marker matches every record; write the text the logs must contain".into()],
            ),
            (quote!(session = x), Sync, vec!["`session` takes a string literal, like `session = \"startup.log\"`".into()]),
            (quote!(deny = warn), Sync, vec!["`deny` takes a string literal, like `deny = \"warn\"`".into()]),
            (quote!(deny = "warn", deny = "error"), Sync, vec!["`deny` given twice".into()]),
            (quote!(keep = "yes"), Sync, vec![keep.into()]),
            (quote!(keep(true)), Sync, vec![keep.into()]),
            (
                quote!(flavor = "single_thread"),
                Async,
                vec!["unknown flavor `single_thread`; the single-threaded flavor is called `current_thread`; expected `current_thread` or `multi_thread`".into()],
            ),
            (
                quote!(flavor = "multi_threaded"),
                Async,
                vec!["unknown flavor `multi_threaded`; did you mean `multi_thread`? expected `current_thread` or `multi_thread`".into()],
            ),
            (quote!(flavor = "multi_thread", worker_threads = 0), Async, vec![threads.into()]),
            (quote!(flavor = "multi_thread", worker_threads = -1), Async, vec![threads.into()]),
            (quote!(flavor = "multi_thread", worker_threads = 2.0), Async, vec![threads.into()]),
            (quote!(flavor = "multi_thread", worker_threads = 99999999999999999999999), Async, vec![threads.into()]),
            (quote!(flavor = "multi_thread", worker_threads), Async, vec![threads.into()]),
            (quote!(worker_threads = 2), Async, vec![needs_mt.into()]),
            (quote!(flavor = "current_thread", worker_threads = 2), Async, vec![needs_mt.into()]),
            (
                quote!(flavor = "multi_thread", worker_threads = 2),
                Sync,
                vec![
                    "`flavor` only applies to `async fn` tests; remove it or make the test `async`".into(),
                    "`worker_threads` only applies to `async fn` tests; remove it or make the test `async`".into(),
                ],
            ),
            (
                quote!(flavor = "multi_thread"),
                ForeignRuntime("tokio::test"),
                vec!["`flavor` configures a runtime, and `#[tokio::test]` builds this test's runtime; give the option to it, like `#[tokio::test(flavor = \"multi_thread\")]`".into()],
            ),
            (quote!(filter = info), Sync, vec!["`filter` takes a string literal, like `filter = \"info,my_crate::db=trace,hyper=off\"`".into()]),
            (
                quote!(level = "info", filter = "debug,a=trace"),
                Sync,
                vec!["`level` and `filter` both set what the test captures; keep `filter` and start it with the level, like `filter = \"debug,my_crate::db=trace\"`".into()],
            ),
            (quote!(level = "a", level = "b"), Sync, vec!["`level` given twice".into()]),
            (quote!(keep, keep = false), Sync, vec!["`keep` given twice".into()]),
            (quote!(level = 1, level = "info"), Sync, vec![level.into(), "`level` given twice".into()]),
            (
                quote!(levle = "x", level = 1, keep = 2),
                Sync,
                vec![format!("unknown option `levle`; did you mean `level`? {keys}"), level.into(), keep.into()],
            ),
            (quote!("debug"), Sync, vec![format!("expected identifier{syntax}")]),
            (quote!(level = ), Sync, vec![format!("unexpected end of input, expected an expression{syntax}")]),
            (quote!(level = "a" keep), Sync, vec![format!("expected `,`{syntax}")]),
        ] {
            assert_eq!(outcome(args.clone(), kind), Err(expected), "for {args}");
        }
    }

    #[test]
    fn parse_the_options_of_other_registering_attributes() {
        let built = |args: TokenStream| {
            Options::parse(args)
                .and_then(|options| options.build(FnKind::Sync))
                .map(|c| (c.registered_by_other, c.attempts))
                .map_err(|errors| {
                    errors
                        .into_iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                })
        };
        assert_eq!(built(quote!()), Ok((false, None)));
        assert_eq!(built(quote!(registered_by_other)), Ok((true, None)));
        assert_eq!(
            built(quote!(registered_by_other = false, attempts = 3)),
            Ok((false, Some(3)))
        );
        let attempts = "`attempts` takes a positive integer literal, like `attempts = 3`";
        assert_eq!(built(quote!(attempts = 0)), Err(vec![attempts.to_owned()]));
        assert_eq!(built(quote!(attempts)), Err(vec![attempts.to_owned()]));
        assert_eq!(
            built(quote!(registered_by_other = "yes")),
            Err(vec![
                "`registered_by_other` takes no value or a bool, like `registered_by_other`"
                    .to_owned()
            ])
        );
        assert_eq!(
            built(quote!(registered_by_others)),
            Err(vec!["unknown option `registered_by_others`; did you mean `registered_by_other`? expected one of `level`, `filter`, `markers`, `session`, `keep`, `flavor`, `worker_threads`, `registered_by_other`, `attempts`, `deny`".to_owned()])
        );
    }

    #[test]
    fn suggest_only_near_misses() {
        for (word, expected) in [
            ("levle", " did you mean `level`?"),
            ("lvl", " did you mean `level`?"),
            ("threads", ""),
            ("marker", " did you mean `markers`?"),
            ("worker_thread", " did you mean `worker_threads`?"),
            ("verbose", ""),
        ] {
            let keys: Vec<&str> = KEYS.iter().map(|(key, _)| *key).collect();
            assert_eq!(did_you_mean(word, &keys), expected, "for {word}");
        }
    }

    #[test]
    fn print_paths_as_written() {
        let path: syn::Path = syn::parse_quote!(::logged_test::test);
        assert_eq!(path_to_string(&path), "::logged_test::test");
    }
}
