//! Snapshots of a log: a text that stays the same from run to run, for
//! `assert_eq!` or insta.
//!
//! One line per record: the level (padded to 5), the target, the spans, the
//! message (a line break written `\n`) and the fields, with no timestamp and
//! no thread. Then redactions: the user's first, in the order given, then
//! the built-in ones (paths of the test's directory and of the temp
//! directory, `0x` addresses, UUIDs, local ports, durations).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use log::Level;

use crate::engine::record::CapturedRecord;
use crate::harness::captured::CapturedLogs;
use crate::harness::test_logs::TestLogs;

/// A user's redaction.
type RedactFn = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// How [`CapturedLogs::snapshot_with`] and [`TestLogs::snapshot_with`]
/// write a log: which records, in which order, with which redactions.
///
/// # Examples
///
/// ```
/// use logged_test::SnapshotOptions;
///
/// let logs = logged_test::TestLogs::new("docs::snapshot_options")?;
/// log::debug!("noise");
/// log::info!(target: "shop::db", "query took 12.5ms for user 7");
/// log::warn!(target: "hyper", "reset");
/// let options = SnapshotOptions::new()
///     .min_level(log::Level::Info)
///     .target("shop")
///     .redact("user 7", "user [ID]");
/// assert_eq!(
///     logs.snapshot_with(&options),
///     "INFO  shop::db: query took [DURATION] for user [ID]\n"
/// );
/// # Ok::<(), logged_test::LogError>(())
/// ```
#[derive(Clone)]
pub struct SnapshotOptions {
    min_level: Option<Level>,
    targets: Vec<String>,
    by_thread: bool,
    builtin: bool,
    literals: Vec<(String, String)>,
    functions: Vec<RedactFn>,
    /// Paths written `[TEST_DIR]` (the test's own directory).
    test_dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for SnapshotOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotOptions")
            .field("min_level", &self.min_level)
            .field("targets", &self.targets)
            .field("by_thread", &self.by_thread)
            .field("builtin", &self.builtin)
            .field("literals", &self.literals)
            .field("functions", &self.functions.len())
            .finish_non_exhaustive()
    }
}

impl Default for SnapshotOptions {
    /// The same as [`SnapshotOptions::new`].
    fn default() -> SnapshotOptions {
        SnapshotOptions::new()
    }
}

