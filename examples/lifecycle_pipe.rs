//! Two simulated job pipelines logging at once, each into its own `LogCollector`: `cargo run --example lifecycle_pipe [-- --log-dir DIR]`.
//!
//! Each pipeline runs scan → build → install → uninstall, one session file
//! per stage, on `std` threads and tokio tasks of one shared runtime. Every
//! record is streamed to a UI thread that prints a progress line per stage.
//! At the end the example checks each session for its stage's markers (and
//! for records that do not belong there), prints the files, and exits with
//! status 1 if anything is missing or a record went unattributed.

mod pipeline;

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use logged_test::{LogCollector, LogLine};
use pipeline::{Pipeline, Stage, check_session};

const PIPELINES: [&str; 2] = ["alpha", "beta"];
/// Simulated work per unit: the whole run takes about a second.
const WORK: Duration = Duration::from_millis(60);
const USAGE: &str = "usage: cargo run --example lifecycle_pipe [-- --log-dir DIR]\n\
    \n\
    --log-dir DIR   write the logs under DIR (created if missing; session files\n                \
    there are appended to); default: a new directory in the system temp dir";

fn main() -> ExitCode {
    let log_dir = match parse_args(std::env::args().skip(1)) {
        Ok(Args::Run { log_dir }) => log_dir,
        Ok(Args::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("lifecycle_pipe: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(log_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lifecycle_pipe: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Args {
    Run { log_dir: Option<PathBuf> },
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut log_dir = None;
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => return Ok(Args::Help),
            "--log-dir" => args.next().ok_or("`--log-dir` needs a directory")?,
            other => match other.strip_prefix("--log-dir=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unknown argument `{other}`")),
            },
        };
        if value.is_empty() {
            return Err("`--log-dir` needs a directory".to_owned());
        }
        log_dir = Some(PathBuf::from(value));
    }
    Ok(Args::Run { log_dir })
}

/// One session file in the end-of-run report.
struct SessionReport {
    file: PathBuf,
    /// Lines this run wrote to it.
    lines: usize,
    /// Lines in the file (more when `--log-dir` is reused: files are appended to).
    in_file: usize,
    /// The message of its first record in this run.
    first: String,
}

/// What the end-of-run report says about one collector.
struct CollectorReport {
    name: &'static str,
    id: u64,
    dir: PathBuf,
    sessions: Vec<SessionReport>,
    records: usize,
    ui_missed: u64,
}

