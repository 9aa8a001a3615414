//! Session files: name validation, and [`LogDir`], the log directory held
//! open so that no file in it is ever reached through a path again.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::LogError;

/// The file in `log_dir` that records go to before any session is started.
pub const PRE_SESSION_FILE: &str = "pre-session.log";

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

/// Opens `path` for appending, the path-based way: only where there is no
/// `openat` (see [`LogDir`]).
#[cfg(not(unix))]
fn open_append_path(path: &Path) -> io::Result<File> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::other(
            "the session path is a symlink, which logged-test never follows; remove it or choose another name",
        ));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    check_regular(&file)?;
    Ok(file)
}

/// A log directory opened once: every file in it is opened relative to the
/// handle, never through the directory's path again.
///
/// Replacing the directory, or any of its parents, with a symlink after it
/// was opened cannot redirect a write: files are created with `openat` in
/// the directory that was opened, and no name is ever followed if it is a
/// symlink (`O_NOFOLLOW`). The path is kept only for messages and for
/// [`LogDir::reopen`], which walks the directory's path as it was resolved
/// at open time, one component at a time, following no symlink.
///
/// On platforms other than Unix it falls back to opening by path, as before.
#[derive(Debug)]
pub(crate) struct LogDir {
    /// The directory as the caller named it, for messages.
    path: PathBuf,
    #[cfg(unix)]
    handle: File,
    /// Where the directory was when it was opened, every symlink resolved.
    #[cfg(unix)]
    resolved: PathBuf,
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
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(io::Error::other(
                "the session path is a hard link to another file, which logged-test never writes through; remove it or choose another name",
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
mod sys {
    //! The few `*at` calls `LogDir` needs, each wrapped once.

    use std::ffi::{CStr, CString, OsStr};
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsRawFd as _, FromRawFd as _, RawFd};
    use std::os::unix::ffi::OsStrExt as _;

    /// Flags of every directory handle: read-only, no symlink, not inherited.
    pub(super) const DIR_FLAGS: libc::c_int =
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;

    pub(super) fn cstring(name: &OsStr) -> io::Result<CString> {
        CString::new(name.as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path contains a NUL byte"))
    }

    fn owned(fd: libc::c_int) -> io::Result<File> {
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    fn check(result: libc::c_int) -> io::Result<()> {
        if result < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    pub(super) fn openat(dir: RawFd, name: &CStr, flags: libc::c_int) -> io::Result<File> {
        // SAFETY: `name` is a NUL-terminated string that outlives the call.
        owned(unsafe { libc::openat(dir, name.as_ptr(), flags, 0o666 as libc::c_uint) })
    }

    pub(super) fn mkdirat(dir: RawFd, name: &CStr, mode: libc::mode_t) -> io::Result<()> {
        // SAFETY: as in `openat`.
        check(unsafe { libc::mkdirat(dir, name.as_ptr(), mode) })
    }

    pub(super) fn unlinkat(dir: RawFd, name: &CStr, flags: libc::c_int) -> io::Result<()> {
        // SAFETY: as in `openat`.
        check(unsafe { libc::unlinkat(dir, name.as_ptr(), flags) })
    }

    pub(super) fn renameat(from: RawFd, name: &CStr, to: RawFd, new_name: &CStr) -> io::Result<()> {
        // SAFETY: both names are NUL-terminated strings that outlive the call.
        check(unsafe { libc::renameat(from, name.as_ptr(), to, new_name.as_ptr()) })
    }

    /// Makes the directory open as `dir` readable, writable and searchable
    /// by its owner.
    pub(super) fn fchmod_private(dir: RawFd) -> io::Result<()> {
        // SAFETY: `fchmod` only reads its arguments.
        check(unsafe { libc::fchmod(dir, 0o700) })
    }

    /// `fchmodat(dir, name, 0700)` without following `name` if it is a
    /// symlink (refused with an error instead).
    pub(super) fn chmod_private_at(dir: RawFd, name: &CStr) -> io::Result<()> {
        // SAFETY: as in `openat`.
        check(unsafe { libc::fchmodat(dir, name.as_ptr(), 0o700, libc::AT_SYMLINK_NOFOLLOW) })
    }

    /// `(device, inode)` of `name` in `dir`, not following a symlink.
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    pub(super) fn identity_at(dir: RawFd, name: &CStr) -> io::Result<(u64, u64)> {
        // SAFETY: `stat` is plain data, and `fstatat` fills it or fails.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as in `openat`; `stat` is a valid, writable `struct stat`.
        check(unsafe { libc::fstatat(dir, name.as_ptr(), &mut stat, libc::AT_SYMLINK_NOFOLLOW) })?;
        Ok((stat.st_dev as u64, stat.st_ino as u64))
    }

    /// The names in the directory `dir` (without `.` and `..`), read through
    /// a handle of its own so `dir`'s offset is not shared.
    pub(super) fn entries(dir: &File) -> io::Result<Vec<CString>> {
        let own = openat(dir.as_raw_fd(), c".", DIR_FLAGS)?;
        // SAFETY: `fdopendir` takes ownership of the descriptor on success.
        let stream = unsafe { libc::fdopendir(std::os::fd::IntoRawFd::into_raw_fd(own)) };
        if stream.is_null() {
            return Err(io::Error::last_os_error());
        }
        let mut names = Vec::new();
        loop {
            // SAFETY: `stream` is an open directory stream owned here.
            let entry = unsafe { libc::readdir(stream) };
            if entry.is_null() {
                break;
            }
            // SAFETY: `readdir` returned a valid entry whose `d_name` is
            // NUL-terminated; it is copied before the next call.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            if name != c"." && name != c".." {
                names.push(name.to_owned());
            }
        }
        // SAFETY: closes the stream (and its descriptor) opened above, once.
        unsafe { libc::closedir(stream) };
        Ok(names)
    }
}

/// How deep `remove_all` descends before giving up (a hostile tree).
#[cfg(unix)]
const MAX_REMOVE_DEPTH: usize = 64;

#[cfg(unix)]
impl LogDir {
    /// Opens the directory at `path` (its symlinks, if any, are followed this
    /// once) and remembers where it resolved to.
    pub(crate) fn open(path: &Path) -> io::Result<LogDir> {
        let flags = sys::DIR_FLAGS & !libc::O_NOFOLLOW;
        let handle = sys::openat(libc::AT_FDCWD, &sys::cstring(path.as_os_str())?, flags)?;
        let resolved = resolved_path(&handle, path)?;
        Ok(LogDir {
            path: path.to_path_buf(),
            handle,
            resolved,
        })
    }

    /// Creates the directory `name` in `parent`, readable by the user only
    /// (0700), and opens it without following a symlink.
    ///
    /// Fails with `AlreadyExists` if `name` exists, whatever it is.
    // TestLogs is switched to `LogDir` in the engine rewrite (issue 14); until
    // then only the tests use this.
    pub(crate) fn create_private(parent: &LogDir, name: &str) -> io::Result<LogDir> {
        use std::os::unix::fs::MetadataExt as _;
        check_entry_name(name)?;
        let c_name = sys::cstring(name.as_ref())?;
        sys::mkdirat(parent.fd(), &c_name, 0o700)?;
        let handle = sys::openat(parent.fd(), &c_name, sys::DIR_FLAGS)?;
        // Someone who can write to `parent` could have swapped in a directory
        // of theirs between the two calls: make sure this one is private.
        let meta = handle.metadata()?;
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me || meta.mode() & 0o077 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the new directory was replaced by one that is not private to this user",
            ));
        }
        Ok(LogDir {
            path: parent.path.join(name),
            handle,
            resolved: parent.resolved.join(name),
        })
    }

    /// Opens `name` in this directory for appending (and reading back),
    /// creating it if needed. Never follows a symlink, never truncates, never
    /// hangs on a FIFO, and refuses anything but a regular file with one link.
    pub(crate) fn open_append(&self, name: &str) -> io::Result<File> {
        check_entry_name(name)?;
        // O_NONBLOCK: opening a FIFO planted at the name fails instead of hanging.
        let flags = libc::O_RDWR
            | libc::O_APPEND
            | libc::O_CREAT
            | libc::O_NOFOLLOW
            | libc::O_NONBLOCK
            | libc::O_CLOEXEC;
        let file = sys::openat(self.fd(), &sys::cstring(name.as_ref())?, flags)
            .map_err(|e| self.explain_open_error(e))?;
        check_regular(&file)?;
        Ok(file)
    }

    /// Checks that `file` is still the file `name` in this directory, and
    /// that the directory itself still exists.
    pub(crate) fn still_in_place(&self, name: &str, file: &File) -> io::Result<()> {
        use std::os::unix::fs::MetadataExt as _;
        if self.is_deleted() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the log directory was deleted while being written; records written since are lost",
            ));
        }
        let on_disk = sys::identity_at(self.fd(), &sys::cstring(name.as_ref())?).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("the session file was deleted while being written ({e}); records written since are lost"),
            )
        })?;
        let open = file.metadata()?;
        if (open.dev(), open.ino()) != on_disk {
            return Err(io::Error::other(
                "the session file was replaced while being written; records written since are in the replaced file",
            ));
        }
        Ok(())
    }

    /// Whether the directory was removed since it was opened (no link to it
    /// is left, though the handle keeps it alive).
    pub(crate) fn is_deleted(&self) -> bool {
        use std::os::unix::fs::MetadataExt as _;
        self.handle.metadata().is_ok_and(|m| m.nlink() == 0)
    }

    /// Opens the directory again where it was when first opened, walking that
    /// resolved path from `/` one component at a time with `O_NOFOLLOW`: a
    /// directory recreated in its place is found, a symlink planted in its
    /// place or in a parent's is refused.
    pub(crate) fn reopen(&self) -> io::Result<LogDir> {
        use std::os::fd::AsRawFd as _;
        use std::path::Component;
        let mut handle = sys::openat(libc::AT_FDCWD, c"/", sys::DIR_FLAGS)?;
        for component in self.resolved.components() {
            match component {
                Component::RootDir => {}
                Component::Normal(name) => {
                    handle = sys::openat(handle.as_raw_fd(), &sys::cstring(name)?, sys::DIR_FLAGS)
                        .map_err(|e| explain_walk_error(e, &self.resolved))?;
                }
                _ => {
                    return Err(io::Error::other(format!(
                        "the resolved path {} is not canonical",
                        self.resolved.display()
                    )));
                }
            }
        }
        Ok(LogDir {
            path: self.path.clone(),
            handle,
            resolved: self.resolved.clone(),
        })
    }

    /// Deletes the directory and everything in it without following any
    /// symlink: entries are unlinked relative to the handle, so a symlink in
    /// the tree (or in place of a parent) is removed, never traversed.
    // TestLogs is switched to `LogDir` in the engine rewrite (issue 14); until
    // then only the tests use this.
    pub(crate) fn remove_all(self) -> io::Result<()> {
        use std::os::unix::fs::MetadataExt as _;
        remove_contents(&self.handle, 0)?;
        // The directory itself has a name only in its parent, reached by path
        // here: remove it only if that name is still this very directory.
        // `rmdir` never follows a symlink and only removes an empty directory.
        let (Some(parent), Some(name)) = (self.resolved.parent(), self.resolved.file_name()) else {
            return Ok(());
        };
        let parent = sys::openat(
            libc::AT_FDCWD,
            &sys::cstring(parent.as_os_str())?,
            sys::DIR_FLAGS & !libc::O_NOFOLLOW,
        )?;
        let name = sys::cstring(name)?;
        use std::os::fd::AsRawFd as _;
        let meta = self.handle.metadata()?;
        match sys::identity_at(parent.as_raw_fd(), &name) {
            Ok(found) if found == (meta.dev(), meta.ino()) => {
                sys::unlinkat(parent.as_raw_fd(), &name, libc::AT_REMOVEDIR)
            }
            // Already gone, or something else took its name: that is not ours.
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd as _;
        self.handle.as_raw_fd()
    }

    fn explain_open_error(&self, error: io::Error) -> io::Error {
        if error.raw_os_error() == Some(libc::ELOOP) {
            return io::Error::other(
                "the path is a symlink, which logged-test never follows; remove it or choose another name",
            );
        }
        if error.kind() == io::ErrorKind::NotFound && self.is_deleted() {
            return io::Error::new(
                io::ErrorKind::NotFound,
                "the log directory no longer exists; recreate it or use a new collector",
            );
        }
        error
    }
}

