//! Session names are untrusted: bad ones are refused before anything is created.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use logged_test::{LogCollector, LogError};

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_bad_name_is_refused_and_creates_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("logs");
    let collector = LogCollector::without_ui(&dir).unwrap();
    let too_long = "x".repeat(256);
    for name in [
        "",
        ".",
        "..",
        "../x",
        "a/b",
        "/abs",
        "a\0b",
        "a\\b",
        too_long.as_str(),
    ] {
        match collector.start_new_session_blocking(name) {
            Err(LogError::InvalidSessionName { name: got, reason }) => {
                assert_eq!(got, name);
                assert!(!reason.is_empty());
            }
            other => panic!("{name:?} gave {other:?}"),
        }
    }
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
    assert_eq!(entries(root.path()), ["logs"]);
    assert_eq!(collector.generation(), 0);
}

#[tokio::test]
async fn the_async_version_refuses_the_same_names() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let err = collector.start_new_session("../up.log").await.unwrap_err();
    assert!(err.to_string().contains("path separator"), "{err}");
}

#[test]
fn long_and_non_ascii_names_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    let longest = "y".repeat(255);
    for name in [
        longest.as_str(),
        "séance ✓.log",
        "..hidden",
        "with space.log",
    ] {
        let path = collector.start_new_session_blocking(name).unwrap();
        assert_eq!(path, dir.path().join(name));
        assert!(path.is_file());
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_at_the_session_path_is_refused_and_its_target_untouched() {
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside.txt");
    std::fs::write(&outside, "precious").unwrap();
    let dir = root.path().join("logs");
    let collector = LogCollector::without_ui(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("planted.log")).unwrap();
    let err = collector
        .start_new_session_blocking("planted.log")
        .unwrap_err();
    assert!(matches!(err, LogError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("symlink"), "{err}");
    collector.log_str("must not reach outside");
    collector.wait_for_empty_blocking().unwrap();
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
}

#[test]
fn a_directory_at_the_session_path_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let collector = LogCollector::without_ui(dir.path()).unwrap();
    std::fs::create_dir(dir.path().join("taken.log")).unwrap();
    let err = collector
        .start_new_session_blocking("taken.log")
        .unwrap_err();
    assert!(matches!(err, LogError::Io { .. }), "{err:?}");
}

/// Entries planted in the log directory before the generated names are tried.
#[cfg(unix)]
mod planted {
    /// A regular file with content that must never be truncated.
    pub(super) const EXISTING: &str = "existing.log";
    pub(super) const EXISTING_CONTENT: &str = "written before the collector\n";
    /// A symlink to a file outside the log directory.
    pub(super) const TO_OUTSIDE_FILE: &str = "planted.log";
    /// A symlink to a path outside that does not exist yet.
    pub(super) const DANGLING: &str = "dangling.log";
    /// A symlink to the outside directory.
    pub(super) const TO_OUTSIDE_DIR: &str = "outdir";
    /// A real subdirectory.
    pub(super) const SUBDIR: &str = "subdir";
    /// A FIFO: opening it for writing must fail, not hang.
    pub(super) const FIFO: &str = "fifo";

    /// Names that are valid but must be refused with `LogError::Io`.
    pub(super) fn refused(name: &str, with_fifo: bool) -> bool {
        [TO_OUTSIDE_FILE, DANGLING, TO_OUTSIDE_DIR, SUBDIR].contains(&name)
            || (with_fifo && name == FIFO)
    }
}

/// The documented rule: refused before touching the file system when empty,
/// `.` or `..`, with `/`, `\` or NUL, or over 255 bytes.
fn documented_invalid(name: &str) -> bool {
    name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || name.len() > logged_test::MAX_SESSION_NAME_BYTES
}

/// A small deterministic generator (xorshift64): no dependency, same names
/// on every run.
struct Names(u64);

impl Names {
    const PIECES: &[&str] = &[
        "",
        ".",
        "..",
        "/",
        "\\",
        "\0",
        "a",
        "b.log",
        ".log",
        "é",
        "✓",
        "日本",
        " ",
        "-",
        "~",
        "$HOME",
        "%2e%2e",
        "\n",
        "\t",
        ":",
        "*",
        "?",
        "CON",
        "existing.log",
        "planted.log",
        "dangling.log",
        "outdir",
        "subdir",
        "fifo",
        "pre-session.log",
    ];

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        for _ in 0..=self.next() % 4 {
            match self.next() % 10 {
                // Now and then a long run, to cross the 255-byte limit.
                0 => name.push_str(&"x".repeat((self.next() % 260) as usize)),
                _ => name.push_str(Self::PIECES[(self.next() as usize) % Self::PIECES.len()]),
            }
        }
        name
    }
}

fn tree(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            // Only regular files are read: opening a FIFO would block.
            let content = match e.file_type().unwrap().is_file() {
                true => std::fs::read_to_string(e.path()).unwrap(),
                false => String::new(),
            };
            (e.file_name().to_string_lossy().into_owned(), content)
        })
        .collect();
    entries.sort();
    entries
}

