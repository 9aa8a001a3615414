//! A simulated job pipeline (scan → build → install → uninstall) that logs
//! from `std` threads and tokio tasks into one `LogCollector`, one session
//! file per stage.
//!
//! Shared by `examples/lifecycle_pipe.rs` and
//! `tests/lifecycle_pipe_integration.rs`. Nothing here touches a real kernel
//! or package manager: packages are names, work is a short sleep.
//!
//! Every message a stage logs starts with its *prefix*, `[<STAGE>] <pipeline>:`
//! (say `[BUILD] alpha:`), so [`check_session`] can tell whether a record
//! landed in the wrong session or in the wrong pipeline's collector.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "the example keeps error handling out of the way of what it shows"
)]

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use logged_test::{LogCollector, LogError};
use tokio::task::JoinError;

/// A stage of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Scan,
    Build,
    Install,
    Uninstall,
}

impl Stage {
    /// The stages in running order; stage `i` runs in session generation `i + 1`.
    pub(crate) const ALL: [Stage; 4] =
        [Stage::Scan, Stage::Build, Stage::Install, Stage::Uninstall];

    /// Lowercase name, as in the session file name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Scan => "scan",
            Stage::Build => "build",
            Stage::Install => "install",
            Stage::Uninstall => "uninstall",
        }
    }

    /// The session file the stage writes: `<stage>.log`.
    pub(crate) fn session_file(self) -> String {
        format!("{}.log", self.name())
    }

    /// The stage a session generation belongs to, when a pipeline ran alone
    /// on its collector (generation 1 is `Scan`).
    pub(crate) fn of_generation(generation: u64) -> Option<Stage> {
        let index = usize::try_from(generation.checked_sub(1)?).ok()?;
        Stage::ALL.get(index).copied()
    }

    fn tag(self) -> &'static str {
        match self {
            Stage::Scan => "SCAN",
            Stage::Build => "BUILD",
            Stage::Install => "INSTALL",
            Stage::Uninstall => "UNINSTALL",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A package found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) dir: &'static str,
}

/// A simulated workspace: directories of package manifests.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The pipeline that owns it; every record is prefixed with it.
    pipeline: String,
    dirs: Vec<(&'static str, Vec<&'static str>)>,
    /// Simulated work per unit (one directory, package, or file batch).
    work: Duration,
}

impl Workspace {
    /// The demo workspace: three directories, six packages.
    pub(crate) fn demo(pipeline: &str) -> Workspace {
        Workspace {
            pipeline: pipeline.to_owned(),
            dirs: vec![
                ("kernels", vec!["linux-6.1", "linux-6.6"]),
                ("modules", vec!["zfs-dkms", "v4l2loopback"]),
                ("firmware", vec!["linux-firmware", "intel-ucode"]),
            ],
            work: Duration::ZERO,
        }
    }

    /// Every package, in scan order.
    pub(crate) fn packages(&self) -> Vec<Package> {
        self.dirs
            .iter()
            .flat_map(|(dir, names)| {
                names.iter().map(|name| Package {
                    name: (*name).to_owned(),
                    dir,
                })
            })
            .collect()
    }

    fn prefix(&self, stage: Stage) -> String {
        prefix(stage, &self.pipeline)
    }
}

/// `[<STAGE>] <pipeline>:`, the start of every message of that stage.
pub(crate) fn prefix(stage: Stage, pipeline: &str) -> String {
    format!("[{}] {pipeline}:", stage.tag())
}

