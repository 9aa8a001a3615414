//! [`LogDir`] on Unix: every file and directory is reached with the `*at`
//! calls relative to an open directory handle, following no symlink.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::{check_entry_name, check_regular, remove_later};

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
    #[allow(
        clippy::unnecessary_cast,
        reason = "the field types differ between platforms: the casts are needed on some, not on Linux"
    )]
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
const MAX_REMOVE_DEPTH: usize = 64;

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
/// On platforms other than Unix (`session/other.rs`) it falls back to
/// opening by path.
#[derive(Debug)]
pub(crate) struct LogDir {
    /// The directory as the caller named it, for messages.
    pub(super) path: PathBuf,
    handle: File,
    /// Where the directory was when it was opened, every symlink resolved.
    resolved: PathBuf,
}

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

impl LogDir {
    /// Makes this directory (the shared temp dir's root) this user's only.
    pub(super) fn make_private(&self) -> io::Result<()> {
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

    pub(super) fn handle_clone(&self) -> io::Result<File> {
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
    pub(super) fn open_child(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        let handle = sys::openat(self.fd(), &sys::cstring(name.as_ref())?, sys::DIR_FLAGS)
            .map_err(|e| self.explain_child_error(name, e))?;
        Ok(self.child(name, handle))
    }

    /// Opens the directory `name` in this one, making it (0700) if missing.
    pub(super) fn open_or_create(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        match sys::mkdirat(self.fd(), &sys::cstring(name.as_ref())?, 0o700) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        self.open_child(name)
    }

    /// Makes `name` a new private directory, moving whatever had that name
    /// into `trash` under a leftover's name, to be removed in the background.
    pub(super) fn create_fresh(&self, name: &str, trash: &LogDir) -> io::Result<LogDir> {
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
    pub(super) fn remove_child(&self, name: &str) -> io::Result<()> {
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
    pub(super) fn remove_if_empty(&self, name: &str) -> bool {
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

/// Where the open directory `handle` (opened as `path`) really is.
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
        super::pause_here();
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

/// Removes the entry `name` of `dir` (a file, a symlink, or a directory and
/// everything in it), following no symlink; a missing entry is not an error.
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

/// Removes the entry `name` of `parent` (a leftover), following no symlink.
pub(super) fn remove_named(parent: &File, name: &CStr) -> io::Result<()> {
    remove_entry(parent, name, 0)
}

/// The leftovers of earlier runs in the binary directory `dir`.
pub(super) fn leftovers_in(dir: &File) -> Vec<CString> {
    let mut names = sys::entries(dir).unwrap_or_default();
    names.retain(|name| super::is_leftover(name.as_bytes()));
    names
}

/// Refuses a hard link to a file that may live outside the log directory.
pub(super) fn check_links(meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if meta.nlink() > 1 {
        return Err(io::Error::other(
            "the session path is a hard link to another file, which logged-test never writes through; remove it or choose another name",
        ));
    }
    Ok(())
}

/// Whether the test directory `dir` exists, when it is in the binary's
/// directory: one `fstatat` relative to that directory, opened once per
/// process (no system call at all when it did not exist then). `None` for
/// a directory elsewhere (a later attempt's), to be looked up by path.
pub(super) fn stale_test_dir_in_binary_dir(dir: &Path) -> Option<bool> {
    use std::os::fd::AsRawFd as _;
    static BINARY_DIR: std::sync::OnceLock<(PathBuf, Option<File>)> = std::sync::OnceLock::new();
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return None;
    };
    let (binary, handle) = BINARY_DIR.get_or_init(|| {
        let handle = sys::cstring(parent.as_os_str())
            .and_then(|path| sys::openat(libc::AT_FDCWD, &path, sys::DIR_FLAGS))
            .ok();
        (parent.to_path_buf(), handle)
    });
    if binary != parent {
        return None;
    }
    Some(match handle {
        Some(handle) => sys::cstring(name)
            .and_then(|name| sys::identity_at(handle.as_raw_fd(), &name))
            .is_ok(),
        None => false,
    })
}

#[cfg(test)]
mod should {
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

    mod test_dirs {
        use std::os::unix::fs::{PermissionsExt as _, symlink};
        use std::path::Path;

        use crate::engine::session::{
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
