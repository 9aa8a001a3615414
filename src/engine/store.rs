//! The per-collector store: where a record goes the moment it is logged.
//!
//! Every collector has one `Core`, shared by the routes that point at it,
//! the collector handle and the process's persister thread. Its `Store`
//! (behind the collector's own mutex, never a process-wide one) is either
//! - in **memory** mode: records are kept in memory and nothing is written;
//!   the test harness starts here and goes to disk only when that helps; or
//! - in **disk** mode: records are queued for the persister, which writes them
//!   to the session file in batches and then keeps them in memory for
//!   `captured()`, up to [`SPILL_BYTES`]; later records are read back from the
//!   file through the handle the persister holds.
//!
//! Controls (session switch, flush, shutdown; see `protocol`) travel in the
//! same queue as records, so the persister sees them in the order they were
//! sent.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

use crate::engine::protocol::{Ack, Control, Item};
use crate::engine::record::{Entry, LogLine};
use crate::engine::session::LogDir;
use crate::error::LogError;

/// Records a polled collector queues before it wakes the persister anyway.
const WAKE_AT: usize = 4096;

/// Items a disk-mode queue holds before a logging thread waits for the
/// persister to take them (backpressure): about 6 MiB of records per
/// collector, so many fast loggers cannot outrun the disk into swap.
pub(crate) const QUEUE_BOUND: usize = 8 * WAKE_AT;

/// How long a logging thread waits for room before it checks that the
/// persister is getting anywhere (long enough that a persister merely
/// starved of CPU on a loaded machine is not taken for a stuck one). A persister that finished no batch (of
/// any collector) for this long is stuck (a blocked write, a huge directory
/// being removed): logging goes on unbounded until it takes this queue
/// again, rather than stall the test.
const ROOM_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Batches and buffers the persister has finished, of every collector: how
/// a waiting logger tells a busy persister from a stuck one.
pub(crate) static PERSISTER_PROGRESS: AtomicU64 = AtomicU64::new(0);

/// Records kept in memory per collector before later ones are only on disk.
pub(crate) const SPILL_BYTES: usize = 8 * 1024 * 1024;

/// A record with the generation (session) it belongs to.
#[derive(Debug)]
pub(crate) struct Held {
    pub(crate) entry: Entry,
    pub(crate) generation: u64,
}

impl Held {
    /// What this record costs in memory, for the spill threshold.
    pub(crate) fn bytes(entry: &Entry) -> usize {
        std::mem::size_of::<Held>() + entry.heap_bytes()
    }
}

pub(crate) use arena::{Records, Snapshot};

/// Records held in memory: an append-only arena of chunks shared through
/// `Arc`, so a snapshot (`captured()`) clones a handful of pointers instead
/// of copying every record, and appending never moves a record already held.
mod arena {
    use std::cell::UnsafeCell;
    use std::mem::MaybeUninit;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Held;

    /// Capacity of the first chunk; each next one doubles, up to [`LAST`].
    const FIRST: usize = 32;
    const LAST: usize = 1024;

    /// A fixed-capacity run of records. Slots `..len` are initialised and
    /// never change again; only the one [`Records`] that made the chunk
    /// appends to it (behind the store's lock), and readers only look at
    /// slots below a `len` they loaded.
    pub(crate) struct Chunk {
        slots: Box<[UnsafeCell<MaybeUninit<Held>>]>,
        len: AtomicUsize,
    }

    // SAFETY: a `Chunk` hands out `&Held` only for published (initialised,
    // never again written) slots, and is written by one owner at a time (see
    // `push`); so sharing it is sharing `&Held`s, sound when `Held` is
    // `Send + Sync` (checked below).
    unsafe impl Sync for Chunk {}
    // SAFETY: as above; moving the chunk moves the `Held`s it drops.
    unsafe impl Send for Chunk {}

    const _: () = {
        const fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Held>();
    };

    impl Chunk {
        fn new(capacity: usize) -> Chunk {
            Chunk {
                slots: (0..capacity)
                    .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                    .collect(),
                len: AtomicUsize::new(0),
            }
        }

