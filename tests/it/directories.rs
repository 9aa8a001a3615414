//! One directory per test, never shared, found from the workspace root, one
//! per attempt: these run real `cargo test` and `cargo nextest` over a small
//! two-member workspace that uses this crate by path (built in this crate's
//! own target directory, so its dependencies are not built again).
//!
//! Member `ltdirs_a` has a lib and a bin that both have `tests::common`, and
//! a `tests/integration.rs`; member `ltdirs_b` has a `tests/integration.rs`
//! too; every `common` test fails when `LTDIRS_FAIL` is set. `ltdirs_b`'s
//! `flaky` fails until it has run `LTDIRS_FLAKY_PASSES_AT` times.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// A test of the workspace: logs a marker, then fails if `LTDIRS_FAIL` is set.
const COMMON: &str = r#"
    #[test]
    fn common() {
        use logged_test::LogAssertions as _;
        let logs = logged_test::TestLogs::new("tests::common").unwrap();
        log::info!("marker of {}", WHERE);
        logs.assert_contains("marker of");
        if std::env::var_os("LTDIRS_FAIL").is_some() {
            panic!("failing on purpose in {}", WHERE);
        }
    }
"#;

const FLAKY: &str = r#"
    #[test]
    fn flaky() {
        use logged_test::LogAssertions as _;
        let logs = logged_test::TestLogs::new("flaky").unwrap();
        let counter = std::path::PathBuf::from(std::env::var_os("LTDIRS_COUNTER").unwrap());
        let runs = std::fs::read_to_string(&counter).map_or(0, |t| t.trim().parse::<u32>().unwrap()) + 1;
        std::fs::write(&counter, runs.to_string()).unwrap();
        log::info!("flaky run {runs}");
        logs.assert_contains("flaky run");
        let passes_at: u32 = std::env::var("LTDIRS_FLAKY_PASSES_AT").unwrap().parse().unwrap();
        assert!(runs >= passes_at, "flaky fails on run {runs}");
    }
"#;

/// A new two-member workspace (removed when dropped).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    {
        let root = dir.path();
        let this_crate = env!("CARGO_MANIFEST_DIR");
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"ltdirs_a\", \"ltdirs_b\"]\nresolver = \"2\"\n",
        );
        // The same versions as this crate's own build, so nothing is rebuilt.
        std::fs::copy(
            Path::new(this_crate).join("Cargo.lock"),
            root.join("Cargo.lock"),
        )
        .unwrap();
        for member in ["ltdirs_a", "ltdirs_b"] {
            write(
                &format!("{member}/Cargo.toml"),
                &format!(
                    "[package]\nname = \"{member}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                     [dependencies]\nlog = \"0.4\"\nlogged-test = {{ path = {this_crate:?} }}\n"
                ),
            );
            let integration = if member == "ltdirs_b" {
                format!("const WHERE: &str = \"{member} integration\";\n{COMMON}{FLAKY}")
            } else {
                format!("const WHERE: &str = \"{member} integration\";\n{COMMON}")
            };
            write(&format!("{member}/tests/integration.rs"), &integration);
        }
        let doctest = format!(
            "/// ```\n/// use logged_test::LogAssertions as _;\n/// let logs = logged_test::TestLogs::new(\"doc::{}\").unwrap();\n\
             /// log::info!(\"doctest marker\");\n/// logs.assert_contains(\"doctest marker\");\n\
             /// assert!(std::env::var_os(\"LTDIRS_FAIL\").is_none(), \"failing on purpose\");\n\
             /// ```\npub fn documented() {{}}\n",
            doctest_name(root)
        );
        write(
            "ltdirs_a/src/lib.rs",
            &format!(
                "{doctest}#[cfg(test)]\nmod tests {{\n    const WHERE: &str = \"ltdirs_a lib\";\n{COMMON}}}\n"
            ),
        );
        write(
            "ltdirs_a/src/main.rs",
            &format!(
                "fn main() {{}}\n#[cfg(test)]\nmod tests {{\n    const WHERE: &str = \"ltdirs_a bin\";\n{COMMON}}}\n"
            ),
        );
        write("ltdirs_b/src/lib.rs", "");
    }
    dir
}

