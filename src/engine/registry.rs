//! The process-wide registry of live collectors and the routing decision.
//!
//! The registry lock is taken to register or unregister a collector, to change
//! a level, and by a thread whose cached "sole collector" answer (rule 3) is
//! stale. The hot path of a routed thread never takes it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use log::LevelFilter;

use crate::engine::store::Core;

/// A collector's entry point, shared by the registry, routes and the collector.
#[derive(Debug)]
pub(crate) struct Sink {
    pub(crate) id: u64,
    /// Where records go: the collector's store (see `store`).
    pub(crate) core: Arc<Core>,
    level: AtomicUsize,
    alive: AtomicBool,
    /// The fork epoch it was made in: a forked child's records never reach
    /// a collector of its parent (see `fork`).
    pub(crate) fork_epoch: u32,
}

impl Sink {
    pub(crate) fn new(core: Arc<Core>) -> Sink {
        Sink {
            id: core.id,
            core,
            level: AtomicUsize::new(LevelFilter::Trace as usize),
            alive: AtomicBool::new(true),
            fork_epoch: crate::engine::fork::epoch(),
        }
    }

    pub(crate) fn level(&self) -> LevelFilter {
        level_from_usize(self.level.load(Ordering::Relaxed))
    }

    pub(crate) fn set_level(&self, level: LevelFilter) {
        self.level.store(level as usize, Ordering::Relaxed);
        refresh_max_level();
    }

    pub(crate) fn accepts(&self, level: log::Level) -> bool {
        level <= self.level()
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }
}

fn level_from_usize(n: usize) -> LevelFilter {
    match n {
        0 => LevelFilter::Off,
        1 => LevelFilter::Error,
        2 => LevelFilter::Warn,
        3 => LevelFilter::Info,
        4 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

static REGISTRY: Mutex<BTreeMap<u64, Arc<Sink>>> = Mutex::new(BTreeMap::new());
/// Bumped on every register and unregister, so threads know when their cached
/// rule-3 answer is stale.
static EPOCH: AtomicU64 = AtomicU64::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// How many collectors are registered, readable without the lock (to say
/// why a record is unattributed).
static ALIVE: AtomicUsize = AtomicUsize::new(0);

fn registry() -> MutexGuard<'static, BTreeMap<u64, Arc<Sink>>> {
    // A panic while holding this lock cannot leave the map half-updated
    // (every critical section is a single insert/remove/read), so recover.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

pub(crate) fn register(sink: Arc<Sink>) {
    let id = sink.id;
    let mut map = registry();
    map.insert(id, sink);
    ALIVE.store(map.len(), Ordering::Release);
    EPOCH.fetch_add(1, Ordering::AcqRel);
    set_max_level_from(&map);
    drop(map);
    crate::engine::diagnostics::emit(format_args!(
        "[DISPATCHER] Registered LogCollector {id} in global dispatcher"
    ));
}

pub(crate) fn unregister(sink: &Sink) {
    sink.alive.store(false, Ordering::Release);
    let mut map = registry();
    let removed = map.remove(&sink.id).is_some();
    ALIVE.store(map.len(), Ordering::Release);
    EPOCH.fetch_add(1, Ordering::AcqRel);
    set_max_level_from(&map);
    drop(map);
    if removed {
        crate::engine::diagnostics::emit(format_args!(
            "[DISPATCHER] Unregistered LogCollector {} from global dispatcher",
            sink.id
        ));
    }
}

/// Whether our logger owns the `log` slot, so the max level is ours to set.
static LOGGER_INSTALLED: AtomicBool = AtomicBool::new(false);

/// Called once, by the logger's install, when it took the `log` slot: from
/// now on the registry keeps `log`'s max level in step with its collectors.
pub(crate) fn logger_installed() {
    LOGGER_INSTALLED.store(true, Ordering::Release);
    refresh_max_level();
}

fn refresh_max_level() {
    set_max_level_from(&registry());
}

fn set_max_level_from(map: &BTreeMap<u64, Arc<Sink>>) {
    // Only touch the `log` crate's global filter once our dispatcher owns the
    // slot; with a foreign logger installed it is not ours to change.
    if LOGGER_INSTALLED.load(Ordering::Acquire) {
        // With no collector alive, keep the last level: a record logged then
        // (by a thread leaked from an earlier test) is unattributed, and must
        // reach `log` to be counted rather than be filtered out unseen.
        if let Some(max) = map.values().map(|s| s.level()).max() {
            log::set_max_level(max);
        }
    }
}

pub(crate) fn current_epoch() -> u64 {
    EPOCH.load(Ordering::Acquire)
}

/// How many collectors are alive, without taking the registry lock.
pub(crate) fn alive_count() -> usize {
    ALIVE.load(Ordering::Acquire)
}

/// Rule 3: the collector that is alone in the process, if there is exactly one.
pub(crate) fn sole_collector() -> (u64, Option<Arc<Sink>>) {
    let map = registry();
    let epoch = EPOCH.load(Ordering::Acquire);
    let sole = if map.len() == 1 {
        map.values().next().cloned()
    } else {
        None
    };
    (epoch, sole)
}

/// The ids of the collectors alive now, in creation order.
///
/// # Examples
///
/// ```
/// use logged_test::{active_collectors, LogCollector};
///
/// let dir = tempfile::tempdir()?;
/// let collector = LogCollector::without_ui(dir.path())?;
/// assert!(active_collectors().contains(&collector.id()));
/// let id = collector.id();
/// drop(collector);
/// assert!(!active_collectors().contains(&id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn active_collectors() -> Vec<u64> {
    registry().keys().copied().collect()
}
