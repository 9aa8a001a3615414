//! The persister: one background OS thread for the whole process, the only
//! writer of every collector's files.
//!
//! A collector's records and controls wait in its own queue (see `store`);
//! the first item of a batch puts the collector in the persister's inbox,
//! and the persister takes the whole batch at once. It writes the batch in
//! order, so a record lands in the session that was current when it entered
//! the queue. Writes are buffered and handed to the OS whenever the inbox
//! runs empty, so a crash loses at most what was still queued.
//!
//! The same thread opens the harness's directories in the background: a
//! test still running [`OPEN_AFTER`] after it started gets its log on disk.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Seek as _, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use tokio::sync::mpsc;

use crate::engine::protocol::{Control, Item};
use crate::engine::record::{CapturedRecord, Entry, LogLine};
use crate::engine::session::{self, LogDir};
use crate::engine::store::{Core, CreateDir, Held, Inbox, Mode, SPILL_BYTES, Segment, WORK, Work};
use crate::error::LogError;

const BUFFER_BYTES: usize = 64 * 1024;
/// A harness collector still in memory this long after it was created is
/// written to disk, so a test that hangs or crashes leaves its log behind.
pub(crate) const OPEN_AFTER: Duration = Duration::from_millis(100);
/// Empty polls after which a collector is no longer polled (about 100 ms).
const IDLE_POLLS: u32 = 100;
/// How often the persister looks at the queues of the collectors it
/// writes for, so that logging threads need not wake it per record.
const POLL_EVERY: Duration = Duration::from_millis(1);
/// Records formatted per lock of the store when writing out what was held
/// in memory, so loggers of that collector wait at most that long.
const CHUNK: usize = 512;

/// How often the persister looks at the deadlines while any may be pending:
/// a test is written out between [`OPEN_AFTER`] and this much later.
const TICK: Duration = Duration::from_millis(25);
/// Ticks with no pending deadline after which the timer stops (about 1 s),
/// so an idle process sleeps, and back-to-back tests never wake it.
const IDLE_TICKS: u32 = 40;

/// A harness collector to open once its deadline passes.
type Deadline = (Instant, Weak<Core>);

/// Deadlines of new harness collectors, on their way to the persister: a
/// lock-free queue the persister drains when it ticks, so a test that ends
/// before its deadline costs a push and nothing else (no wake-up, no lock).
static NEW_DEADLINES: std::sync::LazyLock<(
    crossbeam_channel::Sender<Deadline>,
    Receiver<Deadline>,
)> = std::sync::LazyLock::new(crossbeam_channel::unbounded);

/// The persister is ticking (it will see new deadlines by itself); when
/// not, the first new deadline wakes it once.
static TIMER_ARMED: AtomicBool = AtomicBool::new(false);

/// Starts the persister thread, once per process.
pub(crate) fn start() {
    WORK.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("logged-test-persister".into())
            .spawn(move || {
                #[cfg(unix)]
                crate::engine::crash::persister_started();
                Persister::default().run(&rx);
            })
            .ok()
            .map(|handle| {
                crate::engine::fork::persister_started();
                Inbox {
                    tx,
                    thread: handle.thread().clone(),
                }
            })
    });
}

/// Opens `core`'s log on disk if it is still in memory after [`OPEN_AFTER`].
///
/// Costs a lock-free push: the persister, ticking while tests run, picks
/// the deadline up by itself. Only the first test after an idle second
/// wakes it.
pub(crate) fn open_later(core: &Arc<Core>) {
    let _ = NEW_DEADLINES
        .0
        .send((Instant::now() + OPEN_AFTER, Arc::downgrade(core)));
    // Pairs with the fence in `Persister::disarm`: either it sees this
    // deadline, or this sees the timer disarmed and wakes it.
    fence(Ordering::SeqCst);
    if !TIMER_ARMED.load(Ordering::SeqCst) && !TIMER_ARMED.swap(true, Ordering::SeqCst) {
        if let Some(tx) = crate::engine::store::inbox() {
            let _ = tx.send(Work::Tick);
        }
    }
}

#[derive(Default)]
struct Persister {
    writers: HashMap<u64, Writer>,
    /// Harness collectors to open once their deadline passes, oldest first.
    deadlines: VecDeque<Deadline>,
    /// When the timer ticks next, while it is armed.
    next_tick: Option<Instant>,
    idle_ticks: u32,
    /// The emptied queue of the last batch, swapped in for the next one,
    /// so loggers push into a vector that already has room.
    spare: Vec<Item>,
}

