//! Session files: name validation and opening without following symlinks.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

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

/// Opens `path` for appending (and reading back), creating it if needed.
/// Never follows a symlink at `path`, never truncates, and refuses anything
/// that is not a regular file, or a hard link to one (which could be a file
/// outside the log directory).
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO planted at the path fails instead of hanging.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::other("the session path is a symlink"));
    }
    let file = options
        .open(path)
        .map_err(|e| explain_open_error(path, e))?;
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
    Ok(file)
}

fn explain_open_error(path: &Path, error: io::Error) -> io::Error {
    #[cfg(unix)]
    if error.raw_os_error() == Some(libc::ELOOP) {
        return io::Error::other(
            "the session path is a symlink, which logged-test never follows; remove it or choose another name",
        );
    }
    if error.kind() == io::ErrorKind::NotFound && path.parent().is_some_and(|p| !p.exists()) {
        return io::Error::new(
            io::ErrorKind::NotFound,
            "the log directory no longer exists; recreate it or use a new collector",
        );
    }
    error
}

/// Checks that `file` is still the file at `path` (not deleted or replaced).
pub(crate) fn still_in_place(path: &Path, file: &File) -> io::Result<()> {
    let on_disk = std::fs::symlink_metadata(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("the session file was deleted while being written ({e}); records written since are lost"),
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let open = file.metadata()?;
        if (open.dev(), open.ino()) != (on_disk.dev(), on_disk.ino()) {
            return Err(io::Error::other(
                "the session file was replaced while being written; records written since are in the replaced file",
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, on_disk);
    Ok(())
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
