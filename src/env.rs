//! Every `LOGGED_TEST_*` environment variable, parsed here and only here.
//! What each one accepts and does is the README's "Environment variables"
//! table; keep it in step with `read` below.
//!
//! Values are read once per process.

use std::path::PathBuf;
use std::sync::OnceLock;

use log::LevelFilter;

use crate::engine::filter::Directives;
use crate::error::LogError;

/// The environment, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) dir: Option<PathBuf>,
    pub(crate) keep: bool,
    pub(crate) level: Option<LevelFilter>,
    pub(crate) debug: bool,
    pub(crate) live: Option<LevelFilter>,
    /// `LOGGED_TEST_FILTER`, parsed.
    pub(crate) filter: Option<Directives>,
}

const BOOL_VALUES: &str = "`1`, `0`, `true` or `false`";
/// The accepted level names, as the messages list them (a macro, so that
/// `concat!` can build the compile-time message of the `level` option).
macro_rules! level_values {
    () => {
        "one of `off`, `error`, `warn`, `info`, `debug`, `trace`"
    };
}
pub(crate) use level_values;
const LEVEL_VALUES: &str = level_values!();
/// The level names, in the order of [`LEVEL_VALUES`], with their filters.
const LEVELS: [(&str, LevelFilter); 6] = [
    ("off", LevelFilter::Off),
    ("error", LevelFilter::Error),
    ("warn", LevelFilter::Warn),
    ("info", LevelFilter::Info),
    ("debug", LevelFilter::Debug),
    ("trace", LevelFilter::Trace),
];

fn var(name: &'static str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

fn parse_bool(name: &'static str) -> Result<bool, LogError> {
    match var(name).as_deref().map(str::trim) {
        None | Some("") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some("0") | Some("false") => Ok(false),
        Some(other) => Err(LogError::InvalidEnvVar {
            name,
            value: other.to_owned(),
            expected: BOOL_VALUES,
        }),
    }
}

/// Parses a level name in any case, as `LOGGED_TEST_LEVEL` and the `level`
/// option accept it. A `const fn`, so that `#[logged_test(level = "...")]`
/// checks its literal at compile time with this same rule.
#[expect(
    clippy::indexing_slicing,
    reason = "a const fn cannot iterate; `i` is checked against the length"
)]
pub(crate) const fn parse_level(text: &str) -> Option<LevelFilter> {
    let text = text.trim_ascii().as_bytes();
    let mut i = 0;
    while i < LEVELS.len() {
        let (name, level) = LEVELS[i];
        if eq_ignore_ascii_case(text, name.as_bytes()) {
            return Some(level);
        }
        i += 1;
    }
    None
}

/// `<[u8]>::eq_ignore_ascii_case`, which is `const` only from Rust 1.89.
#[expect(
    clippy::indexing_slicing,
    reason = "a const fn cannot iterate; `i` is checked against both lengths"
)]
const fn eq_ignore_ascii_case(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !a[i].eq_ignore_ascii_case(&b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

fn level_var(name: &'static str) -> Result<Option<LevelFilter>, LogError> {
    match var(name) {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => match parse_level(&text) {
            Some(level) => Ok(Some(level)),
            None => Err(LogError::InvalidEnvVar {
                name,
                value: text,
                expected: LEVEL_VALUES,
            }),
        },
    }
}

/// A filter in `RUST_LOG`'s syntax, checked now so that a bad value is an
/// error naming the variable.
fn filter_var(name: &'static str) -> Result<Option<Directives>, LogError> {
    match var(name) {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => match Directives::parse(&text) {
            Ok(directives) => Ok(Some(directives)),
            Err(_) => Err(LogError::InvalidEnvVar {
                name,
                value: text,
                expected: "filter directives as `RUST_LOG` takes them, like \
                           `info,my_crate::db=trace,hyper=off` (levels: `off`, `error`, `warn`, \
                           `info`, `debug`, `trace`; no `/pattern`)",
            }),
        },
    }
}

fn read() -> Result<Settings, LogError> {
    let level = level_var("LOGGED_TEST_LEVEL")?;
    let live = level_var("LOGGED_TEST_LIVE")?.filter(|l| *l != LevelFilter::Off);
    Ok(Settings {
        dir: std::env::var_os("LOGGED_TEST_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from),
        keep: parse_bool("LOGGED_TEST_KEEP")?,
        level,
        debug: parse_bool("LOGGED_TEST_DEBUG")?,
        live,
        filter: filter_var("LOGGED_TEST_FILTER")?,
    })
}

static SETTINGS: OnceLock<Result<Settings, LogError>> = OnceLock::new();

/// The settings, read once per process.
pub(crate) fn settings() -> Result<&'static Settings, LogError> {
    match SETTINGS.get_or_init(read) {
        Ok(settings) => Ok(settings),
        Err(error) => Err(error.clone()),
    }
}

/// Whether diagnostics are on. An invalid value turns them off, says so once
/// on stderr, and is an error for `TestLogs::new`.
pub(crate) fn debug() -> bool {
    match settings() {
        Ok(settings) => settings.debug,
        Err(error) => {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "logged-test: {error}");
            });
            false
        }
    }
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn parse_every_level_name_in_any_case_and_list_them_all() {
        for (text, expected) in [
            ("off", Some(LevelFilter::Off)),
            ("ERROR", Some(LevelFilter::Error)),
            (" Warn ", Some(LevelFilter::Warn)),
            ("info", Some(LevelFilter::Info)),
            ("Debug", Some(LevelFilter::Debug)),
            ("trace", Some(LevelFilter::Trace)),
            ("warning", None),
            ("", None),
            ("tracer", None),
        ] {
            assert_eq!(parse_level(text), expected, "for {text:?}");
        }
        let listed: Vec<String> = LEVELS.iter().map(|(name, _)| format!("`{name}`")).collect();
        assert_eq!(LEVEL_VALUES, format!("one of {}", listed.join(", ")));
    }
}