/// Scans `workspace` synchronously: one thread per directory, each started
/// with `logged_test::thread::spawn`, so its records follow the caller's route.
///
/// # Panics
///
/// If a scanning thread panics.
pub(crate) fn scan_workspace(workspace: &Workspace) -> Vec<Package> {
    let scanners: Vec<_> = workspace
        .dirs
        .iter()
        .map(|(dir, names)| {
            let dir: &'static str = dir;
            let names = names.clone();
            let prefix = workspace.prefix(Stage::Scan);
            let work = workspace.work;
            logged_test::thread::spawn(move || {
                log::debug!("{prefix} inspecting {dir}/");
                names
                    .into_iter()
                    .map(|name| {
                        simulate(work);
                        log::info!("{prefix} found {name} in {dir}/");
                        if name.ends_with("-dkms") {
                            log::warn!("{prefix} {name} has no checksum, rebuilt from source");
                        }
                        Package {
                            name: name.to_owned(),
                            dir,
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    scanners
        .into_iter()
        .flat_map(|scanner| match scanner.join() {
            Ok(found) => found,
            Err(panic) => std::panic::resume_unwind(panic),
        })
        .collect()
}

/// What one stage did: its session and the markers it must have logged.
#[derive(Debug, Clone)]
pub(crate) struct StageRun {
    pub(crate) stage: Stage,
    /// The session file, as `start_new_session` returned it.
    pub(crate) session: PathBuf,
    /// The collector's generation while the stage ran.
    pub(crate) generation: u64,
    /// Every message must start with this.
    pub(crate) prefix: String,
    /// In order: the first is the first record of the session, the last is
    /// its last record.
    pub(crate) markers: Vec<String>,
}

/// What is wrong with one stage's session log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SessionProblems {
    /// Expected markers that no line contains.
    pub(crate) missing: Vec<String>,
    /// Lines without the stage's prefix: another stage's or pipeline's records.
    pub(crate) foreign: Vec<String>,
    /// The first line is not the "stage started" marker, or the last line
    /// is not the "stage finished" one.
    pub(crate) out_of_order: bool,
}

impl SessionProblems {
    pub(crate) fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.foreign.is_empty() && !self.out_of_order
    }
}

impl fmt::Display for SessionProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing markers {:?}", self.missing));
        }
        if !self.foreign.is_empty() {
            parts.push(format!(
                "{} lines from elsewhere, first: {:?}",
                self.foreign.len(),
                self.foreign[0]
            ));
        }
        if self.out_of_order {
            parts.push("the session does not start and end with the stage's markers".to_owned());
        }
        f.write_str(&parts.join("; "))
    }
}

/// Checks a stage's session log (`text`: one record per line, in the file
/// format): every marker present, every line carrying the stage's prefix,
/// and the first and last markers first and last.
pub(crate) fn check_session(run: &StageRun, text: &str) -> SessionProblems {
    let lines: Vec<&str> = text.lines().collect();
    let tagged = format!("{} ", run.prefix);
    let missing = run
        .markers
        .iter()
        .filter(|marker| !lines.iter().any(|line| line.contains(marker.as_str())))
        .cloned()
        .collect();
    let foreign = lines
        .iter()
        .filter(|line| !line.contains(&tagged))
        .map(|line| (*line).to_owned())
        .collect();
    let starts = match (lines.first(), run.markers.first()) {
        (Some(line), Some(marker)) => line.contains(marker.as_str()),
        _ => false,
    };
    let ends = match (lines.last(), run.markers.last()) {
        (Some(line), Some(marker)) => line.contains(marker.as_str()),
        _ => false,
    };
    SessionProblems {
        missing,
        foreign,
        out_of_order: !(starts && ends),
    }
}

/// Why a pipeline stopped.
#[derive(Debug)]
pub(crate) enum PipelineError {
    /// The collector refused a session or could not write.
    Log(LogError),
    /// A task of the stage panicked or was cancelled.
    Task(JoinError),
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Log(e) => write!(f, "logging failed: {e}"),
            PipelineError::Task(e) => write!(f, "a pipeline task failed: {e}"),
        }
    }
}

impl std::error::Error for PipelineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PipelineError::Log(e) => Some(e),
            PipelineError::Task(e) => Some(e),
        }
    }
}

impl From<LogError> for PipelineError {
    fn from(e: LogError) -> Self {
        PipelineError::Log(e)
    }
}

impl From<JoinError> for PipelineError {
    fn from(e: JoinError) -> Self {
        PipelineError::Task(e)
    }
}

