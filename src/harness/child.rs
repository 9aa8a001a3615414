//! Child processes whose output goes into the test's log: each line of
//! stdout and stderr becomes a record as it arrives.
//!
//! Each pipe has its own reader thread, routed to the test's collector
//! explicitly (`LogCollector::bind`, so it works with the `inherit` feature
//! on or off), so a child that fills one pipe while the test reads the other
//! never blocks. A record's target is `child::<program>`, its fields `pid`
//! and `stream`; stdout lines are INFO and stderr lines WARN unless the line
//! starts with a level word (`ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`),
//! possibly in brackets or after a timestamp, as env_logger and
//! tracing-subscriber print them. The exit status is the last record (INFO
//! on success, WARN otherwise).

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use log::Level;

use crate::engine::collector::LogCollector;
use crate::harness::test_logs::TestLogs;

/// What a child process printed, and how it ended: what
/// [`TestLogs::run_child_blocking`] and [`ChildLogs::wait_blocking`] return.
///
/// # Examples
///
/// ```
/// # #[cfg(unix)] {
/// let logs = logged_test::TestLogs::new("docs::child_output")?;
/// let mut command = std::process::Command::new("sh");
/// command.args(["-c", "echo out; echo err >&2"]);
/// let output = logs.run_child_blocking(&mut command)?;
/// assert!(output.status.success());
/// assert_eq!((output.stdout.as_str(), output.stderr.as_str()), ("out\n", "err\n"));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ChildOutput {
    /// How the child ended.
    pub status: ExitStatus,
    /// Everything it wrote to stdout (invalid UTF-8 replaced).
    pub stdout: String,
    /// Everything it wrote to stderr (invalid UTF-8 replaced).
    pub stderr: String,
}

/// A child process whose output is being logged into a test's log, from
/// [`TestLogs::spawn_child`] or [`TestLogs::attach_child`]: for servers and
/// other long-running children. Reading stops when the child closes its
/// output (it exits); dropping the guard first kills the child, and
/// nothing it prints after that is logged.
///
/// # Examples
///
/// ```
/// # #[cfg(unix)] {
/// use std::time::Duration;
///
/// let logs = logged_test::TestLogs::new("docs::child_logs")?;
/// let mut command = std::process::Command::new("sh");
/// command.args(["-c", "echo 'INFO listening on 127.0.0.1:8080'; cat >/dev/null"]);
/// command.stdin(std::process::Stdio::piped());
/// let mut server = logs.spawn_child(&mut command)?;
/// assert!(logs.wait_for_blocking("listening", Duration::from_secs(10)));
/// drop(server.child_mut().stdin.take()); // `cat` sees the end of its input: it exits
/// assert!(server.wait_blocking()?.status.success());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard kills the child; keep it (`let _server = ...`) while the child should run"]
pub struct ChildLogs {
    child: Option<Child>,
    pid: u32,
    target: String,
    collector: Arc<LogCollector>,
    /// The readers of stdout and stderr, when piped.
    readers: [Option<JoinHandle<String>>; 2],
    /// Set when the guard is dropped: readers stop logging.
    stopped: Arc<AtomicBool>,
}

impl TestLogs {
    /// Runs `command` to its end, logging each line of its stdout and
    /// stderr into this test's log as it arrives (see [`ChildLogs`] for the
    /// records), and returns its exit status and output. Both pipes are read
    /// at once, so a child that writes much to both never blocks.
    ///
    /// # Errors
    ///
    /// If the child cannot be started or waited for, or a reader thread
    /// cannot be created.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// # #[cfg(unix)] {
    /// let logs = logged_test::TestLogs::new("docs::run_child_blocking")?;
    /// let mut command = std::process::Command::new("sh");
    /// command.args(["-c", "echo started; echo 'ERROR disk full' >&2; exit 3"]);
    /// let output = logs.run_child_blocking(&mut command)?;
    /// assert_eq!(output.status.code(), Some(3));
    /// logs.assert_logged_at(log::Level::Info, "started");
    /// logs.assert_logged_at(log::Level::Error, "ERROR disk full");
    /// logs.assert_logged_at(log::Level::Warn, "exited: exit status: 3");
    /// assert_eq!(logs.captured().records()[0].target, "child::sh");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "blocking_run_child")]
    pub fn run_child_blocking(&self, command: &mut impl ChildCommand) -> io::Result<ChildOutput> {
        self.spawn_child(command)?.wait_blocking()
    }

