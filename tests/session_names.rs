//! Session names are untrusted: bad ones are refused before anything is created.

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
