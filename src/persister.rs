//! The background thread of one collector: it owns the files.
//!
//! Messages arrive on one unbounded channel in the order they were sent, so a
//! record is written to the session that was current when it entered the
//! queue (see the crate docs, "Sessions and generations"). The writer is
//! buffered and flushed to the OS whenever the queue runs empty, so a crash
//! loses at most what was still queued.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::fs::File;
use std::io::{self, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel::{Receiver, TryRecvError};
use tokio::sync::mpsc;

use crate::error::LogError;
use crate::record::{Entry, LogLine};
use crate::session::{self, LogDir};

const BUFFER_BYTES: usize = 64 * 1024;
/// Handles kept open for reading back the newest segments; older ones are
/// reopened by path, so a collector with thousands of sessions does not run
/// out of file descriptors.
const OPEN_SEGMENTS: usize = 8;

/// A reply channel: blocking callers wait on crossbeam, async callers await tokio.
#[derive(Debug)]
pub(crate) enum Ack<T> {
    Blocking(crossbeam_channel::Sender<T>),
    Async(tokio::sync::oneshot::Sender<T>),
}

impl<T> Ack<T> {
    fn send(self, value: T) {
        // The caller may have given up waiting (a cancelled future); fine.
        match self {
            Ack::Blocking(tx) => {
                let _ = tx.send(value);
            }
            Ack::Async(tx) => {
                let _ = tx.send(value);
            }
        }
    }
}

#[derive(Debug)]
pub(crate) enum Msg {
    Line(Pending),
    Flush(Ack<Result<(), LogError>>),
    Snapshot(Ack<Result<Vec<Segment>, LogError>>),
    NewSession(String, Ack<Result<PathBuf, LogError>>),
    /// A watch, and where to answer whether a record already matches.
    Watch(Watch, Ack<bool>),
    Shutdown,
}

/// A record on its way to the persister. If it is never written (the
/// collector was dropped and the channel discarded it), dropping it reports
/// it as unattributed, so no record disappears unseen.
#[derive(Debug)]
pub(crate) struct Pending(Option<Entry>);

impl Pending {
    pub(crate) fn new(entry: Entry) -> Pending {
        Pending(Some(entry))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(entry) = self.0.take() {
            crate::unattributed::report(entry, "its collector was dropped");
        }
    }
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
    /// The waiter gave up (timed out, found it first, or its future was dropped).
    fn is_abandoned(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
            || matches!(&self.notify, Ack::Async(tx) if tx.is_closed())
    }
}

/// The bytes this collector wrote to one file during one generation.
///
/// Ranges come from the file offset after each `O_APPEND` write, so they stay
/// right when another collector or process appends to the same file. Reading
/// back goes through the handle, so a deleted or replaced path still reads
/// what this collector wrote.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) path: Arc<Path>,
    /// `None` once the segment is old (see `OPEN_SEGMENTS`).
    pub(crate) file: Option<Arc<File>>,
    pub(crate) generation: u64,
    pub(crate) ranges: Vec<(u64, u64)>,
}

impl Segment {
    fn record_write(&mut self, end: u64, len: u64) {
        let start = end.saturating_sub(len);
        match self.ranges.last_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => self.ranges.push((start, end)),
        }
    }
}

/// State the collector reads without asking the thread.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) generation: AtomicU64,
    pub(crate) session_path: Mutex<Option<PathBuf>>,
    pub(crate) ui_missed: AtomicU64,
    pub(crate) write_failures: AtomicU64,
}

struct Output {
    path: Arc<Path>,
    file: Arc<File>,
    /// Index of this output's segment in `Persister::segments`.
    segment: usize,
}