    /// The async form of [`run_child_blocking`](Self::run_child_blocking):
    /// the child is started now and waited for on a thread of its own, so
    /// the runtime is never blocked.
    ///
    /// # Errors
    ///
    /// As [`run_child_blocking`](Self::run_child_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// # #[cfg(unix)]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let logs = logged_test::TestLogs::new("docs::run_child")?;
    /// let output = logs
    ///     .run_child(std::process::Command::new("sh").args(["-c", "echo hi"]))
    ///     .await?;
    /// assert_eq!(output.stdout, "hi\n");
    /// logs.assert_contains("hi");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(unix))]
    /// # fn main() {}
    /// ```
    pub async fn run_child(&self, command: &mut impl ChildCommand) -> io::Result<ChildOutput> {
        self.spawn_child(command)?.wait().await
    }

    /// Starts `command` with its stdout and stderr piped and logs each line
    /// into this test's log as it arrives, until the child exits or the
    /// returned guard is dropped. For servers: wait for their readiness
    /// with [`wait_for_blocking`](Self::wait_for_blocking).
    ///
    /// # Errors
    ///
    /// If the child cannot be started, or a reader thread cannot be created
    /// (the child is then killed).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let logs = logged_test::TestLogs::new("docs::spawn_child")?;
    /// let server = logs.spawn_child(std::process::Command::new("sh").args(["-c", "echo up; sleep 60"]))?;
    /// assert!(logs.wait_for_blocking("up", std::time::Duration::from_secs(10)));
    /// drop(server); // kills it
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn_child(&self, command: &mut impl ChildCommand) -> io::Result<ChildLogs> {
        let command = command.std_command();
        let program = std::path::Path::new(command.get_program())
            .file_name()
            .map_or_else(
                || command.get_program().to_string_lossy().into_owned(),
                |name| name.to_string_lossy().into_owned(),
            );
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        self.attach_child(&program, child)
    }

    /// Logs the output of a child already started (with `Stdio::piped()`
    /// stdout and/or stderr; other streams are ignored) under the target
    /// `child::<name>`, as [`spawn_child`](Self::spawn_child) does.
    ///
    /// # Errors
    ///
    /// If a reader thread cannot be created (the child is then killed).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::process::{Command, Stdio};
    ///
    /// let logs = logged_test::TestLogs::new("docs::attach_child")?;
    /// let child = Command::new("sh").args(["-c", "echo ready"]).stdout(Stdio::piped()).spawn()?;
    /// let output = logs.attach_child("my-server", child)?.wait_blocking()?;
    /// assert_eq!(output.stdout, "ready\n");
    /// assert_eq!(logs.captured().records()[0].target, "child::my-server");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attach_child(&self, name: &str, mut child: Child) -> io::Result<ChildLogs> {
        let pid = child.id();
        let target = format!("child::{name}");
        let stopped = Arc::new(AtomicBool::new(false));
        let collector = Arc::clone(self.collector());
        let mut readers = [None, None];
        let streams: [(Option<Pipe>, &'static str, Level); 2] = [
            (
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn Read + Send>),
                "stdout",
                Level::Info,
            ),
            (
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn Read + Send>),
                "stderr",
                Level::Warn,
            ),
        ];
        let mut guard = ChildLogs {
            child: None,
            pid,
            target,
            collector,
            readers: [None, None],
            stopped,
        };
        for ((stream, name, level), slot) in streams.into_iter().zip(&mut readers) {
            let Some(stream) = stream else { continue };
            let reader = Reader {
                target: guard.target.clone(),
                pid,
                stream: name,
                default: level,
                stopped: Arc::clone(&guard.stopped),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("{}:{name}", guard.target))
                .spawn(guard.collector.bind(move || reader.run(stream)));
            match spawned {
                Ok(handle) => *slot = Some(handle),
                Err(e) => {
                    guard.readers = readers;
                    guard.child = Some(child);
                    // The drop kills the child.
                    return Err(e);
                }
            }
        }
        guard.readers = readers;
        guard.child = Some(child);
        Ok(guard)
    }
}