        /// Appends `held`, or hands it back if the chunk is full.
        ///
        /// Only [`Records`] calls this, on its last chunk, through `&mut
        /// Records`: there is never more than one writer of a chunk.
        #[expect(
            clippy::result_large_err,
            reason = "a full chunk hands the record back by value, once per chunk"
        )]
        #[inline(always)]
        fn push(&self, held: Held) -> Result<(), Held> {
            let len = self.len.load(Ordering::Relaxed);
            let Some(slot) = self.slots.get(len) else {
                return Err(held);
            };
            // SAFETY: slot `len` is not published yet (readers only see
            // slots below `len`), and this is the only writer (see above),
            // so nobody else accesses it.
            unsafe { (*slot.get()).write(held) };
            self.len.store(len + 1, Ordering::Release);
            Ok(())
        }

        /// The first `n` records (at most the published ones).
        pub(crate) fn published(&self, n: usize) -> &[Held] {
            let n = n.min(self.len.load(Ordering::Acquire));
            // SAFETY: slots `..n` were initialised before `len` was stored
            // with Release (loaded above with Acquire) and are never written
            // again nor dropped while `self` lives. `UnsafeCell<MaybeUninit<T>>`
            // has the layout of `T`.
            unsafe { std::slice::from_raw_parts(self.slots.as_ptr().cast::<Held>(), n) }
        }
    }

    impl Drop for Chunk {
        fn drop(&mut self) {
            let len = *self.len.get_mut();
            for slot in self.slots.iter_mut().take(len) {
                // SAFETY: slots `..len` are initialised, and dropped once,
                // here, as the chunk goes.
                unsafe { slot.get_mut().assume_init_drop() };
            }
        }
    }

    impl std::fmt::Debug for Chunk {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Chunk")
                .field("len", &self.len.load(Ordering::Relaxed))
                .field("capacity", &self.slots.len())
                .finish()
        }
    }

    /// The records a collector holds in memory, oldest first.
    #[derive(Debug, Default)]
    pub(crate) struct Records {
        chunks: Vec<Arc<Chunk>>,
        len: usize,
    }

    impl Records {
        #[inline(always)]
        pub(crate) fn push(&mut self, held: Held) {
            let held = match self.chunks.last() {
                Some(chunk) => match chunk.push(held) {
                    Ok(()) => {
                        self.len += 1;
                        return;
                    }
                    Err(held) => held,
                },
                None => held,
            };
            let capacity = self
                .chunks
                .last()
                .map_or(FIRST, |c| (c.slots.len() * 2).min(LAST));
            let chunk = Chunk::new(capacity);
            // A new chunk has room.
            let _ = chunk.push(held);
            self.chunks.push(Arc::new(chunk));
            self.len += 1;
        }

        pub(crate) fn iter(&self) -> impl Iterator<Item = &Held> {
            self.chunks
                .iter()
                .flat_map(|chunk| chunk.published(usize::MAX))
        }

        /// The records held now, sharing the chunks: O(chunks).
        pub(crate) fn snapshot(&self) -> Snapshot {
            Snapshot {
                chunks: self.chunks.clone(),
                len: self.len,
            }
        }

        pub(crate) fn clear(&mut self) {
            self.chunks = Vec::new();
            self.len = 0;
        }
    }

    impl Extend<Held> for Records {
        fn extend<I: IntoIterator<Item = Held>>(&mut self, records: I) {
            for held in records {
                self.push(held);
            }
        }
    }

    /// The first `len` records of a collector, sharing its chunks: records
    /// appended later are not part of it.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Snapshot {
        chunks: Vec<Arc<Chunk>>,
        len: usize,
    }

    impl Snapshot {
        pub(crate) fn len(&self) -> usize {
            self.len
        }

        pub(crate) fn iter(&self) -> impl Iterator<Item = &Held> {
            let mut left = self.len;
            self.chunks.iter().flat_map(move |chunk| {
                let part = chunk.published(left);
                left -= part.len();
                part
            })
        }
    }

    #[cfg(test)]
    mod should {
        use super::*;
        use crate::engine::capture;
        use crate::engine::message::Message;
        use crate::engine::record::Text;

        fn held(i: usize) -> Held {
            let message = Message::Heap(format!("record {i}"));
            let entry = capture::entry(log::Level::Info, Text::Static("t"), message);
            Held {
                entry,
                generation: i as u64,
            }
        }

        #[test]
        fn share_records_with_snapshots_that_outlive_the_store() {
            let mut records = Records::default();
            let mut snapshots = Vec::new();
            for i in 0..5_000 {
                records.push(held(i));
                if i % 997 == 0 {
                    snapshots.push((i + 1, records.snapshot()));
                }
            }
            let all = records.snapshot();
            records.clear();
            drop(records);
            for (n, snapshot) in &snapshots {
                assert_eq!(snapshot.len(), *n);
                let got: Vec<u64> = snapshot.iter().map(|h| h.generation).collect();
                assert_eq!(got, (0..*n as u64).collect::<Vec<_>>());
            }
            assert_eq!(all.iter().count(), 5_000);
            assert_eq!(&*all.iter().last().unwrap().entry.message, "record 4999");
        }

        #[test]
        fn read_while_another_thread_appends() {
            let records = std::sync::Mutex::new(Records::default());
            std::thread::scope(|s| {
                s.spawn(|| {
                    for i in 0..20_000 {
                        records.lock().unwrap().push(held(i));
                    }
                });
                for _ in 0..200 {
                    let snapshot = records.lock().unwrap().snapshot();
                    for (i, h) in snapshot.iter().enumerate() {
                        assert_eq!(h.generation, i as u64);
                    }
                }
            });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Memory,
    Disk,
}

/// A waiter for the first record whose message contains `marker`.
#[derive(Debug)]
pub(crate) struct Watch {
    pub(crate) marker: String,
    pub(crate) notify: Ack<()>,
    /// Set by the waiter when it stops waiting (found it first, or timed out).
    pub(crate) cancelled: Arc<AtomicBool>,
}

impl Watch {
    fn is_abandoned(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed) || self.notify.is_closed()
    }
}

