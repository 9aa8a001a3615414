//! The seed's lifecycle-pipe tests, run on the pipeline of `examples/lifecycle_pipe.rs`:
//! a synchronous workspace scan, collector initialisation, and a full
//! install/uninstall cycle next to a second collector; then the example's
//! own setup, two pipelines at once on one runtime.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use logged_test::{LogCollector, LogError, LogLine};
use tokio::sync::mpsc;

#[path = "../../examples/pipeline/mod.rs"]
mod pipeline;

use logged_test::LogAssertions as _;
use pipeline::{Pipeline, Stage, StageRun, Workspace, check_session};

type TestResult = Result<(), Box<dyn Error>>;

/// The seed's "graceful logger init": `init_global_logger` is idempotent, so
/// `Ok` for the first collector of the process and for every later one; the
/// old `LoggerAlreadyInitialized` is still tolerated.
fn init_tolerantly(collector: &Arc<LogCollector>, level: log::LevelFilter) -> Result<(), LogError> {
    match collector.clone().init_global_logger(level) {
        Ok(()) | Err(LogError::LoggerAlreadyInitialized) => Ok(()),
        Err(other) => Err(other),
    }
}

fn assert_session_ok(run: &StageRun) -> TestResult {
    let text = std::fs::read_to_string(&run.session)?;
    let problems = check_session(run, &text);
    assert!(
        problems.is_empty(),
        "stage {} ({}): {problems}\n--- file ---\n{text}",
        run.stage,
        run.session.display()
    );
    Ok(())
}

#[test]
fn scan_workspace_is_synchronous_and_logged() -> TestResult {
    let dir = tempfile::tempdir()?;
    // Created on this thread: `log` records of this thread, and of the
    // threads the scan starts with `logged_test::thread::spawn`, come here.
    let collector = Arc::new(LogCollector::without_ui(dir.path())?);
    init_tolerantly(&collector, log::LevelFilter::Debug)?;
    let workspace = Workspace::demo("itest-scan");

    let packages = pipeline::scan_workspace(&workspace);

    assert_eq!(packages, workspace.packages());
    let logs = collector.captured()?;
    for package in &packages {
        logs.assert_logged_at(
            log::Level::Info,
            &format!(
                "[SCAN] itest-scan: found {} in {}/",
                package.name, package.dir
            ),
        );
    }
    logs.assert_logged_at(log::Level::Debug, "[SCAN] itest-scan: inspecting kernels/");
    logs.assert_logged_at(
        log::Level::Warn,
        "[SCAN] itest-scan: zfs-dkms has no checksum",
    );
    // Every record came from a scanning thread, named after this test.
    let this_thread = std::thread::current().name().map(str::to_owned);
    logs.assert_records(
        |records| match records.iter().find(|r| r.thread != this_thread) {
            Some(r) => Err(format!(
                "record from thread {:?}, not {this_thread:?}: {r}",
                r.thread
            )),
            None => Ok(()),
        },
    );
    Ok(())
}