impl SnapshotOptions {
    /// Every record, in the order captured, with the built-in redactions.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_options_new")?;
    /// log::info!("listening on 127.0.0.1:40155");
    /// let options = logged_test::SnapshotOptions::new();
    /// assert_eq!(logs.snapshot_with(&options), logs.snapshot());
    /// assert!(logs.snapshot().ends_with("listening on 127.0.0.1:[PORT]\n"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn new() -> SnapshotOptions {
        SnapshotOptions {
            min_level: None,
            targets: Vec::new(),
            by_thread: false,
            builtin: true,
            literals: Vec::new(),
            functions: Vec::new(),
            test_dirs: Vec::new(),
        }
    }

    /// Only records at `level` or more severe (`Info` keeps errors,
    /// warnings and infos).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_min_level")?;
    /// log::debug!("detail");
    /// log::warn!("careful");
    /// let options = logged_test::SnapshotOptions::new().min_level(log::Level::Warn);
    /// assert!(!logs.snapshot_with(&options).contains("detail"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[must_use]
    pub fn min_level(mut self, level: Level) -> SnapshotOptions {
        self.min_level = Some(level);
        self
    }

    /// Only records whose target is `target` or starts with `target::`;
    /// call it again to keep several targets.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_target")?;
    /// log::info!(target: "app::db", "saved");
    /// log::info!(target: "application", "not app");
    /// let options = logged_test::SnapshotOptions::new().target("app");
    /// assert_eq!(logs.snapshot_with(&options), "INFO  app::db: saved\n");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[must_use]
    pub fn target(mut self, target: &str) -> SnapshotOptions {
        self.targets.push(target.to_owned());
        self
    }

    /// Groups the records by thread: each thread's records in the order it
    /// logged them, the threads in the order of their first record, each
    /// group under a `--- thread <name> ---` line. Two threads that log
    /// side by side then give the same text every run, as long as each
    /// thread's first record comes in a fixed order. Threads are told apart
    /// by name: give the threads you spawn distinct names
    /// (`std::thread::Builder::name`); unnamed threads share one group.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_by_thread")?;
    /// log::info!(target: "app", "main starts");
    /// let collector = logs.collector().clone();
    /// let worker = std::thread::Builder::new()
    ///     .name("worker".into())
    ///     .spawn(collector.bind(|| log::info!(target: "app", "work")))?;
    /// worker.join().unwrap();
    /// log::info!(target: "app", "main ends");
    /// let options = logged_test::SnapshotOptions::new().by_thread();
    /// let text = logs.snapshot_with(&options);
    /// assert!(text.ends_with("INFO  app: main ends\n--- thread worker ---\nINFO  app: work\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn by_thread(mut self) -> SnapshotOptions {
        self.by_thread = true;
        self
    }

    /// Replaces every `text` with `with`, before the built-in redactions.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_redact")?;
    /// log::info!("hello ada");
    /// let options = logged_test::SnapshotOptions::new().redact("ada", "[USER]");
    /// assert!(logs.snapshot_with(&options).ends_with("hello [USER]\n"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[must_use]
    pub fn redact(mut self, text: &str, with: &str) -> SnapshotOptions {
        if !text.is_empty() {
            self.literals.push((text.to_owned(), with.to_owned()));
        }
        self
    }

    /// Rewrites each line with `redact`, before the built-in redactions
    /// (for a pattern no literal covers).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_redact_with")?;
    /// log::info!("token=abc123 ok");
    /// let options = logged_test::SnapshotOptions::new().redact_with(|line| {
    ///     line.split(' ')
    ///         .map(|word| if word.starts_with("token=") { "token=[TOKEN]" } else { word })
    ///         .collect::<Vec<_>>()
    ///         .join(" ")
    /// });
    /// assert!(logs.snapshot_with(&options).ends_with("token=[TOKEN] ok\n"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[must_use]
    pub fn redact_with(
        mut self,
        redact: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> SnapshotOptions {
        self.functions.push(Arc::new(redact));
        self
    }

    /// Turns the built-in redactions off (the user's still apply).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_raw")?;
    /// log::info!("took 3ms");
    /// let options = logged_test::SnapshotOptions::new().without_builtin_redactions();
    /// assert!(logs.snapshot_with(&options).ends_with("took 3ms\n"));
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[must_use]
    pub fn without_builtin_redactions(mut self) -> SnapshotOptions {
        self.builtin = false;
        self
    }

    fn keeps(&self, record: &CapturedRecord) -> bool {
        self.min_level.is_none_or(|level| record.level <= level)
            && (self.targets.is_empty()
                || self.targets.iter().any(|t| {
                    record
                        .target
                        .strip_prefix(t.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
                }))
    }

    fn redact_line(&self, line: String) -> String {
        let mut line = line;
        for (text, with) in &self.literals {
            line = line.replace(text.as_str(), with);
        }
        for redact in &self.functions {
            line = redact(&line);
        }
        if self.builtin {
            for dir in &self.test_dirs {
                line = replace_path(&line, dir, "[TEST_DIR]");
            }
            line = redact_temp_paths(&line);
            line = redact_builtin(&line);
        }
        line
    }
}

impl CapturedLogs {
    /// The log as a stable text, with [`SnapshotOptions::new`]: one line per
    /// record (level, target, spans, message, fields), no timestamps, no
    /// threads, and the built-in redactions: the test's directory
    /// (`[TEST_DIR]`), paths in the temp directory (`[TEMP]/...`), `0x`
    /// addresses (`[ADDR]`), UUIDs (`[UUID]`), ports of `127.0.0.1`,
    /// `0.0.0.0`, `localhost` and `[::1]` (`[PORT]`), and durations such as
    /// `12.3ms`, `1.5s` or `250us` (`[DURATION]`).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::captured_snapshot")?;
    /// log::info!(target: "app", "request 67e55044-10b1-426f-9247-bb680e5fe0c8 took 1.5s");
    /// assert_eq!(logs.captured().snapshot(), "INFO  app: request [UUID] took [DURATION]\n");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn snapshot(&self) -> String {
        self.snapshot_with(&SnapshotOptions::new())
    }

    /// The log as a stable text, written as `options` say.
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::captured_snapshot_with")?;
    /// log::warn!(target: "app", "slow");
    /// log::info!(target: "app", "fine");
    /// let options = logged_test::SnapshotOptions::new().min_level(log::Level::Warn);
    /// assert_eq!(logs.captured().snapshot_with(&options), "WARN  app: slow\n");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn snapshot_with(&self, options: &SnapshotOptions) -> String {
        let mut options = options.clone();
        if let Some(dir) = self.session_file().and_then(Path::parent) {
            options.test_dirs.push(dir.to_path_buf());
        }
        render(self.records(), &options)
    }
}