/// One pipeline: a workspace and the collector all its stages log to.
///
/// Each stage is wrapped in `collector.scope(..)`, its tasks in
/// `collector.scope(..)` and its blocking closures in `collector.bind(..)`,
/// so the records go to this collector whichever thread runs them, even with
/// several pipelines in one runtime. Needs a tokio runtime with time enabled.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    workspace: Workspace,
    collector: Arc<LogCollector>,
}

impl Pipeline {
    /// A pipeline named `name` over the demo workspace, where every unit of
    /// work (a directory, a package, a file batch) takes `work`; tests pass
    /// `Duration::ZERO`.
    pub(crate) fn new(name: &str, collector: Arc<LogCollector>, work: Duration) -> Pipeline {
        let mut workspace = Workspace::demo(name);
        workspace.work = work;
        Pipeline {
            workspace,
            collector,
        }
    }

    /// Runs the four stages in order, each in its own session.
    ///
    /// # Errors
    ///
    /// The first stage's error.
    pub(crate) async fn run(&self) -> Result<Vec<StageRun>, PipelineError> {
        let (packages, scan) = self.scan().await?;
        let build = self.build(&packages).await?;
        let install = self.install(&packages).await?;
        let uninstall = self.uninstall(&packages).await?;
        Ok(vec![scan, build, install, uninstall])
    }

    /// Stage 1, `scan.log`: [`scan_workspace`] on a blocking thread
    /// (`spawn_blocking` + `bind`), one more thread per directory.
    pub(crate) async fn scan(&self) -> Result<(Vec<Package>, StageRun), PipelineError> {
        let expected = self.workspace.packages();
        let prefix = self.workspace.prefix(Stage::Scan);
        let markers = expected
            .iter()
            .map(|p| format!("{prefix} found {} in {}/", p.name, p.dir))
            .collect();
        let workspace = self.workspace.clone();
        let dirs = workspace.dirs.len();
        let collector = Arc::clone(&self.collector);
        self.stage(Stage::Scan, markers, async move {
            let packages =
                tokio::task::spawn_blocking(collector.bind(move || scan_workspace(&workspace)))
                    .await?;
            collector.log_str(&format!(
                "{prefix} {} packages in {dirs} directories",
                packages.len()
            ));
            Ok(packages)
        })
        .await
    }

    /// Stage 2, `build.log`: one tokio task per package.
    pub(crate) async fn build(&self, packages: &[Package]) -> Result<StageRun, PipelineError> {
        let prefix = self.workspace.prefix(Stage::Build);
        let markers = packages
            .iter()
            .map(|p| format!("{prefix} built {}", p.name))
            .collect();
        let (_, run) = self
            .stage(Stage::Build, markers, async {
                let tasks: Vec<_> = packages
                    .iter()
                    .enumerate()
                    .map(|(i, package)| {
                        let name = package.name.clone();
                        let prefix = prefix.clone();
                        let work = self.workspace.work;
                        tokio::spawn(self.collector.scope(async move {
                            log::debug!("{prefix} compiling {name}");
                            // Later packages take longer: the builds overlap.
                            simulate_async(work * (1 + i as u32 % 3)).await;
                            if name.starts_with("linux-") {
                                log::warn!("{prefix} {name}: 1 deprecated config option");
                            }
                            log::info!("{prefix} built {name}");
                        }))
                    })
                    .collect();
                for task in tasks {
                    task.await?;
                }
                Ok(())
            })
            .await?;
        Ok(run)
    }

