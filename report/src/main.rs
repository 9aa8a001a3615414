//! `cargo logged-test report DIR...`: one HTML report of a test run, from the
//! `LOGGED_TEST_DIR` of each shard (its `manifest.jsonl` and kept logs), and
//! with `--junit` an enriched copy of nextest's JUnit file whose test cases
//! point at their logs.
//!
//! Exit status: 0 when the report is written; 1 when it is written but a
//! directory or the JUnit file could not be read (the report says which);
//! 2 for a usage error or when nothing could be written.

mod html;
mod junit;
mod manifest;
mod model;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::junit::Enrichment;
use crate::manifest::LEVEL_NAMES;
use crate::model::Run;

const USAGE: &str = "\
usage: cargo logged-test report [OPTIONS] DIR...

Merges the manifest.jsonl and kept logs of each DIR (the LOGGED_TEST_DIR of
each shard of a run) into one self-contained HTML report.

options:
  -o, --out FILE      where to write the report (default: report.html)
      --junit FILE    nextest's JUnit file (target/nextest/<profile>/junit.xml;
                      give one per shard): adds the runner's verdict, retries
                      and captured output, and writes an enriched copy whose
                      test cases carry their log's path, record counts and
                      attempt
      --junit-out FILE  where the enriched copy goes (default: junit.xml
                      beside the report; with several --junit files,
                      junit-1.xml, junit-2.xml, ... beside the report)
  -h, --help          print this help";

/// The parsed command line.
#[derive(Debug, Default, PartialEq, Eq)]
struct Args {
    dirs: Vec<PathBuf>,
    out: Option<PathBuf>,
    junit: Vec<PathBuf>,
    junit_out: Option<PathBuf>,
    help: bool,
}

/// Parses the arguments after the program name. `cargo logged-test ...`
/// runs us as `cargo-logged-test logged-test ...`; both forms are accepted.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut first = args.next();
    if first.as_deref() == Some("logged-test") {
        first = args.next();
    }
    match first.as_deref() {
        Some("report") => {}
        Some("-h" | "--help") | None => {
            parsed.help = true;
            return Ok(parsed);
        }
        Some(other) => {
            return Err(format!(
                "unknown command `{other}`; the command is `report`"
            ));
        }
    }
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("`{name}` needs a file name after it"))
        };
        match arg.as_str() {
            "-o" | "--out" => parsed.out = Some(value(&arg)?),
            "--junit" => parsed.junit.push(value(&arg)?),
            "--junit-out" => parsed.junit_out = Some(value(&arg)?),
            "-h" | "--help" => parsed.help = true,
            "--" => parsed.dirs.extend(args.by_ref().map(PathBuf::from)),
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unknown option `{flag}`; expected `--out`, `--junit`, `--junit-out` or `--help`"
                ));
            }
            _ => parsed.dirs.push(PathBuf::from(arg)),
        }
    }
    if parsed.junit.len() > 1 && parsed.junit_out.is_some() {
        return Err("`--junit-out` names one file, but several `--junit` files were given; \
                    leave it out and the copies go beside the report as junit-1.xml, junit-2.xml, ..."
            .to_owned());
    }
    if parsed.dirs.is_empty() && !parsed.help {
        return Err(
            "no DIR given; name the `LOGGED_TEST_DIR` of each shard, e.g. \
             `cargo logged-test report target/test-logs-1 target/test-logs-2`"
                .to_owned(),
        );
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("cargo-logged-test: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(summary) => {
            println!("{}", summary.message);
            if summary.incomplete {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("cargo-logged-test: {e}");
            ExitCode::from(2)
        }
    }
}

/// What a run of the command did.
#[derive(Debug)]
struct Summary {
    message: String,
    /// A directory or the JUnit file could not be read.
    incomplete: bool,
}