pub(crate) struct Persister {
    collector_id: u64,
    /// Every file is opened relative to this handle, never by path.
    dir: LogDir,
    shared: Arc<Shared>,
    ui: Option<mpsc::Sender<LogLine>>,
    /// The UI receiver was dropped: every later record is a UI miss.
    ui_closed: bool,
    out: Option<Output>,
    /// The file records go to: the pre-session file, then the current session's.
    current_path: PathBuf,
    /// Set when reopening `current_path` failed; retried after the next flush
    /// or session switch rather than on every record.
    reopen_failed: bool,
    generation: u64,
    segments: Vec<Segment>,
    pending_error: Option<LogError>,
    watches: Vec<Watch>,
    line: String,
    /// Formatted records not yet handed to the OS.
    buffer: Vec<u8>,
}

impl Persister {
    pub(crate) fn new(
        collector_id: u64,
        dir: LogDir,
        shared: Arc<Shared>,
        ui: Option<mpsc::Sender<LogLine>>,
    ) -> Persister {
        Persister {
            collector_id,
            current_path: dir.path().join(session::PRE_SESSION_FILE),
            reopen_failed: false,
            dir,
            shared,
            ui,
            ui_closed: false,
            out: None,
            generation: 0,
            segments: Vec::new(),
            pending_error: None,
            watches: Vec::new(),
            line: String::with_capacity(256),
            buffer: Vec::with_capacity(BUFFER_BYTES),
        }
    }

