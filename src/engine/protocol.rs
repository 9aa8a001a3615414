//! The messages between a collector and the persister: what a collector's
//! queue holds ([`Item`]: a record or a [`Control`]), and how the persister
//! answers ([`Ack`]: to a blocking or an async waiter). Controls (open,
//! new session, flush, sync, shutdown) travel in the same queue as records,
//! so the persister carries them out in the order they were sent.

use std::path::PathBuf;

use crate::engine::record::Entry;
use crate::error::LogError;

/// A reply channel: blocking callers wait on crossbeam, async callers await tokio.
#[derive(Debug)]
pub(crate) enum Ack<T> {
    Blocking(crossbeam_channel::Sender<T>),
    Async(tokio::sync::oneshot::Sender<T>),
}

impl<T> Ack<T> {
    pub(crate) fn send(self, value: T) {
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

    /// The waiter is gone (an async waiter's future was dropped).
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self, Ack::Async(tx) if tx.is_closed())
    }
}

/// What the persister does with a collector, in queue order.
#[derive(Debug)]
pub(crate) enum Control {
    /// Create the directory, write the records held in memory, and keep
    /// writing from now on. Answers with the directory.
    Open(Option<Ack<Result<PathBuf, LogError>>>),
    NewSession(String, Ack<Result<PathBuf, LogError>>),
    Flush(Ack<Result<(), LogError>>),
    /// Answered once everything queued before it is in memory or on disk.
    Sync(Ack<()>),
    /// The last item of a sealed collector: close the files (and remove
    /// the directory, for a passing test's), then answer.
    Shutdown {
        remove_dir: bool,
        ack: Ack<()>,
    },
}

/// One entry of a collector's queue: a record or a control.
#[derive(Debug)]
pub(crate) enum Item {
    Line(Entry),
    Control(Control),
}

impl Control {
    /// Answers a control that cannot be carried out.
    pub(crate) fn refuse(self) {
        match self {
            Control::Open(ack) => {
                if let Some(ack) = ack {
                    ack.send(Err(LogError::PersisterGone));
                }
            }
            Control::NewSession(_, ack) => ack.send(Err(LogError::PersisterGone)),
            Control::Flush(ack) => ack.send(Err(LogError::PersisterGone)),
            Control::Sync(ack) | Control::Shutdown { ack, .. } => ack.send(()),
        }
    }
}
