//! The process-wide registry of live collectors and the routing decision.
//!
//! The registry lock is taken to register or unregister a collector, to change
//! a level, and by a thread whose cached "sole collector" answer (rule 4) is
//! stale (rule 4). The hot path of a routed thread never takes it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use log::LevelFilter;

use crate::engine::filter::Directives;
use crate::engine::store::Core;

/// A collector's entry point, shared by the registry, routes and the collector.
#[derive(Debug)]
pub(crate) struct Sink {
    pub(crate) id: u64,
    /// Where records go: the collector's store (see `store`).
    pub(crate) core: Arc<Core>,
    /// The most verbose level captured, plus [`HAS_DIRECTIVES`] when
    /// `directives` holds per-target directives: one load decides a plain
    /// level, lock-free.
    level: AtomicUsize,
    alive: AtomicBool,
    /// The origin of the thread the collector was created on (see
    /// `routing::Origin`; 0: none): rule 4 gives it only threads of the
    /// same origin or of none.
    home: AtomicU64,
    /// Per-target directives (`set_filter`), read only with [`HAS_DIRECTIVES`].
    directives: RwLock<Option<Arc<Directives>>>,
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
            home: AtomicU64::new(0),
            directives: RwLock::new(None),
            fork_epoch: crate::engine::fork::epoch(),
        }
    }

    pub(crate) fn home(&self) -> u64 {
        self.home.load(Ordering::Relaxed)
    }

    pub(crate) fn set_home(&self, origin: u64) {
        self.home.store(origin, Ordering::Relaxed);
    }

    pub(crate) fn level(&self) -> LevelFilter {
        level_from_usize(self.level.load(Ordering::Relaxed) & LEVEL_BITS)
    }

    /// Sets a plain level, dropping any per-target directives.
    pub(crate) fn set_level(&self, level: LevelFilter) {
        *self
            .directives
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        self.level.store(level as usize, Ordering::Relaxed);
        refresh_max_level();
    }

    /// Sets per-target directives; the level becomes the most verbose one
    /// they let through (for `log`'s max level and the quick reject).
    pub(crate) fn set_directives(&self, directives: Directives) {
        let max = directives.max_level();
        *self
            .directives
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(directives));
        self.level
            .store(max as usize | HAS_DIRECTIVES, Ordering::Release);
        refresh_max_level();
    }

    /// Whether the collector captures a record at `level` from `target`:
    /// its level, then its per-target directives if it has any. Checked
    /// before anything of the record is formatted.
    #[inline]
    pub(crate) fn wants(&self, level: log::Level, target: &str) -> bool {
        let state = self.level.load(Ordering::Acquire);
        if level as usize > state & LEVEL_BITS {
            return false;
        }
        state & HAS_DIRECTIVES == 0 || self.directives_pass(level, target)
    }

    fn directives_pass(&self, level: log::Level, target: &str) -> bool {
        // A per-collector lock, uncontended but by `set_filter`.
        match &*self
            .directives
            .read()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Some(directives) => directives.accepts(level, target),
            None => true,
        }
    }

    #[cfg(feature = "tracing")]
    /// What this collector captures, copied out so that it can be checked
    /// with no route borrowed (a reference count is touched only when the
    /// collector has per-target directives).
    pub(crate) fn wanted(&self) -> Wanted {
        let state = self.level.load(Ordering::Acquire);
        let directives = match state & HAS_DIRECTIVES {
            0 => None,
            _ => self
                .directives
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        };
        Wanted {
            level: state & LEVEL_BITS,
            directives,
        }
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }
}

/// A collector's filter at one moment ([`Sink::wanted`]).
#[cfg(feature = "tracing")]
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    level: usize,
    directives: Option<Arc<Directives>>,
}

#[cfg(feature = "tracing")]
impl Wanted {
    /// [`Sink::wants`], as the filter was when it was copied.
    pub(crate) fn wants(&self, level: log::Level, target: &str) -> bool {
        level as usize <= self.level
            && self
                .directives
                .as_ref()
                .is_none_or(|directives| directives.accepts(level, target))
    }
}

/// The bits of `Sink::level` that hold the level.
const LEVEL_BITS: usize = 0b111;
/// Set in `Sink::level` when the collector has per-target directives.
const HAS_DIRECTIVES: usize = 0b1000;

/// The level stored as `n` (`level as usize`), read from the one level
/// table, [`env::LEVELS`](crate::env::LEVELS), which lists them in that order.
fn level_from_usize(n: usize) -> LevelFilter {
    crate::env::LEVELS
        .get(n)
        .map_or(LevelFilter::Trace, |&(_, level)| level)
}

static REGISTRY: Mutex<BTreeMap<u64, Arc<Sink>>> = Mutex::new(BTreeMap::new());
/// Bumped on every register and unregister, so threads know when their cached
/// rule-4 answer is stale.
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

/// Rule 4: the collector that is alone in the process, if there is exactly one.
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
