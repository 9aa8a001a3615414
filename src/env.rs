//! Every `LOGGED_TEST_*` environment variable, parsed here and only here.
//! What each one accepts and does is the README's "Environment variables"
//! table; keep it in step with `read` below.
//!
//! Values are read once per process.

use std::path::{Path, PathBuf};
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
    /// `LOGGED_TEST_UNATTRIBUTED`: unattributed records at this level or
    /// above are printed to stderr (default `warn`); all are counted.
    pub(crate) unattributed: LevelFilter,
    /// nextest's retries: this process runs attempt `attempt` (1-based) of
    /// `attempts` (`NEXTEST_ATTEMPT`, `NEXTEST_TOTAL_ATTEMPTS`).
    pub(crate) attempt: Option<u32>,
    pub(crate) attempts: Option<u32>,
    /// `NEXTEST_RUN_ID`: the run this process belongs to.
    pub(crate) run_id: Option<String>,
    /// `LOGGED_TEST_DENY`: fail tests on unexpected records at this level or above.
    pub(crate) deny: Option<LevelFilter>,
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
/// The level names, in the order of [`LEVEL_VALUES`], with their filters:
/// the crate's one level table. The index of each is `level as usize`
/// (`registry` reads stored levels back through it).
pub(crate) const LEVELS: [(&str, LevelFilter); 6] = [
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
        unattributed: level_var("LOGGED_TEST_UNATTRIBUTED")?.unwrap_or(LevelFilter::Warn),
        // Set by nextest, not by the user: a value we cannot read is
        // treated as absent rather than failing every test.
        attempt: count_var("NEXTEST_ATTEMPT"),
        attempts: count_var("NEXTEST_TOTAL_ATTEMPTS"),
        run_id: var("NEXTEST_RUN_ID").filter(|id| !id.trim().is_empty()),
        deny: level_var("LOGGED_TEST_DENY")?,
        filter: filter_var("LOGGED_TEST_FILTER")?,
    })
}

/// A positive number set by the test runner, or `None`.
fn count_var(name: &'static str) -> Option<u32> {
    var(name)?.trim().parse().ok().filter(|n| *n > 0)
}

/// The workspace root: the directory holding the (default) target
/// directory, against which a relative `LOGGED_TEST_DIR` is resolved, so
/// that every member of a workspace writes to the same place.
///
/// In order: nextest's `NEXTEST_WORKSPACE_ROOT`; the nearest ancestor of
/// `CARGO_MANIFEST_DIR` (set by `cargo test`, cargo nextest and rustdoc for
/// the package under test) whose `Cargo.toml` has a `[workspace]` table,
/// else `CARGO_MANIFEST_DIR` itself (a package alone is its own
/// workspace); for a test binary run by hand, the directory holding the
/// `target` directory it was built in (`<root>/target/debug/deps/x`); else
/// the current directory.
pub(crate) fn workspace_root() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(find_workspace_root).as_deref()
}

fn find_workspace_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("NEXTEST_WORKSPACE_ROOT").filter(|r| !r.is_empty()) {
        return std::path::absolute(root).ok();
    }
    if let Some(manifest) = std::env::var_os("CARGO_MANIFEST_DIR").filter(|d| !d.is_empty()) {
        let manifest = std::path::absolute(manifest).ok()?;
        let root = manifest
            .ancestors()
            .find(|dir| declares_workspace(&dir.join("Cargo.toml")))
            .unwrap_or(&manifest);
        return Some(root.to_path_buf());
    }
    if let Some(target) = exe_target_dir() {
        if let Some(root) = target.parent() {
            return Some(root.to_path_buf());
        }
    }
    std::env::current_dir().ok()
}

/// Whether the manifest at `path` has a `[workspace]` table.
fn declares_workspace(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines().any(|line| {
            let line = line.trim();
            line == "[workspace]" || line.starts_with("[workspace.")
        })
    })
}

/// The target directory the running test binary was built in, from its
/// path (`<target>/[<triple>/]<profile>/deps/<binary>`); `None` for a
/// binary that is not in a `deps` directory (a doctest, say).
pub(crate) fn exe_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    let profile = deps.parent()?;
    let target = profile.parent()?;
    // With `--target <triple>` there is one more level; the target directory
    // is the one cargo marks with `CACHEDIR.TAG`.
    match target.parent() {
        Some(above)
            if !target.join("CACHEDIR.TAG").exists() && above.join("CACHEDIR.TAG").exists() =>
        {
            Some(above.to_path_buf())
        }
        _ => Some(target.to_path_buf()),
    }
}

/// `LOGGED_TEST_DIR` made absolute: a relative value is taken from the
/// [`workspace_root`], not from the current directory (which cargo sets to
/// each member's own directory).
///
/// # Errors
///
/// If the path cannot be made absolute.
pub(crate) fn resolve_dir(dir: &Path) -> std::io::Result<PathBuf> {
    if dir.is_absolute() {
        return Ok(dir.to_path_buf());
    }
    match workspace_root() {
        Some(root) => Ok(root.join(dir)),
        None => std::path::absolute(dir),
    }
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
    fn list_each_level_at_its_own_number() {
        // `registry` stores a level as `level as usize` and reads it back
        // through this table.
        for (i, (_, level)) in LEVELS.iter().enumerate() {
            assert_eq!(*level as usize, i, "{level}");
        }
        assert_eq!(LEVELS.len(), LevelFilter::max() as usize + 1);
    }

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