fn run(args: &Args) -> Result<Summary, String> {
    let read = manifest::read_dirs(&args.dirs);
    let mut problems = read.errors.clone();
    let mut incomplete = !read.errors.is_empty();
    let mut junit_texts = Vec::new();
    let mut cases = Vec::new();
    for path in &args.junit {
        match fs::read_to_string(path) {
            Ok(text) => match junit::parse(&text) {
                Ok(c) => {
                    cases.extend(c);
                    junit_texts.push((path, text));
                }
                Err(e) => {
                    problems.push(format!(
                        "`{}` is not valid XML {e}; this JUnit file is ignored",
                        path.display()
                    ));
                    incomplete = true;
                }
            },
            Err(e) => {
                problems.push(format!(
                    "cannot read `{}`: {e}; nextest writes it when the profile has \
                     `[profile.<name>.junit] path = \"junit.xml\"` (this JUnit file is ignored)",
                    path.display()
                ));
                incomplete = true;
            }
        }
    }
    problems.extend(read.warnings.iter().cloned());
    for p in &problems {
        eprintln!("cargo-logged-test: {p}");
    }
    let existing: Vec<PathBuf> = args.dirs.iter().filter(|d| d.is_dir()).cloned().collect();
    let run = model::merge(read.lines, cases, &existing);

    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("report.html"));
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", out_dir.display()))?;
    let page = html::render(
        &run,
        &html::Context {
            dirs: &args.dirs,
            junit: &args.junit,
            problems: &problems,
            out_dir: &out_dir,
        },
    );
    fs::write(&out, page.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
    let mut message = format!(
        "wrote {} ({} tests: {} passed, {} failed, {} crashed, {} flaky)",
        out.display(),
        run.total.total(),
        run.total.passed,
        run.total.failed,
        run.total.crashed,
        run.total.flaky
    );
    let enrich = enrichments(&run);
    let several = args.junit.len() > 1;
    for (i, (junit_in, text)) in junit_texts.iter().enumerate() {
        let junit_out = match (&args.junit_out, several) {
            (Some(path), false) => path.clone(),
            (_, false) => out_dir.join("junit.xml"),
            (_, true) => out_dir.join(format!("junit-{}.xml", i + 1)),
        };
        if same_file(junit_in, &junit_out) {
            return Err(format!(
                "the enriched copy would overwrite the JUnit file read, `{}`; name another \
                 file with `--junit-out` or write the report elsewhere with `--out`",
                junit_in.display()
            ));
        }
        let (xml, count) = junit::enrich(text, &enrich)
            .map_err(|e| format!("`{}` is not valid XML {e}", junit_in.display()))?;
        fs::write(&junit_out, xml)
            .map_err(|e| format!("cannot write `{}`: {e}", junit_out.display()))?;
        message.push_str(&format!(
            "\nwrote {} ({count} test cases point at their logs)",
            junit_out.display()
        ));
    }
    if !args.junit.is_empty() {
        message.push_str(&format!(
            "\n{} JUnit test cases matched a manifest line",
            run.matched
        ));
        let outside = run.outside_junit;
        if outside.total() > 0 {
            message.push_str(&format!(
                "; {} manifest entries ({} failed) are in no JUnit test case: sessions a test \
                 named itself, or a shard whose JUnit file was not given (listed apart, not counted)",
                outside.total(),
                outside.failed + outside.crashed
            ));
        }
    }
    Ok(Summary {
        message,
        incomplete,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The properties and attachments of each JUnit test case that has a log.
fn enrichments(run: &Run) -> HashMap<(String, String), Enrichment> {
    let mut map = HashMap::new();
    for test in &run.tests {
        let (Some(case), Some(key)) = (&test.junit, test.key_attempt()) else {
            continue;
        };
        let abs = |p: &Path| {
            p.canonicalize()
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        };
        let mut e = Enrichment::default();
        let mut prop = |name: &str, value: String| {
            e.properties.push((format!("logged-test.{name}"), value));
        };
        if let Some(log) = &key.log {
            prop("log", abs(log));
        }
        prop("attempt", key.number.to_string());
        let attempts = test.attempts_allowed.map_or(test.attempts.len(), |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        });
        prop("attempts", attempts.to_string());
        prop("outcome", test.status.as_str().to_owned());
        if let Some(r) = key.records {
            prop("records", r.to_string());
        }
        if let Some(levels) = key.levels {
            for (name, count) in LEVEL_NAMES.iter().zip(levels) {
                prop(&format!("records.{name}"), count.to_string());
            }
        }
        for a in &test.attempts {
            if let Some(log) = &a.log {
                if test.attempts.len() > 1 {
                    prop(&format!("log.attempt-{}", a.number), abs(log));
                }
                e.attachments.push(abs(log));
            }
        }
        map.insert((case.classname.clone(), case.name.clone()), e);
    }
    map
}

#[cfg(test)]
mod should {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn accept_both_the_cargo_and_the_direct_form() {
        let direct = args(&["report", "a", "b", "--junit", "j.xml", "-o", "r.html"]).unwrap();
        let cargo = args(&[
            "logged-test",
            "report",
            "a",
            "b",
            "--junit",
            "j.xml",
            "-o",
            "r.html",
        ])
        .unwrap();
        assert_eq!(direct, cargo);
        assert_eq!(direct.dirs, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(direct.junit, [PathBuf::from("j.xml")]);
        assert_eq!(direct.out, Some(PathBuf::from("r.html")));
    }

    #[test]
    fn explain_usage_mistakes() {
        assert!(args(&["report"]).unwrap_err().contains("no DIR given"));
        assert!(
            args(&["reprot", "a"])
                .unwrap_err()
                .contains("unknown command `reprot`")
        );
        assert!(
            args(&["report", "--jnuit", "x", "a"])
                .unwrap_err()
                .contains("unknown option `--jnuit`")
        );
        assert!(
            args(&["report", "a", "--junit"])
                .unwrap_err()
                .contains("`--junit` needs a file")
        );
        assert!(args(&[]).unwrap().help);
        let two = [
            "report",
            "--junit",
            "a.xml",
            "--junit",
            "b.xml",
            "--junit-out",
            "c.xml",
            "d",
        ];
        assert!(args(&two).unwrap_err().contains("several `--junit`"));
    }

    #[test]
    fn write_a_report_from_a_dir_and_say_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let shard = dir.path().join("shard");
        fs::create_dir_all(shard.join("suite/bad")).unwrap();
        let log = shard.join("suite/bad/bad.log");
        fs::write(
            &log,
            "2026-01-01T00:00:00.000000Z ERROR [bad] suite: order 42 lost\n",
        )
        .unwrap();
        fs::write(
            shard.join("manifest.jsonl"),
            format!(
                "{{\"test\":\"bad\",\"binary\":\"suite\",\"log\":{:?},\"outcome\":\"failed\",\"records\":1,\"levels\":{{\"error\":1,\"warn\":0,\"info\":0,\"debug\":0,\"trace\":0}}}}\n{{broken\n",
                log.display().to_string()
            ),
        )
        .unwrap();
        let out = dir.path().join("out/report.html");
        let summary = run(&Args {
            dirs: vec![shard, dir.path().join("missing")],
            out: Some(out.clone()),
            ..Args::default()
        })
        .unwrap();
        assert!(
            summary.incomplete,
            "a missing directory is an incomplete run"
        );
        assert!(summary.message.contains("1 failed"), "{}", summary.message);
        let page = fs::read_to_string(&out).unwrap();
        assert!(
            page.contains("order 42 lost"),
            "the failing test's log is embedded"
        );
        assert!(
            page.contains("manifest.jsonl:2: not JSON"),
            "the bad line is named in the page"
        );
        assert!(page.contains("missing` is not a directory"));
        assert!(page.contains("id=\"count-failed\">1<"));
    }
}