/// The name the doctest's `TestLogs` gets: unique to this run's workspace.
fn doctest_name(workspace: &Path) -> String {
    workspace
        .file_name()
        .unwrap()
        .to_string_lossy()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// This crate's target directory (`target/debug/deps/<this test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `cargo <args>` in the workspace root, with none of the caller's
/// `LOGGED_TEST_*` or `NEXTEST_*` variables.
fn cargo(workspace: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(args)
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("LTDIRS_FAIL");
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("LOGGED_TEST_") || name.starts_with("NEXTEST") {
            command.env_remove(&*name);
        }
    }
    command
}

/// One cargo at a time: they share this crate's target directory (and its
/// lock), and the workspaces build to the same file names there, so one run
/// rebuilding a test binary while another runs it would delete it under the
/// other. Across threads a mutex; across processes (`cargo nextest run`, a
/// process per test) a lock on a file in the target directory, too.
fn run(mut command: Command) -> Output {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let _file_lock = lock_file(&target_dir().join("ltdirs.lock"));
    command.output().unwrap()
}

/// Holds an exclusive `flock` on `path` until dropped (closing the file
/// releases it).
#[cfg(unix)]
fn lock_file(path: &Path) -> std::fs::File {
    use std::os::fd::AsRawFd as _;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap();
    loop {
        // SAFETY: `file` is open for the whole call; `flock` takes any fd.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return file;
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(err.kind(), std::io::ErrorKind::Interrupted, "flock: {err}");
    }
}

#[cfg(not(unix))]
fn lock_file(_path: &Path) {}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// The manifest's lines, each as its text.
fn manifest(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("manifest.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The kept session files under `dir` and their contents.
fn kept_logs(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn a_lib_a_bin_and_two_members_tests_each_keep_their_own_log() {
    let workspace = workspace();
    let workspace = workspace.path();
    let logs = tempfile::tempdir().unwrap();
    let mut failing = cargo(
        workspace,
        &["test", "--offline", "--workspace", "--no-fail-fast"],
    );
    failing
        .env("LTDIRS_FAIL", "1")
        .env("LOGGED_TEST_DIR", logs.path());
    failing.args(["--", "common"]);
    let output = run(failing);
    assert!(!output.status.success(), "{}", text(&output));

    let kept = kept_logs(logs.path());
    let wheres = [
        "ltdirs_a lib",
        "ltdirs_a bin",
        "ltdirs_a integration",
        "ltdirs_b integration",
    ];
    assert_eq!(kept.len(), 4, "{kept:#?}\n{}", text(&output));
    for place in wheres {
        let holding: Vec<_> = kept
            .iter()
            .filter(|(_, t)| t.contains(&format!("marker of {place}")))
            .collect();
        assert_eq!(holding.len(), 1, "{place}: {kept:#?}");
        assert_eq!(
            holding[0].1.matches("marker of").count(),
            1,
            "{place}'s log holds another test's records: {kept:#?}"
        );
    }
    let lines = manifest(logs.path());
    assert_eq!(lines.len(), 4, "{lines:#?}");
    for binary in ["ltdirs_a", "integration"] {
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains(&format!("\"binary\":\"{binary}\"")))
                .count(),
            2,
            "{lines:#?}"
        );
    }

    // The bin's test passes now: its own old log goes (a cheap check: it
    // never touched the disk this time), the lib's stays.
    let mut passing = cargo(
        workspace,
        &["test", "--offline", "-p", "ltdirs_a", "--bin", "ltdirs_a"],
    );
    passing.env("LOGGED_TEST_DIR", logs.path());
    let output = run(passing);
    assert!(output.status.success(), "{}", text(&output));
    let kept = kept_logs(logs.path());
    let places: Vec<_> = wheres
        .iter()
        .filter(|place| {
            kept.iter()
                .any(|(_, t)| t.contains(&format!("marker of {place}")))
        })
        .collect();
    assert_eq!(
        places,
        [
            &"ltdirs_a lib",
            &"ltdirs_a integration",
            &"ltdirs_b integration"
        ]
    );
    let binaries: Vec<_> = std::fs::read_dir(logs.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "manifest.jsonl")
        .collect();
    assert_eq!(
        binaries.len(),
        3,
        "the bin's empty directory is left: {binaries:?}"
    );
}

#[test]
fn a_relative_logged_test_dir_is_the_workspace_root_s_and_the_ci_recipe_finds_the_failure() {
    let workspace = workspace();
    let workspace = workspace.path();
    let logs = workspace.join("target/test-logs");
    let _ = std::fs::remove_dir_all(&logs);
    let mut failing = cargo(
        workspace,
        &["test", "--offline", "--workspace", "--no-fail-fast"],
    );
    failing
        .env("LTDIRS_FAIL", "1")
        .env("LOGGED_TEST_DIR", "target/test-logs");
    failing.args(["--", "common"]);
    let output = run(failing);
    assert!(!output.status.success(), "{}", text(&output));
    // The README's recipe, from the workspace root.
    let grep = Command::new("grep")
        .args([
            "-c",
            "\"outcome\":\"failed\"",
            "target/test-logs/manifest.jsonl",
        ])
        .current_dir(workspace)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&grep.stdout).trim(),
        "4",
        "{}",
        text(&output)
    );
    for member in ["ltdirs_a", "ltdirs_b"] {
        assert!(
            !workspace.join(member).join("target").exists(),
            "{member} has a log directory of its own"
        );
    }
}