#[cfg(unix)]
#[test]
fn any_name_writes_only_to_a_direct_child_of_the_log_directory() {
    use planted::*;

    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("precious.txt"), "precious").unwrap();
    let dir = root.path().join("logs");
    let collector = LogCollector::without_ui(&dir).unwrap();
    std::fs::write(dir.join(EXISTING), EXISTING_CONTENT).unwrap();
    std::os::unix::fs::symlink(outside.join("precious.txt"), dir.join(TO_OUTSIDE_FILE)).unwrap();
    std::os::unix::fs::symlink(outside.join("created-through-a-link"), dir.join(DANGLING)).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join(TO_OUTSIDE_DIR)).unwrap();
    std::fs::create_dir(dir.join(SUBDIR)).unwrap();
    let with_fifo = std::process::Command::new("mkfifo")
        .arg(dir.join(FIFO))
        .status()
        .is_ok_and(|s| s.success());
    let outside_before = tree(&outside);
    let mut current = collector
        .start_new_session_blocking("baseline.log")
        .unwrap();

    let long = |c: &str, n: usize| c.repeat(n);
    let mut names: Vec<String> = [
        "",
        ".",
        "..",
        "../x",
        "a/b",
        "/abs",
        "a\0b",
        "a\\b",
        "./a",
        "a/",
        "..\\x",
        "non-ascii séance ✓",
        EXISTING,
        TO_OUTSIDE_FILE,
        DANGLING,
        TO_OUTSIDE_DIR,
        SUBDIR,
        FIFO,
    ]
    .map(str::to_owned)
    .to_vec();
    // Byte lengths on both sides of the limit, with 1-, 2- and 3-byte chars.
    names.extend([
        long("x", 255),
        long("x", 256),
        long("é", 127),
        long("é", 128),
        long("✓", 85),
        long("✓", 86),
    ]);
    let mut generator = Names(0x9e37_79b9_7f4a_7c15);
    names.extend((0..1_000).map(|_| generator.name()));

    let (mut accepted, mut invalid, mut io_errors) = (0, 0, 0);
    for (n, name) in names.iter().enumerate() {
        let entries_before = tree(&dir);
        let generation_before = collector.generation();
        let result = collector.start_new_session_blocking(name);
        match &result {
            Ok(path) => {
                accepted += 1;
                assert!(
                    !documented_invalid(name) && !refused(name, with_fifo),
                    "{name:?} accepted"
                );
                assert_eq!(path.parent(), Some(dir.as_path()), "{name:?}");
                assert_eq!(path.file_name().unwrap(), name.as_str(), "{name:?}");
                let meta = std::fs::symlink_metadata(path).unwrap();
                assert!(meta.is_file(), "{name:?}: {meta:?}");
                assert_eq!(collector.generation(), generation_before + 1);
                current = path.clone();
            }
            Err(LogError::InvalidSessionName { name: got, .. }) => {
                invalid += 1;
                assert!(documented_invalid(name), "{name:?} refused as invalid");
                assert_eq!(got, name);
            }
            Err(LogError::Io { path, .. }) => {
                io_errors += 1;
                assert!(refused(name, with_fifo), "{name:?}: {result:?}");
                assert_eq!(path, &dir.join(name));
            }
            Err(other) => panic!("{name:?}: {other:?}"),
        }
        if result.is_err() {
            assert_eq!(
                tree(&dir),
                entries_before,
                "{name:?} changed the log directory"
            );
            assert_eq!(collector.generation(), generation_before);
        }
        // The next record goes to the current session and nowhere else.
        let marker = format!("record after name #{n}");
        collector.log_str(&marker);
        collector.wait_for_empty_blocking().unwrap();
        let text = std::fs::read_to_string(&current).unwrap();
        assert!(
            text.ends_with(&format!("{marker}\n")),
            "{name:?}: not in {}",
            current.display()
        );

        assert_eq!(
            tree(&outside),
            outside_before,
            "{name:?} wrote outside the log directory"
        );
        let root_entries: Vec<String> = tree(root.path()).into_iter().map(|(n, _)| n).collect();
        assert_eq!(root_entries, ["logs", "outside"], "{name:?}");
        let existing = std::fs::read_to_string(dir.join(EXISTING)).unwrap();
        assert!(
            existing.starts_with(EXISTING_CONTENT),
            "{name:?} truncated {EXISTING}"
        );
    }
    // Every file the collector made is a regular file directly in `dir`.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            kind.is_file() || refused(&name, with_fifo),
            "{name:?} is neither a session file nor planted"
        );
    }
    assert!(
        accepted > 100 && invalid > 100 && io_errors >= 4,
        "{accepted}/{invalid}/{io_errors}"
    );
    eprintln!(
        "{} names: {accepted} accepted, {invalid} invalid, {io_errors} refused (fifo: {with_fifo})",
        names.len()
    );
}