fn run(log_dir: Option<PathBuf>) -> Result<(), String> {
    let started = Instant::now();
    let log_dir = match log_dir {
        Some(dir) => dir,
        None => tempfile::Builder::new()
            .prefix("lifecycle_pipe-")
            .tempdir()
            .map_err(|e| format!("cannot create a directory in the system temp dir: {e}"))?
            .keep(),
    };
    println!(
        "lifecycle_pipe: {} pipelines, stages scan → build → install → uninstall",
        PIPELINES.len()
    );
    println!("log directory: {}", log_dir.display());

    // One collector per pipeline; both stream to the same UI channel, and
    // each `LogLine` says which collector it came from.
    let (ui_tx, ui_rx) = tokio::sync::mpsc::channel::<LogLine>(1024);
    let mut collectors = Vec::new();
    for name in PIPELINES {
        let collector =
            LogCollector::new(log_dir.join(name), ui_tx.clone()).map_err(|e| e.to_string())?;
        let collector = Arc::new(collector);
        // The first call installs the global logger, the second finds it
        // installed (idempotent): both `Ok`. Each sets that collector's level.
        collector
            .clone()
            .init_global_logger(log::LevelFilter::Debug)
            .map_err(|e| e.to_string())?;
        collectors.push((name, collector));
    }
    drop(ui_tx); // the channel closes once both collectors are dropped
    let names = collectors.iter().map(|(name, c)| (c.id(), *name)).collect();
    let ui = std::thread::Builder::new()
        .name("ui".to_owned())
        .spawn(move || show_progress(ui_rx, names))
        .map_err(|e| format!("cannot start the UI thread: {e}"))?;

    // Both pipelines share one runtime; each wraps its own tasks and
    // blocking closures with its collector (`scope` / `bind`), so the
    // dispatcher keeps them apart on whichever worker they run.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("pipeline-worker")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the tokio runtime: {e}"))?;
    let outcomes = runtime.block_on(async {
        let tasks: Vec<_> = collectors
            .iter()
            .map(|(name, collector)| {
                let pipeline = Pipeline::new(name, Arc::clone(collector), WORK);
                tokio::spawn(async move { pipeline.run().await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await);
        }
        outcomes
    });
    drop(runtime);

    let mut failures = Vec::new();
    let mut reports = Vec::new();
    for ((name, collector), outcome) in collectors.iter().zip(outcomes) {
        let runs = match outcome {
            Ok(Ok(runs)) => runs,
            Ok(Err(e)) => {
                failures.push(format!("pipeline {name} stopped: {e}"));
                continue;
            }
            Err(e) => {
                failures.push(format!("pipeline {name} panicked: {e}"));
                continue;
            }
        };
        // Read back what this collector wrote in this run, session by session.
        let captured = collector
            .captured()
            .map_err(|e| format!("cannot read back the logs of pipeline {name}: {e}"))?;
        let mut sessions = Vec::new();
        for run in &runs {
            let records: Vec<_> = captured
                .records()
                .iter()
                .filter(|r| r.generation == run.generation)
                .collect();
            let text: String = records.iter().map(|r| format!("{r}\n")).collect();
            let problems = check_session(run, &text);
            if !problems.is_empty() {
                failures.push(format!(
                    "pipeline {name}, stage {} ({}): {problems}",
                    run.stage,
                    run.session.display()
                ));
            }
            let first = records
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default();
            let in_file = std::fs::read_to_string(&run.session)
                .map(|content| content.lines().count())
                .unwrap_or(0);
            sessions.push(SessionReport {
                file: run.session.clone(),
                lines: text.lines().count(),
                in_file,
                first,
            });
        }
        reports.push(CollectorReport {
            name,
            id: collector.id(),
            dir: collector.log_dir().to_path_buf(),
            sessions,
            records: captured.len(),
            ui_missed: collector.ui_missed(),
        });
    }

    // Dropping the collectors writes what is left, closes their files and
    // the UI channel, which ends the UI thread.
    drop(collectors);
    let streamed = match ui.join() {
        Ok(streamed) => streamed,
        Err(_) => return Err("the UI thread panicked".to_owned()),
    };

    println!();
    for report in &reports {
        print_report(report, &log_dir);
        let seen = streamed.get(&report.id).copied().unwrap_or(0);
        if seen + report.ui_missed != report.records as u64 {
            failures.push(format!(
                "pipeline {}: the UI saw {seen} lines and missed {}, but {} were written",
                report.name, report.ui_missed, report.records
            ));
        }
    }
    let unattributed = logged_test::unattributed_count();
    println!("unattributed records: {unattributed}");
    if unattributed != 0 {
        failures.push(format!(
            "{unattributed} records reached no collector (see the `[logged-test: unattributed]` lines above)"
        ));
    }
    println!(
        "logs kept in {} ({:.1?})",
        log_dir.display(),
        started.elapsed()
    );
    if failures.is_empty() {
        println!("ok: every stage of every pipeline logged its markers, and only its own records");
        Ok(())
    } else {
        Err(failures.join("\n  "))
    }
}

fn print_report(report: &CollectorReport, log_dir: &Path) {
    let dir = report.dir.strip_prefix(log_dir).unwrap_or(&report.dir);
    println!(
        "collector {} ({}): {}/ ({} lines streamed to the UI, {} missed)",
        report.id,
        report.name,
        dir.display(),
        report.records as u64 - report.ui_missed,
        report.ui_missed
    );
    for session in &report.sessions {
        let file = session.file.file_name().unwrap_or(session.file.as_os_str());
        let earlier = match session.in_file.checked_sub(session.lines) {
            Some(0) | None => String::new(),
            Some(n) => format!(" (+{n} from earlier runs)"),
        };
        println!(
            "  {:<14} {:>3} lines   first: {}{earlier}",
            file.to_string_lossy(),
            session.lines,
            session.first
        );
    }
}

/// One pipeline's row in the UI.
struct Row {
    name: &'static str,
    generation: u64,
    lines: u64,
    warnings: u64,
    streamed: u64,
}

impl Row {
    fn stage(&self) -> &'static str {
        Stage::of_generation(self.generation).map_or("pre-session", Stage::name)
    }
}

/// The UI consumer: reads every line both collectors stream, prints a
/// progress line per stage (redrawn in place on a terminal), and returns
/// how many lines it saw per collector id.
fn show_progress(
    mut ui_rx: tokio::sync::mpsc::Receiver<LogLine>,
    names: Vec<(u64, &'static str)>,
) -> BTreeMap<u64, u64> {
    let live = std::io::stdout().is_terminal();
    let mut rows: BTreeMap<u64, Row> = names
        .into_iter()
        .map(|(id, name)| {
            let row = Row {
                name,
                generation: 0,
                lines: 0,
                warnings: 0,
                streamed: 0,
            };
            (id, row)
        })
        .collect();
    let mut last_draw: Option<Instant> = None;
    while let Some(line) = ui_rx.blocking_recv() {
        let Some(row) = rows.get_mut(&line.collector_id) else {
            continue;
        };
        if line.generation != row.generation {
            if row.lines > 0 {
                print_stage_done(row, live);
            }
            row.generation = line.generation;
            row.lines = 0;
            row.warnings = 0;
        }
        row.lines += 1;
        row.streamed += 1;
        if line.level <= log::Level::Warn {
            row.warnings += 1;
        }
        if live && last_draw.is_none_or(|t| t.elapsed() >= Duration::from_millis(40)) {
            draw_live(&rows);
            last_draw = Some(Instant::now());
        }
    }
    for row in rows.values().filter(|row| row.lines > 0) {
        print_stage_done(row, live);
    }
    rows.into_iter()
        .map(|(id, row)| (id, row.streamed))
        .collect()
}

const LIVE_WIDTH: usize = 72;

fn draw_live(rows: &BTreeMap<u64, Row>) {
    let status: Vec<String> = rows
        .values()
        .filter(|row| row.generation > 0)
        .map(|row| format!("{} {} {} lines", row.name, row.stage(), row.lines))
        .collect();
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\r  … {:<LIVE_WIDTH$}", status.join(" | "));
    let _ = out.flush();
}

fn print_stage_done(row: &Row, live: bool) {
    let mut out = std::io::stdout().lock();
    if live {
        let _ = write!(out, "\r{:<width$}\r", "", width = LIVE_WIDTH + 4);
    }
    let warnings = match row.warnings {
        0 => String::new(),
        1 => ", 1 warning".to_owned(),
        n => format!(", {n} warnings"),
    };
    let _ = writeln!(
        out,
        "  ✓ {:<6} {:<10} {:>3} lines{warnings}",
        row.name,
        row.stage(),
        row.lines
    );
}
