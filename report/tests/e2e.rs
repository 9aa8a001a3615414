//! End to end, as a person would: a small suite using `logged-test` runs
//! sharded under nextest (two partitions, one flaky test with retries, one
//! crash, one failing assertion), `cargo logged-test report` merges the two
//! `LOGGED_TEST_DIR`s and nextest's JUnit files, `report.html` is opened in
//! headless Chromium (the DOM after its scripts ran), and the enriched JUnit
//! is read back with an XML parser other than the one that wrote it.
//!
//! Needs `cargo nextest` and Chromium (`/usr/bin/chromium`, or the path in
//! `CHROMIUM`). Without them the test says why and passes, except under
//! `CI=true`, where it fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const ORDERS: &str = r#"use logged_test::prelude::*;

#[logged_test]
fn ships_an_order(logs: &TestLogs) {
    log::info!("e2e order 7 shipped");
    logs.assert_contains("order 7");
}

#[logged_test(markers = ["order 42 paid"])]
fn pays_an_order() {
    log::debug!("e2e looking up order 42");
    log::info!("e2e charging order 42");
    log::warn!("e2e card declined, retrying");
    log::error!("e2e payment gateway timeout for order 42");
}

#[logged_test]
fn retries_once() {
    let attempt = std::env::var("NEXTEST_ATTEMPT").unwrap_or_default();
    log::warn!("e2e flaky attempt {attempt}");
    assert_ne!(attempt, "1", "e2e the first attempt fails");
}
"#;

const WORKERS: &str = r#"use logged_test::logged_test;

#[logged_test]
fn aborts() {
    log::error!("e2e about to abort");
    std::process::abort();
}

#[logged_test]
fn counts() {
    log::trace!("e2e counting");
}

#[logged_test]
fn sums() {
    log::info!("e2e summing");
}
"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The outer cargo's and nextest's variables describe this test, not the
    // suite's run; LOGGED_TEST_* would change what the suite writes.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let keep = matches!(
            &*key,
            "CARGO_HOME" | "CARGO_INCREMENTAL" | "CARGO_BUILD_JOBS" | "CARGO_TERM_COLOR"
        );
        if !keep
            && (key.starts_with("CARGO_")
                || key.starts_with("NEXTEST")
                || key.starts_with("__NEXTEST")
                || key.starts_with("LOGGED_TEST_")
                || key.starts_with("RUST_TEST"))
        {
            cmd.env_remove(&*key);
        }
    }
    cmd.env("RUST_BACKTRACE", "0");
    cmd
}

/// Why the test cannot run here, if it cannot.
fn missing_tool() -> Option<String> {
    let nextest = cargo().args(["nextest", "--version"]).output();
    if !nextest.is_ok_and(|o| o.status.success()) {
        return Some(
            "`cargo nextest` is not installed (cargo install cargo-nextest --locked)".into(),
        );
    }
    if chromium().is_none() {
        return Some("Chromium is not installed (apt-get install -y chromium)".into());
    }
    None
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The suite, using `logged-test` by path and the workspace's lock file (so
/// the same dependency versions, already built, are used).
fn make_suite(root: &Path) -> PathBuf {
    let suite = root.join("suite");
    write(
        &suite.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"e2e-suite\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dev-dependencies]\nlogged-test = {{ path = {:?} }}\nlog = \"0.4\"\n\n[workspace]\n",
            workspace().display().to_string()
        ),
    );
    write(&suite.join("src/lib.rs"), "");
    write(&suite.join("tests/orders.rs"), ORDERS);
    write(&suite.join("tests/workers.rs"), WORKERS);
    write(
        &suite.join(".config/nextest.toml"),
        &format!(
            "[store]\ndir = {:?}\n\n[profile.ci]\nfail-fast = false\n\n[profile.ci.junit]\npath = \"junit.xml\"\n",
            root.join("nextest-store").display().to_string()
        ),
    );
    fs::copy(workspace().join("Cargo.lock"), suite.join("Cargo.lock")).unwrap();
    suite
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// Runs one shard; returns its JUnit file.
fn run_shard(root: &Path, suite: &Path, shard: u32) -> PathBuf {
    let out = cargo()
        .current_dir(suite)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("LOGGED_TEST_DIR", root.join(format!("shard-{shard}")))
        .args([
            "nextest",
            "run",
            "--offline",
            "--profile",
            "ci",
            "--retries",
            "2",
        ])
        .arg(format!("--partition=count:{shard}/2"))
        .output()
        .unwrap();
    let junit = root.join("nextest-store/ci/junit.xml");
    assert!(
        junit.is_file(),
        "shard {shard} wrote no JUnit file (exit {:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = root.join(format!("junit-{shard}.xml"));
    fs::rename(&junit, &kept).unwrap();
    kept
}

/// The DOM of `page#fragment` after its scripts ran.
fn dom(root: &Path, page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir_in(root).unwrap();
    let url = format!("file://{}#{fragment}", page.display());
    let out: Output = Command::new(chromium().unwrap())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=5000",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        html.contains("</html>"),
        "Chromium printed no DOM for {url} (exit {:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    html
}

/// The `data-line="N" data-level="L"` pairs of the log rows on screen.
fn rows(dom: &str) -> Vec<(u32, String)> {
    dom.split("data-line=\"")
        .skip(1)
        .map(|rest| {
            let (line, rest) = rest.split_once('"').unwrap();
            let level = rest
                .split_once("data-level=\"")
                .unwrap()
                .1
                .split_once('"')
                .unwrap()
                .0;
            (line.parse().unwrap(), level.to_owned())
        })
        .collect()
}

/// The opening `<details ...>` tag of a listed test.
fn details_tag<'a>(dom: &'a str, test: &str) -> &'a str {
    let at = dom
        .find(&format!("data-test=\"{test}\""))
        .unwrap_or_else(|| panic!("{test} is not listed"));
    let start = dom[..at].rfind('<').unwrap();
    let end = at + dom[at..].find('>').unwrap();
    &dom[start..=end]
}