/// A command [`TestLogs::run_child`] and its twins can run: a
/// `std::process::Command`, or with the feature `tokio-process` a
/// `tokio::process::Command` (run through its `std` command, so its
/// tokio-only settings such as `kill_on_drop` do not apply: the guard
/// kills the child when dropped).
///
/// # Examples
///
/// ```
/// # #[cfg(unix)] {
/// let logs = logged_test::TestLogs::new("docs::child_command")?;
/// let mut command = std::process::Command::new("true");
/// assert!(logs.run_child_blocking(&mut command)?.status.success());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ChildCommand: sealed::Sealed {
    /// The `std` command to start.
    fn std_command(&mut self) -> &mut Command;
}

impl ChildCommand for Command {
    fn std_command(&mut self) -> &mut Command {
        self
    }
}

#[cfg(feature = "tokio-process")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-process")))]
impl ChildCommand for tokio::process::Command {
    fn std_command(&mut self) -> &mut Command {
        self.as_std_mut()
    }
}

mod sealed {
    /// Only the command types of `std` and tokio are [`ChildCommand`](super::ChildCommand)s.
    pub trait Sealed {}
    impl Sealed for std::process::Command {}
    #[cfg(feature = "tokio-process")]
    impl Sealed for tokio::process::Command {}
}

impl ChildLogs {
    /// The child's process id.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let logs = logged_test::TestLogs::new("docs::child_id")?;
    /// let child = logs.spawn_child(&mut std::process::Command::new("true"))?;
    /// assert!(child.id() > 0);
    /// child.wait_blocking()?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// The child, to signal it or write to its stdin. Its stdout and stderr
    /// belong to the readers.
    ///
    /// # Panics
    ///
    /// Never in practice: the child is only taken by `wait*` and the drop,
    /// which consume the guard.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let logs = logged_test::TestLogs::new("docs::child_mut")?;
    /// let mut server = logs.spawn_child(std::process::Command::new("sleep").arg("60"))?;
    /// server.child_mut().kill()?;
    /// assert!(!server.wait_blocking()?.status.success());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[expect(
        clippy::expect_used,
        reason = "the child is `Some` for as long as the guard can be used"
    )]
    pub fn child_mut(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("the child is held until the guard is consumed")
    }

    /// Waits until the child has closed its output and exited; logs its
    /// exit status and returns it with what it printed.
    ///
    /// # Errors
    ///
    /// If waiting for the child fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let logs = logged_test::TestLogs::new("docs::child_wait_blocking")?;
    /// let child = logs.spawn_child(std::process::Command::new("sh").args(["-c", "exit 4"]))?;
    /// assert_eq!(child.wait_blocking()?.status.code(), Some(4));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "blocking_wait")]
    pub fn wait_blocking(mut self) -> io::Result<ChildOutput> {
        let [stdout, stderr] = std::mem::take(&mut self.readers).map(|reader| {
            reader
                .map(|r| r.join().unwrap_or_default())
                .unwrap_or_default()
        });
        let Some(mut child) = self.child.take() else {
            return Err(io::Error::other("the child was already waited for"));
        };
        let status = child.wait()?;
        let level = if status.success() {
            Level::Info
        } else {
            Level::Warn
        };
        let exit = format!("exited: {status}");
        let (target, pid) = (self.target.clone(), self.pid);
        self.collector
            .bind(move || emit(&target, level, pid, "exit", &exit))();
        Ok(ChildOutput {
            status,
            stdout,
            stderr,
        })
    }

    /// The async form of [`wait_blocking`](Self::wait_blocking): waits on a
    /// thread of its own, so the runtime is never blocked.
    ///
    /// # Errors
    ///
    /// As [`wait_blocking`](Self::wait_blocking), or if the waiting thread
    /// cannot be created.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let logs = logged_test::TestLogs::new("docs::child_wait")?;
    /// let child = logs.spawn_child(std::process::Command::new("sh").args(["-c", "echo bye"]))?;
    /// assert_eq!(child.wait().await?.stdout, "bye\n");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(unix))]
    /// # fn main() {}
    /// ```
    pub async fn wait(self) -> io::Result<ChildOutput> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name(format!("{}:wait", self.target))
            .spawn(move || {
                let _ = tx.send(self.wait_blocking());
            })?;
        match rx.await {
            Ok(result) => result,
            Err(_) => Err(io::Error::other(
                "the thread waiting for the child panicked",
            )),
        }
    }
}