/// Where the open directory `handle` (opened as `path`) really is.
#[cfg(unix)]
fn resolved_path(handle: &File, path: &Path) -> io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        // The kernel's own name for the handle: no second lookup of `path`.
        if let Ok(resolved) = std::fs::read_link(format!("/proc/self/fd/{}", handle.as_raw_fd())) {
            if resolved.is_absolute() {
                return Ok(resolved);
            }
        }
    }
    let _ = handle;
    std::fs::canonicalize(path)
}

#[cfg(unix)]
fn explain_walk_error(error: io::Error, resolved: &Path) -> io::Error {
    match error.raw_os_error() {
        Some(libc::ELOOP | libc::ENOTDIR) => io::Error::other(format!(
            "a component of {} is no longer a directory (a symlink or a file took its place), which logged-test never follows",
            resolved.display()
        )),
        _ => error,
    }
}

/// Removes everything in `dir`, following no symlink. What vanishes
/// meanwhile (another process cleaning the same leftovers) is not an error,
/// and a part the test made read-only is made writable first: it is ours.
#[cfg(unix)]
fn remove_contents(dir: &File, depth: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    if depth > MAX_REMOVE_DEPTH {
        return Err(io::Error::other(
            "the log directory is nested too deep to remove",
        ));
    }
    let mut made_writable = false;
    for name in sys::entries(dir)? {
        #[cfg(test)]
        pause_here();
        loop {
            match remove_entry(dir, &name, depth) {
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied && !made_writable => {
                    // The directory itself was made read-only.
                    made_writable = true;
                    sys::fchmod_private(dir.as_raw_fd())?;
                }
                other => {
                    other?;
                    break;
                }
            }
        }
    }
    Ok(())
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

/// Removes the entry `name` of `dir` (a file, a symlink, or a directory and
/// everything in it), following no symlink; a missing entry is not an error.
#[cfg(unix)]
fn remove_entry(dir: &File, name: &std::ffi::CStr, depth: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let fd = dir.as_raw_fd();
    match sys::unlinkat(fd, name, 0) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        // A directory: Linux says EISDIR, macOS EPERM.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EISDIR | libc::EPERM)) => {
            let child = match sys::openat(fd, name, sys::DIR_FLAGS) {
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    // Unreadable (mode 0 or 0100): ours, so make it readable.
                    sys::chmod_private_at(fd, name)?;
                    sys::openat(fd, name, sys::DIR_FLAGS)
                }
                other => other,
            };
            match child {
                Ok(child) => remove_contents(&child, depth + 1)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            }
            match sys::unlinkat(fd, name, libc::AT_REMOVEDIR) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
impl LogDir {
    pub(crate) fn open(path: &Path) -> io::Result<LogDir> {
        if !std::fs::metadata(path)?.is_dir() {
            return Err(io::Error::other("the log directory is not a directory"));
        }
        Ok(LogDir {
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn create_private(parent: &LogDir, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        let path = parent.path.join(name);
        std::fs::create_dir(&path)?;
        Ok(LogDir { path })
    }

    pub(crate) fn open_append(&self, name: &str) -> io::Result<File> {
        check_entry_name(name)?;
        open_append_path(&self.path.join(name))
    }

    pub(crate) fn still_in_place(&self, name: &str, file: &File) -> io::Result<()> {
        let _ = file;
        std::fs::symlink_metadata(self.path.join(name))
            .map(|_| ())
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("the session file was deleted while being written ({e}); records written since are lost"),
                )
            })
    }

    pub(crate) fn is_deleted(&self) -> bool {
        !self.path.is_dir()
    }

    pub(crate) fn reopen(&self) -> io::Result<LogDir> {
        LogDir::open(&self.path)
    }

    pub(crate) fn remove_all(self) -> io::Result<()> {
        std::fs::remove_dir_all(&self.path)
    }
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

#[cfg(unix)]
fn remove_named(parent: &File, name: &std::ffi::CStr) -> io::Result<()> {
    remove_entry(parent, name, 0)
}

#[cfg(not(unix))]
fn remove_named(parent: &File, name: &std::ffi::CStr) -> io::Result<()> {
    let _ = (parent, name);
    Ok(())
}

/// Removes `name` of `parent` on the remover thread.
fn remove_later(parent: &LogDir, name: std::ffi::CString) {
    if let Ok(parent) = parent.handle_clone() {
        queue_removal(Removal::Entry { parent, name });
    }
}

/// Waits until every removal queued on the remover thread so far is done.
#[cfg_attr(not(test), allow(dead_code))]
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

/// The leftovers of earlier runs in the binary directory `dir`.
#[cfg(unix)]
fn leftovers_in(dir: &File) -> Vec<std::ffi::CString> {
    let mut names = sys::entries(dir).unwrap_or_default();
    names.retain(|name| is_leftover(name.as_bytes()));
    names
}

#[cfg(not(unix))]
fn leftovers_in(dir: &File) -> Vec<std::ffi::CString> {
    let _ = dir;
    Vec::new()
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
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd as _;
        static BINARY_DIR: std::sync::OnceLock<(PathBuf, Option<File>)> =
            std::sync::OnceLock::new();
        if let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) {
            let (binary, handle) = BINARY_DIR.get_or_init(|| {
                let handle = sys::cstring(parent.as_os_str())
                    .and_then(|path| sys::openat(libc::AT_FDCWD, &path, sys::DIR_FLAGS))
                    .ok();
                (parent.to_path_buf(), handle)
            });
            if binary == parent {
                return match handle {
                    Some(handle) => sys::cstring(name)
                        .and_then(|name| sys::identity_at(handle.as_raw_fd(), &name))
                        .is_ok(),
                    None => false,
                };
            }
        }
    }
    std::fs::symlink_metadata(dir).is_ok()
}