fn attr<'a>(dom: &'a str, name: &str) -> Vec<&'a str> {
    dom.split(&format!("{name}=\""))
        .skip(1)
        .map(|rest| rest.split_once('"').unwrap().0)
        .collect()
}

#[test]
fn a_sharded_run_with_retries_and_a_crash_reads_in_the_browser() {
    if let Some(why) = missing_tool() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the end-to-end report test cannot run under CI: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let suite = make_suite(root);
    let junit = [run_shard(root, &suite, 1), run_shard(root, &suite, 2)];
    let shards_done = started.elapsed();

    let out_dir = root.join("out");
    let report = Command::new(env!("CARGO_BIN_EXE_cargo-logged-test"))
        .current_dir(root)
        .args(["logged-test", "report", "shard-1", "shard-2"])
        .args([OsStr::new("--junit"), junit[0].as_os_str()])
        .args([OsStr::new("--junit"), junit[1].as_os_str()])
        .args(["--out", "out/report.html"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.status.success(),
        "the report command failed: {stdout}\n{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(
        stdout.contains("6 tests: 3 passed, 1 failed, 1 crashed, 1 flaky"),
        "{stdout}"
    );
    let page = out_dir.join("report.html");

    // The summary, as the browser shows it.
    let home = dom(root, &page, "");
    for (status, n) in [("passed", 3), ("failed", 1), ("crashed", 1), ("flaky", 1)] {
        assert!(
            home.contains(&format!("id=\"count-{status}\">{n}<")),
            "expected {n} {status} in the summary"
        );
    }
    assert!(home.contains("<tr data-binary=\"orders\"><td>orders</td><td class=\"passed\">1</td><td class=\"failed\">1</td><td class=\"crashed zero\">0</td><td class=\"flaky\">1</td></tr>"), "orders row");
    assert!(home.contains("<tr data-binary=\"workers\"><td>workers</td><td class=\"passed\">2</td><td class=\"failed zero\">0</td><td class=\"crashed\">1</td><td class=\"flaky zero\">0</td></tr>"), "workers row");
    for (test, status) in [
        ("pays_an_order", "failed"),
        ("aborts", "crashed"),
        ("retries_once", "flaky"),
    ] {
        assert!(
            home.contains(&format!("data-test=\"{test}\" data-status=\"{status}\"")),
            "{test} listed as {status}"
        );
    }
    assert!(
        !home.contains("data-line="),
        "no log is rendered before a test is opened"
    );

    // The failing test's log, each line with its level, and its report.
    let failing = dom(root, &page, "test=pays_an_order");
    let levels = rows(&failing);
    assert_eq!(
        levels,
        [
            (1, "debug".to_owned()),
            (2, "info".to_owned()),
            (3, "warn".to_owned()),
            (4, "error".to_owned()),
            // The moment of failure: the missing marker, as a record.
            (5, "error".to_owned())
        ]
    );
    for line in [
        "e2e looking up order 42",
        "e2e charging order 42",
        "e2e card declined, retrying",
        "e2e payment gateway timeout for order 42",
    ] {
        assert!(failing.contains(line), "the log shows {line:?}");
    }
    assert!(
        failing.contains("#[logged_test] markers not found in the log: [\"order 42 paid\"]"),
        "the marker report is shown"
    );
    assert!(
        failing.contains("attempt 3 (rerunFailure)"),
        "all three attempts are shown"
    );

    // The level filter.
    let warn = dom(root, &page, "test=pays_an_order&level=warn");
    assert_eq!(
        rows(&warn),
        [
            (3, "warn".to_owned()),
            (4, "error".to_owned()),
            (5, "error".to_owned())
        ]
    );
    assert!(attr(&warn, "data-shown").contains(&"3"));

    // The search, highlighted.
    let search = dom(root, &page, "test=pays_an_order&q=GATEWAY");
    assert_eq!(rows(&search), [(4, "error".to_owned())]);
    assert!(
        search.contains("<mark>gateway</mark>"),
        "the match is marked"
    );
    // Each listed test counts its matching lines (the attempts share one
    // file today; once each attempt keeps its own, each has the line).
    let header = details_tag(&search, "pays_an_order");
    assert!(
        header.contains("data-matches=\"1\"") || header.contains("data-matches=\"3\""),
        "{header}"
    );
    let other = details_tag(&search, "retries_once");
    assert!(
        other.contains("nomatch") && other.contains("data-matches=\"0\""),
        "a test whose logs do not match is dimmed: {other}"
    );

    // The crash and the flaky test.
    let all = dom(root, &page, "open=all");
    // Today an aborted test writes no manifest line and the page says so;
    // once the library writes `"outcome":"crashed"`, the attempt says it.
    assert!(
        all.contains("crashed: no manifest line")
            || all.contains("<td class=\"crashed\">crashed</td>"),
        "the crash is explained"
    );
    assert!(all.contains("process aborted with signal 6 (SIGABRT)"));
    assert!(
        all.contains("e2e flaky attempt 1"),
        "the flaky test's failed attempt's log"
    );
    let browser_done = started.elapsed();

    // The enriched JUnit, against nextest's own.
    let mut enriched_cases = 0;
    for (i, original) in junit.iter().enumerate() {
        let before = fs::read_to_string(original).unwrap();
        let after = fs::read_to_string(out_dir.join(format!("junit-{}.xml", i + 1))).unwrap();
        let before = roxmltree::Document::parse(&before).unwrap();
        let after = roxmltree::Document::parse(&after).unwrap();
        let cases = |doc: &roxmltree::Document<'_>| {
            doc.descendants()
                .filter(|n| n.has_tag_name("testcase"))
                .map(|n| {
                    let kids: Vec<String> = n
                        .children()
                        .filter(|c| c.is_element() && !c.has_tag_name("properties"))
                        .map(|c| c.tag_name().name().to_owned())
                        .collect();
                    (
                        n.attribute("classname").unwrap().to_owned(),
                        n.attribute("name").unwrap().to_owned(),
                        kids,
                    )
                })
                .collect::<Vec<_>>()
        };
        let mut expected = cases(&before);
        let got = cases(&after);
        for ((_, _, kids), (_, _, got_kids)) in expected.iter_mut().zip(&got) {
            if !kids.contains(&"system-out".to_owned())
                && got_kids.contains(&"system-out".to_owned())
            {
                kids.push("system-out".to_owned());
            }
        }
        assert_eq!(
            got, expected,
            "every test case and its elements survive the copy"
        );
        for case in after.descendants().filter(|n| n.has_tag_name("testcase")) {
            let name = case.attribute("name").unwrap();
            let props: Vec<(&str, &str)> = case
                .children()
                .filter(|c| c.has_tag_name("properties"))
                .flat_map(|p| p.children().filter(|c| c.has_tag_name("property")))
                .map(|p| (p.attribute("name").unwrap(), p.attribute("value").unwrap()))
                .collect();
            let prop = |key: &str| props.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
            let out: String = case
                .children()
                .filter(|c| c.has_tag_name("system-out"))
                .filter_map(|c| c.text())
                .collect();
            match name {
                "pays_an_order" | "retries_once" => {
                    enriched_cases += 1;
                    let log = prop("logged-test.log").expect("the log path property");
                    assert!(Path::new(log).is_file(), "{log} exists");
                    assert!(out.contains(&format!("[[ATTACHMENT|{log}]]")), "{out}");
                    // The attempt whose log is attached: the last failing one.
                    let attempt = if name == "pays_an_order" { "3" } else { "1" };
                    assert_eq!(prop("logged-test.attempt"), Some(attempt));
                    if name == "pays_an_order" {
                        // Its own error, and the failure (the missing
                        // marker) as a record.
                        assert_eq!(prop("logged-test.records.error"), Some("2"));
                        assert_eq!(prop("logged-test.records.warn"), Some("1"));
                        assert_eq!(prop("logged-test.records"), Some("5"));
                        assert_eq!(prop("logged-test.attempts"), Some("3"));
                        assert_eq!(prop("logged-test.outcome"), Some("failed"));
                    } else {
                        assert_eq!(prop("logged-test.outcome"), Some("flaky"));
                    }
                }
                // Its log is kept once the library keeps a crashed test's log.
                "aborts" => {
                    if let Some(log) = prop("logged-test.log") {
                        assert!(out.contains(&format!("[[ATTACHMENT|{log}]]")), "{out}");
                    }
                }
                _ => assert!(
                    props.is_empty(),
                    "{name} passed and kept no log, so no properties"
                ),
            }
        }
    }
    assert_eq!(enriched_cases, 2);
    eprintln!(
        "e2e: shards (build + two nextest runs) {:.1}s, report + Chromium {:.1}s, total {:.1}s",
        shards_done.as_secs_f64(),
        (browser_done - shards_done).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// The fields the library is gaining (`binary`, `attempt`, `attempts`,
/// `run_id`, `"outcome":"crashed"`, a log per attempt), written by hand, as
/// the page shows them.
#[test]
fn manifest_with_attempts_and_crashes_reads_in_the_browser() {
    if chromium().is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the report's browser test cannot run under CI: Chromium is not installed"
        );
        eprintln!("skipped: Chromium is not installed (apt-get install -y chromium)");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let shard = root.join("shard-a");
    let log = |rel: &str, lines: &[&str]| {
        let path = shard.join(rel);
        write(&path, &(lines.join("\n") + "\n"));
        path.display().to_string()
    };
    let first = log(
        "suite/net__retry/attempt-1/net__retry.log",
        &["2026-12-02T10:00:00.000001Z ERROR [net::retry] suite: hw-marker connection reset"],
    );
    let crash = log(
        "suite/net__dies/net__dies.log",
        &[
            "2026-12-02T10:00:00.000001Z INFO  [net::dies] suite: hw-marker starting",
            "2026-12-02T10:00:00.000002Z WARN  [net::dies] suite: hw-marker two lines",
            "\tthe second line of the message",
        ],
    );
    let lines = [
        format!(r#"{{"test":"net::retry","binary":"suite","log":{first:?},"outcome":"failed","records":1,"levels":{{"error":1,"warn":0,"info":0,"debug":0,"trace":0}},"attempt":1,"attempts":3,"run_id":"run-7"}}"#),
        r#"{"test":"net::retry","binary":"suite","log":null,"log_note":"not kept: the test passed","outcome":"passed","records":1,"attempt":2,"attempts":3,"run_id":"run-7"}"#.to_owned(),
        format!(r#"{{"test":"net::dies","binary":"suite","log":{crash:?},"outcome":"crashed","records":2,"attempt":1,"attempts":1,"run_id":"run-7","a_field_from_the_future":true}}"#),
        r#"{"test":"net::fine","binary":"suite","log":null,"outcome":"passed","attempt":1,"attempts":1}"#.to_owned(),
    ];
    // A line cut short, and a second shard that ran `net::fine` again.
    write(
        &shard.join("manifest.jsonl"),
        &(lines.join("\n") + "\n{\"test\":\"net::cut\",\"outc\n"),
    );
    write(
        &root.join("shard-b/manifest.jsonl"),
        "{\"test\":\"net::fine\",\"binary\":\"suite\",\"outcome\":\"passed\"}\n",
    );
    let report = Command::new(env!("CARGO_BIN_EXE_cargo-logged-test"))
        .current_dir(root)
        .args(["report", "shard-a", "shard-b", "-o", "report.html"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(
        stdout.contains("3 tests: 1 passed, 0 failed, 1 crashed, 1 flaky"),
        "{stdout}"
    );

    let stderr = String::from_utf8_lossy(&report.stderr);
    assert!(
        stderr.contains("shard-a/manifest.jsonl:5: not JSON"),
        "the bad line is named by file and line: {stderr}"
    );

    let page = root.join("report.html");
    let all = dom(root, &page, "open=all");
    assert!(
        all.contains("shard-a/manifest.jsonl:5: not JSON"),
        "the page lists the bad line"
    );
    assert!(
        all.contains("id=\"duplicates\"") && all.contains("ran in 2 shards"),
        "the test that ran in both shards is reported"
    );
    assert!(all.contains("data-test=\"net::retry\" data-status=\"flaky\""));
    assert!(all.contains("data-test=\"net::dies\" data-status=\"crashed\""));
    assert!(
        all.contains("1 of 3 (run run-7)"),
        "the attempt, the total and the run id"
    );
    assert!(
        all.contains("not kept: the test passed"),
        "the passing attempt says why it has no log"
    );
    assert!(
        all.contains("attempt 1 (failed)"),
        "the failed attempt's log tab"
    );
    assert!(
        all.contains("hw-marker connection reset"),
        "the failed attempt's log"
    );
    assert!(
        all.contains("is not stored on disk"),
        "without JUnit the page says where the report is"
    );
    let crash_rows = dom(root, &page, "test=net::dies&level=warn");
    // The continuation line has its record's level.
    assert_eq!(
        rows(&crash_rows),
        [(2, "warn".to_owned()), (3, "warn".to_owned())]
    );
}
