//! Session files: name validation, and [`LogDir`], the log directory held
//! open so that no file in it is ever reached through a path again.
//!
//! The platform code is split the way tokio's `process` module is: `LogDir`
//! and the few system calls it needs are in `session/unix.rs` (handles and
//! `*at` calls) or `session/other.rs` (plain paths), mounted as `imp`; this
//! file holds what every platform shares.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::LogError;

#[cfg(unix)]
#[path = "session/unix.rs"]
mod imp;
#[cfg(not(unix))]
#[path = "session/other.rs"]
mod imp;

pub(crate) use imp::LogDir;
use imp::{check_links, leftovers_in, remove_named};

/// The file in `log_dir` that records go to before any session is started.
pub const PRE_SESSION_FILE: &str = "pre-session.log";

/// Name of the manifest file in `LOGGED_TEST_DIR` (written by the harness,
/// and by the crash path for a test that never got to write its line).
pub const MANIFEST_FILE: &str = "manifest.jsonl";

/// Longest accepted session name, in bytes (`NAME_MAX` on Linux and macOS).
pub const MAX_SESSION_NAME_BYTES: usize = 255;

/// Why `name` is not a valid session file name, or `None` when it is.
///
/// A valid name is a single, plain file name: not empty, not `.` or `..`,
/// no `/` or `\\`, no NUL byte, at most 255 bytes. A `const fn`, so that
/// `#[logged_test(session = "...")]` checks its literal at compile time with
/// this same rule (through `__private::check_session`).
#[expect(
    clippy::indexing_slicing,
    reason = "a const fn cannot iterate; `i` is checked against the length"
)]
pub(crate) const fn name_problem(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return Some("the name is empty");
    }
    if matches!(bytes, b"." | b"..") {
        return Some("`.` and `..` are directories, not file names");
    }
    if bytes.len() > MAX_SESSION_NAME_BYTES {
        return Some("it is longer than 255 bytes");
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' | b'\\' => {
                return Some("a path separator (`/` or `\\`) would leave the log directory");
            }
            0 => return Some("it contains a NUL byte"),
            _ => i += 1,
        }
    }
    None
}

/// Checks a session file name before anything touches the file system.
pub(crate) fn validate_name(name: &str) -> Result<(), LogError> {
    match name_problem(name) {
        Some(reason) => Err(LogError::InvalidSessionName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Checks that `name` names an entry of the directory itself: a name with a
/// `/` would let `openat` walk (and follow) intermediate components.
fn check_entry_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a plain file name inside the log directory"),
        ));
    }
    Ok(())
}

/// Refuses what a log file must not be: not a regular file (a directory, a
/// FIFO), or a hard link to a file that may live outside the log directory.
fn check_regular(file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(
            "the session path exists and is not a regular file; choose another name",
        ));
    }
    check_links(&meta)
}

/// A test's hook: entries removed before [`pause_here`] runs.
#[cfg(test)]
const PAUSE_AFTER: usize = 1000;

/// Entries seen so far, and the hook.
#[cfg(test)]
type Pause = (usize, Option<Box<dyn FnOnce()>>);

#[cfg(test)]
thread_local! {
    /// Run (once) by a removal on this thread once it removed [`PAUSE_AFTER`]
    /// entries: a test holds a removal there. With the entries seen so far.
    static PAUSE: std::cell::RefCell<Pause> =
        const { std::cell::RefCell::new((0, None)) };
}

/// Called before each entry is removed.
#[cfg(test)]
fn pause_here() {
    let due = PAUSE.with(|p| {
        let mut p = p.borrow_mut();
        p.0 += 1;
        if p.0 > PAUSE_AFTER { p.1.take() } else { None }
    });
    if let Some(pause) = due {
        pause();
    }
}

/// Sets the hook [`pause_here`] runs on this thread.
#[cfg(test)]
pub(crate) fn pause_removals_on_this_thread(pause: impl FnOnce() + 'static) {
    PAUSE.with(|p| *p.borrow_mut() = (0, Some(Box::new(pause))));
}

/// Where every test directory of this process lives, set once by the harness.
#[derive(Debug)]
pub(crate) struct TestRoot {
    /// `LOGGED_TEST_DIR`, or `tmp/logged-test` in the target directory.
    pub(crate) path: PathBuf,
    /// The root is in the shared temp dir: it must be this user's, 0700.
    pub(crate) private: bool,
}

static TEST_ROOT: std::sync::OnceLock<TestRoot> = std::sync::OnceLock::new();

/// Sets the root test directories are made under (the first call wins:
/// the settings it comes from are read once per process).
pub(crate) fn set_test_root(root: TestRoot) -> &'static TestRoot {
    TEST_ROOT.get_or_init(|| root)
}

/// The name a test directory of attempt `n` gets inside the test's own.
pub(crate) fn attempt_dir_name(n: u32) -> String {
    format!("attempt-{n}")
}

