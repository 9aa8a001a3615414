//! The reason printed with an unattributed record tells "no collector is
//! alive" from "several are alive". Its own binary: it depends on how many
//! collectors the process has, and reads the child's stderr as it is written.

use crate::common;
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::Stdio;
use std::time::Duration;

use logged_test::LogCollector;

const CHILD: &str = "unrouted_reasons::child_logs_from_unrouted_threads";
const CHILD_MODE: &str = "UNROUTED_REASONS_CHILD";
/// How long the child waits for the parent before exiting on its own: a
/// watchdog against a hung parent, never reached when the test passes.
const WATCHDOG: Duration = Duration::from_secs(120);

/// Logs from an unrouted thread with no collector alive, then with two, and
/// waits (for stdin to close) so the stderr writer can print both.
#[test]
#[ignore = "run in a child process by `the_reason_tells_none_alive_from_several_alive`"]
fn child_logs_from_unrouted_threads() {
    if std::env::var_os(CHILD_MODE).is_none() {
        return;
    }
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Until a collector has set it, `log`'s max level filters everything
    // out before it reaches the dispatcher; once set, it stays. Collectors
    // are made on other threads, so that this one (and the threads it
    // starts) never has a route of its own to inherit.
    let make = |name: &'static str| {
        let path = dir.path().join(name);
        std::thread::spawn(move || LogCollector::without_ui(path).unwrap())
            .join()
            .unwrap()
    };
    drop(make("gone"));
    assert_eq!(logged_test::active_collectors(), Vec::<u64>::new());
    std::thread::spawn(|| log::warn!("reason-probe-none"))
        .join()
        .unwrap();

    let _first = make("first");
    let _second = make("second");
    std::thread::spawn(|| log::warn!("reason-probe-several"))
        .join()
        .unwrap();

    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        std::process::exit(3);
    });
    // Returns when the parent has seen both lines and closes our stdin.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

#[test]
fn the_reason_tells_none_alive_from_several_alive() {
    let mut child = common::this_binary()
        .args(["--ignored", "--exact", CHILD, "--nocapture"])
        .env(CHILD_MODE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (mut none, mut several) = (None, None);
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.contains("reason-probe-none") {
            none = Some(line.clone());
        } else if line.contains("reason-probe-several") {
            several = Some(line.clone());
        }
        seen.push(line);
        if none.is_some() && several.is_some() {
            break;
        }
    }
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    let seen = seen.join("\n");
    let none = none.unwrap_or_else(|| panic!("no line for the first record ({status}):\n{seen}"));
    let several =
        several.unwrap_or_else(|| panic!("no line for the second record ({status}):\n{seen}"));
    assert!(
        none.contains("(no collector is alive)"),
        "with no collector alive, the reason was: {none}"
    );
    assert!(
        several.contains("several are alive"),
        "with two collectors alive, the reason was: {several}"
    );
    assert!(status.success(), "the child failed ({status}):\n{seen}");
}