    /// Stage 3, `install.log`: one tokio task per package, each copying its
    /// files on a blocking thread (`spawn_blocking` + `bind`).
    pub(crate) async fn install(&self, packages: &[Package]) -> Result<StageRun, PipelineError> {
        let prefix = self.workspace.prefix(Stage::Install);
        let mut markers: Vec<String> = packages
            .iter()
            .map(|p| format!("{prefix} installed {}", p.name))
            .collect();
        markers.push(format!("{prefix} package registry updated"));
        let (_, run) = self
            .stage(Stage::Install, markers, async {
                let tasks: Vec<_> = packages
                    .iter()
                    .map(|package| {
                        let name = package.name.clone();
                        let prefix = prefix.clone();
                        let work = self.workspace.work;
                        let collector = Arc::clone(&self.collector);
                        tokio::spawn(self.collector.scope(async move {
                            let copy_name = name.clone();
                            let copy_prefix = prefix.clone();
                            tokio::task::spawn_blocking(collector.bind(move || {
                                for batch in 1..=2 {
                                    simulate(work / 2);
                                    log::debug!(
                                        "{copy_prefix} {copy_name}: copied file batch {batch}/2"
                                    );
                                }
                            }))
                            .await?;
                            if name == "linux-firmware" {
                                log::warn!("{prefix} {name} replaces files of an older version");
                            }
                            log::info!("{prefix} installed {name}");
                            Ok::<(), JoinError>(())
                        }))
                    })
                    .collect();
                for task in tasks {
                    task.await??;
                }
                self.collector
                    .log_str(&format!("{prefix} package registry updated"));
                Ok(())
            })
            .await?;
        Ok(run)
    }

    /// Stage 4, `uninstall.log`: packages removed one by one in reverse
    /// order on the stage's own task, then a cache purge on a thread
    /// started with `logged_test::thread::spawn` inside a bound closure.
    pub(crate) async fn uninstall(&self, packages: &[Package]) -> Result<StageRun, PipelineError> {
        let prefix = self.workspace.prefix(Stage::Uninstall);
        let mut markers: Vec<String> = packages
            .iter()
            .rev()
            .map(|p| format!("{prefix} removed {}", p.name))
            .collect();
        markers.push(format!("{prefix} package cache purged"));
        let (_, run) = self
            .stage(Stage::Uninstall, markers, async {
                for package in packages.iter().rev() {
                    simulate_async(self.workspace.work).await;
                    if package.dir == "modules" {
                        log::warn!("{prefix} kept /etc/modprobe.d entry of {}", package.name);
                    }
                    log::info!("{prefix} removed {}", package.name);
                }
                let purge_prefix = prefix.clone();
                tokio::task::spawn_blocking(self.collector.bind(move || {
                    let purger = logged_test::thread::spawn(move || {
                        log::info!("{purge_prefix} package cache purged");
                    });
                    if let Err(panic) = purger.join() {
                        std::panic::resume_unwind(panic);
                    }
                }))
                .await?;
                Ok(())
            })
            .await?;
        Ok(run)
    }

    /// Runs `work` as `stage`: a new session, the "started" marker, the work,
    /// the "finished" marker, then `wait_for_empty`, all routed to this
    /// pipeline's collector.
    async fn stage<T>(
        &self,
        stage: Stage,
        markers: Vec<String>,
        work: impl Future<Output = Result<T, PipelineError>>,
    ) -> Result<(T, StageRun), PipelineError> {
        let collector = &self.collector;
        let prefix = self.workspace.prefix(stage);
        let started = format!("{prefix} stage started");
        let finished = format!("{prefix} stage finished");
        let routed = collector.scope(async {
            let session = collector.start_new_session(&stage.session_file()).await?;
            let generation = collector.generation();
            collector.log_str(&started);
            let value = work.await?;
            collector.log_str(&finished);
            collector.wait_for_empty().await?;
            Ok::<_, PipelineError>((value, session, generation))
        });
        let (value, session, generation) = routed.await?;
        let mut all_markers = Vec::with_capacity(markers.len() + 2);
        all_markers.push(started);
        all_markers.extend(markers);
        all_markers.push(finished);
        Ok((
            value,
            StageRun {
                stage,
                session,
                generation,
                prefix,
                markers: all_markers,
            },
        ))
    }
}

/// Simulated work on a thread (not synchronisation: nothing waits for it).
fn simulate(work: Duration) {
    if !work.is_zero() {
        std::thread::sleep(work);
    }
}

/// Simulated work in a task.
async fn simulate_async(work: Duration) {
    if !work.is_zero() {
        tokio::time::sleep(work).await;
    }
}