/// Tries to make a test directory before giving up on a directory that
/// vanished meanwhile (another test removing an empty binary directory).
const CREATE_TRIES: usize = 8;

/// Makes the test directory `dir` afresh (0700): an older one of the same
/// name (an earlier run's kept log) is moved aside and removed on the
/// background remover thread, so that a big one delays no one.
///
/// Under the [`TestRoot`], which may be reached through symlinks (the
/// user's choice), every component is created or opened without following
/// a symlink: one planted at the binary's directory or the test's is an
/// error, never a way out. For `.../<test>/attempt-1`, the test's directory
/// itself is made afresh (the attempts of an earlier run go); for a later
/// attempt only its own. The first time a binary's directory is used in
/// this process, the leftovers (`.old-*`) of earlier runs in it are queued
/// for removal too.
pub(crate) fn create_test_dir(dir: &Path) -> io::Result<LogDir> {
    create_test_dir_under(TEST_ROOT.get(), dir)
}

fn create_test_dir_under(root: Option<&TestRoot>, dir: &Path) -> io::Result<LogDir> {
    let Some(root) = root.filter(|root| dir.starts_with(&root.path)) else {
        // Not under the root (cannot happen for the harness): plain create.
        let (Some(parent), Some(name)) = (dir.parent(), dir.file_name().and_then(|n| n.to_str()))
        else {
            return Err(io::Error::other(
                "a test directory needs a parent and a UTF-8 name",
            ));
        };
        std::fs::create_dir_all(parent)?;
        return LogDir::create_private(&LogDir::open(parent)?, name);
    };
    let parts = relative_parts(&root.path, dir)?;
    let mut last = None;
    for _ in 0..CREATE_TRIES {
        match try_create(root, &parts) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => last = Some(e),
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::NotFound)))
}

/// The plain names of `dir` below `root`.
fn relative_parts<'a>(root: &Path, dir: &'a Path) -> io::Result<Vec<&'a str>> {
    use std::path::Component;
    let rest = dir
        .strip_prefix(root)
        .map_err(|_| io::Error::other("the test directory is not under the log root"))?;
    let mut parts = Vec::new();
    for component in rest.components() {
        match component {
            Component::Normal(name) => parts.push(
                name.to_str()
                    .ok_or_else(|| io::Error::other("a test directory's name is not UTF-8"))?,
            ),
            _ => return Err(io::Error::other("a test directory's path is not plain")),
        }
    }
    if parts.is_empty() {
        return Err(io::Error::other("a test directory cannot be the log root"));
    }
    Ok(parts)
}

fn try_create(root: &TestRoot, parts: &[&str]) -> io::Result<LogDir> {
    std::fs::create_dir_all(&root.path)?;
    let top = LogDir::open(&root.path)?;
    if root.private {
        top.make_private()?;
    }
    let n = parts.len();
    // `attempt-1` starts the test's directory afresh, a later attempt only its own.
    let fresh_from = match parts.last() {
        Some(last) if n >= 2 && *last == attempt_dir_name(1) => n - 2,
        _ => n - 1,
    };
    let mut chain = vec![top];
    for (i, name) in parts.iter().enumerate() {
        let (Some(parent), trash) = (chain.last(), chain.get(1).or(chain.first())) else {
            break;
        };
        let next = if i >= fresh_from {
            let Some(trash) = trash else { break };
            parent.create_fresh(name, trash)?
        } else {
            parent.open_or_create(name)?
        };
        if i == 0 {
            clean_leftovers_once(&next);
        }
        chain.push(next);
    }
    match chain.pop() {
        Some(dir) if chain.len() == n => Ok(dir),
        _ => Err(io::Error::other("the test directory was not made")),
    }
}