#[cfg(unix)]
impl LogDir {
    /// Makes this directory (the shared temp dir's root) this user's only.
    fn make_private(&self) -> io::Result<()> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = self.handle.metadata()?;
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to another user; set LOGGED_TEST_DIR to a directory of yours",
                    self.path.display()
                ),
            ));
        }
        if meta.mode() & 0o077 != 0 {
            sys::fchmod_private(self.fd())?;
        }
        Ok(())
    }

    fn handle_clone(&self) -> io::Result<File> {
        self.handle.try_clone()
    }

    fn child(&self, name: &str, handle: File) -> LogDir {
        LogDir {
            path: self.path.join(name),
            handle,
            resolved: self.resolved.join(name),
        }
    }

    /// Opens the directory `name` in this one, following no symlink.
    fn open_child(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        let handle = sys::openat(self.fd(), &sys::cstring(name.as_ref())?, sys::DIR_FLAGS)
            .map_err(|e| self.explain_child_error(name, e))?;
        Ok(self.child(name, handle))
    }

    /// Opens the directory `name` in this one, making it (0700) if missing.
    fn open_or_create(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        match sys::mkdirat(self.fd(), &sys::cstring(name.as_ref())?, 0o700) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        self.open_child(name)
    }

    /// Makes `name` a new private directory, moving whatever had that name
    /// into `trash` under a leftover's name, to be removed in the background.
    fn create_fresh(&self, name: &str, trash: &LogDir) -> io::Result<LogDir> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static MOVED: AtomicU64 = AtomicU64::new(0);
        match LogDir::create_private(self, name) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let n = MOVED.fetch_add(1, Ordering::Relaxed);
                let aside = sys::cstring(format!(".old-{}-{n}", std::process::id()).as_ref())?;
                sys::renameat(self.fd(), &sys::cstring(name.as_ref())?, trash.fd(), &aside)?;
                remove_later(trash, aside);
                LogDir::create_private(self, name)
            }
            other => other,
        }
    }

    /// Removes the entry `name` (a whole directory) following no symlink.
    fn remove_child(&self, name: &str) -> io::Result<()> {
        check_entry_name(name)?;
        let c_name = sys::cstring(name.as_ref())?;
        match remove_entry(&self.handle, &c_name, 0) {
            // The test made this very directory (its parent) read-only.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                sys::fchmod_private(self.fd())?;
                remove_entry(&self.handle, &c_name, 0)
            }
            other => other,
        }
    }

    /// Removes the directory `name` if it is empty; whether it is gone.
    fn remove_if_empty(&self, name: &str) -> bool {
        sys::cstring(name.as_ref())
            .and_then(|name| sys::unlinkat(self.fd(), &name, libc::AT_REMOVEDIR))
            .is_ok()
    }

    fn explain_child_error(&self, name: &str, error: io::Error) -> io::Error {
        match error.raw_os_error() {
            Some(libc::ELOOP | libc::ENOTDIR) => io::Error::other(format!(
                "{} is not a directory (a symlink or a file was put there), which logged-test never follows; remove it",
                self.path.join(name).display()
            )),
            _ => error,
        }
    }
}