impl TestLogs {
    /// [`CapturedLogs::snapshot`] of what the test captured so far.
    ///
    /// # Panics
    ///
    /// As [`captured`](Self::captured).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot")?;
    /// log::info!(target: "app", "pid file at {}", logs.dir().join("pid").display());
    /// assert_eq!(logs.snapshot(), "INFO  app: pid file at [TEST_DIR]/pid\n");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn snapshot(&self) -> String {
        self.snapshot_with(&SnapshotOptions::new())
    }

    /// [`CapturedLogs::snapshot_with`] of what the test captured so far.
    ///
    /// # Panics
    ///
    /// As [`captured`](Self::captured).
    ///
    /// # Examples
    ///
    /// ```
    /// let logs = logged_test::TestLogs::new("docs::snapshot_with")?;
    /// log::info!(target: "app", "a");
    /// let options = logged_test::SnapshotOptions::new().target("other");
    /// assert_eq!(logs.snapshot_with(&options), "");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn snapshot_with(&self, options: &SnapshotOptions) -> String {
        let mut options = options.clone();
        options.test_dirs.push(self.dir_path().to_path_buf());
        self.captured().snapshot_with(&options)
    }
}

fn render(records: &[CapturedRecord], options: &SnapshotOptions) -> String {
    let kept = records.iter().filter(|r| options.keeps(r));
    let mut out = String::new();
    if options.by_thread {
        let mut groups: Vec<(Option<&str>, Vec<&CapturedRecord>)> = Vec::new();
        for record in kept {
            let thread = record.thread.as_deref();
            match groups.iter_mut().find(|(t, _)| *t == thread) {
                Some((_, group)) => group.push(record),
                None => groups.push((thread, vec![record])),
            }
        }
        for (thread, group) in groups {
            let _ = writeln!(out, "--- thread {} ---", thread.unwrap_or("<unnamed>"));
            for record in group {
                out.push_str(&options.redact_line(line(record)));
                out.push('\n');
            }
        }
    } else {
        for record in kept {
            out.push_str(&options.redact_line(line(record)));
            out.push('\n');
        }
    }
    out
}

/// One record without its timestamp and thread.
fn line(record: &CapturedRecord) -> String {
    let mut out = format!("{:<5} {}", record.level.as_str(), record.target);
    for span in &record.spans {
        out.push(' ');
        out.push_str(span);
    }
    out.push_str(": ");
    push_escaped(&mut out, &record.message);
    for (key, value) in &record.fields {
        out.push(' ');
        out.push_str(key);
        out.push('=');
        push_escaped(&mut out, value);
    }
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Whether `c` can be part of a path, for where a redacted path ends.
fn is_path_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '"' | '\'' | '`' | ',' | ';' | ')' | ']' | '>' | '}')
}

