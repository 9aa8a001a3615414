//! [`LogDir`] where there is no `openat` (not Unix): files and directories
//! are opened by path, as before the Unix handles.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::{check_entry_name, check_regular};

/// Opens `path` for appending, the path-based way: only where there is no
/// `openat` (see [`LogDir`]).
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

/// A log directory, reached by path: there is no `openat` here (see the
/// Unix `LogDir` in `session/unix.rs` for what that protects against).
#[derive(Debug)]
pub(crate) struct LogDir {
    /// The directory as the caller named it.
    pub(super) path: PathBuf,
}

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

impl LogDir {
    pub(super) fn make_private(&self) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn handle_clone(&self) -> io::Result<File> {
        Err(io::Error::other("no directory handles on this platform"))
    }

    pub(super) fn open_child(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        LogDir::open(&self.path.join(name))
    }

    pub(super) fn open_or_create(&self, name: &str) -> io::Result<LogDir> {
        check_entry_name(name)?;
        let _ = std::fs::create_dir(self.path.join(name));
        self.open_child(name)
    }

    pub(super) fn create_fresh(&self, name: &str, trash: &LogDir) -> io::Result<LogDir> {
        let _ = trash;
        match std::fs::remove_dir_all(self.path.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        LogDir::create_private(self, name)
    }

    pub(super) fn remove_child(&self, name: &str) -> io::Result<()> {
        match std::fs::remove_dir_all(self.path.join(name)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    pub(super) fn remove_if_empty(&self, name: &str) -> bool {
        std::fs::remove_dir(self.path.join(name)).is_ok()
    }
}

/// Leftovers are never moved aside here, so there are none to remove.
pub(super) fn remove_named(parent: &File, name: &CStr) -> io::Result<()> {
    let _ = (parent, name);
    Ok(())
}

/// Leftovers are never moved aside here: there are none.
pub(super) fn leftovers_in(dir: &File) -> Vec<CString> {
    let _ = dir;
    Vec::new()
}

/// Link counts are not checked here.
pub(super) fn check_links(meta: &std::fs::Metadata) -> io::Result<()> {
    let _ = meta;
    Ok(())
}

/// No directory handles here: every test directory is looked up by path.
pub(super) fn stale_test_dir_in_binary_dir(dir: &Path) -> Option<bool> {
    let _ = dir;
    None
}