#[cfg(not(unix))]
impl LogDir {
    fn make_private(&self) -> io::Result<()> {
        Ok(())
    }

    fn handle_clone(&self) -> io::Result<File> {
        Err(io::Error::other("no directory handles on this platform"))
    }

    fn open_child(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        LogDir::open(&self.path.join(name))
    }

    fn open_or_create(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        let _ = std::fs::create_dir(self.path.join(name));
        self.open_child(name)
    }

    fn create_fresh(&self, name: &str, trash: &LogDir) -> io::Result<LogDir> {
        let _ = trash;
        match std::fs::remove_dir_all(self.path.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        LogDir::create_private(self, name)
    }

    fn remove_child(&self, name: &str) -> io::Result<()> {
        match std::fs::remove_dir_all(self.path.join(name)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn remove_if_empty(&self, name: &str) -> bool {
        std::fs::remove_dir(self.path.join(name)).is_ok()
    }
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

    #[cfg(unix)]
    mod log_dir {
        use std::io::Write as _;
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _, symlink};
        use std::path::Path;

        use super::super::LogDir;

        fn names_in(dir: &Path) -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }

        #[test]
        fn open_files_in_the_directory_it_opened_after_the_path_moved() {
            let root = tempfile::tempdir().unwrap();
            let logs = root.path().join("logs");
            std::fs::create_dir(&logs).unwrap();
            let dir = LogDir::open(&logs).unwrap();
            let moved = root.path().join("moved");
            let target = root.path().join("target");
            std::fs::rename(&logs, &moved).unwrap();
            std::fs::create_dir(&target).unwrap();
            symlink(&target, &logs).unwrap();

            let mut file = dir.open_append("a.log").unwrap();
            file.write_all(b"record\n").unwrap();
            dir.still_in_place("a.log", &file).unwrap();
            assert_eq!(names_in(&moved), ["a.log"]);
            assert!(names_in(&target).is_empty(), "written through the symlink");
            assert_eq!(
                dir.path(),
                logs,
                "the path stays the one given, for messages"
            );
        }

        #[test]
        fn refuse_symlinks_fifos_hard_links_and_names_with_a_separator() {
            let root = tempfile::tempdir().unwrap();
            let dir = LogDir::open(root.path()).unwrap();
            let outside = tempfile::tempdir().unwrap();
            let precious = outside.path().join("precious");
            std::fs::write(&precious, "keep").unwrap();
            symlink(&precious, root.path().join("link.log")).unwrap();
            symlink(outside.path(), root.path().join("sub")).unwrap();
            std::fs::hard_link(&precious, root.path().join("hard.log")).unwrap();
            let fifo = std::ffi::CString::new(
                root.path()
                    .join("fifo.log")
                    .into_os_string()
                    .into_encoded_bytes(),
            )
            .unwrap();
            // SAFETY: a valid path; mkfifo only creates the node.
            assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

            let err = dir.open_append("link.log").unwrap_err();
            assert!(err.to_string().contains("symlink"), "{err}");
            let err = dir.open_append("hard.log").unwrap_err();
            assert!(err.to_string().contains("hard link"), "{err}");
            let err = dir.open_append("fifo.log").unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
            for bad in ["sub/precious", "", ".", "..", "a\0b"] {
                let err = dir.open_append(bad).unwrap_err();
                assert_eq!(
                    err.kind(),
                    std::io::ErrorKind::InvalidInput,
                    "{bad:?}: {err}"
                );
            }
            assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep");
            assert_eq!(names_in(outside.path()), ["precious"]);
        }

        #[test]
        fn notice_a_deleted_or_replaced_file_and_a_deleted_directory() {
            let root = tempfile::tempdir().unwrap();
            let logs = root.path().join("logs");
            std::fs::create_dir(&logs).unwrap();
            let dir = LogDir::open(&logs).unwrap();
            let file = dir.open_append("a.log").unwrap();
            dir.still_in_place("a.log", &file).unwrap();

            std::fs::remove_file(logs.join("a.log")).unwrap();
            let err = dir.still_in_place("a.log", &file).unwrap_err();
            assert!(
                err.to_string().contains("session file was deleted"),
                "{err}"
            );

            std::fs::write(logs.join("a.log"), "another file").unwrap();
            let err = dir.still_in_place("a.log", &file).unwrap_err();
            assert!(err.to_string().contains("replaced"), "{err}");

            assert!(!dir.is_deleted());
            std::fs::remove_dir_all(&logs).unwrap();
            assert!(dir.is_deleted());
            let err = dir.still_in_place("a.log", &file).unwrap_err();
            assert!(
                err.to_string().contains("log directory was deleted"),
                "{err}"
            );
            let err = dir.open_append("b.log").unwrap_err();
            assert!(err.to_string().contains("no longer exists"), "{err}");
        }

        #[test]
        fn reopen_a_recreated_directory_but_not_a_symlink_in_its_place_or_a_parents() {
            let root = tempfile::tempdir().unwrap();
            let parent = root.path().join("parent");
            let logs = parent.join("logs");
            std::fs::create_dir_all(&logs).unwrap();
            let dir = LogDir::open(&logs).unwrap();
            let target = root.path().join("target");
            std::fs::create_dir_all(target.join("logs")).unwrap();

            std::fs::remove_dir(&logs).unwrap();
            symlink(target.join("logs"), &logs).unwrap();
            let err = dir.reopen().unwrap_err();
            assert!(err.to_string().contains("no longer a directory"), "{err}");

            std::fs::remove_file(&logs).unwrap();
            std::fs::remove_dir(&parent).unwrap();
            symlink(&target, &parent).unwrap();
            let err = dir.reopen().unwrap_err();
            assert!(err.to_string().contains("no longer a directory"), "{err}");
            assert!(names_in(&target.join("logs")).is_empty());

            std::fs::remove_file(&parent).unwrap();
            std::fs::create_dir_all(&logs).unwrap();
            let again = dir.reopen().unwrap();
            drop(again.open_append("a.log").unwrap());
            assert_eq!(names_in(&logs), ["a.log"]);
        }

        #[test]
        fn create_private_directories_once_each() {
            let root = tempfile::tempdir().unwrap();
            let parent = LogDir::open(root.path()).unwrap();
            let dir = LogDir::create_private(&parent, "test-a").unwrap();
            let meta = std::fs::symlink_metadata(root.path().join("test-a")).unwrap();
            assert!(meta.is_dir());
            assert_eq!(meta.mode() & 0o777, 0o700);
            assert_eq!(dir.path(), root.path().join("test-a"));
            let err = LogDir::create_private(&parent, "test-a").unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
            symlink(root.path(), root.path().join("planted")).unwrap();
            let err = LogDir::create_private(&parent, "planted").unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
            assert!(LogDir::create_private(&parent, "a/b").is_err());
        }

        #[test]
        fn remove_a_tree_without_following_its_symlinks() {
            let root = tempfile::tempdir().unwrap();
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("precious"), "keep").unwrap();
            let parent = LogDir::open(root.path()).unwrap();
            let dir = LogDir::create_private(&parent, "test").unwrap();
            let path = root.path().join("test");
            drop(dir.open_append("a.log").unwrap());
            std::fs::create_dir_all(path.join("deep/er")).unwrap();
            std::fs::write(path.join("deep/er/file"), "x").unwrap();
            symlink(outside.path(), path.join("deep/to-outside")).unwrap();
            symlink(outside.path().join("precious"), path.join("to-file")).unwrap();
            std::fs::set_permissions(outside.path(), std::fs::Permissions::from_mode(0o700))
                .unwrap();

            dir.remove_all().unwrap();
            assert!(!path.exists(), "the directory is left");
            assert_eq!(names_in(root.path()), Vec::<String>::new());
            assert_eq!(names_in(outside.path()), ["precious"]);
        }

        #[test]
        fn remove_what_it_opened_not_what_took_its_name() {
            let root = tempfile::tempdir().unwrap();
            let parent = LogDir::open(root.path()).unwrap();
            let dir = LogDir::create_private(&parent, "test").unwrap();
            drop(dir.open_append("a.log").unwrap());
            std::fs::rename(root.path().join("test"), root.path().join("moved")).unwrap();
            std::fs::create_dir(root.path().join("test")).unwrap();
            std::fs::write(root.path().join("test/other"), "not ours").unwrap();

            dir.remove_all().unwrap();
            assert_eq!(names_in(&root.path().join("moved")), Vec::<String>::new());
            assert_eq!(names_in(&root.path().join("test")), ["other"]);
        }
    }