impl Drop for ChildLogs {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Relaxed);
        if let Some(mut child) = self.child.take() {
            // Still running, or exited and not yet reaped: either way it is
            // reaped here, so no zombie is left.
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        // The readers end at the end of the pipes (now, unless the child
        // passed them on to a process that still runs); they log nothing
        // more and are not waited for.
    }
}

/// One of a child's output pipes.
type Pipe = Box<dyn Read + Send>;

/// One pipe's reader, on its own thread.
struct Reader {
    target: String,
    pid: u32,
    stream: &'static str,
    default: Level,
    stopped: Arc<AtomicBool>,
}

impl Reader {
    /// Logs each line of `stream` until its end; returns all it read.
    fn run(self, stream: Pipe) -> String {
        let mut stream = BufReader::with_capacity(64 * 1024, stream);
        let mut text = String::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            match stream.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
            let decoded = String::from_utf8_lossy(&line);
            text.push_str(&decoded);
            if self.stopped.load(Ordering::Relaxed) {
                continue;
            }
            let shown = strip_ansi(decoded.trim_end_matches(['\n', '\r']));
            let level = level_word(&shown).unwrap_or(self.default);
            emit(&self.target, level, self.pid, self.stream, &shown);
        }
        text
    }
}

/// Logs one record, routed by this thread's route like any other.
fn emit(target: &str, level: Level, pid: u32, stream: &str, message: &str) {
    let pid = pid.to_string();
    crate::engine::logger::log_with_fields(
        level,
        target,
        message,
        &[("pid", &pid), ("stream", stream)],
    );
}

/// The level a line announces: its first word, or its second after a
/// timestamp, once brackets and colons are trimmed (`ERROR x`,
/// `[INFO  app] x`, `[2026-11-27T11:54:37Z WARN app] x`,
/// `2026-11-27T11:54:37.123Z DEBUG app: x`).
fn level_word(line: &str) -> Option<Level> {
    let mut words = line
        .split_whitespace()
        .map(|w| w.trim_matches(|c| matches!(c, '[' | ']' | ':')));
    let first = words.next()?;
    let word = if first.starts_with(|c: char| c.is_ascii_digit()) {
        words.next()?
    } else {
        first
    };
    match word {
        "ERROR" => Some(Level::Error),
        "WARN" => Some(Level::Warn),
        "INFO" => Some(Level::Info),
        "DEBUG" => Some(Level::Debug),
        "TRACE" => Some(Level::Trace),
        _ => None,
    }
}

/// `line` without ANSI escape sequences (colours of tracing-subscriber and
/// env_logger).
fn strip_ansi(line: &str) -> String {
    if !line.contains('\u{1b}') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, then one final byte in `@..=~`.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn read_the_level_words_loggers_print() {
        for (line, expected) in [
            ("ERROR disk full", Some(Level::Error)),
            ("[INFO  app] started", Some(Level::Info)),
            ("[2026-11-27T11:54:37Z WARN  app] slow", Some(Level::Warn)),
            (
                "2026-11-27T11:54:37.123456Z DEBUG app: x",
                Some(Level::Debug),
            ),
            ("  TRACE: deep", Some(Level::Trace)),
            ("INFORMATION only", None),
            ("error: lowercase is a message", None),
            ("12 apples", None),
            ("", None),
        ] {
            assert_eq!(level_word(line), expected, "for {line:?}");
        }
    }

    #[test]
    fn strip_colours() {
        let coloured = "\u{1b}[2m2026-11-27T11:54:37Z\u{1b}[0m \u{1b}[33m WARN\u{1b}[0m app: x";
        assert_eq!(strip_ansi(coloured), "2026-11-27T11:54:37Z  WARN app: x");
        assert_eq!(level_word(&strip_ansi(coloured)), Some(Level::Warn));
    }
}