#[test]
fn nextest_retries_keep_each_failing_attempt_s_log() {
    let has_nextest = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_nextest {
        eprintln!("cargo-nextest is not installed: skipped");
        return;
    }
    let workspace = workspace();
    let workspace = workspace.path();
    let logs = tempfile::tempdir().unwrap();
    let counter = logs.path().join("counter");
    let mut retried = cargo(
        workspace,
        &[
            "nextest",
            "run",
            "--offline",
            "-p",
            "ltdirs_b",
            "--retries",
            "2",
            "-E",
            "test(flaky)",
        ],
    );
    retried
        .env("LOGGED_TEST_DIR", logs.path())
        .env("LTDIRS_COUNTER", &counter)
        .env("LTDIRS_FLAKY_PASSES_AT", "3");
    let output = run(retried);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "3");

    let kept = kept_logs(logs.path());
    let attempts: Vec<String> = kept
        .iter()
        .map(|(path, _)| {
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(attempts, ["attempt-1", "attempt-2"], "{kept:#?}");
    for (n, (_, log)) in kept.iter().enumerate() {
        assert!(log.contains(&format!("flaky run {}", n + 1)), "{log}");
    }
    let lines = manifest(logs.path());
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let run_id = lines[0]
        .split("\"run_id\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    for (n, line) in lines.iter().enumerate() {
        assert!(
            line.contains(&format!("\"attempt\":{},\"attempts\":3", n + 1)),
            "{line}"
        );
        assert!(line.contains(&format!("\"run_id\":\"{run_id}\"")), "{line}");
        assert!(line.contains("\"binary\":\"integration\""), "{line}");
        let outcome = if n < 2 { "failed" } else { "passed" };
        assert!(
            line.contains(&format!("\"outcome\":\"{outcome}\"")),
            "{line}"
        );
    }

    // The next run's first attempt starts afresh: the old attempts go.
    let mut again = cargo(
        workspace,
        &[
            "nextest",
            "run",
            "--offline",
            "-p",
            "ltdirs_b",
            "--retries",
            "2",
            "-E",
            "test(flaky)",
        ],
    );
    again
        .env("LOGGED_TEST_DIR", logs.path())
        .env("LTDIRS_COUNTER", &counter)
        .env("LTDIRS_FLAKY_PASSES_AT", "1");
    let output = run(again);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        kept_logs(logs.path()).is_empty(),
        "{:#?}",
        kept_logs(logs.path())
    );
}

#[test]
fn a_doctest_keeps_its_log_under_the_target_directory() {
    let workspace = workspace();
    let workspace = workspace.path();
    let mut failing = cargo(workspace, &["test", "--offline", "-p", "ltdirs_a", "--doc"]);
    failing.env("LTDIRS_FAIL", "1");
    let output = run(failing);
    assert!(!output.status.success(), "{}", text(&output));
    let stem = format!("doc.{}", doctest_name(workspace));
    let kept = target_dir()
        .join("tmp/logged-test/ltdirs_a-doctests")
        .join(&stem);
    let logs = kept_logs(&kept);
    let _ = std::fs::remove_dir_all(&kept);
    // Its binary directory too, unless another run's doctest is in it.
    let _ = std::fs::remove_dir(kept.parent().unwrap());
    assert_eq!(
        logs.len(),
        1,
        "nothing kept in {}\n{}",
        kept.display(),
        text(&output)
    );
    assert!(logs[0].1.contains("doctest marker"), "{logs:?}");
    assert!(
        text(&output).contains(&kept.display().to_string()),
        "{}",
        text(&output)
    );
}