    #[cfg(unix)]
    mod test_dirs {
        use std::os::unix::fs::{PermissionsExt as _, symlink};
        use std::path::Path;

        use super::super::{
            TestRoot, create_test_dir_under, remove_test_dir_under, wait_for_removals,
        };

        fn names_in(dir: &Path) -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .map(|d| {
                    d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        }

        fn root(dir: &Path) -> TestRoot {
            TestRoot {
                path: dir.join("logs"),
                private: false,
            }
        }

        #[test]
        fn refuse_a_symlink_planted_at_the_binary_directory() {
            let tmp = tempfile::tempdir().unwrap();
            let outside = tempfile::tempdir().unwrap();
            let root = root(tmp.path());
            std::fs::create_dir_all(&root.path).unwrap();
            symlink(outside.path(), root.path.join("bin-0123")).unwrap();
            let err =
                create_test_dir_under(Some(&root), &root.path.join("bin-0123/t.one")).unwrap_err();
            assert!(err.to_string().contains("never follows"), "{err}");
            let err =
                remove_test_dir_under(Some(&root), &root.path.join("bin-0123/t.one")).unwrap_err();
            assert!(err.to_string().contains("never follows"), "{err}");
            assert!(
                names_in(outside.path()).is_empty(),
                "created through the symlink"
            );
        }

        #[test]
        fn move_a_symlink_at_the_test_directory_aside_without_following_it() {
            let tmp = tempfile::tempdir().unwrap();
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("precious"), "keep").unwrap();
            let root = root(tmp.path());
            std::fs::create_dir_all(root.path.join("bin")).unwrap();
            symlink(outside.path(), root.path.join("bin/t.one")).unwrap();
            let dir = create_test_dir_under(Some(&root), &root.path.join("bin/t.one")).unwrap();
            drop(dir.open_append("t.log").unwrap());
            wait_for_removals();
            assert_eq!(names_in(&root.path.join("bin")), ["t.one"]);
            assert_eq!(names_in(&root.path.join("bin/t.one")), ["t.log"]);
            assert_eq!(names_in(outside.path()), ["precious"]);
        }