/// Whether `name` is a leftover of an earlier run: `.old-<pid>-<n>`, or the
/// `<test>.old-<pid>` that earlier versions left.
fn is_leftover(name: &[u8]) -> bool {
    if name.starts_with(b".old-") {
        return true;
    }
    let text = String::from_utf8_lossy(name);
    text.rsplit_once(".old-")
        .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// A directory (or file) to remove on the remover thread.
enum Removal {
    Entry {
        parent: File,
        name: std::ffi::CString,
    },
    /// Answered once everything queued before it is done.
    Done(crossbeam_channel::Sender<()>),
}

impl Removal {
    fn run(self) {
        match self {
            // A leftover: if it cannot go now, the next run tries again.
            Removal::Entry { parent, name } => {
                let _ = remove_named(&parent, &name);
            }
            Removal::Done(ack) => {
                let _ = ack.send(());
            }
        }
    }
}

/// What the remover thread has to do, and whether it is running: it is
/// started when there is work and ends when there is none, so a run with
/// nothing to remove has no such thread.
struct Removals {
    queue: std::collections::VecDeque<Removal>,
    running: bool,
}

static REMOVALS: std::sync::Mutex<Removals> = std::sync::Mutex::new(Removals {
    queue: std::collections::VecDeque::new(),
    running: false,
});

fn removals() -> std::sync::MutexGuard<'static, Removals> {
    REMOVALS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Hands `removal` to the remover thread, starting it if needed (or does
/// it here if no thread can be started).
fn queue_removal(removal: Removal) {
    let start = {
        let mut removals = removals();
        removals.queue.push_back(removal);
        !std::mem::replace(&mut removals.running, true)
    };
    if !start {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("logged-test-remover".into())
        .spawn(|| {
            loop {
                let next = {
                    let mut removals = removals();
                    match removals.queue.pop_front() {
                        Some(next) => next,
                        None => {
                            removals.running = false;
                            return;
                        }
                    }
                };
                next.run();
            }
        });
    if spawned.is_err() {
        let queued = {
            let mut removals = removals();
            removals.running = false;
            std::mem::take(&mut removals.queue)
        };
        queued.into_iter().for_each(Removal::run);
    }
}

/// Removes `name` of `parent` on the remover thread.
fn remove_later(parent: &LogDir, name: std::ffi::CString) {
    if let Ok(parent) = parent.handle_clone() {
        queue_removal(Removal::Entry { parent, name });
    }
}

/// Waits until every removal queued on the remover thread so far is done.
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "only the tests wait for the remover thread")
)]
pub(crate) fn wait_for_removals() {
    let (tx, rx) = crossbeam_channel::bounded(1);
    queue_removal(Removal::Done(tx));
    let _ = rx.recv();
}

/// Queues the leftovers of earlier runs in the binary directory `dir` for
/// removal, the first time this process uses it (one listing of it).
fn clean_leftovers_once(dir: &LogDir) {
    use std::collections::HashSet;
    use std::sync::{Mutex, PoisonError};
    static CLEANED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    if !CLEANED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashSet::new)
        .insert(dir.path.clone())
    {
        return;
    }
    if let Ok(handle) = dir.handle_clone() {
        for name in leftovers_in(&handle) {
            remove_later(dir, name);
        }
    }
}

/// Removes the test directory `dir` (under the [`TestRoot`]), following no
/// symlink on the way from the root, on the calling thread: a test's own
/// directory is removed by the thread that drops it, so that no other test
/// waits for it, and the removal is done when its process exits. Then its
/// parents up to the root go if they are empty (the test's directory of
/// attempts, the binary's directory). A missing `dir` is not an error.
///
/// # Errors
///
/// What stopped the removal: a component that is a symlink, or an entry the
/// user cannot remove.
pub(crate) fn remove_test_dir(dir: &Path) -> io::Result<()> {
    remove_test_dir_under(TEST_ROOT.get(), dir)
}

fn remove_test_dir_under(root: Option<&TestRoot>, dir: &Path) -> io::Result<()> {
    let Some(root) = root.filter(|root| dir.starts_with(&root.path)) else {
        return match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
    };
    let parts = relative_parts(&root.path, dir)?;
    let top = match LogDir::open(&root.path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    let mut chain = vec![top];
    let Some((last, above)) = parts.split_last() else {
        return Ok(());
    };
    for name in above {
        let Some(parent) = chain.last() else { break };
        match parent.open_child(name) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            other => {
                let child = other?;
                chain.push(child);
            }
        }
    }
    let Some(parent) = chain.last() else {
        return Ok(());
    };
    parent.remove_child(last)?;
    // Empty parents go, nearest first; the first one in use stops it.
    for name in above.iter().rev() {
        chain.pop();
        let Some(parent) = chain.last() else { break };
        if !parent.remove_if_empty(name) {
            break;
        }
    }
    Ok(())
}

/// Whether the test directory `dir` exists (an earlier run's kept log, when
/// this run's test never touched the disk): what every passing test asks,
/// so it costs one `fstatat` relative to the binary's directory, opened once
/// per process. When that directory did not exist at the first question, no
/// earlier run left anything in it (it would not have been removed while
/// anything was in it), and the answer is `false` with no system call. A
/// directory elsewhere (a later attempt's) is looked up by path.
pub(crate) fn stale_test_dir_exists(dir: &Path) -> bool {
    imp::stale_test_dir_in_binary_dir(dir).unwrap_or_else(|| std::fs::symlink_metadata(dir).is_ok())
}

impl LogDir {
    /// The directory as it was named when opened.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn reject_names_that_leave_the_directory() {
        for bad in ["", ".", "..", "../x", "a/b", "/abs", "a\0b", "a\\b"] {
            assert!(validate_name(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(validate_name(&"x".repeat(255)).is_ok());
        assert!(validate_name(&"x".repeat(256)).is_err());
        assert!(validate_name("séance ✓.log").is_ok());
        assert!(validate_name("..x").is_ok());
    }
}