/// The bytes one file holds of the records that are no longer in memory.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) path: Arc<std::path::Path>,
    pub(crate) file: Arc<std::fs::File>,
    pub(crate) generation: u64,
    pub(crate) ranges: Vec<(u64, u64)>,
}

#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) mode: Mode,
    /// Set by `shutdown`: later records are unattributed.
    pub(crate) sealed: bool,
    /// Memory mode: the generation new records get, and the sessions begun.
    pub(crate) generation: u64,
    pub(crate) sessions: Vec<(u64, String)>,
    /// Records in memory, oldest first. In disk mode, only written ones.
    pub(crate) records: Records,
    pub(crate) bytes: usize,
    /// Disk mode: memory is full, later records are only in `spilled`.
    pub(crate) full: bool,
    pub(crate) spilled: Vec<Segment>,
    /// Disk mode: items for the persister.
    pub(crate) queue: Vec<Item>,
    /// The persister has been told about `queue`.
    pub(crate) scheduled: bool,
    /// The persister looks at this queue by itself every `POLL_EVERY`, so
    /// records need not wake it (only controls do, or a long queue).
    pub(crate) polled: bool,
    /// Logging threads waiting for room in `queue` (see [`QUEUE_BOUND`]).
    pub(crate) waiting_for_room: usize,
    /// The persister took no batch for [`ROOM_WAIT`] while the queue was
    /// full: do not wait again until it takes one.
    pub(crate) stalled: bool,
    pub(crate) watches: Vec<Watch>,
}

/// Counters and state read without the store lock.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) generation: AtomicU64,
    pub(crate) session_path: Mutex<Option<PathBuf>>,
    pub(crate) ui_missed: AtomicU64,
    pub(crate) write_failures: AtomicU64,
    /// The persister holds the log directory (it exists, or was made).
    pub(crate) has_dir: AtomicBool,
}

/// One collector's shared state.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) id: u64,
    store: Mutex<Store>,
    /// Signalled when the persister takes the queue and threads wait for room.
    room: std::sync::Condvar,
    pub(crate) stats: Stats,
    /// The log directory: created by the collector (`LogCollector::new`) or
    /// by the persister when the store first goes to disk (the harness).
    pub(crate) dir: PathBuf,
    pub(crate) create_dir: CreateDir,
    /// The UI channel, taken by the persister when it opens the files.
    pub(crate) ui: Mutex<Option<mpsc::Sender<LogLine>>>,
    /// The directory handle every file is opened relative to: opened by
    /// `LogCollector::new`, or made by the persister (`CreateDir::Fresh`).
    pub(crate) dir_handle: Mutex<Option<LogDir>>,
    /// `LOGGED_TEST_LIVE`: records at this level or above are also printed,
    /// as they happen, to the real stderr with this test name.
    pub(crate) live: Option<(log::LevelFilter, Box<str>)>,
}

/// Who creates the log directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateDir {
    /// It exists already.
    Exists,
    /// The persister creates it, private (0700), replacing an older one of
    /// the same name (a previous run's kept log).
    Fresh,
}