        #[test]
        fn remove_read_only_parts_then_the_empty_binary_directory() {
            let tmp = tempfile::tempdir().unwrap();
            let root = root(tmp.path());
            let test = root.path.join("bin/t.one");
            let dir = create_test_dir_under(Some(&root), &test).unwrap();
            drop(dir.open_append("t.log").unwrap());
            for (sub, mode) in [("ro", 0o500), ("none", 0o000), ("search", 0o100)] {
                std::fs::create_dir_all(test.join(sub).join("deeper")).unwrap();
                std::fs::write(test.join(sub).join("file"), "x").unwrap();
                std::fs::set_permissions(test.join(sub), std::fs::Permissions::from_mode(mode))
                    .unwrap();
            }
            std::fs::set_permissions(&test, std::fs::Permissions::from_mode(0o500)).unwrap();
            remove_test_dir_under(Some(&root), &test).unwrap();
            assert!(!test.exists(), "the passing test's directory is left");
            assert!(
                !root.path.join("bin").exists(),
                "the empty binary directory is left"
            );
            assert!(root.path.exists(), "the root is not ours to remove");
            // A binary directory still in use stays.
            drop(create_test_dir_under(Some(&root), &root.path.join("bin/t.two")).unwrap());
            drop(create_test_dir_under(Some(&root), &test).unwrap());
            remove_test_dir_under(Some(&root), &test).unwrap();
            assert_eq!(names_in(&root.path.join("bin")), ["t.two"]);
            // Already gone: not an error.
            remove_test_dir_under(Some(&root), &test).unwrap();
        }