#[tokio::test]
async fn collector_initialisation_creates_and_persists_a_session() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (ui_tx, mut ui_rx) = mpsc::channel::<LogLine>(64);
    let collector = Arc::new(LogCollector::new(dir.path().join("init"), ui_tx)?);
    assert!(logged_test::active_collectors().contains(&collector.id()));
    // Either this test installed the logger or another test did first.
    init_tolerantly(&collector, log::LevelFilter::Info)?;
    assert_eq!(collector.level(), log::LevelFilter::Info);

    // The session exists as soon as the persister's ack arrives.
    assert_eq!(collector.generation(), 0);
    let session = collector.start_new_session("init.log").await?;
    assert_eq!(session, collector.log_dir().join("init.log"));
    assert!(
        session.is_file(),
        "{} not created by the ack",
        session.display()
    );
    assert_eq!(collector.generation(), 1);
    assert_eq!(collector.session_path().as_deref(), Some(session.as_path()));

    collector.log_str("[ITEST-INIT] direct line");
    log::info!("[ITEST-INIT] routed line");
    log::debug!("[ITEST-INIT] below the collector's level");
    collector.wait_for_empty().await?;

    let content = std::fs::read_to_string(&session)?;
    assert!(content.contains("[ITEST-INIT] direct line"), "{content}");
    assert!(content.contains("[ITEST-INIT] routed line"), "{content}");
    assert!(
        !content.contains("below the collector's level"),
        "{content}"
    );
    assert_eq!(content.lines().count(), 2, "{content}");

    // The UI channel got the same two records, in order, tagged with the session.
    let mut streamed = Vec::new();
    while let Ok(line) = ui_rx.try_recv() {
        assert_eq!(
            (line.collector_id, line.generation),
            (collector.id(), 1),
            "{line}"
        );
        streamed.push(line.record.message);
    }
    assert_eq!(
        streamed,
        ["[ITEST-INIT] direct line", "[ITEST-INIT] routed line"]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_uninstall_cycle_with_a_second_collector() -> TestResult {
    let dir = tempfile::tempdir()?;
    // Collector #1 stays alive the whole time and must see none of it.
    let first = Arc::new(LogCollector::without_ui(dir.path().join("first"))?);
    init_tolerantly(&first, log::LevelFilter::Debug)?;
    let first_session = first.start_new_session("bystander.log").await?;

    // Collector #2: registered next to #1, reuses the installed logger.
    let (ui_tx, mut ui_rx) = mpsc::channel::<LogLine>(1024);
    let second = Arc::new(LogCollector::new(dir.path().join("second"), ui_tx)?);
    assert!(second.id() > first.id());
    let alive = logged_test::active_collectors();
    assert!(
        alive.contains(&first.id()) && alive.contains(&second.id()),
        "{alive:?}"
    );
    // The logger is already installed: reused, and `Ok` (idempotent).
    init_tolerantly(&second, log::LevelFilter::Debug)?;

    let pipeline = Pipeline::new("itest-cycle", Arc::clone(&second), Duration::ZERO);
    let (packages, scan) = pipeline.scan().await?;
    assert_eq!(packages, Workspace::demo("itest-cycle").packages());
    assert_session_ok(&scan)?;
    let build = pipeline.build(&packages).await?;
    assert_session_ok(&build)?;

    let install = pipeline.install(&packages).await?;
    assert_eq!(install.session, second.log_dir().join("install.log"));
    assert_session_ok(&install)?;
    let uninstall = pipeline.uninstall(&packages).await?;
    assert_eq!(uninstall.session, second.log_dir().join("uninstall.log"));
    assert_session_ok(&uninstall)?;
    // A session holds its own stage's records only.
    let install_text = std::fs::read_to_string(&install.session)?;
    let misread = check_session(&uninstall, &install_text);
    assert!(
        !misread.missing.is_empty() && !misread.foreign.is_empty(),
        "{misread:?}"
    );

    let runs = [scan, build, install, uninstall];
    let generations: Vec<u64> = runs.iter().map(|r| r.generation).collect();
    assert_eq!(generations, [1, 2, 3, 4]);
    assert_eq!(second.generation(), 4);

    // Dispatcher isolation: nothing of the pipeline reached collector #1.
    first.log_str("[ITEST-CYCLE] bystander line");
    first.wait_for_empty().await?;
    let bystander = std::fs::read_to_string(&first_session)?;
    assert_eq!(bystander.lines().count(), 1, "{bystander}");
    assert!(!bystander.contains("itest-cycle"), "{bystander}");

    // Clean drop: #2 unregisters, its persister exits (closing the UI
    // channel) and every record it was sent is on disk and was streamed.
    let second_id = second.id();
    let written = second.captured()?.len();
    drop(pipeline);
    let second = Arc::into_inner(second).ok_or("the pipeline still holds collector #2")?;
    drop(second);
    assert!(!logged_test::active_collectors().contains(&second_id));
    assert!(logged_test::active_collectors().contains(&first.id()));
    let mut streamed = Vec::new();
    while let Some(line) = ui_rx.recv().await {
        streamed.push(line);
    }
    assert_eq!(streamed.len(), written);
    for line in &streamed {
        let stage = Stage::of_generation(line.generation).ok_or("a record outside the stages")?;
        let prefix = pipeline::prefix(stage, "itest-cycle");
        assert!(
            line.message.starts_with(&prefix),
            "{line} is not from {stage}"
        );
    }
    for run in &runs {
        assert_session_ok(run)?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pipelines_at_once_keep_their_records_apart() -> TestResult {
    let dir = tempfile::tempdir()?;
    let names = ["itest-left", "itest-right"];
    let mut collectors = Vec::new();
    for name in names {
        let collector = Arc::new(LogCollector::without_ui(dir.path().join(name))?);
        init_tolerantly(&collector, log::LevelFilter::Debug)?;
        collectors.push(collector);
    }
    // Both on one runtime, as in the example: the pipelines route their own
    // tasks, whichever worker polls them.
    let tasks: Vec<_> = names
        .iter()
        .zip(&collectors)
        .map(|(name, collector)| {
            let pipeline = Pipeline::new(name, Arc::clone(collector), Duration::ZERO);
            tokio::spawn(async move { pipeline.run().await })
        })
        .collect();
    for (task, collector) in tasks.into_iter().zip(&collectors) {
        let runs = task.await??;
        let stages: Vec<Stage> = runs.iter().map(|r| r.stage).collect();
        assert_eq!(stages, Stage::ALL);
        for run in &runs {
            assert_eq!(
                run.session,
                collector.log_dir().join(run.stage.session_file())
            );
            assert_session_ok(run)?;
        }
    }
    Ok(())
}