/// Work for the persister thread.
#[derive(Debug)]
pub(crate) enum Work {
    /// This collector's queue has items.
    Ready(Arc<Core>),
    /// A deadline was added: look at the deadline list again.
    Tick,
}

/// The persister's inbox, set once by `persister::start` (which every
/// collector calls before it can queue anything); `None` if the thread
/// could not be started.
pub(crate) static WORK: std::sync::OnceLock<Option<Inbox>> = std::sync::OnceLock::new();

/// The persister's inbox: a queue, and the thread to unpark. The persister
/// parks (one futex wait, no spinning) rather than blocking in the
/// channel, whose receive spins with `sched_yield` before it sleeps.
#[derive(Debug)]
pub(crate) struct Inbox {
    pub(crate) tx: crossbeam_channel::Sender<Work>,
    pub(crate) thread: std::thread::Thread,
}

impl Inbox {
    /// Queues `work` and wakes the persister (a no-op if it is awake).
    pub(crate) fn send(&self, work: Work) -> Result<(), crossbeam_channel::SendError<Work>> {
        self.tx.send(work)?;
        self.thread.unpark();
        Ok(())
    }
}

/// Tells the persister that `core` has items.
pub(crate) fn schedule(core: Arc<Core>) {
    let core = match inbox() {
        Some(tx) => match tx.send(Work::Ready(core)) {
            Ok(()) => return,
            Err(crossbeam_channel::SendError(Work::Ready(core))) => core,
            Err(_) => return,
        },
        None => core,
    };
    // No persister thread could be started: answer every control so no
    // caller waits forever, and count the records as not written.
    let items = {
        let mut store = core.lock();
        // Every later control must come here again (not wait for a wake-up
        // that never comes).
        store.scheduled = false;
        std::mem::take(&mut store.queue)
    };
    for item in items {
        match item {
            Item::Line(_) => {
                core.stats.write_failures.fetch_add(1, Ordering::Relaxed);
            }
            Item::Control(control) => control.refuse(),
        }
    }
}

pub(crate) fn inbox() -> Option<&'static Inbox> {
    // A forked child has no persister thread: nothing may wait for it.
    if !crate::engine::fork::persister_here() {
        return None;
    }
    WORK.get().and_then(Option::as_ref)
}

