//! The seed's "Key Log Output Markers" are opt-in diagnostics: written to
//! stderr, in lifecycle order, when `LOGGED_TEST_DEBUG=1`, and absent by
//! default. The environment is read once per process, so each check re-runs
//! this binary's ignored `seed_lifecycle` test in a child process.

use crate::common;
use std::error::Error;
use std::process::Output;
use std::sync::Arc;

use logged_test::{LogCollector, LogError, LogLine};

/// The test the child process runs.
const CHILD: &str = "diagnostics::seed_lifecycle";
/// What the child prints on stdout, so the parent knows the id and the path.
const CHILD_REPORT: &str = "diagnostics-child:";

type TestResult = Result<(), Box<dyn Error>>;

/// The seed's lifecycle: register, install the logger, start a session,
/// log, flush, drop.
#[tokio::test]
#[ignore = "run in a child process by the other tests of this file"]
async fn seed_lifecycle() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (ui_tx, _ui_rx) = tokio::sync::mpsc::channel::<LogLine>(16);
    let collector = Arc::new(LogCollector::new(dir.path(), ui_tx)?);
    match collector.clone().init_global_logger(log::LevelFilter::Info) {
        Ok(()) | Err(LogError::LoggerAlreadyInitialized) => {}
        Err(other) => return Err(other.into()),
    }
    let session = collector.start_new_session("diagnostics.log").await?;
    log::info!("[DIAGNOSTICS] a record in the session");
    collector.wait_for_empty().await?;
    println!("{CHILD_REPORT} {} {}", collector.id(), session.display());
    drop(collector);
    Ok(())
}

/// Runs [`seed_lifecycle`] in a child process with `LOGGED_TEST_DEBUG` set to
/// `debug`, or unset, and checks that it passed.
fn run_child(debug: Option<&str>) -> Result<Output, Box<dyn Error>> {
    let mut command = common::this_binary();
    command.args([
        "--exact",
        CHILD,
        "--nocapture",
        "--ignored",
        "--test-threads=1",
    ]);
    match debug {
        Some(value) => command.env("LOGGED_TEST_DEBUG", value),
        None => command.env_remove("LOGGED_TEST_DEBUG"),
    };
    let output = command.output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child test `{CHILD}` failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
    Ok(output)
}

/// The collector id and session path the child reported.
fn child_report(stdout: &str) -> Option<(u64, String)> {
    // libtest may have printed `test seed_lifecycle ... ` on the same line.
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(CHILD_REPORT).map(|(_, rest)| rest))?;
    let (id, path) = line.trim().split_once(' ')?;
    Some((id.parse().ok()?, path.to_owned()))
}

fn diagnostic_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("[Log] ")).collect()
}

#[test]
fn debug_prints_the_seed_markers_in_lifecycle_order() -> TestResult {
    let output = run_child(Some("1"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let (id, session) = child_report(&stdout).ok_or_else(|| format!("no report in\n{stdout}"))?;

    let expected = [
        format!("[Log] [DISPATCHER] Registered LogCollector {id} in global dispatcher"),
        "[Log] [INIT] LogCollector registered as global logger with level: INFO".to_owned(),
        "[Log] [SESSION] Generation incremented to: 1 (from background thread)".to_owned(),
        format!("[Log] [SESSION] New session started with dedicated log file: {session}"),
        format!("[Log] [FLUSH] wait_for_empty() completed for LogCollector {id}"),
        format!("[Log] [DISPATCHER] Unregistered LogCollector {id} from global dispatcher"),
    ];
    let lines = diagnostic_lines(&stderr);
    let mut from = 0;
    for marker in &expected {
        let found = lines
            .iter()
            .skip(from)
            .position(|line| line.starts_with(marker.as_str()));
        match found {
            Some(offset) => from += offset + 1,
            None => panic!(
                "expected the diagnostic {marker:?} after line {from} of the child's \
                 diagnostics; they were:\n{}",
                lines.join("\n")
            ),
        }
    }
    Ok(())
}

#[test]
fn diagnostics_are_silent_by_default_and_when_off() -> TestResult {
    for debug in [None, Some("0"), Some("false")] {
        let output = run_child(debug)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines = diagnostic_lines(&stderr);
        assert!(
            lines.is_empty(),
            "with LOGGED_TEST_DEBUG={debug:?} the child printed diagnostics:\n{}",
            lines.join("\n")
        );
    }
    Ok(())
}