/// Replaces the path `dir` by `with` where it is a whole path (or a whole
/// prefix of one), keeping what follows.
fn replace_path(line: &str, dir: &Path, with: &str) -> String {
    let dir = dir.to_string_lossy();
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(dir) {
        let (before, after) = rest.split_at(at);
        let after = after.get(dir.len()..).unwrap_or("");
        out.push_str(before);
        // Only a whole path component: `/tmp/x` is not in `/tmp/xy`.
        if after.is_empty() || after.starts_with('/') || !after.starts_with(is_path_char) {
            out.push_str(with);
        } else {
            out.push_str(dir);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `<temp dir>/<name>` becomes `[TEMP]`, keeping what follows the name:
/// temp names (`.tmpXyZ12`) change every run.
fn redact_temp_paths(line: &str) -> String {
    let temp = std::env::temp_dir();
    let temp = temp.to_string_lossy();
    let temp = temp.trim_end_matches('/');
    if temp.is_empty() {
        return line.to_owned();
    }
    let prefix = format!("{temp}/");
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(prefix.as_str()) {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        out.push_str("[TEMP]");
        let after = after.get(prefix.len()..).unwrap_or("");
        let name_end = after
            .find(|c: char| c == '/' || !is_path_char(c))
            .unwrap_or(after.len());
        rest = after.get(name_end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The built-in redactions that need no context: addresses, UUIDs, ports,
/// durations. One pass over the characters.
fn redact_builtin(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0
            || chars
                .get(i - 1)
                .is_none_or(|c| !c.is_alphanumeric() && *c != '.' && *c != '_');
        if boundary {
            if let Some((len, with)) = match_at(&chars, i) {
                out.push_str(with);
                i += len;
                continue;
            }
        }
        if let Some(c) = chars.get(i) {
            out.push(*c);
        }
        i += 1;
    }
    out
}

/// A built-in pattern starting at `i`: its length in chars and its replacement.
fn match_at(chars: &[char], i: usize) -> Option<(usize, &'static str)> {
    let rest = chars.get(i..)?;
    address(rest)
        .map(|n| (n, "[ADDR]"))
        .or_else(|| uuid(rest).map(|n| (n, "[UUID]")))
        .or_else(|| local_port(rest))
        .or_else(|| duration(rest).map(|n| (n, "[DURATION]")))
}

fn ends_word(rest: &[char], at: usize) -> bool {
    rest.get(at)
        .is_none_or(|c| !c.is_alphanumeric() && *c != '_')
}

fn hex_run(rest: &[char], from: usize) -> usize {
    rest.get(from..).map_or(0, |r| {
        r.iter().take_while(|c| c.is_ascii_hexdigit()).count()
    })
}

/// `0x` and at least 4 hex digits.
fn address(rest: &[char]) -> Option<usize> {
    if rest.first() != Some(&'0') || !matches!(rest.get(1), Some('x' | 'X')) {
        return None;
    }
    let digits = hex_run(rest, 2);
    (digits >= 4 && ends_word(rest, 2 + digits)).then_some(2 + digits)
}

/// `8-4-4-4-12` hex digits.
fn uuid(rest: &[char]) -> Option<usize> {
    let mut at = 0;
    for (n, group) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if n > 0 {
            if rest.get(at) != Some(&'-') {
                return None;
            }
            at += 1;
        }
        if hex_run(rest, at) < group {
            return None;
        }
        at += group;
    }
    ends_word(rest, at).then_some(at)
}

/// `127.0.0.1:PORT`, `0.0.0.0:PORT`, `localhost:PORT`, `[::1]:PORT`: the
/// host stays, the port becomes `[PORT]`. Returns the length and a
/// replacement chosen from a fixed set.
fn local_port(rest: &[char]) -> Option<(usize, &'static str)> {
    const HOSTS: [(&str, &str); 4] = [
        ("127.0.0.1:", "127.0.0.1:[PORT]"),
        ("0.0.0.0:", "0.0.0.0:[PORT]"),
        ("localhost:", "localhost:[PORT]"),
        ("[::1]:", "[::1]:[PORT]"),
    ];
    for (host, with) in HOSTS {
        let len = host.chars().count();
        let matches = rest.len() > len && rest.iter().zip(host.chars()).all(|(a, b)| *a == b);
        if !matches {
            continue;
        }
        let digits = rest
            .get(len..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
        if digits > 0 && ends_word(rest, len + digits) {
            return Some((len + digits, with));
        }
    }
    None
}

/// A number (`12`, `12.5`) followed by `ns`, `us`, `µs`, `ms` or `s`.
fn duration(rest: &[char]) -> Option<usize> {
    let int = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if int == 0 {
        return None;
    }
    let mut at = int;
    if rest.get(at) == Some(&'.') {
        let frac = rest
            .get(at + 1..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
        if frac > 0 {
            at += 1 + frac;
        }
    }
    for unit in ["ns", "us", "µs", "ms", "s"] {
        let len = unit.chars().count();
        let matches = rest
            .get(at..at + len)
            .is_some_and(|u| u.iter().copied().eq(unit.chars()));
        if matches && ends_word(rest, at + len) {
            return Some(at + len);
        }
    }
    None
}

/// What `assert_log_snapshot!` accepts: a `TestLogs`, a `CapturedLogs`, or
/// a snapshot text already made (`snapshot_with(..)`).
#[doc(hidden)]
pub trait LogSnapshot {
    /// The snapshot text.
    fn log_snapshot(&self) -> String;
}

impl LogSnapshot for TestLogs {
    fn log_snapshot(&self) -> String {
        self.snapshot()
    }
}

impl LogSnapshot for CapturedLogs {
    fn log_snapshot(&self) -> String {
        self.snapshot()
    }
}

impl<T: LogSnapshot + ?Sized> LogSnapshot for &T {
    fn log_snapshot(&self) -> String {
        (**self).log_snapshot()
    }
}

impl LogSnapshot for String {
    fn log_snapshot(&self) -> String {
        self.clone()
    }
}

impl LogSnapshot for str {
    fn log_snapshot(&self) -> String {
        self.to_owned()
    }
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn redact_addresses_uuids_ports_and_durations() {
        for (input, expected) in [
            ("at 0x7ffd5e8c9a10 now", "at [ADDR] now"),
            ("0x1f", "0x1f"),
            ("id 67E55044-10b1-426f-9247-bb680e5fe0c8.", "id [UUID]."),
            ("on 127.0.0.1:8080, ok", "on 127.0.0.1:[PORT], ok"),
            ("http://localhost:3000/x", "http://localhost:[PORT]/x"),
            ("[::1]:9 and 0.0.0.0:1", "[::1]:[PORT] and 0.0.0.0:[PORT]"),
            (
                "took 12.3ms, 1.5s, 250us, 7ns, 3µs",
                "took [DURATION], [DURATION], [DURATION], [DURATION], [DURATION]",
            ),
            ("v2s 5sec 10 s 1.5.3s", "v2s 5sec 10 s 1.5.3s"),
            ("Duration 1.234567ms}", "Duration [DURATION]}"),
        ] {
            assert_eq!(redact_builtin(input), expected, "for {input:?}");
        }
    }

    #[test]
    fn redact_paths_by_whole_component() {
        let dir = Path::new("/work/t/x");
        assert_eq!(
            replace_path("at /work/t/x/a.log and /work/t/xy", dir, "[D]"),
            "at [D]/a.log and /work/t/xy"
        );
        let temp = std::env::temp_dir().join(".tmpAbC12").join("f.txt");
        assert_eq!(
            redact_temp_paths(&format!("file {} done", temp.display())),
            "file [TEMP]/f.txt done"
        );
    }
}