impl Core {
    pub(crate) fn new(
        id: u64,
        mode: Mode,
        dir: PathBuf,
        create_dir: CreateDir,
        ui: Option<mpsc::Sender<LogLine>>,
    ) -> Core {
        Core {
            id,
            dir,
            create_dir,
            ui: Mutex::new(ui),
            dir_handle: Mutex::new(None),
            live: None,
            room: std::sync::Condvar::new(),
            store: Mutex::new(Store {
                mode,
                sealed: false,
                generation: 0,
                sessions: Vec::new(),
                records: Records::default(),
                bytes: 0,
                full: false,
                spilled: Vec::new(),
                queue: Vec::new(),
                scheduled: false,
                polled: false,
                waiting_for_room: 0,
                stalled: false,
                watches: Vec::new(),
            }),
            stats: Stats::default(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        // Every critical section leaves the store consistent (pushes and
        // swaps), and no user code runs under this lock: recover from poison.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store if no one holds it (the crash path, which must not wait).
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, Store>> {
        match self.store.try_lock() {
            Ok(store) => Some(store),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The hot path: takes this collector's lock only, no I/O (but for the
    /// opt-in live output).
    #[inline]
    pub(crate) fn push(core: &Arc<Core>, entry: Entry) {
        if let Some((level, test)) = &core.live {
            if entry.level <= *level {
                print_live(test, &entry);
            }
        }
        let mut store = core.lock();
        if store.mode == Mode::Disk && store.queue.len() >= QUEUE_BOUND && !store.stalled {
            store = Core::wait_for_room(core, store);
        }
        if store.sealed {
            drop(store);
            crate::engine::unattributed::report(entry, "its collector was shut down");
            return;
        }
        // Waiters are woken (and abandoned ones dropped) after the lock is
        // released: waking runs a task's waker, which may log here again.
        let woken = if store.watches.is_empty() {
            Vec::new()
        } else {
            store.take_watches(&entry.message)
        };
        let wake = match store.mode {
            Mode::Memory => {
                store.bytes += Held::bytes(&entry);
                let generation = store.generation;
                store.records.push(Held { entry, generation });
                // Too much to keep in memory: write it out and go on on disk.
                store.bytes >= SPILL_BYTES && store.go_to_disk(Control::Open(None))
            }
            Mode::Disk => {
                store.queue.push(Item::Line(entry));
                // Batch hand-off: a collector the persister polls is not
                // woken per record, only when its queue gets long.
                let quiet = store.polled && store.queue.len() < WAKE_AT;
                !quiet && !std::mem::replace(&mut store.scheduled, true)
            }
        };
        drop(store);
        if !woken.is_empty() {
            for watch in woken {
                watch.notify.send(());
            }
        }
        if wake {
            schedule(Arc::clone(core));
        }
    }

    /// Backpressure: the queue is full, so wait (at most [`ROOM_WAIT`])
    /// until the persister takes it. No user code runs while waiting, and
    /// no lock but this store's is held (released while waiting).
    #[cold]
    fn wait_for_room<'a>(
        core: &'a Arc<Core>,
        mut store: MutexGuard<'a, Store>,
    ) -> MutexGuard<'a, Store> {
        if !std::mem::replace(&mut store.scheduled, true) {
            drop(store);
            schedule(Arc::clone(core));
            store = core.lock();
        }
        let mut deadline = std::time::Instant::now() + ROOM_WAIT;
        let mut done = PERSISTER_PROGRESS.load(Ordering::Relaxed);
        store.waiting_for_room += 1;
        while store.queue.len() >= QUEUE_BOUND && !store.sealed {
            let now = std::time::Instant::now();
            if now >= deadline {
                let now_done = PERSISTER_PROGRESS.load(Ordering::Relaxed);
                if now_done == done {
                    store.stalled = true;
                    break;
                }
                // Busy with other collectors' batches: keep waiting.
                done = now_done;
                deadline = now + ROOM_WAIT;
            }
            store = core
                .room
                .wait_timeout(store, deadline - now)
                .map_or_else(|poison| poison.into_inner().0, |(guard, _)| guard);
        }
        store.waiting_for_room -= 1;
        store
    }

    /// Called by the persister after it took the queue: wakes the threads
    /// waiting for room, if any.
    pub(crate) fn room_made(&self, waiting: bool) {
        if waiting {
            self.room.notify_all();
        }
    }

    /// Queues `control` for the persister (switching to disk mode first if
    /// `open_first`); `Err` if the collector is sealed.
    pub(crate) fn send(core: &Arc<Core>, control: Control) -> Result<(), Control> {
        let mut store = core.lock();
        if store.sealed {
            return Err(control);
        }
        let wake = store.enqueue(Item::Control(control));
        drop(store);
        if wake {
            schedule(Arc::clone(core));
        }
        Ok(())
    }

    /// Goes to disk mode with `Open(ack)`; `Ok(false)` if already on disk.
    pub(crate) fn open(
        core: &Arc<Core>,
        ack: Option<Ack<Result<PathBuf, LogError>>>,
    ) -> Result<bool, LogError> {
        let mut store = core.lock();
        if store.sealed {
            return Err(LogError::CollectorShutDown);
        }
        if store.mode == Mode::Disk {
            return Ok(false);
        }
        let wake = store.go_to_disk(Control::Open(ack));
        drop(store);
        if wake {
            schedule(Arc::clone(core));
        }
        Ok(true)
    }

    /// Seals the store and, if it is on disk, queues the final `Shutdown`.
    /// Returns whether the persister has to answer.
    pub(crate) fn seal(core: &Arc<Core>, remove_dir: bool, ack: Ack<()>) -> bool {
        let mut store = core.lock();
        if store.sealed {
            return false;
        }
        store.sealed = true;
        // Dropped (waking their waiters) once the lock is released.
        let watches = std::mem::take(&mut store.watches);
        if store.mode == Mode::Memory {
            drop(store);
            drop(watches);
            return false;
        }
        let wake = store.enqueue(Item::Control(Control::Shutdown { remove_dir, ack }));
        drop(store);
        if wake {
            schedule(Arc::clone(core));
        }
        true
    }

    pub(crate) fn mode(&self) -> Mode {
        self.lock().mode
    }

    /// Memory mode: begins session `name` without touching the disk.
    pub(crate) fn begin_session_in_memory(&self, name: &str) -> bool {
        let mut store = self.lock();
        if store.mode != Mode::Memory || store.sealed {
            return false;
        }
        store.generation += 1;
        let generation = store.generation;
        store.sessions.push((generation, name.to_owned()));
        self.stats.generation.store(generation, Ordering::Release);
        true
    }

    /// Registers `watch` unless a record in memory already matches; returns
    /// whether one did. In disk mode the caller also checks what is queued.
    pub(crate) fn watch(&self, watch: Watch) -> bool {
        let mut store = self.lock();
        let marker = watch.marker.as_str();
        if store
            .records
            .iter()
            .any(|held| held.entry.message.contains(marker))
        {
            drop(store);
            return true;
        }
        let (abandoned, live): (Vec<Watch>, Vec<Watch>) = std::mem::take(&mut store.watches)
            .into_iter()
            .partition(Watch::is_abandoned);
        store.watches = live;
        store.watches.push(watch);
        drop(store);
        // Dropped outside the lock, like every waiter's channel.
        drop(abandoned);
        false
    }
}

impl Core {
    /// Registers `watch` for the next record that matches, ignoring the
    /// records already held (`TestLogs::wait_for_since`).
    pub(crate) fn watch_next(&self, watch: Watch) {
        let mut store = self.lock();
        if store.sealed {
            // Dropping the watch closes its channel: the waiter gives up.
            drop(store);
            return;
        }
        store.watches.push(watch);
    }
}

/// Writes `entry` to the process's real stderr (not libtest's capture),
/// so a hanging test shows where it is.
fn print_live(test: &str, entry: &Entry) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(live_line(test, entry).as_bytes());
}

/// The `LOGGED_TEST_LIVE` line of `entry`: the record's line, prefixed with
/// `[test]` unless its thread field already names the test (libtest names
/// a test's thread after the test), so the test is named once.
fn live_line(test: &str, entry: &Entry) -> String {
    let mut line = String::with_capacity(64 + test.len() + entry.message.len());
    if entry.thread != Some(test) {
        line.push('[');
        line.push_str(test);
        line.push_str("] ");
    }
    entry.write_shown(&mut line);
    line
}

impl Store {
    /// Queues `item`; true if the persister must be told.
    fn enqueue(&mut self, item: Item) -> bool {
        self.queue.push(item);
        !std::mem::replace(&mut self.scheduled, true)
    }

    fn go_to_disk(&mut self, open: Control) -> bool {
        self.mode = Mode::Disk;
        self.enqueue(Item::Control(open))
    }

    /// Takes out the watches `message` matches, and the abandoned ones, for
    /// the caller to notify or drop once the lock is released.
    fn take_watches(&mut self, message: &str) -> Vec<Watch> {
        let mut taken = Vec::new();
        let mut i = 0;
        while i < self.watches.len() {
            let done = self
                .watches
                .get(i)
                .is_some_and(|w| w.is_abandoned() || message.contains(w.marker.as_str()));
            if done {
                taken.push(self.watches.swap_remove(i));
            } else {
                i += 1;
            }
        }
        // An abandoned watch's send is a no-op: its waiter is gone.
        taken
    }
}

#[cfg(test)]
mod should {
    use super::*;
    use crate::engine::message::Message;
    use crate::engine::record::Text;

    #[test]
    fn name_the_test_once_in_a_live_line() {
        let mut entry = crate::engine::capture::entry(
            log::Level::Info,
            Text::Static("my_crate"),
            Message::copy("hello"),
        );
        entry.thread = Some("tests::a");
        let own = live_line("tests::a", &entry);
        assert_eq!(own.matches("tests::a").count(), 1, "{own}");
        assert!(own.ends_with("INFO  [tests::a] my_crate: hello\n"), "{own}");
        entry.thread = Some("worker");
        let other = live_line("tests::a", &entry);
        assert!(other.starts_with("[tests::a] "), "{other}");
        assert!(other.contains("[worker] my_crate: hello"), "{other}");
    }

    #[test]
    fn show_fields_without_a_span_after_a_plain_colon_in_a_live_line() {
        let mut extra = crate::engine::record::ExtraBuilder::new();
        extra.field_str(Text::Static("order"), "42");
        let mut entry = crate::engine::capture::entry(
            log::Level::Info,
            Text::Static("my_crate"),
            Message::copy("paid"),
        );
        entry.extra = extra.finish();
        let line = live_line("tests::a", &entry);
        assert!(line.ends_with(" my_crate: paid order=42\n"), "{line}");
    }
}
