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
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel::{Receiver, TryRecvError};
use tokio::sync::mpsc;

use crate::error::LogError;
use crate::record::{Entry, LogLine};
use crate::session;

const BUFFER_BYTES: usize = 64 * 1024;

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
    Line(Entry),
    Flush(Ack<Result<(), LogError>>),
    Snapshot(Ack<Result<Vec<Segment>, LogError>>),
    NewSession(String, Ack<Result<PathBuf, LogError>>),
    Watch(Watch),
    Shutdown,
}

/// A waiter for the first record whose message contains `marker`.
#[derive(Debug)]
pub(crate) struct Watch {
    pub(crate) marker: String,
    pub(crate) notify: Ack<()>,
    /// Set by the waiter when it stops waiting (found it first, or timed out).
    pub(crate) cancelled: Arc<AtomicBool>,
}

/// The bytes of one file written during one generation.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) path: Arc<Path>,
    pub(crate) generation: u64,
    pub(crate) start: u64,
    pub(crate) end: u64,
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
    file: BufWriter<File>,
}

pub(crate) struct Persister {
    collector_id: u64,
    log_dir: PathBuf,
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
}

impl Persister {
    pub(crate) fn new(
        collector_id: u64,
        log_dir: PathBuf,
        shared: Arc<Shared>,
        ui: Option<mpsc::Sender<LogLine>>,
    ) -> Persister {
        Persister {
            collector_id,
            current_path: log_dir.join(session::PRE_SESSION_FILE),
            reopen_failed: false,
            log_dir,
            shared,
            ui,
            ui_closed: false,
            out: None,
            generation: 0,
            segments: Vec::new(),
            pending_error: None,
            watches: Vec::new(),
            line: String::with_capacity(256),
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
            Msg::Line(entry) => self.write(entry),
            Msg::Flush(ack) => ack.send(self.flush()),
            Msg::Snapshot(ack) => {
                let result = self.flush().map(|()| self.segments.clone());
                ack.send(result);
            }
            Msg::NewSession(name, ack) => ack.send(self.new_session(&name)),
            Msg::Watch(watch) => self.watches.push(watch),
            Msg::Shutdown => {}
        }
    }

    fn write(&mut self, entry: Entry) {
        if self.out.is_none() && !self.reopen_failed {
            self.reopen_failed = !self.open(self.current_path.clone());
        }
        self.line.clear();
        entry.write_to(&mut self.line);
        let written = match &mut self.out {
            Some(out) => match out.file.write_all(self.line.as_bytes()) {
                Ok(()) => true,
                Err(source) => {
                    let path = out.path.to_path_buf();
                    self.fail(LogError::io(path, source));
                    false
                }
            },
            None => false,
        };
        if written {
            if let Some(segment) = self.segments.last_mut() {
                segment.end += self.line.len() as u64;
            }
        } else {
            self.shared.write_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.send_to_ui(&entry);
        if !self.watches.is_empty() {
            self.notify_watches(&entry.message);
        }
    }

    fn notify_watches(&mut self, message: &str) {
        let watches = std::mem::take(&mut self.watches);
        for watch in watches {
            if watch.cancelled.load(Ordering::Relaxed) {
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

    fn flush_buffer(&mut self) {
        if let Some(out) = &mut self.out {
            if let Err(source) = out.file.flush() {
                let path = out.path.to_path_buf();
                self.fail(LogError::io(path, source));
            }
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
            if let Err(source) = session::still_in_place(&out.path, out.file.get_ref()) {
                let path = out.path.to_path_buf();
                // Reopen on the next record: the file is recreated if the
                // directory is back, or the error repeats.
                self.out = None;
                self.fail(LogError::io(path, source));
            }
        }
    }

    fn open(&mut self, path: PathBuf) -> bool {
        match session::open_append(&path) {
            Ok((file, start)) => {
                let path: Arc<Path> = Arc::from(path);
                self.segments.push(Segment {
                    path: Arc::clone(&path),
                    generation: self.generation,
                    start,
                    end: start,
                });
                self.out = Some(Output {
                    path,
                    file: BufWriter::with_capacity(BUFFER_BYTES, file),
                });
                true
            }
            Err(source) => {
                self.fail(LogError::io(path, source));
                false
            }
        }
    }

    fn new_session(&mut self, name: &str) -> Result<PathBuf, LogError> {
        let path = self.log_dir.join(name);
        // Flush first: the new segment starts at the file's length, and the old
        // buffer may belong to the same file. The old handle is dropped only
        // once the new file is open, so a failed switch leaves records flowing
        // to the old session.
        self.flush_buffer();
        // Records written to a file deleted since the last flush are lost:
        // keep that for the next `wait_for_empty`, whatever this switch does.
        self.check_in_place();
        let (file, start) = session::open_append(&path).map_err(|e| LogError::io(&path, e))?;
        self.generation += 1;
        self.reopen_failed = false;
        self.current_path = path.clone();
        let shared_path: Arc<Path> = Arc::from(path.as_path());
        self.segments.push(Segment {
            path: Arc::clone(&shared_path),
            generation: self.generation,
            start,
            end: start,
        });
        self.out = Some(Output {
            path: shared_path,
            file: BufWriter::with_capacity(BUFFER_BYTES, file),
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

/// Reads the records of `segments` back from disk.
pub(crate) fn read_segments(
    segments: &[Segment],
) -> Result<Vec<crate::record::CapturedRecord>, LogError> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut records = Vec::new();
    let mut bytes = Vec::new();
    for segment in segments.iter().filter(|s| s.end > s.start) {
        let io_err = |e: io::Error| LogError::io(segment.path.to_path_buf(), e);
        let mut file = File::open(&segment.path).map_err(io_err)?;
        file.seek(SeekFrom::Start(segment.start)).map_err(io_err)?;
        bytes.clear();
        file.take(segment.end - segment.start)
            .read_to_end(&mut bytes)
            .map_err(io_err)?;
        let text = String::from_utf8_lossy(&bytes);
        crate::record::parse_records(&text, segment.generation, &mut records);
    }
    Ok(records)
}