        #[test]
        fn clean_the_leftovers_of_earlier_runs() {
            let tmp = tempfile::tempdir().unwrap();
            let root = root(tmp.path());
            let bin = root.path.join("bin");
            for leftover in [".old-77-0/sub", "t.one.old-4242/sub", "keep.me/sub"] {
                std::fs::create_dir_all(bin.join(leftover)).unwrap();
                std::fs::write(bin.join(leftover).join("f"), "x").unwrap();
            }
            // An earlier run's kept log at the test's own path: moved aside.
            std::fs::create_dir_all(bin.join("t.one")).unwrap();
            std::fs::write(bin.join("t.one/t.log"), "yesterday").unwrap();
            drop(create_test_dir_under(Some(&root), &bin.join("t.one")).unwrap());
            wait_for_removals();
            assert_eq!(names_in(&bin), ["keep.me", "t.one"]);
            assert!(names_in(&bin.join("t.one")).is_empty());
        }

        #[test]
        fn keep_earlier_attempts_but_not_an_earlier_run_s() {
            let tmp = tempfile::tempdir().unwrap();
            let root = root(tmp.path());
            let test = root.path.join("bin/t.one");
            // An earlier run's three failing attempts.
            for n in 1..=3 {
                std::fs::create_dir_all(test.join(format!("attempt-{n}"))).unwrap();
            }
            drop(create_test_dir_under(Some(&root), &test.join("attempt-1")).unwrap());
            wait_for_removals();
            assert_eq!(names_in(&test), ["attempt-1"]);
            drop(create_test_dir_under(Some(&root), &test.join("attempt-2")).unwrap());
            assert_eq!(names_in(&test), ["attempt-1", "attempt-2"]);
            // Attempt 3 passes: only its own directory goes.
            drop(create_test_dir_under(Some(&root), &test.join("attempt-3")).unwrap());
            remove_test_dir_under(Some(&root), &test.join("attempt-3")).unwrap();
            assert_eq!(names_in(&test), ["attempt-1", "attempt-2"]);
        }

        #[test]
        fn make_the_shared_temp_root_private() {
            let tmp = tempfile::tempdir().unwrap();
            let root = TestRoot {
                path: tmp.path().join("logged-test-me"),
                private: true,
            };
            std::fs::create_dir(&root.path).unwrap();
            std::fs::set_permissions(&root.path, std::fs::Permissions::from_mode(0o755)).unwrap();
            drop(create_test_dir_under(Some(&root), &root.path.join("b/t")).unwrap());
            let mode = std::fs::metadata(&root.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