impl Persister {
    fn run(mut self, rx: &Receiver<Work>) {
        let mut next_poll = Instant::now();
        loop {
            loop {
                match rx.try_recv() {
                    Ok(work) => {
                        self.handle(work);
                        self.crash_checkpoint(rx);
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            if Instant::now() >= next_poll {
                self.poll();
                next_poll = Instant::now() + POLL_EVERY;
            }
            self.tick();
            // Polls and ticks write batches too: a crash dump waiting for
            // this thread must not wait for the inbox to bring work.
            self.crash_checkpoint(rx);
            if !rx.is_empty() {
                continue;
            }
            for writer in self.writers.values_mut() {
                writer.flush_buffer();
            }
            // Poll only while some collector is busy; tick while armed.
            let poll = self.writers.values().any(|w| w.polled).then_some(next_poll);
            let next = match (self.next_tick, poll) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            // Everything written is handed to the OS: from here a crash
            // dump may freeze this thread (it checks on waking).
            #[cfg(unix)]
            crate::engine::crash::persister_idle();
            // A send after the `is_empty` above unparks: the token makes
            // this park return at once, so no wake-up is lost.
            match next {
                Some(at) => {
                    let now = Instant::now();
                    if at > now {
                        std::thread::park_timeout(at - now);
                    }
                }
                // Not forever: should anything in this thread ever take
                // the park token, the next look is at most a second away.
                None => std::thread::park_timeout(Duration::from_secs(1)),
            }
            #[cfg(unix)]
            if !crate::engine::crash::persister_busy() {
                // The process is crashing and its dump writes from now on.
                crate::engine::crash::persister_frozen();
            }
            self.crash_checkpoint(rx);
        }
    }

    /// If the process is crashing (see `crash`): writes every queue as it
    /// is now, hands all of it to the OS, and stops here for good, so the
    /// crash path can write the logs still in memory alone.
    fn crash_checkpoint(&mut self, rx: &Receiver<Work>) {
        #[cfg(unix)]
        if crate::engine::crash::freeze_requested() {
            // What is in the inbox now, not what other threads keep adding.
            for _ in 0..rx.len() {
                if let Ok(work) = rx.try_recv() {
                    self.handle(work);
                }
            }
            let cores: Vec<Arc<Core>> =
                self.writers.values().map(|w| Arc::clone(&w.core)).collect();
            for core in cores {
                self.handle(Work::Ready(core));
            }
            for writer in self.writers.values_mut() {
                writer.flush_buffer();
            }
            crate::engine::crash::persister_frozen();
        }
        #[cfg(not(unix))]
        let _ = rx;
    }

    /// Takes the queued records of every collector it writes for.
    /// A collector whose queue stayed empty this many polls in a row is
    /// no longer polled: its next record wakes the persister instead.
    fn poll(&mut self) {
        let mut ready = Vec::new();
        for writer in self.writers.values_mut().filter(|w| w.polled) {
            let mut store = writer.core.lock();
            if !store.queue.is_empty() {
                ready.push(Arc::clone(&writer.core));
                continue;
            }
            writer.idle_polls += 1;
            if writer.idle_polls >= IDLE_POLLS {
                // Under the store lock: a record pushed from now on sees
                // `polled == false` and wakes the persister.
                store.polled = false;
                writer.polled = false;
            }
        }
        for core in ready {
            self.handle(Work::Ready(core));
        }
    }

    fn handle(&mut self, work: Work) {
        let core = match work {
            Work::Ready(core) => core,
            Work::Tick => {
                // Armed by `open_later`: tick from now on.
                self.next_tick.get_or_insert_with(|| Instant::now() + TICK);
                return;
            }
        };
        let id = core.id;
        // A fault here must not stop the thread every collector relies on:
        // the collector at fault loses its writer (its waiters are answered
        // with `PersisterGone` as their acks drop), the others go on.
        let done = catch_unwind(AssertUnwindSafe(|| self.process(&core)));
        if done.is_err() {
            self.writers.remove(&id);
            // Without a writer nobody polls it: wake on the next record.
            core.lock().polled = false;
        }
    }

    fn process(&mut self, core: &Arc<Core>) {
        #[cfg(unix)]
        if crate::engine::crash::persister_is_frozen() {
            // A crash dump writes from now on (it stopped waiting for us).
            crate::engine::crash::persister_frozen();
        }
        let mut batch = std::mem::take(&mut self.spare);
        let waiting = {
            let mut store = core.lock();
            store.scheduled = false;
            store.stalled = false;
            std::mem::swap(&mut store.queue, &mut batch);
            if let Some(writer) = self.writers.get_mut(&core.id) {
                // Busy again: poll it rather than be woken per batch.
                store.polled = true;
                writer.polled = true;
                writer.idle_polls = 0;
            }
            store.waiting_for_room > 0
        };
        core.room_made(waiting);
        let mut items = batch.drain(..);
        self.run_batch(core, &mut items);
        drop(items);
        crate::engine::store::PERSISTER_PROGRESS.fetch_add(1, Ordering::Relaxed);
        if batch.capacity() <= 64 * 1024 {
            self.spare = batch;
        }
    }

    fn run_batch(&mut self, core: &Arc<Core>, items: &mut std::vec::Drain<'_, Item>) {
        while let Some(item) = items.next() {
            match item {
                Item::Line(entry) => self.writer(core).write(entry),
                Item::Control(Control::Open(ack)) => {
                    let result = self.open(core);
                    if let Some(ack) = ack {
                        ack.send(result);
                    }
                }
                Item::Control(Control::NewSession(name, ack)) => {
                    let writer = self.writer(core);
                    writer.end_batch();
                    ack.send(writer.new_session(&name));
                }
                Item::Control(Control::Flush(ack)) => {
                    let writer = self.writer(core);
                    writer.end_batch();
                    ack.send(writer.flush());
                }
                Item::Control(Control::Sync(ack)) => {
                    // What `captured()` returns is also in the file (handed
                    // to the OS, as by a flush, without reporting errors).
                    let writer = self.writer(core);
                    writer.end_batch();
                    writer.flush_buffer();
                    ack.send(());
                }
                Item::Control(Control::Shutdown { remove_dir, ack }) => {
                    if let Some(mut writer) = self.writers.remove(&core.id) {
                        writer.end_batch();
                        writer.flush_buffer();
                        if remove_dir {
                            writer.out = None;
                            if let Some(dir) = writer.dir.take() {
                                // Relative to the handle: a symlink planted
                                // in the directory or swapped for it is never
                                // followed.
                                let _ = dir.remove_all();
                            }
                        }
                    }
                    // Sealed: nothing follows, but answer anything that did.
                    items.by_ref().for_each(|item| match item {
                        Item::Control(control) => control.refuse(),
                        Item::Line(_) => {}
                    });
                    ack.send(());
                    return;
                }
            }
        }
        if let Some(writer) = self.writers.get_mut(&core.id) {
            writer.end_batch();
        }
    }

    fn writer(&mut self, core: &Arc<Core>) -> &mut Writer {
        self.writers.entry(core.id).or_insert_with(|| {
            core.lock().polled = true;
            let mut writer = Writer::new(Arc::clone(core));
            writer.polled = true;
            writer
        })
    }

    /// Creates the directory if needed, writes what was held in memory and
    /// opens the current session.
    fn open(&mut self, core: &Arc<Core>) -> Result<PathBuf, LogError> {
        let writer = self.writer(core);
        if core.create_dir == CreateDir::Fresh && writer.dir.is_none() {
            match fresh_private_dir(&core.dir) {
                Ok(dir) => {
                    writer.dir = Some(dir);
                    core.stats.has_dir.store(true, Ordering::Release);
                }
                Err(e) => {
                    let error = LogError::io(&core.dir, e);
                    writer.fail(error.clone());
                    return Err(error);
                }
            }
        }
        writer.write_held();
        Ok(core.dir.clone())
    }
}

impl Persister {
    /// When the timer is due: opens the logs of the harness collectors
    /// whose deadline passed, and stops the timer after an idle second.
    fn tick(&mut self) {
        let Some(at) = self.next_tick else { return };
        let now = Instant::now();
        if now < at {
            return;
        }
        self.deadlines.extend(NEW_DEADLINES.1.try_iter());
        while let Some((at, _)) = self.deadlines.front() {
            if *at > now {
                break;
            }
            let Some((_, core)) = self.deadlines.pop_front() else {
                break;
            };
            // A test that ended before its deadline is gone: nothing to do.
            if let Some(core) = core.upgrade() {
                if core.mode() == Mode::Memory {
                    let _ = Core::open(&core, None);
                }
            }
        }
        if self.deadlines.is_empty() {
            self.idle_ticks += 1;
        } else {
            self.idle_ticks = 0;
        }
        self.next_tick = Some(now + TICK);
        if self.idle_ticks >= IDLE_TICKS {
            self.disarm();
        }
    }

    fn disarm(&mut self) {
        TIMER_ARMED.store(false, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if NEW_DEADLINES.1.is_empty() || TIMER_ARMED.swap(true, Ordering::SeqCst) {
            // Idle; or a new deadline came in and its `open_later` re-armed
            // the timer (its `Tick` is on the way).
            self.next_tick = None;
        }
        // Else a deadline came in that saw the timer armed: keep ticking.
        self.idle_ticks = 0;
    }
}

/// Makes `dir` a new empty directory only this user can enter, moving an
/// older one of the same name (an earlier run's kept log) out of the way
/// (removed on another thread, so that this one is not held up), and
/// returns its handle.
fn fresh_private_dir(dir: &Path) -> io::Result<LogDir> {
    session::create_test_dir(dir)
}

struct Output {
    name: String,
    path: Arc<Path>,
    file: Arc<File>,
    /// Index in `Writer::spilled` of the segment this output's spilled
    /// records go to, once memory is full.
    spill: Option<usize>,
}

/// One collector's files, owned by the persister thread.
struct Writer {
    core: Arc<Core>,
    ui: Option<mpsc::Sender<LogLine>>,
    /// The UI receiver was dropped: every later record is a UI miss.
    ui_closed: bool,
    /// The directory every file is opened relative to; `None` until a
    /// harness collector's directory is made.
    dir: Option<LogDir>,
    out: Option<Output>,
    /// The file records go to: the pre-session file, then the current session's.
    current_name: String,
    /// Set when reopening `current_path` failed; retried after the next
    /// flush or session switch rather than on every record.
    reopen_failed: bool,
    generation: u64,
    pending_error: Option<LogError>,
    line: String,
    /// Formatted records not yet handed to the OS, and where each ends.
    buffer: Vec<u8>,
    ends: Vec<usize>,
    /// Where in `buffer` the records start that are not kept in memory.
    spill_from: Option<usize>,
    /// A write stopped inside a record: the next one starts a new line.
    broken_line: bool,
    /// Written records on their way into the store's memory.
    done: Vec<Held>,
    done_bytes: usize,
    /// Memory is full: later records are read back from their files.
    full: bool,
    spilled: Vec<Segment>,
    spilled_changed: bool,
    /// Mirrors the store's `polled`; and how many polls found nothing.
    polled: bool,
    idle_polls: u32,
}

impl Writer {
    fn new(core: Arc<Core>) -> Writer {
        let ui = core
            .ui
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let (full, generation) = {
            let store = core.lock();
            (store.bytes >= SPILL_BYTES, store.generation)
        };
        let dir = core
            .dir_handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if dir.is_some() {
            core.stats.has_dir.store(true, Ordering::Release);
        }
        Writer {
            dir,
            current_name: session::PRE_SESSION_FILE.to_owned(),
            reopen_failed: false,
            ui,
            ui_closed: false,
            out: None,
            generation,
            pending_error: None,
            line: String::with_capacity(256),
            buffer: Vec::with_capacity(BUFFER_BYTES),
            ends: Vec::new(),
            spill_from: None,
            broken_line: false,
            done: Vec::new(),
            done_bytes: 0,
            full,
            spilled: Vec::new(),
            spilled_changed: false,
            polled: false,
            idle_polls: 0,
            core,
        }
    }

    fn write(&mut self, entry: Entry) {
        let generation = self.generation;
        self.format(&entry);
        self.send_to_ui(&entry);
        if self.full {
            return;
        }
        let bytes = Held::bytes(&entry);
        self.done_bytes += bytes;
        self.done.push(Held { entry, generation });
    }

    /// Formats `entry` into the buffer of the current output.
    fn format(&mut self, entry: &Entry) {
        if self.out.is_none() && !self.reopen_failed {
            self.reopen_failed = !self.open_output(&self.current_name.clone());
        }
        if self.out.is_none() {
            self.core
                .stats
                .write_failures
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        if entry.message.len() >= BUFFER_BYTES {
            self.write_huge(entry);
            return;
        }
        if self.full && self.spill_from.is_none() {
            self.spill_from = Some(self.buffer.len());
        }
        self.line.clear();
        entry.write_to(&mut self.line);
        self.buffer.extend_from_slice(self.line.as_bytes());
        self.ends.push(self.buffer.len());
        if self.buffer.len() >= BUFFER_BYTES {
            self.flush_buffer();
        }
    }

    /// Writes a record of a huge message straight from the entry, in
    /// pieces: its bytes are never copied into a line or the buffer, so its
    /// peak memory stays near the message's own size.
    fn write_huge(&mut self, entry: &Entry) {
        self.flush_buffer();
        let Some(out) = &self.out else { return };
        let file = Arc::clone(&out.file);
        let path = Arc::clone(&out.path);
        let spill = out.spill.filter(|_| self.full);
        if self.broken_line && write_all(&file, b"\n").0 == 1 {
            self.broken_line = false;
        }
        if self.broken_line {
            // The cut line could not be ended: writing on would merge.
            self.core
                .stats
                .write_failures
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut written = 0;
        let mut error = None;
        let mut header = String::new();
        entry.write_pieces(&mut header, |piece| {
            if error.is_none() {
                let (n, e) = write_all(&file, piece);
                written += n;
                error = e;
            }
        });
        match error {
            Some(source) => {
                self.core
                    .stats
                    .write_failures
                    .fetch_add(1, Ordering::Relaxed);
                self.broken_line |= written > 0;
                self.fail(LogError::io(path.to_path_buf(), source));
            }
            None => {
                if let (Some(index), Ok(end)) = (spill, (&*file).stream_position()) {
                    if let Some(segment) = self.spilled.get_mut(index) {
                        record_range(segment, end.saturating_sub(written as u64), end);
                        self.spilled_changed = true;
                    }
                }
            }
        }
    }

    /// Moves the records written since the last call into the store's
    /// memory; past [`SPILL_BYTES`], later records stay only on disk.
    fn end_batch(&mut self) {
        if self.spill_from.is_some() {
            // Records only on disk can be read back once they are written.
            self.flush_buffer();
        }
        if self.done.is_empty() && !self.spilled_changed {
            return;
        }
        let mut store = self.core.lock();
        store.bytes += self.done_bytes;
        store.records.extend(self.done.drain(..));
        if self.spilled_changed {
            store.spilled.clone_from(&self.spilled);
            store.full = true;
            self.spilled_changed = false;
        }
        let full = store.bytes >= SPILL_BYTES;
        drop(store);
        self.done_bytes = 0;
        if full && !self.full {
            self.full = true;
            self.start_spill_segment();
        }
    }

    /// Writes the records the store held in memory, each to the file of
    /// its session, and switches to the current session.
    fn write_held(&mut self) {
        let (sessions, generation) = {
            let store = self.core.lock();
            (store.sessions.clone(), store.generation)
        };
        let names: Vec<(u64, String)> = std::iter::once((0, session::PRE_SESSION_FILE.to_owned()))
            .chain(sessions)
            .collect();
        let mut next = 0;
        loop {
            let store = self.core.lock();
            let chunk: Vec<(u64, String)> = store
                .records
                .iter()
                .skip(next)
                .take(CHUNK)
                .map(|held| {
                    let mut line = String::new();
                    held.entry.write_to(&mut line);
                    (held.generation, line)
                })
                .collect();
            drop(store);
            if chunk.is_empty() {
                break;
            }
            next += chunk.len();
            for (generation, line) in chunk {
                if generation != self.generation || self.out.is_none() {
                    self.switch_to(generation, &names);
                }
                if self.out.is_some() {
                    self.buffer.extend_from_slice(line.as_bytes());
                    self.ends.push(self.buffer.len());
                    if self.buffer.len() >= BUFFER_BYTES {
                        self.flush_buffer();
                    }
                } else {
                    self.core
                        .stats
                        .write_failures
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        // The current session's file exists from now on, even if empty.
        if generation != self.generation || self.out.is_none() {
            self.switch_to(generation, &names);
        }
        self.flush_buffer();
        self.end_batch();
    }

    fn switch_to(&mut self, generation: u64, names: &[(u64, String)]) {
        self.flush_buffer();
        self.generation = generation;
        if let Some((_, name)) = names.iter().find(|(g, _)| *g == generation) {
            self.current_name.clone_from(name);
            self.out = None;
            self.reopen_failed = !self.open_output(name);
            if generation > 0 && !self.reopen_failed {
                self.publish_session(&self.core.dir.join(name));
            }
        }
    }

    fn publish_session(&self, path: &Path) {
        *self
            .core
            .stats
            .session_path
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(path.to_path_buf());
    }

    fn send_to_ui(&mut self, entry: &Entry) {
        let Some(ui) = &self.ui else {
            if self.ui_closed {
                self.core.stats.ui_missed.fetch_add(1, Ordering::Relaxed);
            }
            return;
        };
        match ui.try_send(entry.to_log_line(self.core.id, self.generation)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.core.stats.ui_missed.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // Nobody will read again: stop building lines for the UI.
                self.core.stats.ui_missed.fetch_add(1, Ordering::Relaxed);
                self.ui = None;
                self.ui_closed = true;
            }
        }
    }

    fn fail(&mut self, error: LogError) {
        // Keep the first error: it is usually the cause of the later ones.
        if self.pending_error.is_none() {
            self.pending_error = Some(error);
        }
    }

    /// Hands the buffered records to the OS (`write` with `O_APPEND`).
    /// A write that stops inside a record loses that record and the ones
    /// after it (counted as records), and the next write starts on a new
    /// line, so no later record is merged into the cut one.
    fn flush_buffer(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        crate::engine::store::PERSISTER_PROGRESS.fetch_add(1, Ordering::Relaxed);
        let Some(out) = &self.out else {
            self.buffer.clear();
            self.ends.clear();
            self.spill_from = None;
            return;
        };
        let file = Arc::clone(&out.file);
        let path = Arc::clone(&out.path);
        let spill = out.spill;
        if self.broken_line && write_all(&file, b"\n").0 == 1 {
            self.broken_line = false;
        }
        let (written, error) = if self.broken_line {
            (0, Some(io::Error::other("could not end a cut record")))
        } else {
            write_all(&file, &self.buffer)
        };
        // The records written whole, and the end of the last one.
        let whole = self.ends.iter().take_while(|&&end| end <= written).count();
        let whole_end = self
            .ends
            .get(whole.wrapping_sub(1))
            .copied()
            .filter(|_| whole > 0)
            .unwrap_or(0);
        if let (Some(from), Some(index)) = (self.spill_from, spill) {
            if whole_end > from {
                if let Ok(end) = (&*file).stream_position() {
                    let start = end.saturating_sub(written as u64);
                    if let Some(segment) = self.spilled.get_mut(index) {
                        record_range(segment, start + from as u64, start + whole_end as u64);
                        self.spilled_changed = true;
                    }
                }
            }
        }
        if let Some(source) = error {
            let lost = self.ends.len() - whole;
            self.core
                .stats
                .write_failures
                .fetch_add(lost as u64, Ordering::Relaxed);
            if written != whole_end {
                self.broken_line = true;
            }
            self.fail(LogError::io(path.to_path_buf(), source));
        }
        self.buffer.clear();
        self.ends.clear();
        self.spill_from = None;
    }

    /// Flushes to the OS and reports the first error since the last report.
    fn flush(&mut self) -> Result<(), LogError> {
        self.flush_buffer();
        self.reopen_failed = false;
        self.check_in_place();
        crate::engine::diagnostics::emit(format_args!(
            "[FLUSH] wait_for_empty() completed for LogCollector {} - all logs synced to disk",
            self.core.id
        ));
        match self.pending_error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Records the loss if the current file was deleted or replaced since
    /// it was opened, and drops it so the next record reopens the path.
    fn check_in_place(&mut self) {
        let (Some(out), Some(dir)) = (&self.out, &self.dir) else {
            return;
        };
        {
            if let Err(source) = dir.still_in_place(&out.name, &out.file) {
                let path = out.path.to_path_buf();
                self.out = None;
                self.fail(LogError::io(path, source));
            }
        }
    }

    /// Opens `name` as the output; records an error on failure.
    fn open_output(&mut self, name: &str) -> bool {
        match self.open_in_dir(name) {
            Ok(file) => {
                self.set_output(name, file);
                true
            }
            Err(source) => {
                let path = self.core.dir.join(name);
                self.fail(LogError::io(path, source));
                false
            }
        }
    }

    /// Opens `name` in the directory through its handle; if the directory
    /// was deleted, once more in one recreated at the same path (reached
    /// without following any symlink, see `LogDir::reopen`).
    fn open_in_dir(&mut self, name: &str) -> io::Result<File> {
        let Some(dir) = &self.dir else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the log directory could not be created",
            ));
        };
        match dir.open_append(name) {
            Err(error) if dir.is_deleted() => match dir.reopen() {
                Ok(again) => {
                    let file = again.open_append(name);
                    self.dir = Some(again);
                    file
                }
                Err(_) => Err(error),
            },
            other => other,
        }
    }

    fn set_output(&mut self, name: &str, file: File) {
        self.out = Some(Output {
            name: name.to_owned(),
            path: Arc::from(self.core.dir.join(name)),
            file: Arc::new(file),
            spill: None,
        });
        if self.full {
            self.start_spill_segment();
        }
    }

    /// From now on, records of the current output are read back from it.
    fn start_spill_segment(&mut self) {
        let generation = self.generation;
        if let Some(out) = &mut self.out {
            self.spilled.push(Segment {
                path: Arc::clone(&out.path),
                file: Arc::clone(&out.file),
                generation,
                ranges: Vec::new(),
            });
            out.spill = Some(self.spilled.len() - 1);
        }
    }

    fn new_session(&mut self, name: &str) -> Result<PathBuf, LogError> {
        let path = self.core.dir.join(name);
        // The old output is flushed, and dropped only once the new file is
        // open, so a failed switch leaves records flowing to the old session.
        self.flush_buffer();
        // Records written to a file deleted since the last flush are lost:
        // keep that for the next `wait_for_empty`, whatever this switch does.
        self.check_in_place();
        let file = self.open_in_dir(name).map_err(|e| LogError::io(&path, e))?;
        self.generation += 1;
        self.reopen_failed = false;
        self.current_name = name.to_owned();
        self.set_output(name, file);
        self.publish_session(&path);
        self.core
            .stats
            .generation
            .store(self.generation, Ordering::Release);
        self.core.lock().generation = self.generation;
        crate::engine::diagnostics::emit(format_args!(
            "[SESSION] Generation incremented to: {} (from background thread)",
            self.generation
        ));
        crate::engine::diagnostics::emit(format_args!(
            "[SESSION] New session started with dedicated log file: {}",
            path.display()
        ));
        Ok(path)
    }
}

fn record_range(segment: &mut Segment, start: u64, end: u64) {
    match segment.ranges.last_mut() {
        Some(last) if last.1 == start => last.1 = end,
        _ => segment.ranges.push((start, end)),
    }
}

/// Writes `bytes`; returns how many were written and the error that
/// stopped it, if any.
fn write_all(file: &File, bytes: &[u8]) -> (usize, Option<io::Error>) {
    let mut written = 0;
    while written < bytes.len() {
        let chunk = bytes.get(written..).unwrap_or_default();
        match (&*file).write(chunk) {
            Ok(0) => return (written, Some(io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (written, Some(e)),
        }
    }
    (written, None)
}

/// Bytes read from a spilled file at a time: read-back holds about this
/// much (plus the longest record) whatever the size of the log.
const READ_BLOCK: usize = if cfg!(test) { 97 } else { 1024 * 1024 };

/// Reads back the records that are only on disk, through the handles the
/// persister opened (never by path: a deleted or replaced file reads the
/// same), handing each to `each` until it breaks. Streams: memory stays
/// bounded by [`READ_BLOCK`] plus the longest record, whatever the log's size.
pub(crate) fn for_each_spilled(
    segments: &[Segment],
    mut each: impl FnMut(CapturedRecord) -> std::ops::ControlFlow<()>,
) -> Result<(), LogError> {
    let mut bytes: Vec<u8> = Vec::new();
    let mut parsed = Vec::new();
    for segment in segments {
        let io_error = |e| LogError::io(segment.path.to_path_buf(), e);
        for &(start, end) in &segment.ranges {
            bytes.clear();
            // How much of `bytes` is known to hold no record boundary.
            let mut searched = 0;
            let mut at = start;
            while at < end || !bytes.is_empty() {
                let take = usize::try_from(end - at)
                    .unwrap_or(usize::MAX)
                    .min(READ_BLOCK);
                if take > 0 {
                    let old = bytes.len();
                    bytes.resize(old + take, 0);
                    let slot = bytes.get_mut(old..).unwrap_or_default();
                    read_at(&segment.file, slot, at).map_err(io_error)?;
                    at += take as u64;
                }
                // Parse the whole records read so far: up to the last line
                // that the next one shows is not continued.
                let cut = if at >= end {
                    bytes.len()
                } else {
                    match whole_records_end(&bytes, searched) {
                        Some(cut) => cut,
                        None => {
                            // A record longer than a block: search only
                            // what the next read adds (no quadratic rescan).
                            searched = bytes.len();
                            continue;
                        }
                    }
                };
                let text = match std::str::from_utf8(bytes.get(..cut).unwrap_or_default()) {
                    Ok(text) => std::borrow::Cow::Borrowed(text),
                    Err(_) => String::from_utf8_lossy(bytes.get(..cut).unwrap_or_default()),
                };
                parsed.clear();
                crate::engine::record::parse_records(&text, segment.generation, &mut parsed);
                for record in parsed.drain(..) {
                    if each(record).is_break() {
                        return Ok(());
                    }
                }
                bytes.drain(..cut);
                searched = 0;
            }
        }
    }
    Ok(())
}

/// Where the records in `bytes` that are known to be whole end: after the
/// last `\n` followed by a line that is not a continuation (so it starts a
/// record). `None` if no such point is known yet. The first `searched`
/// bytes were searched before (with less after them) and held none.
fn whole_records_end(bytes: &[u8], searched: usize) -> Option<usize> {
    let continuation = crate::engine::record::CONTINUATION.as_bytes();
    // A newline this close to the old end was undecided: look again.
    let from = searched.saturating_sub(continuation.len() + 1);
    let mut end = bytes.len();
    while let Some(nl) = bytes
        .get(from..end)
        .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
        .map(|i| i + from)
    {
        let next = bytes.get(nl + 1..).unwrap_or_default();
        if next.len() >= continuation.len() && !next.starts_with(continuation) {
            return Some(nl + 1);
        }
        if next.len() < continuation.len() && !continuation.starts_with(next) {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}

/// Reads without moving the handle's offset, which the writer relies on.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod should {
    use super::*;
    use crate::engine::record::{Form, RecordView};

    fn segment_of(text: &str, generation: u64) -> (tempfile::TempDir, Segment) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.log");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let segment = Segment {
            path: Arc::from(path.as_path()),
            file: Arc::new(file),
            generation,
            ranges: vec![(0, text.len() as u64)],
        };
        (dir, segment)
    }

    #[test]
    fn stream_records_across_blocks_whatever_their_length() {
        let mut text = String::new();
        let mut expected = Vec::new();
        for i in 0..60 {
            let message = match i % 4 {
                0 => format!("short {i}"),
                1 => format!("two lines {i}\n  second"),
                2 => format!("long {i} {}", "x".repeat(i * 37)),
                _ => format!("{}\n\n{}", "y".repeat(300), "z".repeat(250)),
            };
            RecordView::plain(
                std::time::UNIX_EPOCH,
                log::Level::Info,
                Some("t"),
                "target",
                &message,
            )
            .write(&mut text, Form::File);
            expected.push(message);
        }
        let (_dir, segment) = segment_of(&text, 2);
        let mut got = Vec::new();
        for_each_spilled(std::slice::from_ref(&segment), |record| {
            assert_eq!(record.generation, 2);
            got.push(record.message);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(got, expected);
        // Stops when asked.
        let mut seen = 0;
        for_each_spilled(std::slice::from_ref(&segment), |_| {
            seen += 1;
            std::ops::ControlFlow::Break(())
        })
        .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn find_record_boundaries_only_where_the_next_line_is_known() {
        assert_eq!(whole_records_end(b"a\n ", 0), None);
        assert_eq!(whole_records_end(b"a\nb", 0), Some(2));
        assert_eq!(whole_records_end(b"a\nbcde", 0), Some(2));
        assert_eq!(whole_records_end(b"a\n    more\n  ", 0), None);
        assert_eq!(whole_records_end(b"a\n    more\nx", 0), Some(11));
        // What was searched before is not searched again, but a newline
        // near its end is.
        assert_eq!(whole_records_end(b"a\nbcde\n    x", 7), None);
        assert_eq!(whole_records_end(b"abc\nde", 4), Some(4));
    }
}