    pub(crate) fn run(mut self, rx: Receiver<Msg>) {
        loop {
            let msg = match rx.try_recv() {
                Ok(msg) => msg,
                Err(TryRecvError::Empty) => {
                    self.flush_buffer();
                    match rx.recv() {
                        Ok(msg) => msg,
                        Err(_) => break,
                    }
                }
                Err(TryRecvError::Disconnected) => break,
            };
            if let Msg::Shutdown = msg {
                // Anything that raced with the drop is still this collector's.
                while let Ok(late) = rx.try_recv() {
                    self.handle(late);
                }
                break;
            }
            self.handle(msg);
        }
        self.flush_buffer();
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Line(mut pending) => {
                if let Some(entry) = pending.0.take() {
                    self.write(entry);
                }
            }
            Msg::Flush(ack) => ack.send(self.flush()),
            Msg::Snapshot(ack) => {
                // Errors stay pending for the next `wait_for_empty`: what was
                // written can still be read back through the held handles.
                self.flush_buffer();
                self.check_in_place();
                ack.send(Ok(self.segments.clone()));
            }
            Msg::NewSession(name, ack) => ack.send(self.new_session(&name)),
            Msg::Watch(watch, answer) => answer.send(self.add_watch(watch)),
            Msg::Shutdown => {}
        }
    }

    fn write(&mut self, entry: Entry) {
        if self.out.is_none() && !self.reopen_failed {
            self.reopen_failed = !self.open(self.current_path.clone(), self.generation);
        }
        if self.out.is_some() && entry.message.len() >= BUFFER_BYTES {
            self.write_huge(&entry);
        } else if self.out.is_some() {
            self.line.clear();
            entry.write_to(&mut self.line);
            self.buffer.extend_from_slice(self.line.as_bytes());
            if self.buffer.len() >= BUFFER_BYTES {
                self.flush_buffer();
            }
        } else {
            self.shared.write_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.send_to_ui(&entry);
        if !self.watches.is_empty() {
            self.notify_watches(&entry.message);
        }
    }

    /// Returns true if a record already written matches `watch`; otherwise
    /// registers it, and records queued after it are checked as they arrive.
    fn add_watch(&mut self, watch: Watch) -> bool {
        self.flush_buffer();
        let found = read_segments(&self.segments).is_ok_and(|records| {
            records
                .iter()
                .any(|r| r.message.contains(watch.marker.as_str()))
        });
        if !found {
            self.watches.retain(|w| !w.is_abandoned());
            self.watches.push(watch);
        }
        found
    }

    fn notify_watches(&mut self, message: &str) {
        let watches = std::mem::take(&mut self.watches);
        for watch in watches {
            if watch.is_abandoned() {
                continue;
            }
            if message.contains(watch.marker.as_str()) {
                watch.notify.send(());
            } else {
                self.watches.push(watch);
            }
        }
    }

    fn send_to_ui(&mut self, entry: &Entry) {
        let Some(ui) = &self.ui else {
            if self.ui_closed {
                self.shared.ui_missed.fetch_add(1, Ordering::Relaxed);
            }
            return;
        };
        match ui.try_send(entry.to_log_line(self.collector_id, self.generation)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.ui_missed.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // Nobody will read again: stop building lines for the UI.
                self.shared.ui_missed.fetch_add(1, Ordering::Relaxed);
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

    /// Writes a record whose message is bigger than the buffer without
    /// copying it: the message goes to the file straight from the entry, so
    /// a huge record costs its caller's string and the entry, nothing more.
    fn write_huge(&mut self, entry: &Entry) {
        self.flush_buffer();
        let mut header = String::new();
        entry.write_pieces(&mut header, |piece| {
            if piece.len() >= BUFFER_BYTES {
                self.flush_buffer();
                self.write_out(piece);
            } else {
                self.buffer.extend_from_slice(piece);
                if self.buffer.len() >= BUFFER_BYTES {
                    self.flush_buffer();
                }
            }
        });
    }

    /// Hands the buffered records to the OS (`write` with `O_APPEND`),
    /// noting where each write landed.
    fn flush_buffer(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let mut buffer = std::mem::take(&mut self.buffer);
        self.write_out(&buffer);
        buffer.clear();
        self.buffer = buffer;
    }

    /// Writes `bytes` to the current output (`write` with `O_APPEND`),
    /// noting where each write landed.
    fn write_out(&mut self, bytes: &[u8]) {
        let Some(out) = &self.out else {
            return;
        };
        let mut written = 0;
        let mut error = None;
        while written < bytes.len() {
            let chunk = bytes.get(written..).unwrap_or_default();
            match (&*out.file).write(chunk) {
                Ok(0) => {
                    error = Some(io::Error::from(io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => {
                    written += n;
                    match (&*out.file).stream_position() {
                        Ok(end) => {
                            if let Some(segment) = self.segments.get_mut(out.segment) {
                                segment.record_write(end, n as u64);
                            }
                        }
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if let Some(source) = error {
            let lost = bytes
                .get(written..)
                .map_or(0, |rest| rest.iter().filter(|&&b| b == b'\n').count());
            self.shared
                .write_failures
                .fetch_add(lost as u64, Ordering::Relaxed);
            let path = out.path.to_path_buf();
            self.fail(LogError::io(path, source));
        }
    }

    /// Flushes to the OS and reports the first error since the last report.
    fn flush(&mut self) -> Result<(), LogError> {
        self.flush_buffer();
        self.reopen_failed = false;
        self.check_in_place();
        crate::diagnostics::emit(format_args!(
            "[FLUSH] wait_for_empty() completed for LogCollector {} - all logs synced to disk",
            self.collector_id
        ));
        match self.pending_error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Records the loss if the current file was deleted or replaced since
    /// it was opened, and drops it so the next record reopens the path.
    fn check_in_place(&mut self) {
        if let Some(out) = &self.out {
            if let Err(source) = self.dir.still_in_place(file_name(&out.path), &out.file) {
                let path = out.path.to_path_buf();
                // Reopen on the next record: the file is recreated if the
                // directory is back, or the error repeats.
                self.out = None;
                self.fail(LogError::io(path, source));
            }
        }
    }

    fn close_old_segments(&mut self) {
        if let Some(old) = self.segments.len().checked_sub(OPEN_SEGMENTS + 1) {
            if let Some(segment) = self.segments.get_mut(old) {
                segment.file = None;
            }
        }
    }

    /// Opens `path` as the output for `generation`; records an error on failure.
    fn open(&mut self, path: PathBuf, generation: u64) -> bool {
        match self.open_in_dir(file_name(&path)) {
            Ok(file) => {
                let path: Arc<Path> = Arc::from(path);
                let file = Arc::new(file);
                self.segments.push(Segment {
                    path: Arc::clone(&path),
                    file: Some(Arc::clone(&file)),
                    generation,
                    ranges: Vec::new(),
                });
                self.close_old_segments();
                self.out = Some(Output {
                    path,
                    file,
                    segment: self.segments.len() - 1,
                });
                true
            }
            Err(source) => {
                self.fail(LogError::io(path, source));
                false
            }
        }
    }

    /// Opens `name` in the log directory. If the directory was deleted, a
    /// directory recreated where it was is used from then on (found without
    /// following any symlink, see `LogDir::reopen`).
    fn open_in_dir(&mut self, name: &str) -> io::Result<File> {
        match self.dir.open_append(name) {
            Err(error) if self.dir.is_deleted() => match self.dir.reopen() {
                Ok(dir) => {
                    self.dir = dir;
                    self.dir.open_append(name)
                }
                Err(_) => Err(error),
            },
            other => other,
        }
    }

    fn new_session(&mut self, name: &str) -> Result<PathBuf, LogError> {
        let path = self.dir.path().join(name);
        // The old output is flushed, and dropped only once the new file is
        // open, so a failed switch leaves records flowing to the old session.
        self.flush_buffer();
        // Records written to a file deleted since the last flush are lost:
        // keep that for the next `wait_for_empty`, whatever this switch does.
        self.check_in_place();
        let file = self.open_in_dir(name).map_err(|e| LogError::io(&path, e))?;
        self.generation += 1;
        self.reopen_failed = false;
        self.current_path = path.clone();
        let shared_path: Arc<Path> = Arc::from(path.as_path());
        let file = Arc::new(file);
        self.segments.push(Segment {
            path: Arc::clone(&shared_path),
            file: Some(Arc::clone(&file)),
            generation: self.generation,
            ranges: Vec::new(),
        });
        self.close_old_segments();
        self.out = Some(Output {
            path: shared_path,
            file,
            segment: self.segments.len() - 1,
        });
        *self
            .shared
            .session_path
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(path.clone());
        self.shared
            .generation
            .store(self.generation, Ordering::Release);
        crate::diagnostics::emit(format_args!(
            "[SESSION] Generation incremented to: {} (from background thread)",
            self.generation
        ));
        crate::diagnostics::emit(format_args!(
            "[SESSION] New session started with dedicated log file: {}",
            path.display()
        ));
        Ok(path)
    }
}

/// The file name of a path the persister built as `dir.path().join(name)`.
fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(std::ffi::OsStr::to_str)
        .unwrap_or_default()
}

/// Reads the records of `segments` back through their file handles.
pub(crate) fn read_segments(
    segments: &[Segment],
) -> Result<Vec<crate::record::CapturedRecord>, LogError> {
    let mut records = Vec::new();
    let mut bytes = Vec::new();
    for segment in segments.iter().filter(|s| !s.ranges.is_empty()) {
        let io_error = |e| LogError::io(segment.path.to_path_buf(), e);
        let reopened;
        let file = match &segment.file {
            Some(file) => &**file,
            None => {
                reopened = File::open(&segment.path).map_err(io_error)?;
                &reopened
            }
        };
        for &(start, end) in &segment.ranges {
            bytes.clear();
            bytes.resize(usize::try_from(end - start).unwrap_or(0), 0);
            read_at(file, &mut bytes, start).map_err(io_error)?;
            // `from_utf8` checks ASCII a word at a time, the lossy decoder
            // byte by byte: use it only for bytes that are not UTF-8.
            let text = match std::str::from_utf8(&bytes) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(&bytes),
            };
            crate::record::parse_records(&text, segment.generation, &mut records);
        }
    }
    Ok(records)
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
